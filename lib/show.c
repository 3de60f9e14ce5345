/*
 * show.c: the layouts of sym-show's contact sheets. Labelled images as a
 * grid with class names; pairs side by side as "same" or "different";
 * sym-match's answers as each query beside its best matches, framed
 * green when right and red when wrong. Errors die naming the stream;
 * sheets are saved atomically.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* cell layout, in sheet pixels: an image, PAD around it, then text lines
 * of LINE_H pixels each (the 5x7 font and a 4-pixel gap) */
#define PAD 4
#define FRAME 2
#define LINE_H (SYM_FONT_H + 4)

static const uint8_t black[3] = { 0, 0, 0 };
static const uint8_t gray[3] = { 128, 128, 128 };
static const uint8_t light[3] = { 216, 216, 216 };
static const uint8_t green[3] = { 0, 160, 0 };
static const uint8_t red[3] = { 208, 0, 0 };


static void
new_sheet(struct sym_sheet *sh, long w, long h, const char *out)
{
	if (w > 1000000 || h > 1000000 || sym_sheet_new(sh, (int)w,
	    (int)h) < 0)
		sym_die("%s: a %ldx%ld sheet is too big (try --limit)", out,
		    w, h);
}

void
sym_sheet_save(const struct sym_sheet *sh, const char *out)
{
	struct sym_atomic a;

	if (sym_atomic_open(&a, out) < 0)
		sym_die("%s", sym_strerror());
	if (sym_png_write_rgb(a.f, out, sh->rgb, (uint32_t)sh->w,
	    (uint32_t)sh->h) < 0) {
		sym_atomic_abort(&a);
		sym_die("%s", sym_strerror());
	}
	if (sym_atomic_commit(&a) < 0)
		sym_die("%s", sym_strerror());
}

/* ---- labelled images as a grid ---- */

void
sym_show_images(struct sym_sheet *sh, struct sym_reader *r, const char *name,
    const struct sym_show_opts *o)
{
	const struct sym_header *h = sym_reader_header(r);
	struct sym_record rec;
	size_t ib = sym_header_item_bytes(h);
	uint8_t *px = NULL;
	uint32_t *lab = NULL;
	long n = 0, i, cols, rows, cw, ch;

	/* read up to --limit images, then size the sheet */
	while (n < o->limit && sym_eread(r, &rec) > 0) {
		px = sym_erealloc(px, (n + 1) * ib);
		lab = sym_erealloc(lab, (n + 1) * sizeof *lab);
		memcpy(px + n * ib, rec.u8, ib);
		lab[n++] = rec.label;
	}
	if (n == 0)
		sym_die("%s: no images", name);
	cols = n < o->cols ? n : o->cols;
	rows = (n + cols - 1) / cols;
	cw = (long)h->w * o->scale + 2 * PAD;
	ch = (long)h->h * o->scale + 2 * PAD + LINE_H;
	new_sheet(sh, cols * cw, rows * ch, o->out);
	for (i = 0; i < n; i++) {
		int x = (int)(i % cols * cw), y = (int)(i / cols * ch);

		sym_sheet_image(sh, x + PAD, y + PAD, px + i * ib, (int)h->c,
		    (int)h->h, (int)h->w, o->scale);
		sym_sheet_text_fit(sh, x + PAD, y + (int)ch - LINE_H,
		    lab[i] == SYM_NOLABEL ? "-" : h->classes[lab[i]],
		    (int)cw - 2 * PAD, black);
	}
	free(px);
	free(lab);
}

/* ---- pairs side by side ---- */

