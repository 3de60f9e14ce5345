/*
 * sheet.c: drawing on an RGB canvas for contact sheets: rectangles,
 * frames, scaled stream images and text in the 5x7 font. Everything is
 * clipped to the canvas, so callers may draw partly outside.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* 256 M pixels (768 MB) is far beyond any useful sheet */
#define MAX_PIXELS (256u << 20)

int
sym_sheet_new(struct sym_sheet *s, int w, int h)
{
	s->w = s->h = 0;
	s->rgb = NULL;
	if (w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h > MAX_PIXELS)
		return sym_seterr("a %dx%d sheet is too big", w, h);
	s->rgb = sym_emalloc((size_t)w * h * 3);
	memset(s->rgb, 255, (size_t)w * h * 3);
	s->w = w;
	s->h = h;
	return 0;
}

void
sym_sheet_free(struct sym_sheet *s)
{
	if (!s)
		return;
	free(s->rgb);
	s->rgb = NULL;
	s->w = s->h = 0;
}

static void
put(struct sym_sheet *s, int x, int y, const uint8_t rgb[3])
{
	uint8_t *p;

	if (x < 0 || y < 0 || x >= s->w || y >= s->h)
		return;
	p = s->rgb + ((size_t)y * s->w + x) * 3;
	p[0] = rgb[0];
	p[1] = rgb[1];
	p[2] = rgb[2];
}

void
sym_sheet_fill(struct sym_sheet *s, int x, int y, int w, int h,
    const uint8_t rgb[3])
{
	int i, j;

	for (j = y < 0 ? 0 : y; j < y + h && j < s->h; j++)
		for (i = x < 0 ? 0 : x; i < x + w && i < s->w; i++)
			put(s, i, j, rgb);
}

void
sym_sheet_frame(struct sym_sheet *s, int x, int y, int w, int h, int t,
    const uint8_t rgb[3])
{
	sym_sheet_fill(s, x, y, w, t, rgb);
	sym_sheet_fill(s, x, y + h - t, w, t, rgb);
	sym_sheet_fill(s, x, y, t, h, rgb);
	sym_sheet_fill(s, x + w - t, y, t, h, rgb);
}

void
sym_sheet_image(struct sym_sheet *s, int x, int y, const uint8_t *px,
    int c, int h, int w, int scale)
{
	size_t plane = (size_t)h * w;
	uint8_t rgb[3];
	int i, j, a, b;

	for (j = 0; j < h; j++)
		for (i = 0; i < w; i++) {
			size_t o = (size_t)j * w + i;

			if (c == 3) {
				rgb[0] = px[o];
				rgb[1] = px[plane + o];
				rgb[2] = px[2 * plane + o];
			} else {
				/* ink is high in streams; paper white */
				rgb[0] = rgb[1] = rgb[2] = 255 - px[o];
			}
			for (b = 0; b < scale; b++)
				for (a = 0; a < scale; a++)
					put(s, x + i * scale + a,
					    y + j * scale + b, rgb);
		}
}

int
sym_sheet_text(struct sym_sheet *s, int x, int y, const char *text,
    int scale, const uint8_t rgb[3])
{
	const unsigned char *p;
	int x0 = x, r, b, a, d;

	for (p = (const unsigned char *)text; *p; p++) {
		const uint8_t *g;

		/* UTF-8: one glyph per character, drawn for its first
		 * byte (the font's '?' beyond ASCII) */
		if ((*p & 0xc0) == 0x80)
			continue;
		g = sym_font_glyph(*p);

		for (r = 0; r < SYM_FONT_H; r++)
			for (b = 0; b < SYM_FONT_W; b++) {
				if (!(g[r] & (0x10 >> b)))
					continue;
				for (d = 0; d < scale; d++)
					for (a = 0; a < scale; a++)
						put(s, x + b * scale + a,
						    y + r * scale + d, rgb);
			}
		x += SYM_FONT_ADV * scale;
	}
	return x > x0 ? x - x0 - scale : 0;
}

int
sym_sheet_text_fit(struct sym_sheet *s, int x, int y, const char *text,
    int maxw, const uint8_t rgb[3])
{
	size_t n = 0, fit, skip, i;
	const char *tail;
	char *buf;
	int r;

	/* characters, not bytes: UTF-8 continuation bytes draw nothing */
	for (i = 0; text[i]; i++)
		n += ((unsigned char)text[i] & 0xc0) != 0x80;
	/* n characters take 6n - 1 pixels */
	fit = maxw > 0 ? (size_t)(maxw + 1) / SYM_FONT_ADV : 0;
	if (n <= fit)
		return sym_sheet_text(s, x, y, text, 1, rgb);
	if (fit == 0)
		return 0;
	/* "~" and the last fit - 1 characters */
	skip = n - (fit - 1);
	for (tail = text; skip > 0 || ((unsigned char)*tail & 0xc0) == 0x80;
	    tail++)
		if (((unsigned char)*tail & 0xc0) != 0x80)
			skip--;
	buf = sym_emalloc(strlen(tail) + 2);
	buf[0] = '~';
	strcpy(buf + 1, tail);
	r = sym_sheet_text(s, x, y, buf, 1, rgb);
	free(buf);
	return r;
}
