/*
 * source_write.c: the pixels of a data set's kept images, as sym-load
 * writes them: ink high, upright, maybe normalised, resized, maybe
 * inverted. Everything that can fail is checked before the first byte
 * is written (a first pass over an IDX file, every PNG decoded once).
 *
 * Heap pointers a sym_die() may interrupt are static: see source.c.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define NONE SYM_SOURCE_NONE
#ifndef SHUFFLE_MEM
#define SHUFFLE_MEM (256u << 20)	/* images held at once when shuffled */
#endif

/* Turn one source image into the output: ink high, upright, moment
 * normalised (at the source's resolution, where it is sharpest),
 * resized, maybe inverted. src is sw x sh (IDX: as stored); tmp and tmp2
 * are as big. */
static void
convert(uint8_t *out, int ow, int oh, const uint8_t *src, int sw, int sh,
    int paper, int transpose, const struct sym_convert *cv, uint8_t *tmp,
    uint8_t *tmp2)
{
	size_t n = (size_t)sw * sh;
	const uint8_t *p = src;

	if (transpose) {
		sym_transpose_u8(tmp, src, sh, sw);
		p = tmp;
		sw ^= sh;
		sh ^= sw;
		sw ^= sh;
	}
	if (paper) {
		/* dark ink on light paper: ink becomes high */
		uint8_t *q = tmp;
		for (size_t i = 0; i < n; i++)
			q[i] = 255 - p[i];
		p = q;
	}
	if (cv->ink >= 0) {
		sym_ink_normalize(tmp2, p, sw, sh, cv->ink);
		p = tmp2;
	}
	sym_resize_u8(out, ow, oh, p, sw, sh);
	if (cv->invert)
		for (size_t i = 0; i < (size_t)ow * oh; i++)
			out[i] = 255 - out[i];
}

/* Read the image file from the start as far as item last. The item at
 * output position j = pos[i] goes, if lo <= j < hi, to buf + (j - lo)
 * images, or with wr straight to the stream (positions then come in file
 * order). */
static void
idx_pass(const struct sym_source *s, const uint32_t *pos, uint32_t last,
    uint32_t lo, uint32_t hi, uint8_t *buf, struct sym_writer *wr,
    const uint32_t *label, int ow, int oh, const struct sym_convert *cv)
{
	static struct sym_idx *x;
	static uint8_t *img, *tmp, *tmp2, *out;
	size_t ob = (size_t)ow * oh;

	x = sym_idx_open(s->images);
	if (!x)
		sym_die("%s", sym_strerror());
	if (x->ndims != 3 || x->dims[1] != s->sh || x->dims[2] != s->sw)
		sym_die("%s: changed while reading", s->images);
	img = sym_emalloc(x->item_bytes);
	tmp = sym_emalloc(x->item_bytes);
	tmp2 = sym_emalloc(x->item_bytes);
	out = sym_emalloc(ob);
	for (uint32_t i = 0; i <= last; i++) {
		uint32_t j;

		if (sym_idx_read(x, img) != 1)
			sym_die("%s", sym_strerror());
		j = pos[i];
		if (j == NONE || j < lo || j >= hi)
			continue;
		if (wr) {
			convert(out, ow, oh, img, (int)s->sw, (int)s->sh, 0,
			    s->transpose, cv, tmp, tmp2);
			sym_ewrite_item(wr, label[j], out);
		} else {
			convert(buf + (size_t)(j - lo) * ob, ow, oh, img,
			    (int)s->sw, (int)s->sh, 0, s->transpose, cv,
			    tmp, tmp2);
		}
	}
	free(img);
	free(tmp);
	free(tmp2);
	free(out);
	sym_idx_close(x);
}

/* Stream the selected IDX images in order. A first pass reads as far as
 * the last selected image so that a truncated or corrupt file stops us
 * before anything reaches stdout. Shuffled output is gathered in memory,
 * SHUFFLE_MEM at a time, one more pass over the file for each part. */
