/*
 * support.c: the embeddings sym-match reads. Whole streams, checked
 * finite; the similarity their header names; support sets of one or
 * more files merged by class name, as examples or as class means.
 * Errors die with the stream's name (these run before any result is
 * written).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

void
sym_same_model(const char *name, const struct sym_header *h,
    const struct sym_header *ref)
{
	const char *a = sym_header_get_meta(h, "model-id");
	const char *b = sym_header_get_meta(ref, "model-id");

	if ((a || b) && (!a || !b || strcmp(a, b) != 0))
		sym_die("%s: embedded by model %s, support by %s", name,
		    a ? a : "(none)", b ? b : "(none)");
}

/* The reverse of sym_model_stamp()'s "head": each float's 4 bytes
 * (little-endian) as 8 hex digits. */
void
sym_scorer_of(struct sym_scorer *sc, float **hp, const struct sym_header *h,
    const char *name)
{
	const char *loss = sym_header_get_meta(h, "loss");
	const char *m = sym_header_get_meta(h, "margin");
	const char *hex = sym_header_get_meta(h, "head");
	int D = sym_header_dim(h);
	size_t n, i, j;
	char *end;

	memset(sc, 0, sizeof *sc);
	*hp = NULL;
	if (!loss)
		return;
	if ((sc->loss = sym_loss_parse(loss)) < 0)
		sym_die("%s: unknown loss \"%s\"", name, loss);
	sc->margin = 1;
	if (m) {
		sc->margin = strtof(m, &end);
		if (*end || !isfinite(sc->margin) || sc->margin <= 0)
			sym_die("%s: bad margin \"%s\"", name, m);
	}
	if (sc->loss != SYM_LOSS_BCE && sc->loss != SYM_LOSS_CONCAT)
		return;
	n = sym_head_nparams(sc->loss, D);
	if (!hex || strlen(hex) != 8 * n)
		sym_die("%s: %s embeddings need a \"head\" of %zu values",
		    name, loss, n);
	*hp = sym_emalloc(n * sizeof **hp);
	for (i = 0; i < n; i++) {
		unsigned char b[4];

		for (j = 0; j < 4; j++) {
			char two[3] = { hex[8 * i + 2 * j],
			    hex[8 * i + 2 * j + 1], 0 };
			unsigned long v = strtoul(two, &end, 16);

			if (*end || !two[0] || !two[1])
				sym_die("%s: bad \"head\" hex", name);
			b[j] = (unsigned char)v;
		}
		(*hp)[i] = sym_get_f32(b);
		if (!isfinite((*hp)[i]))
			sym_die("%s: \"head\" value %zu is not finite", name,
			    i);
	}
	sc->hp = *hp;
}

void
sym_embeddings_read(struct sym_dataset *d, const char *path, int kind,
    const char **name)
{
	FILE *f = sym_open_input(path, name);
	struct sym_reader *r = sym_ereader_open(f, *name);
	size_t D, i;

	sym_reader_expect(r, kind, SYM_F32);
	if (sym_dataset_read(d, r, 0) < 0)
		sym_die("%s", sym_strerror());
	sym_reader_close(r);
	sym_close_input(f);
	D = (size_t)sym_header_dim(&d->hdr);
	for (i = 0; i < d->n; i++)
		if (sym_embedding_check(d->f32 + i * D, D, *name, i) < 0)
			sym_die("%s", sym_strerror());
}

static const char *const *cmp_names;

static int
by_name(const void *a, const void *b)
{
	return strcmp(cmp_names[*(const uint32_t *)a],
	    cmp_names[*(const uint32_t *)b]);
}

/* Support class names sorted, for lookups by name in O(log n). */
static uint32_t *
name_index(char *const *names, uint32_t n)
{
	uint32_t *ix = sym_emalloc(((size_t)n + 1) * sizeof *ix), c;

	for (c = 0; c < n; c++)
		ix[c] = c;
	cmp_names = (const char *const *)names;
	qsort(ix, n, sizeof *ix, by_name);
	return ix;
}

