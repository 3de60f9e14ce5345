/*
 * png_write.c: RGB pixels to an 8-bit PNG through libpng. libpng reports
 * errors by longjmp, so the error handler keeps the message for
 * sym_strerror() and the caller gets -1.
 */
#include <png.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>

#include "sym.h"

static char pngerr[128];

static void
on_error(png_structp png, png_const_charp msg)
{
	snprintf(pngerr, sizeof pngerr, "%s", msg);
	png_longjmp(png, 1);
}

static void
on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

int
sym_png_write_rgb(FILE *f, const char *name, const uint8_t *rgb,
    uint32_t w, uint32_t h)
{
	png_structp png;
	png_infop info = NULL;
	/* volatile: read after longjmp */
	uint32_t volatile y = 0;

	if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu)
		return sym_seterr("%s: cannot write a %ux%u PNG", name, w, h);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error,
	    on_warning);
	if (!png || !(info = png_create_info_struct(png))) {
		png_destroy_write_struct(&png, NULL);
		return sym_seterr("%s: out of memory", name);
	}
	if (setjmp(png_jmpbuf(png))) {
		/* libpng only says "Write Error": the stream knows why */
		int e = ferror(f) ? errno : 0;

		png_destroy_write_struct(&png, &info);
		if (e)
			return sym_seterr("%s: write error: %s", name,
			    strerror(e));
		return sym_seterr("%s: %s", name, pngerr);
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fflush(f) != 0 || ferror(f))
		return sym_seterr("%s: write error:", name);
	return 0;
}