void
sym_show_pairs(struct sym_sheet *sh, struct sym_reader *r, const char *name,
    const struct sym_show_opts *o)
{
	struct sym_dataset d;
	const struct sym_header *h;
	size_t ib;
	long n, i, cols, rows, cw, ch, iw;

	if (sym_dataset_read(&d, r, 0) < 0)
		sym_die("%s", sym_strerror());
	h = &d.hdr;
	ib = sym_header_item_bytes(h);
	if (d.npairs == 0)
		sym_die("%s: no pairs", name);
	n = (long)d.npairs < o->limit ? (long)d.npairs : o->limit;
	cols = n < o->cols ? n : o->cols;
	rows = (n + cols - 1) / cols;
	iw = (long)h->w * o->scale;
	cw = 2 * iw + 3 * PAD;
	ch = (long)h->h * o->scale + 2 * PAD + LINE_H;
	new_sheet(sh, cols * cw, rows * ch, o->out);
	for (i = 0; i < n; i++) {
		int x = (int)(i % cols * cw), y = (int)(i / cols * ch);

		sym_sheet_image(sh, x + PAD, y + PAD, d.u8 + d.pa[i] * ib,
		    (int)h->c, (int)h->h, (int)h->w, o->scale);
		sym_sheet_image(sh, x + 2 * PAD + (int)iw, y + PAD,
		    d.u8 + d.pb[i] * ib, (int)h->c, (int)h->h, (int)h->w,
		    o->scale);
		/* a light frame tells one pair from the next */
		sym_sheet_frame(sh, x + 1, y + 1, (int)cw - 2, (int)ch - 2, 1,
		    light);
		sym_sheet_text_fit(sh, x + PAD, y + (int)ch - LINE_H,
		    d.psame[i] ? "same" : "different", (int)cw - PAD,
		    d.psame[i] ? green : red);
	}
	sym_dataset_free(&d);
}

/* ---- queries beside their matches ---- */

struct mrow {
	uint64_t idx;		/* query index in its stream */
	char *truth;		/* "-" when unknown */
	int k;			/* matches */
	char **cls;
	char **score;
	uint8_t *px;		/* the query image, once read */
};

/* "#N": sym-match's name for support row N when it has no class; the row
 * number, or -1 for any other name. */