static struct sym_writer *
write_idx(const struct sym_source *s, const struct sym_header *hdr, FILE *f,
    const char *fname, const uint32_t *order, uint32_t nout,
    const uint32_t *newcls, int ow, int oh, const struct sym_convert *cv,
    int shuffled)
{
	static struct sym_writer *wr;
	static uint32_t *pos, *label;
	static uint8_t *buf;
	size_t ob = (size_t)ow * oh;
	uint32_t last = 0, chunk;

	pos = sym_emalloc(((size_t)s->n + 1) * sizeof(uint32_t));
	label = sym_emalloc((size_t)nout * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++)
		pos[i] = NONE;
	for (uint32_t j = 0; j < nout; j++) {
		pos[order[j]] = j;
		label[j] = newcls[s->cls[order[j]]];
		last = order[j] > last ? order[j] : last;
	}
	chunk = SHUFFLE_MEM / ob ? (uint32_t)(SHUFFLE_MEM / ob) : 1;
	if (chunk > nout)
		chunk = nout;
	if (shuffled)
		buf = sym_emalloc((size_t)chunk * ob);
	idx_pass(s, pos, last, 0, shuffled ? chunk : 0, buf, NULL, label,
	    ow, oh, cv);
	wr = sym_ewriter_new(f, fname, hdr);
	if (!shuffled) {
		idx_pass(s, pos, last, 0, nout, NULL, wr, label, ow, oh, cv);
	} else {
		for (uint32_t lo = 0; lo < nout; lo += chunk) {
			uint32_t hi = nout - lo > chunk ? lo + chunk : nout;
			if (lo > 0)
				idx_pass(s, pos, last, lo, hi, buf, NULL,
				    label, ow, oh, cv);
			for (uint32_t j = lo; j < hi; j++)
				sym_ewrite_item(wr, label[j],
				    buf + (size_t)(j - lo) * ob);
		}
	}
	free(buf);
	free(pos);
	free(label);
	return wr;
}


void
sym_source_size(const struct sym_source *s, const uint32_t *order,
    uint32_t nout, int resize, int *w, int *h)
{
	static uint32_t *sorted;
	static uint8_t *seen, *pix;
	const char *first = NULL;
	uint32_t k = 0;
	int fw = 0, fh = 0;

	if (!s->folder) {
		*w = (int)(s->transpose ? s->sh : s->sw);
		*h = (int)(s->transpose ? s->sw : s->sh);
		return;
	}
	sorted = sym_emalloc((size_t)nout * sizeof(*sorted));
	seen = sym_ecalloc(s->n, 1);
	for (uint32_t j = 0; j < nout; j++)
		seen[order[j]] = 1;
	for (uint32_t i = 0; i < s->n; i++)
		if (seen[i])
			sorted[k++] = i;
	free(seen);
	for (uint32_t j = 0; j < nout; j++) {
		const char *f = s->files[sorted[j]];
		int pw, ph;

		if (sym_png_read(f, &pix, &pw, &ph) < 0)
			sym_die("%s", sym_strerror());
		free(pix);
		if (!first) {
			first = f;
			fw = pw;
			fh = ph;
		} else if (!resize && (pw != fw || ph != fh)) {
			sym_die("%s: size %dx%d differs from %dx%d of %s (use "
			    "--size)", f, pw, ph, fw, fh, first);
		}
	}
	free(sorted);
	*w = fw;
	*h = fh;
}

static struct sym_writer *
write_files(const struct sym_source *s, const struct sym_header *hdr,
    FILE *f, const char *fname, const uint32_t *order, uint32_t nout,
    const uint32_t *newcls, int ow, int oh, const struct sym_convert *cv)
{
	static struct sym_writer *wr;
	static uint8_t *out, *pix, *tmp, *tmp2;

	out = sym_emalloc((size_t)ow * oh);
	wr = sym_ewriter_new(f, fname, hdr);
	for (uint32_t j = 0; j < nout; j++) {
		const char *file = s->files[order[j]];
		int w, h;

		if (sym_png_read(file, &pix, &w, &h) < 0)
			sym_die("%s", sym_strerror());
		tmp = sym_emalloc((size_t)w * h);
		tmp2 = sym_emalloc((size_t)w * h);
		convert(out, ow, oh, pix, w, h, 1, 0, cv, tmp, tmp2);
		free(tmp);
		free(tmp2);
		free(pix);
		sym_ewrite_item(wr, newcls[s->cls[order[j]]], out);
	}
	free(out);
	return wr;
}

struct sym_writer *
sym_source_write(const struct sym_source *s, const struct sym_header *hdr,
    FILE *f, const char *fname, const uint32_t *order, uint32_t nout,
    const uint32_t *newcls, int w, int h, const struct sym_convert *cv,
    int shuffled)
{
	if (s->folder)
		return write_files(s, hdr, f, fname, order, nout, newcls, w,
		    h, cv);
	return write_idx(s, hdr, f, fname, order, nout, newcls, w, h, cv,
	    shuffled);
}
