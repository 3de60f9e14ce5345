/*
 * sym_image.h: image sources and pixel operations (IDX, PNG, folders,
 * resizing, augmentation). Pixels are u8 gray, ink = high values.
 */
#ifndef SYM_IMAGE_H
#define SYM_IMAGE_H

#endif
