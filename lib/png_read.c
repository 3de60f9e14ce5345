/* png_read.c: decode PNG files of any colour type and bit depth to 8-bit
 * gray with libpng, checking the header's size before allocating. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <png.h>

#include "sym.h"

/* libpng reports errors through these; the message goes to sym_seterr
 * with the file name, then longjmp back to the reader. */
struct pngctx {
	const char *path;
	char msg[256];
};

static void
png_err(png_structp png, png_const_charp msg)
{
	struct pngctx *c = png_get_error_ptr(png);

	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void
png_warn(png_structp png, png_const_charp msg)
{
	/* warnings (odd chunks, sRGB profiles) do not stop decoding */
	(void)png;
	(void)msg;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* A chunk type for messages: its four letters, or "corrupt" if they are
 * not letters (the name goes into a one-line error). */
static const char *
chunk_name(const unsigned char *t)
{
	static char name[8];

	for (int i = 0; i < 4; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z')))
			return "corrupt";
	snprintf(name, sizeof(name), "%.4s", (const char *)t);
	return name;
}

/* Walk the chunks from offset 8 up to IEND by their headers only: a chunk
 * whose length runs past the end of the file means a truncated or
 * corrupt file. libpng allocates a chunk's whole claimed length before
 * reading it (Debian's 1.6.39 did so for an sPLT chunk even under
 * png_set_chunk_malloc_max), so a 174-byte file whose sPLT claimed 1.9
 * GB made it allocate and touch 1.9 GB; this refuses such a file first. */
static int
check_chunks(FILE *f, const char *path)
{
	struct stat st;
	unsigned char ch[8];
	uint64_t off = 8;

	if (fstat(fileno(f), &st) != 0)
		return sym_seterr("%s:", path);
	for (;;) {
		uint32_t len;

		if (fseek(f, (long)off, SEEK_SET) != 0)
			return sym_seterr("%s: seek:", path);
		if (fread(ch, 1, sizeof(ch), f) != sizeof(ch)) {
			if (ferror(f))
				return sym_seterr("%s: read error", path);
			return sym_seterr("%s: bad PNG: truncated file",
			    path);
		}
		len = be32(ch);
		if (len > PNG_UINT_31_MAX)
			return sym_seterr("%s: bad PNG: chunk length %lu out "
			    "of range", path, (unsigned long)len);
		if (off + 12 + len > (uint64_t)st.st_size)
			return sym_seterr("%s: bad PNG: truncated file (%s "
			    "chunk of %lu bytes at byte %llu)", path,
			    chunk_name(ch + 4), (unsigned long)len,
			    (unsigned long long)off);
		if (memcmp(ch + 4, "IEND", 4) == 0)
			return 0;
		off += 12 + (uint64_t)len;
	}
}

/* Open path, check the size in its IHDR chunk against our caps and every
 * chunk's length against the file before libpng allocates anything, then
 * read the header with libpng. The caller owns *f, *png and *info even
 * on failure (free with done()). */
static int
start(const char *path, FILE **f, png_structp *png, png_infop *info,
    struct pngctx *c, int *w, int *h)
{
	/* signature, IHDR length and type, width, height */
	unsigned char hd[24];
	size_t got;
	uint32_t pw, ph;

	*png = NULL;
	*info = NULL;
	c->path = path;
	c->msg[0] = '\0';
	*f = fopen(path, "rb");
	if (!*f)
		return sym_seterr("%s:", path);
	got = fread(hd, 1, sizeof(hd), *f);
	if (ferror(*f))
		return sym_seterr("%s: read error", path);
	if (got < 8 || png_sig_cmp(hd, 0, 8) != 0)
		return sym_seterr("%s: not a PNG file", path);
	if (got < sizeof(hd))
		return sym_seterr("%s: bad PNG: truncated header", path);
	if (memcmp(hd + 12, "IHDR", 4) != 0)
		return sym_seterr("%s: bad PNG: no IHDR chunk first", path);
	pw = be32(hd + 16);
	ph = be32(hd + 20);
	if (pw == 0 || ph == 0 || pw > SYM_PNG_MAX_SIDE ||
	    ph > SYM_PNG_MAX_SIDE || (uint64_t)pw * ph > SYM_PNG_MAX_PIXELS)
		return sym_seterr("%s: absurd PNG size %lux%lu", path,
		    (unsigned long)pw, (unsigned long)ph);
	if (check_chunks(*f, path) < 0)
		return -1;
	if (fseek(*f, 8, SEEK_SET) != 0)
		return sym_seterr("%s: seek:", path);
	*png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_err,
	    png_warn);
	if (*png)
		*info = png_create_info_struct(*png);
	if (!*png || !*info)
		return sym_seterr("%s: out of memory", path);
	png_set_user_limits(*png, SYM_PNG_MAX_SIDE, SYM_PNG_MAX_SIDE);
	/* libpng says "Read Error" at end of file: name the real cause */
	if (setjmp(png_jmpbuf(*png)))
		return sym_seterr("%s: bad PNG: %s", path,
		    feof(*f) ? "truncated file" : c->msg);
	png_init_io(*png, *f);
	png_set_sig_bytes(*png, 8);
	png_read_info(*png, *info);
	/* libpng checked the IHDR again; these are the values we vetted */
	*w = (int)png_get_image_width(*png, *info);
	*h = (int)png_get_image_height(*png, *info);
	return 0;
}

static void
done(FILE *f, png_structp png, png_infop info)
{
	if (png)
		png_destroy_read_struct(&png, info ? &info : NULL, NULL);
	if (f)
		fclose(f);
}

int
sym_png_info(const char *path, int *w, int *h)
{
	struct pngctx c;
	png_structp png;
	png_infop info;
	FILE *f;
	int r = start(path, &f, &png, &info, &c, w, h);

	done(f, png, info);
	return r;
}

/* Luma of one RGBA pixel composited over white, rounded: gray pixels
 * (r = g = b) come out unchanged. */
static uint8_t
gray_over_white(const png_byte *p)
{
	unsigned l = (299u * p[0] + 587u * p[1] + 114u * p[2] + 500) / 1000;
	unsigned a = p[3];

	return (uint8_t)((l * a + 255u * (255u - a) + 127) / 255);
}

int
sym_png_read(const char *path, uint8_t **pix, int *w, int *h)
{
	struct pngctx c;
	png_structp png;
	png_infop info;
	FILE *f;
	uint8_t *volatile out = NULL;
	png_bytep volatile rgba = NULL;
	int ct, bd, pw, ph, passes;

	*pix = NULL;
	if (start(path, &f, &png, &info, &c, &pw, &ph) < 0) {
		done(f, png, info);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		sym_seterr("%s: bad PNG: %s", path,
		    feof(f) ? "truncated file" : c.msg);
		free(out);
		free(rgba);
		done(f, png, info);
		return -1;
	}
	ct = png_get_color_type(png, info);
	bd = png_get_bit_depth(png, info);
	/* Let libpng bring every colour type and depth to 8-bit RGBA; the
	 * luma and the compositing over white are ours, so they are exact
	 * and the same for every format. */
	if (ct == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ct == PNG_COLOR_TYPE_GRAY && bd < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (bd == 16)
		png_set_scale_16(png);
	if (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_filler(png, 0xff, PNG_FILLER_AFTER);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_channels(png, info) != 4 ||
	    png_get_bit_depth(png, info) != 8 ||
	    png_get_rowbytes(png, info) != 4 * (size_t)pw)
		png_error(png, "cannot convert to 8-bit RGBA");
	out = malloc((size_t)pw * ph);
	/* interlaced images need every row at once, others one row */
	rgba = malloc(4 * (size_t)pw * (passes > 1 ? (size_t)ph : 1));
	if (!out || !rgba)
		png_error(png, "out of memory");
	if (passes > 1) {
		for (int p = 0; p < passes; p++)
			for (int y = 0; y < ph; y++)
				png_read_row(png, rgba + 4 * (size_t)pw * y,
				    NULL);
	}
	for (int y = 0; y < ph; y++) {
		png_bytep row = rgba;
		if (passes > 1)
			row += 4 * (size_t)pw * y;
		else
			png_read_row(png, row, NULL);
		for (int x = 0; x < pw; x++)
			out[(size_t)y * pw + x] = gray_over_white(row + 4 * x);
	}
	png_read_end(png, NULL);
	free(rgba);
	done(f, png, info);
	*pix = out;
	*w = pw;
	*h = ph;
	return 0;
}