static long long
row_name(const char *name)
{
	char *end;
	long long v;

	if (name[0] != '#' || name[1] < '0' || name[1] > '9')
		return -1;
	v = strtoll(name + 1, &end, 10);
	return *end || v < 0 ? -1 : v;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Split a line at tabs in place; returns the field count. */
static int
split_tabs(char *s, char **f, int max)
{
	int n = 0;

	s[strcspn(s, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = s;
		if (!(s = strchr(s, '\t')))
			break;
		*s++ = '\0';
	}
	return n;
}

static long
read_matches(struct mrow **rows, const char *path, long limit)
{
	FILE *f = sym_efopen(path, "r");
	char *line = NULL, *fld[2 * 1000 + 4], *end;
	size_t cap = 0;
	long n = 0, lineno = 0;
	int nf, j;

	*rows = NULL;
	while (n < limit && getline(&line, &cap, f) > 0) {
		struct mrow *m;

		lineno++;
		nf = split_tabs(line, fld, (int)(sizeof fld / sizeof *fld));
		if (nf < 4 || (nf > 4 && nf % 2 != 0))
			sym_die("%s: line %ld: not a sym-match line", path,
			    lineno);
		*rows = sym_erealloc(*rows, (n + 1) * sizeof **rows);
		m = *rows + n;
		m->idx = strtoull(fld[0], &end, 10);
		if (fld[0][0] < '0' || fld[0][0] > '9' || *end)
			sym_die("%s: line %ld: bad query index \"%s\"", path,
			    lineno, fld[0]);
		for (j = 3; j < nf; j += 2) {
			double v = strtod(fld[j], &end);

			if (end == fld[j] || *end || !(v >= 0 && v <= 1))
				sym_die("%s: line %ld: bad similarity \"%s\"",
				    path, lineno, fld[j]);
		}
		m->truth = sym_estrdup(fld[1]);
		/* with -k: the class columns; else the prediction */
		m->k = nf > 4 ? (nf - 4) / 2 : 1;
		m->cls = sym_emalloc(m->k * sizeof *m->cls);
		m->score = sym_emalloc(m->k * sizeof *m->score);
		for (j = 0; j < m->k; j++) {
			m->cls[j] = sym_estrdup(nf > 4 ? fld[4 + 2 * j] :
			    fld[2]);
			m->score[j] = sym_estrdup(nf > 4 ? fld[5 + 2 * j] :
			    fld[3]);
		}
		m->px = NULL;
		n++;
	}
	if (ferror(f))
		sym_die("%s: read error:", path);
	free(line);
	fclose(f);
	if (n == 0)
		sym_die("%s: no matches", path);
	return n;
}

static int
by_idx(const void *a, const void *b)
{
	const struct mrow *x = *(struct mrow *const *)a;
	const struct mrow *y = *(struct mrow *const *)b;

	return (x->idx > y->idx) - (x->idx < y->idx);
}

void
sym_show_matches(struct sym_sheet *sh, struct sym_reader *qr,
    const char *qname, const struct sym_show_opts *o)
{
	const struct sym_header *qh = sym_reader_header(qr), *sh_h;
	struct sym_reader *sr;
	struct sym_record rec;
	struct mrow *rows, **order;
	FILE *sf;
	const char *sname;
	uint8_t *spx = NULL, *have = NULL, *wpx;
	size_t ib = sym_header_item_bytes(qh), nw = 0, iw = 0;
	long long *want, srow;
	long n, i, kmax = 1, w, cw, ch, missing = 0;
	uint32_t ncap = 0;
	int j;

	n = read_matches(&rows, o->matches, o->limit);
	/* support rows named "#N" (no class), in row order */
	for (i = 0; i < n; i++)
		nw += (size_t)rows[i].k;
	want = sym_emalloc((nw + 1) * sizeof *want);
	nw = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < rows[i].k; j++)
			if (row_name(rows[i].cls[j]) >= 0)
				want[nw++] = row_name(rows[i].cls[j]);
	qsort(want, nw, sizeof *want, cmp_ll);
	wpx = sym_ecalloc(nw + 1, ib);
	/* the first image of each support class */
	sf = sym_open_input(o->support, &sname);
	sr = sym_ereader_open(sf, sname);
	sym_reader_expect(sr, SYM_IMAGES, SYM_U8);
	sh_h = sym_reader_header(sr);
	if (sh_h->c != qh->c || sh_h->h != qh->h || sh_h->w != qh->w)
		sym_die("%s: images are %ux%ux%u, queries %ux%ux%u", sname,
		    sh_h->c, sh_h->h, sh_h->w, qh->c, qh->h, qh->w);
	for (srow = 0; sym_eread(sr, &rec) > 0; srow++) {
		for (; iw < nw && want[iw] <= srow; iw++)
			if (want[iw] == srow)
				memcpy(wpx + iw * ib, rec.u8, ib);
		if (rec.label == SYM_NOLABEL)
			continue;
		/* classes grow as segments arrive */
		if (rec.label >= ncap) {
			uint32_t nc = sh_h->nclasses;

			spx = sym_erealloc(spx, (size_t)nc * ib);
			have = sym_erealloc(have, nc);
			memset(have + ncap, 0, nc - ncap);
			ncap = nc;
		}
		if (!have[rec.label]) {
			memcpy(spx + (size_t)rec.label * ib, rec.u8, ib);
			have[rec.label] = 1;
		}
	}
	/* the query images the lines name, read in index order */
	order = sym_emalloc(n * sizeof *order);
	for (i = 0; i < n; i++)
		order[i] = rows + i;
	qsort(order, n, sizeof *order, by_idx);
	i = 0;
	while (i < n && sym_eread(qr, &rec) > 0)
		for (; i < n && order[i]->idx == rec.index; i++) {
			/* the class sym-match saw must be this query's: else
			 * the sheet would frame other images by its answers */
			const struct sym_header *h = sym_reader_header(qr);
			const char *cls = rec.label == SYM_NOLABEL ? "-" :
			    h->classes[rec.label];

			if (strcmp(cls, order[i]->truth) != 0)
				sym_die("%s: query %llu is \"%s\", %s says "
				    "\"%s\": not the queries it answers",
				    qname, (unsigned long long)rec.index, cls,
				    o->matches, order[i]->truth);
			order[i]->px = sym_emalloc(ib);
			memcpy(order[i]->px, rec.u8, ib);
		}
	if (i < n)
		sym_die("%s: no query %llu (from %s)", qname,
		    (unsigned long long)order[i]->idx, o->matches);
	free(order);

	for (i = 0; i < n; i++)
		if (rows[i].k > kmax)
			kmax = rows[i].k;
	cw = (long)qh->w * o->scale + 2 * PAD;
	ch = (long)qh->h * o->scale + 2 * PAD + 2 * LINE_H;
	/* the query, a gap of one PAD, then the matches */
	w = (kmax + 1) * cw + PAD;
	new_sheet(sh, w, n * ch, o->out);
	for (i = 0; i < n; i++) {
		struct mrow *m = rows + i;
		int y = (int)(i * ch), x;
		long sc;
		char buf[32];

		sym_sheet_image(sh, PAD, y + PAD, m->px, (int)qh->c,
		    (int)qh->h, (int)qh->w, o->scale);
		sym_sheet_text_fit(sh, PAD, y + (int)ch - 2 * LINE_H,
		    m->truth, (int)cw - 2 * PAD, black);
		snprintf(buf, sizeof buf, "#%llu", (unsigned long long)m->idx);
		sym_sheet_text_fit(sh, PAD, y + (int)ch - LINE_H, buf,
		    (int)cw - 2 * PAD, gray);
		for (j = 0; j < m->k; j++) {
			const uint8_t *col;
			int right;

			const uint8_t *img = NULL;
			long long r;

			x = (int)((j + 1) * cw + PAD);
			sc = sym_header_find_class(sh_h, m->cls[j]);
			if (sc >= 0 && (uint32_t)sc < ncap && have[sc]) {
				img = spx + (size_t)sc * ib;
			} else if ((r = row_name(m->cls[j])) >= 0 &&
			    r < srow) {
				/* the support row itself */
				img = wpx + (size_t)((long long *)bsearch(&r,
				    want, nw, sizeof *want, cmp_ll) - want) *
				    ib;
			} else if (strcmp(m->cls[j], "unknown") != 0 &&
			    missing++ == 0 && !o->quiet) {
				sym_warn("%s: no image of \"%s\" (from %s): "
				    "its frames stay empty", sname,
				    m->cls[j], o->matches);
			}
			if (img)
				sym_sheet_image(sh, x + PAD, y + PAD, img,
				    (int)qh->c, (int)qh->h, (int)qh->w,
				    o->scale);
			/* "unknown" (a rejection, unless the support has
			 * a class of that name) is right when the support
			 * lacks the query's class */
			if (strcmp(m->cls[j], "unknown") == 0 && sc < 0)
				right = sym_header_find_class(sh_h, m->truth)
				    < 0;
			else
				right = strcmp(m->cls[j], m->truth) == 0;
			col = strcmp(m->truth, "-") == 0 ? gray : right ?
			    green : red;
			sym_sheet_frame(sh, x + PAD - FRAME, y + PAD - FRAME,
			    (int)cw - 2 * PAD + 2 * FRAME,
			    (int)qh->h * o->scale + 2 * FRAME, FRAME, col);
			sym_sheet_text_fit(sh, x + PAD, y + (int)ch -
			    2 * LINE_H, m->cls[j], (int)cw - 2 * PAD, black);
			sym_sheet_text_fit(sh, x + PAD, y + (int)ch - LINE_H,
			    m->score[j], (int)cw - 2 * PAD, gray);
		}
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < rows[i].k; j++) {
			free(rows[i].cls[j]);
			free(rows[i].score[j]);
		}
		free(rows[i].cls);
		free(rows[i].score);
		free(rows[i].truth);
		free(rows[i].px);
	}
	if (missing > 1 && !o->quiet)
		sym_warn("%s: %ld match frames empty in all", sname, missing);
	free(rows);
	free(spx);
	free(have);
	free(want);
	free(wpx);
	sym_reader_close(sr);
	if (sf != stdin)
		fclose(sf);
}
