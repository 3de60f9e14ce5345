/*
 * sym_image.h: image sources and pixel operations (IDX, PNG, folders,
 * resizing, augmentation). Pixels are u8 gray, ink = high values.
 */
#ifndef SYM_IMAGE_H
#define SYM_IMAGE_H

/* ---- IDX files (MNIST, Fashion-MNIST, EMNIST) ---- */

#define SYM_IDX_MAXDIMS 4
#define SYM_IDX_MAX_ITEMS 1000000000u	/* sanity cap on dims[0] */

/* An IDX file open for streaming: one item (dims[1..] bytes) at a time,
 * never the whole file in memory. Only type 0x08 (unsigned byte). */
struct sym_idx {
	void *gz;		/* gzFile: do not touch */
	char *path;		/* for messages */
	int ndims;		/* 1 (labels) .. SYM_IDX_MAXDIMS */
	uint32_t dims[SYM_IDX_MAXDIMS];	/* big-endian in the file */
	uint32_t count;		/* dims[0]: items in the file */
	size_t item_bytes;	/* product of dims[1..]; 1 for labels */
	uint32_t next;		/* index of the item sym_idx_read returns */
};

/* Open path (raw or gzip, read transparently by zlib) and check its
 * header: magic, type, ndims, dims against the caps. NULL and
 * sym_strerror() ("path: not an IDX file (magic 1f8b0808)") on error. */
struct sym_idx *sym_idx_open(const char *path);
/* Read the next item into buf (item_bytes). 1 read, 0 after the last
 * item, -1 on a short or corrupt file ("path: truncated after 12 of 100
 * images"). */
int sym_idx_read(struct sym_idx *x, uint8_t *buf);
void sym_idx_close(struct sym_idx *x);
/* Read a whole 1-D IDX label file into *labels (malloc'd, *n entries;
 * the caller frees). 0, or -1 and sym_strerror(). */
int sym_idx_read_labels(const char *path, uint8_t **labels, uint32_t *n);

/* ---- PNG files ---- */

#define SYM_PNG_MAX_SIDE 16384		/* per side */
#define SYM_PNG_MAX_PIXELS (64u << 20)	/* width * height */

/* Size of a PNG from its header only, checked against the caps. */
int sym_png_info(const char *path, int *w, int *h);
/* Decode a PNG of any colour type and bit depth to 8-bit gray (luma
 * 0.299 R + 0.587 G + 0.114 B, alpha composited over white). Plain gray:
 * dark ink stays low; the caller inverts. *pix is malloc'd w*h bytes,
 * row-major; the caller frees. 0, or -1 and sym_strerror() naming path. */
int sym_png_read(const char *path, uint8_t **pix, int *w, int *h);

/* ---- pixel operations ---- */

/* Resize a sw x sh u8 gray image to dw x dh, per axis: area average when
 * shrinking (exact fractional coverage, so 105 -> 28 weighs every source
 * pixel by the part of it each output pixel covers), bilinear (pixel
 * centres aligned) when enlarging, a plain copy when unchanged. Rounds to
 * nearest. out and in must not overlap. */
void sym_resize_u8(uint8_t *out, int dw, int dh, const uint8_t *in,
    int sw, int sh);
/* Moment normalisation of a w x h u8 image (ink high): move the centre
 * of mass of its values to the image centre, by whole pixels when radius
 * is 0; with radius > 0 also scale about it, bilinearly (averaging
 * sub-samples when shrinking), so that the values' root-mean-square
 * distance from their centre becomes radius times the shorter side. A
 * spread under one pixel counts as one; an image without ink is copied.
 * Points from outside the image read 0. out and in must not overlap. */
void sym_ink_normalize(uint8_t *out, const uint8_t *in, int w, int h,
    double radius);
/* out[y][x] = in[x][y]: in is h x w, out is w x h (EMNIST stores its
 * images transposed). */
void sym_transpose_u8(uint8_t *out, const uint8_t *in, int h, int w);
/* Rotate c x h x w by k * 90 degrees counter-clockwise (k any integer;
 * odd k swaps h and w in out). Used to make new classes of square
 * images. */
void sym_rotate90_u8(uint8_t *out, const uint8_t *in, int c, int h, int w,
    int k);
/* Mirror c x h x w in place, left to right. */
void sym_mirror_u8(uint8_t *img, int c, int h, int w);

/* Warp c x h x w floats through an affine map: output pixel (x, y) takes
 * input point (m[0]*u + m[1]*v + m[2] + cx, m[3]*u + m[4]*v + m[5] + cy)
 * with (u, v) = (x - cx, y - cy) and (cx, cy) the image centre, sampled
 * bilinearly; points outside read 0. */
void sym_affine_warp(float *out, const float *in, int c, int h, int w,
    const double m[6]);
/* Random affine distortion after Koch et al. (2015): rotation +-10 deg,
 * shear +-0.3, scale 0.8..1.2, shift +-2 px, each part on with
 * probability 0.5, about the centre, background 0. Draws a fixed 11
 * numbers from rng per call, so a seed gives the same images. */
void sym_augment_affine(float *out, const float *in, int c, int h, int w,
    struct sym_rng *rng);

/* ---- folders and EMNIST mappings ---- */

enum {
	SYM_LIST_FILES = 1,	/* regular files (symlinks followed), and
				 * what cannot be stat'ed (a dangling link:
				 * opening it says what is wrong) */
	SYM_LIST_DIRS = 2	/* folders */
};
/* Names (not paths) in folder dir of the given kinds, sorted by strcmp so
 * every machine sees the same order; hidden names (".x") are skipped.
 * *names is malloc'd (free with sym_list_free). 0, or -1 and
 * sym_strerror() ("dir: No such file or directory"). */
int sym_list_dir(const char *dir, int kinds, char ***names, size_t *n);
void sym_list_free(char **names, size_t n);

/* Parse an EMNIST mapping file, lines "label code [code2]" with ASCII
 * codes. *names gets *n = max label + 1 entries, NULL for labels that are
 * not mapped; a label with two codes (letters: upper, lower) is named by
 * the lower-case letter, others by their one character. Free with
 * sym_list_free(*names, *n). 0, or -1 and sym_strerror(). */
int sym_emnist_mapping(const char *path, char ***names, uint32_t *n);

#endif