/* Index of name among names (sorted by ix), or -1. */
static long
find_name(char *const *names, const uint32_t *ix, uint32_t n,
    const char *name)
{
	uint32_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(names[ix[mid]], name);
		if (c == 0)
			return ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
sym_support_read(struct sym_support *s, const char **paths, int npaths,
    int reduce_mean)
{
	struct sym_dataset d;
	const char *name;
	uint32_t *map, *ix, c, old;
	uint64_t *cnt;
	size_t i;
	int f;

	memset(s, 0, sizeof *s);
	for (f = 0; f < npaths; f++) {
		sym_embeddings_read(&d, paths[f], SYM_EMBEDDINGS, &name);
		if (f == 0) {
			sym_header_copy(&s->ref, &d.hdr);
			s->refname = name;
			s->D = sym_header_dim(&d.hdr);
		} else {
			sym_same_model(name, &d.hdr, &s->ref);
			if (sym_header_dim(&d.hdr) != s->D)
				sym_die("%s: %d-dimensional, %s is "
				    "%d-dimensional", name, sym_header_dim(&d.hdr),
				    s->refname, s->D);
		}
		/* class indices of this file into the merged names; names
		 * are unique within one header */
		map = sym_emalloc((d.hdr.nclasses + 1) * sizeof *map);
		ix = name_index(s->names, s->nnames);
		old = s->nnames;
		s->names = sym_erealloc(s->names, ((size_t)s->nnames +
		    d.hdr.nclasses + 1) * sizeof *s->names);
		for (c = 0; c < d.hdr.nclasses; c++) {
			long k = find_name(s->names, ix, old,
			    d.hdr.classes[c]);

			if (k < 0) {
				k = s->nnames++;
				s->names[k] = sym_estrdup(d.hdr.classes[c]);
			}
			map[c] = (uint32_t)k;
		}
		free(ix);
		if (f == 0) {
			/* take the vectors over: no second copy of a big
			 * support set */
			s->x = d.f32;
			s->lab = d.labels;
			d.f32 = NULL;
			d.labels = NULL;
		} else {
			s->x = sym_erealloc(s->x, (s->n + d.n) * s->D *
			    sizeof *s->x);
			s->lab = sym_erealloc(s->lab, (s->n + d.n) *
			    sizeof *s->lab);
			memcpy(s->x + s->n * s->D, d.f32, d.n * s->D *
			    sizeof *s->x);
			memcpy(s->lab + s->n, d.labels, d.n * sizeof *s->lab);
		}
		for (i = s->n; i < s->n + d.n; i++)
			if (s->lab[i] != SYM_NOLABEL)
				s->lab[i] = map[s->lab[i]];
		s->n += d.n;
		free(map);
		sym_dataset_free(&d);
	}
	if (s->n == 0)
		sym_die("%s: no support examples", s->refname);
	/* Examples without a class stand for themselves: labels from
	 * nnames on, named "#row" (sym_support_name). */
	if ((uint64_t)s->nnames + s->n >= SYM_NOLABEL)
		sym_die("%s: too many support examples", s->refname);
	cnt = sym_ecalloc(s->nnames + 1, sizeof *cnt);
	for (i = 0; i < s->n; i++) {
		if (s->lab[i] == SYM_NOLABEL) {
			s->lab[i] = s->nnames + (uint32_t)i;
			s->nused++;
			s->nunl++;
		} else {
			cnt[s->lab[i]]++;
		}
	}
	for (c = 0; c < s->nnames; c++)
		s->nused += cnt[c] > 0;
	if (reduce_mean) {
		/* one prototype row per class with examples, then the
		 * examples without a class */
		float *mean = sym_emalloc(((size_t)s->nnames + s->n) * s->D *
		    sizeof *mean);
		uint32_t *ml = sym_emalloc(((size_t)s->nnames + s->n) *
		    sizeof *ml);
		size_t n = 0;

		sym_class_means(mean, cnt, s->x, s->lab, s->n, s->nnames,
		    s->D);
		for (c = 0; c < s->nnames; c++) {
			if (!cnt[c])
				continue;
			memmove(mean + n * s->D, mean + (size_t)c * s->D,
			    s->D * sizeof *mean);
			ml[n++] = c;
		}
		for (i = 0; i < s->n; i++) {
			if (s->lab[i] < s->nnames)
				continue;
			memcpy(mean + n * s->D, s->x + i * s->D,
			    s->D * sizeof *mean);
			ml[n++] = s->lab[i];
		}
		free(s->lab);
		s->lab = ml;
		free(s->x);
		s->x = mean;
		s->n = n;
	}
	free(cnt);
	s->ix = name_index(s->names, s->nnames);
}

const char *
sym_support_name(const struct sym_support *s, uint32_t l)
{
	static char buf[32];

	if (l < s->nnames)
		return s->names[l];
	snprintf(buf, sizeof buf, "#%u", l - s->nnames);
	return buf;
}

void
sym_support_free(struct sym_support *s)
{
	uint32_t c;

	for (c = 0; c < s->nnames; c++)
		free(s->names[c]);
	free(s->names);
	free(s->x);
	free(s->lab);
	free(s->ix);
	sym_header_free(&s->ref);
}

long
sym_support_class(const struct sym_support *s, const char *name)
{
	return find_name(s->names, s->ix, s->nnames, name);
}
