/*
 * stream.c: the sym stream (man/sym-stream.5). Headers, a record writer
 * and a reader that checks every byte it is given and merges concatenated
 * segments by class name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define HDR_FIXED 56	/* bytes before the strings section */
#define TAG_ITEM 0x01
#define TAG_PAIR 0x02
#define TAG_ABORT 0xee	/* the writer failed: the stream is unfinished */
#define PAIR_BYTES 9	/* u32 a, u32 b, u8 same */

/* ---- headers ------------------------------------------------------------ */

void
sym_header_init(struct sym_header *h, int kind, int dtype, uint32_t c,
    uint32_t hh, uint32_t w)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->dtype = dtype;
	h->c = c;
	h->h = hh;
	h->w = w;
	h->nitems = SYM_COUNT_UNKNOWN;
	h->npairs = kind == SYM_PAIRS ? SYM_COUNT_UNKNOWN : 0;
}

void
sym_header_free(struct sym_header *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->nclasses; i++)
		free(h->classes[i]);
	for (uint32_t i = 0; i < h->nmeta; i++) {
		free(h->meta_keys[i]);
		free(h->meta_vals[i]);
	}
	free(h->classes);
	free(h->meta_keys);
	free(h->meta_vals);
	h->classes = h->meta_keys = h->meta_vals = NULL;
	h->nclasses = h->nmeta = 0;
}

/* Whether s is well-formed UTF-8: no stray continuation bytes, no
 * truncated, overlong or surrogate sequences, nothing past U+10FFFF. */
static int
utf8_ok(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s++, n, min, v;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, min = 0x80, v = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, min = 0x800, v = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, min = 0x10000, v = c & 0x07;
		else
			return 0;
		for (; n > 0; n--, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (*s & 0x3f);
		}
		if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
	}
	return 1;
}

/* What a class name may not be: anything but UTF-8, or with a control
 * byte (below 0x20, or 0x7f), as names end up in sym-match's TSV lines,
 * where a tab or newline would add a column or a line. */
int
sym_class_name_check(const char *name)
{
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return sym_seterr("a class name with a control "
			    "character (0x%02x)", (unsigned char)*c);
	if (!utf8_ok((const unsigned char *)name))
		return sym_seterr("a class name that is not UTF-8");
	return 0;
}

/* Slots allocated for n class names: sym_header_add_class grows the
 * array when nclasses reaches a power of two, so every class array holds
 * the next power of two at least. */
static size_t
class_slots(uint32_t n)
{
	size_t c = 1;

	while (c < n)
		c *= 2;
	return c;
}

void
sym_header_copy(struct sym_header *dst, const struct sym_header *src)
{
	*dst = *src;
	dst->classes = sym_ecalloc(class_slots(src->nclasses), sizeof(char *));
	for (uint32_t i = 0; i < src->nclasses; i++)
		dst->classes[i] = sym_estrdup(src->classes[i]);
	dst->meta_keys = sym_ecalloc(src->nmeta, sizeof(char *));
	dst->meta_vals = sym_ecalloc(src->nmeta, sizeof(char *));
	for (uint32_t i = 0; i < src->nmeta; i++) {
		dst->meta_keys[i] = sym_estrdup(src->meta_keys[i]);
		dst->meta_vals[i] = sym_estrdup(src->meta_vals[i]);
	}
}

long
sym_header_find_class(const struct sym_header *h, const char *name)
{
	/* linear: class lists are small next to the records they label */
	for (uint32_t i = 0; i < h->nclasses; i++)
		if (strcmp(h->classes[i], name) == 0)
			return (long)i;
	return -1;
}

uint32_t
sym_header_add_class(struct sym_header *h, const char *name)
{
	long i = sym_header_find_class(h, name);

	if (i >= 0)
		return (uint32_t)i;
	if (h->nclasses >= SYM_MAX_CLASSES)
		sym_die("too many classes (at most %u)", SYM_MAX_CLASSES);
	/* grow in powers of two */
	if ((h->nclasses & (h->nclasses - 1)) == 0)
		h->classes = sym_erealloc(h->classes,
		    (h->nclasses ? 2 * (size_t)h->nclasses : 1) * sizeof(char *));
	h->classes[h->nclasses] = sym_estrdup(name);
	return h->nclasses++;
}

void
sym_header_set_meta(struct sym_header *h, const char *key, const char *val)
{
	for (uint32_t i = 0; i < h->nmeta; i++) {
		if (strcmp(h->meta_keys[i], key) == 0) {
			free(h->meta_vals[i]);
			h->meta_vals[i] = sym_estrdup(val);
			return;
		}
	}
	h->meta_keys = sym_erealloc(h->meta_keys,
	    (h->nmeta + 1) * sizeof(char *));
	h->meta_vals = sym_erealloc(h->meta_vals,
	    (h->nmeta + 1) * sizeof(char *));
	h->meta_keys[h->nmeta] = sym_estrdup(key);
	h->meta_vals[h->nmeta] = sym_estrdup(val);
	h->nmeta++;
}

const char *
sym_header_get_meta(const struct sym_header *h, const char *key)
{
	for (uint32_t i = 0; i < h->nmeta; i++)
		if (strcmp(h->meta_keys[i], key) == 0)
			return h->meta_vals[i];
	return NULL;
}

size_t
sym_header_item_bytes(const struct sym_header *h)
{
	size_t el = h->dtype == SYM_F32 ? 4 : 1;

	return (size_t)h->c * h->h * h->w * el;
}

const char *
sym_kind_name(int kind)
{
	switch (kind) {
	case SYM_IMAGES:
		return "images";
	case SYM_EMBEDDINGS:
		return "embeddings";
	case SYM_PAIRS:
		return "pairs";
	}
	return "unknown";
}

const char *
sym_dtype_name(int dtype)
{
	return dtype == SYM_U8 ? "u8" : dtype == SYM_F32 ? "f32" : "unknown";
}

/* Check the fixed fields of a header, whoever made it. */
static int
header_valid(const struct sym_header *h)
{
	size_t bytes;

	if (h->kind < SYM_IMAGES || h->kind > SYM_PAIRS)
		return sym_seterr("unknown stream kind %d", h->kind);
	if (h->dtype != SYM_U8 && h->dtype != SYM_F32)
		return sym_seterr("unknown dtype %d", h->dtype);
	if (h->kind == SYM_IMAGES && h->dtype != SYM_U8)
		return sym_seterr("images must be u8");
	if (h->kind == SYM_EMBEDDINGS && (h->dtype != SYM_F32 || h->c != 1 ||
	    h->h != 1))
		return sym_seterr("embeddings must be f32 of shape 1x1xD");
	if (h->c < 1 || h->h < 1 || h->w < 1 || h->c > SYM_MAX_DIM ||
	    h->h > SYM_MAX_DIM || h->w > SYM_MAX_DIM)
		return sym_seterr("impossible shape %ux%ux%u (each side "
		    "1..%u)", h->c, h->h, h->w, SYM_MAX_DIM);
	/* three factors <= 2^16 and 4 bytes fit in 64 bits */
	bytes = (size_t)((uint64_t)h->c * h->h * h->w *
	    (h->dtype == SYM_F32 ? 4 : 1));
	if (bytes > SYM_MAX_ITEM_BYTES)
		return sym_seterr("records of %ux%ux%u %s are too large "
		    "(over %u MiB)", h->c, h->h, h->w, sym_dtype_name(h->dtype),
		    SYM_MAX_ITEM_BYTES >> 20);
	if (h->kind != SYM_PAIRS && h->npairs != 0)
		return sym_seterr("pair count in a %s stream",
		    sym_kind_name(h->kind));
	if (h->nclasses > SYM_MAX_CLASSES)
		return sym_seterr("%u classes (at most %u)", h->nclasses,
		    SYM_MAX_CLASSES);
	if (h->nmeta > SYM_MAX_META)
		return sym_seterr("%u metadata entries (at most %u)",
		    h->nmeta, SYM_MAX_META);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

struct sym_writer {
	FILE *f;
	char *name;
	struct sym_header h;	/* copy: counts promised */
	uint64_t items, pairs;
	unsigned char *buf;	/* one record */
	size_t item_bytes;
};

static int
put(struct sym_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n) {
		if (errno == EPIPE && w->f == stdout)
			sym_epipe_exit();
		return sym_seterr("%s: write error:", w->name);
	}
	return 0;
}

/* Writers still open, so a program that dies mid-stream can mark each
 * output unfinished: with an unknown record count, a stream cut short on
 * a record boundary would otherwise look complete to the next stage. */
static struct sym_writer *open_writers[8];

static void
abort_writers(void)
{
	for (size_t i = 0; i < 8; i++) {
		if (!open_writers[i])
			continue;
		putc(TAG_ABORT, open_writers[i]->f);
		fflush(open_writers[i]->f);
		open_writers[i] = NULL;
	}
}

static void
track(struct sym_writer *w, int on)
{
	for (size_t i = 0; i < 8; i++) {
		if (on && !open_writers[i]) {
			open_writers[i] = w;
			sym_on_die(abort_writers);
			return;
		}
		if (!on && open_writers[i] == w) {
			open_writers[i] = NULL;
			return;
		}
	}
}

struct sym_writer *
sym_writer_new(FILE *f, const char *name, const struct sym_header *h)
{
	struct sym_writer *w;
	unsigned char fixed[HDR_FIXED], *s, *p;
	size_t slen = 0;

	if (header_valid(h) < 0) {
		sym_seterr("%s: %s", name, sym_strerror());
		return NULL;
	}
	for (uint32_t i = 0; i < h->nclasses; i++) {
		size_t n = strlen(h->classes[i]);
		if (n == 0 || n > 65535) {
			sym_seterr("%s: class name of %zu bytes (1..65535)",
			    name, n);
			return NULL;
		}
		if (sym_class_name_check(h->classes[i]) < 0) {
			sym_seterr("%s: %s", name, sym_strerror());
			return NULL;
		}
		slen += 2 + n;
	}
	for (uint32_t i = 0; i < h->nmeta; i++) {
		size_t k = strlen(h->meta_keys[i]);
		if (k == 0 || k > 65535) {
			sym_seterr("%s: metadata key of %zu bytes", name, k);
			return NULL;
		}
		slen += 2 + k + 4 + strlen(h->meta_vals[i]);
	}
	if (slen > SYM_MAX_STRINGS) {
		sym_seterr("%s: names and metadata over %u MiB", name,
		    SYM_MAX_STRINGS >> 20);
		return NULL;
	}
	memcpy(fixed, SYM_STREAM_MAGIC, 8);
	sym_put_u16(fixed + 8, SYM_STREAM_MAJOR);
	sym_put_u16(fixed + 10, SYM_STREAM_MINOR);
	fixed[12] = (unsigned char)h->kind;
	fixed[13] = (unsigned char)h->dtype;
	sym_put_u16(fixed + 14, 0);
	sym_put_u32(fixed + 16, h->c);
	sym_put_u32(fixed + 20, h->h);
	sym_put_u32(fixed + 24, h->w);
	sym_put_u64(fixed + 28, h->nitems);
	sym_put_u64(fixed + 36, h->npairs);
	sym_put_u32(fixed + 44, h->nclasses);
	sym_put_u32(fixed + 48, h->nmeta);
	sym_put_u32(fixed + 52, (uint32_t)slen);

	p = s = sym_emalloc(slen);
	for (uint32_t i = 0; i < h->nclasses; i++) {
		size_t n = strlen(h->classes[i]);
		sym_put_u16(p, (uint16_t)n);
		memcpy(p + 2, h->classes[i], n);
		p += 2 + n;
	}
	for (uint32_t i = 0; i < h->nmeta; i++) {
		size_t k = strlen(h->meta_keys[i]);
		size_t v = strlen(h->meta_vals[i]);
		sym_put_u16(p, (uint16_t)k);
		memcpy(p + 2, h->meta_keys[i], k);
		sym_put_u32(p + 2 + k, (uint32_t)v);
		memcpy(p + 6 + k, h->meta_vals[i], v);
		p += 6 + k + v;
	}

	w = sym_ecalloc(1, sizeof(*w));
	w->f = f;
	w->name = sym_estrdup(name);
	sym_header_copy(&w->h, h);
	w->item_bytes = sym_header_item_bytes(h);
	w->buf = sym_emalloc(5 + w->item_bytes);
	if (put(w, fixed, sizeof(fixed)) < 0 || put(w, s, slen) < 0) {
		free(s);
		sym_header_free(&w->h);
		free(w->buf);
		free(w->name);
		free(w);
		return NULL;
	}
	free(s);
	track(w, 1);
	return w;
}

int
sym_write_item(struct sym_writer *w, uint32_t label, const void *data)
{
	if (label != SYM_NOLABEL && label >= w->h.nclasses)
		return sym_seterr("%s: label %u out of range (%u classes)",
		    w->name, label, w->h.nclasses);
	if (w->h.nitems != SYM_COUNT_UNKNOWN && w->items >= w->h.nitems)
		return sym_seterr("%s: more items than the %llu announced",
		    w->name, (unsigned long long)w->h.nitems);
	if (w->h.kind == SYM_PAIRS && w->pairs > 0)
		return sym_seterr("%s: items must come before pairs", w->name);
	w->buf[0] = TAG_ITEM;
	sym_put_u32(w->buf + 1, label);
	if (w->h.dtype == SYM_F32) {
		const float *v = data;
		for (size_t i = 0; i < w->item_bytes / 4; i++)
			sym_put_f32(w->buf + 5 + 4 * i, v[i]);
	} else {
		memcpy(w->buf + 5, data, w->item_bytes);
	}
	w->items++;
	return put(w, w->buf, 5 + w->item_bytes);
}

int
sym_write_pair(struct sym_writer *w, uint64_t a, uint64_t b, int same)
{
	unsigned char r[1 + PAIR_BYTES];

	if (w->h.kind != SYM_PAIRS)
		return sym_seterr("%s: pair in a %s stream", w->name,
		    sym_kind_name(w->h.kind));
	if (a >= w->items || b >= w->items)
		return sym_seterr("%s: pair (%llu, %llu) names an item not "
		    "written yet", w->name, (unsigned long long)a,
		    (unsigned long long)b);
	if (w->h.npairs != SYM_COUNT_UNKNOWN && w->pairs >= w->h.npairs)
		return sym_seterr("%s: more pairs than the %llu announced",
		    w->name, (unsigned long long)w->h.npairs);
	r[0] = TAG_PAIR;
	sym_put_u32(r + 1, (uint32_t)a);
	sym_put_u32(r + 5, (uint32_t)b);
	r[9] = same ? 1 : 0;
	w->pairs++;
	return put(w, r, sizeof(r));
}

int
sym_writer_close(struct sym_writer *w)
{
	int rc = 0;

	if (!w)
		return 0;
	track(w, 0);
	if (w->h.nitems != SYM_COUNT_UNKNOWN && w->items != w->h.nitems)
		rc = sym_seterr("%s: wrote %llu items of the %llu announced",
		    w->name, (unsigned long long)w->items,
		    (unsigned long long)w->h.nitems);
	else if (w->h.kind == SYM_PAIRS && w->h.npairs != SYM_COUNT_UNKNOWN &&
	    w->pairs != w->h.npairs)
		rc = sym_seterr("%s: wrote %llu pairs of the %llu announced",
		    w->name, (unsigned long long)w->pairs,
		    (unsigned long long)w->h.npairs);
	else if (fflush(w->f) != 0) {
		if (errno == EPIPE && w->f == stdout)
			sym_epipe_exit();
		rc = sym_seterr("%s: write error:", w->name);
	}
	sym_header_free(&w->h);
	free(w->buf);
	free(w->name);
	free(w);
	return rc;
}

struct sym_writer *
sym_ewriter_new(FILE *f, const char *name, const struct sym_header *h)
{
	struct sym_writer *w = sym_writer_new(f, name, h);

	if (!w)
		sym_die("%s", sym_strerror());
	return w;
}

void
sym_ewrite_item(struct sym_writer *w, uint32_t label, const void *data)
{
	if (sym_write_item(w, label, data) < 0)
		sym_die("%s", sym_strerror());
}

void
sym_ewrite_pair(struct sym_writer *w, uint64_t a, uint64_t b, int same)
{
	if (sym_write_pair(w, a, b, same) < 0)
		sym_die("%s", sym_strerror());
}

void
sym_ewriter_close(struct sym_writer *w)
{
	if (sym_writer_close(w) < 0)
		sym_die("%s", sym_strerror());
}

/* ---- reading ------------------------------------------------------------ */

struct sym_reader {
	FILE *f;
	char *name;
	struct sym_header h;	/* merged */
	unsigned nseg;
	/* current segment */
	uint64_t seg_nitems, seg_npairs;	/* announced */
	uint64_t seg_items, seg_pairs;		/* read */
	uint64_t seg_base;	/* stream index of the segment's first item */
	uint32_t seg_nclasses;
	uint32_t *remap;	/* segment label -> merged label */
	const char *seg_model;	/* first segment's model-id, or NULL */
	uint64_t items;		/* items read in all */
	unsigned char *buf;
	float *fbuf;
	size_t item_bytes;
	int done;
};

/* Read exactly n bytes; 0 ok, 1 clean EOF before any byte, -1 partial. */
static int
get(struct sym_reader *r, void *p, size_t n)
{
	size_t got = fread(p, 1, n, r->f);

	if (got == n)
		return 0;
	if (ferror(r->f))
		return sym_seterr("%s: read error:", r->name);
	return got == 0 ? 1 : -1;
}

static int
truncated(struct sym_reader *r)
{
	uint64_t got = r->seg_items + r->seg_pairs;
	uint64_t want = r->seg_nitems;

	if (ferror(r->f))
		return sym_seterr("%s: read error:", r->name);
	if (r->h.kind == SYM_PAIRS && want != SYM_COUNT_UNKNOWN) {
		if (r->seg_npairs == SYM_COUNT_UNKNOWN)
			want = SYM_COUNT_UNKNOWN;
		else
			want += r->seg_npairs;
	}
	if (want != SYM_COUNT_UNKNOWN)
		return sym_seterr("%s: truncated stream after %llu of %llu "
		    "records", r->name, (unsigned long long)got,
		    (unsigned long long)want);
	return sym_seterr("%s: truncated stream after %llu records",
	    r->name, (unsigned long long)got);
}

/* Take a length-prefixed string out of s[*off..len). */
static char *
take_string(const unsigned char *s, size_t len, size_t *off, int wide)
{
	size_t n, hdr = wide ? 4 : 2;
	char *out;

	if (len - *off < hdr)
		return NULL;
	n = wide ? sym_get_u32(s + *off) : sym_get_u16(s + *off);
	if (len - *off - hdr < n)
		return NULL;
	if (memchr(s + *off + hdr, 0, n))
		return NULL;
	out = sym_emalloc(n + 1);
	memcpy(out, s + *off + hdr, n);
	out[n] = 0;
	*off += hdr + n;
	return out;
}

/* A class name and its index, to sort and search: a header may name
 * millions of classes, and comparing each with all the others (or
 * looking each up with sym_header_add_class) takes hours on a stream of
 * a few megabytes. */
struct cname {
	const char *s;
	uint32_t i;
};

static int
cname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cname *)a)->s,
	    ((const struct cname *)b)->s);
}

/* h's names sorted (malloc'd, at least one entry). */
static struct cname *
sorted_names(const struct sym_header *h)
{
	struct cname *v = sym_ecalloc(h->nclasses ? h->nclasses : 1,
	    sizeof(*v));

	for (uint32_t i = 0; i < h->nclasses; i++) {
		v[i].s = h->classes[i];
		v[i].i = i;
	}
	qsort(v, h->nclasses, sizeof(*v), cname_cmp);
	return v;
}

/* -1 and *dup set if a class name appears twice in h. */
static int
dup_class(const struct sym_header *h, const char **dup)
{
	struct cname *v = sorted_names(h);
	int rc = 0;

	for (uint32_t i = 1; i < h->nclasses && rc == 0; i++)
		if (strcmp(v[i - 1].s, v[i].s) == 0) {
			*dup = h->classes[v[i].i];
			rc = -1;
		}
	free(v);
	return rc;
}

/* Parse a header whose magic (8 bytes) has been read already. */
static int
read_header(struct sym_reader *r, struct sym_header *h)
{
	unsigned char fixed[HDR_FIXED], *s;
	uint32_t slen;
	size_t off = 0;
	int rc;
	unsigned major, minor;
	const char *dup;

	memset(h, 0, sizeof(*h));
	rc = get(r, fixed + 8, HDR_FIXED - 8);
	if (rc != 0)
		return rc < 0 && ferror(r->f) ? -1 :
		    sym_seterr("%s: truncated header", r->name);
	major = sym_get_u16(fixed + 8);
	minor = sym_get_u16(fixed + 10);
	if (major != SYM_STREAM_MAJOR)
		return sym_seterr("%s: stream version %u.%u is not supported "
		    "(this program reads %u.x)", r->name, major, minor,
		    SYM_STREAM_MAJOR);
	h->kind = fixed[12];
	h->dtype = fixed[13];
	h->c = sym_get_u32(fixed + 16);
	h->h = sym_get_u32(fixed + 20);
	h->w = sym_get_u32(fixed + 24);
	h->nitems = sym_get_u64(fixed + 28);
	h->npairs = sym_get_u64(fixed + 36);
	h->nclasses = sym_get_u32(fixed + 44);
	h->nmeta = sym_get_u32(fixed + 48);
	slen = sym_get_u32(fixed + 52);
	if (header_valid(h) < 0) {
		h->nclasses = h->nmeta = 0;
		return sym_seterr("%s: %s", r->name, sym_strerror());
	}
	/* each class takes >= 3 bytes, each entry >= 7: check before
	 * allocating arrays sized by the counts */
	if (slen > SYM_MAX_STRINGS ||
	    (uint64_t)h->nclasses * 3 + (uint64_t)h->nmeta * 7 > slen) {
		rc = sym_seterr("%s: bad header: %u bytes of names cannot "
		    "hold %u classes and %u metadata entries", r->name, slen,
		    h->nclasses, h->nmeta);
		h->nclasses = h->nmeta = 0;
		return rc;
	}
	s = sym_emalloc(slen);
	if (get(r, s, slen) != 0) {
		free(s);
		h->nclasses = h->nmeta = 0;
		return ferror(r->f) ? sym_seterr("%s: read error:", r->name) :
		    sym_seterr("%s: truncated header", r->name);
	}
	h->classes = sym_ecalloc(class_slots(h->nclasses), sizeof(char *));
	h->meta_keys = sym_ecalloc(h->nmeta, sizeof(char *));
	h->meta_vals = sym_ecalloc(h->nmeta, sizeof(char *));
	for (uint32_t i = 0; i < h->nclasses; i++) {
		h->classes[i] = take_string(s, slen, &off, 0);
		if (!h->classes[i] || !h->classes[i][0])
			goto bad;
		if (sym_class_name_check(h->classes[i]) < 0) {
			free(s);
			return sym_seterr("%s: bad header: class %u: %s",
			    r->name, i, sym_strerror());
		}
	}
	/* names identify classes: a duplicate would be ambiguous */
	if (dup_class(h, &dup) < 0) {
		free(s);
		return sym_seterr("%s: class '%s' named twice", r->name, dup);
	}
	for (uint32_t i = 0; i < h->nmeta; i++) {
		h->meta_keys[i] = take_string(s, slen, &off, 0);
		if (!h->meta_keys[i])
			goto bad;
		h->meta_vals[i] = take_string(s, slen, &off, 1);
		if (!h->meta_vals[i])
			goto bad;
	}
	if (off != slen)
		goto bad;
	free(s);
	return 0;
bad:
	free(s);
	return sym_seterr("%s: bad header: malformed class names or metadata",
	    r->name);
}

/* Map the classes of a new segment h (unique names, read_header checks)
 * onto the merged list, appending the new ones in order, by binary
 * search in the merged names as they were before this segment. */
static int
merge_classes(struct sym_reader *r, const struct sym_header *h)
{
	struct cname *v = sorted_names(&r->h), key, *e;
	uint32_t n0 = r->h.nclasses;

	free(r->remap);
	r->remap = sym_ecalloc(h->nclasses ? h->nclasses : 1,
	    sizeof(uint32_t));
	for (uint32_t i = 0; i < h->nclasses; i++) {
		key.s = h->classes[i];
		e = bsearch(&key, v, n0, sizeof(*v), cname_cmp);
		if (e) {
			r->remap[i] = e->i;
			continue;
		}
		if (r->h.nclasses >= SYM_MAX_CLASSES) {
			free(v);
			return sym_seterr("%s: segment %u: more than %u "
			    "classes in all", r->name, r->nseg + 1,
			    SYM_MAX_CLASSES);
		}
		/* grow in powers of two, as sym_header_add_class does */
		if ((r->h.nclasses & (r->h.nclasses - 1)) == 0)
			r->h.classes = sym_erealloc(r->h.classes,
			    (r->h.nclasses ? 2 * (size_t)r->h.nclasses : 1) *
			    sizeof(char *));
		r->h.classes[r->h.nclasses] = sym_estrdup(h->classes[i]);
		r->remap[i] = r->h.nclasses++;
	}
	free(v);
	return 0;
}

/* Begin a segment whose magic has been read: check it matches the stream
 * so far and map its labels onto the merged class list. */
static int
begin_segment(struct sym_reader *r)
{
	struct sym_header h;
	const char *mid;

	if (read_header(r, &h) < 0) {
		sym_header_free(&h);
		return -1;
	}
	if (r->nseg == 0) {
		r->h = h;
		r->h.classes = NULL;
		r->h.nclasses = 0;
		r->item_bytes = sym_header_item_bytes(&h);
		r->buf = sym_emalloc(4 + r->item_bytes);
		if (h.dtype == SYM_F32)
			r->fbuf = sym_emalloc(r->item_bytes);
		/* r->h owns the metadata now */
		h.nmeta = 0;
		h.meta_keys = h.meta_vals = NULL;
	} else {
		if (h.kind != r->h.kind || h.dtype != r->h.dtype ||
		    h.c != r->h.c || h.h != r->h.h || h.w != r->h.w) {
			int rc = sym_seterr("%s: segment %u is %s %s %ux%ux%u, "
			    "the stream before it %s %s %ux%ux%u", r->name,
			    r->nseg + 1, sym_kind_name(h.kind),
			    sym_dtype_name(h.dtype), h.c, h.h, h.w,
			    sym_kind_name(r->h.kind), sym_dtype_name(r->h.dtype),
			    r->h.c, r->h.h, r->h.w);
			sym_header_free(&h);
			return rc;
		}
		mid = sym_header_get_meta(&h, "model-id");
		if (r->seg_model && mid && strcmp(mid, r->seg_model) != 0) {
			int rc = sym_seterr("%s: segment %u was embedded by "
			    "model %s, the first by model %s", r->name,
			    r->nseg + 1, mid, r->seg_model);
			sym_header_free(&h);
			return rc;
		}
		if (r->h.nitems != SYM_COUNT_UNKNOWN)
			r->h.nitems = h.nitems == SYM_COUNT_UNKNOWN ?
			    SYM_COUNT_UNKNOWN : r->h.nitems + h.nitems;
		if (r->h.npairs != SYM_COUNT_UNKNOWN)
			r->h.npairs = h.npairs == SYM_COUNT_UNKNOWN ?
			    SYM_COUNT_UNKNOWN : r->h.npairs + h.npairs;
	}
	if (merge_classes(r, &h) < 0) {
		sym_header_free(&h);
		return -1;
	}
	r->seg_model = sym_header_get_meta(&r->h, "model-id");
	r->seg_nclasses = h.nclasses;
	r->seg_nitems = h.nitems;
	r->seg_npairs = h.npairs;
	r->seg_items = r->seg_pairs = 0;
	r->seg_base = r->items;
	r->nseg++;
	sym_header_free(&h);
	return 0;
}

/* The segment ends (EOF or a new magic): were its promises kept? */
static int
end_segment(struct sym_reader *r)
{
	if ((r->seg_nitems != SYM_COUNT_UNKNOWN &&
	    r->seg_items != r->seg_nitems) ||
	    (r->h.kind == SYM_PAIRS && r->seg_npairs != SYM_COUNT_UNKNOWN &&
	    r->seg_pairs != r->seg_npairs))
		return truncated(r);
	return 0;
}

struct sym_reader *
sym_reader_open(FILE *f, const char *name)
{
	return sym_reader_open_after(f, name, NULL, 0);
}

struct sym_reader *
sym_reader_open_after(FILE *f, const char *name, const unsigned char *pre,
    size_t npre)
{
	struct sym_reader *r = sym_ecalloc(1, sizeof(*r));
	unsigned char magic[8];
	int rc;

	r->f = f;
	r->name = sym_estrdup(name);
	if (npre > 8)
		npre = 8;
	if (npre)
		memcpy(magic, pre, npre);
	rc = npre == 8 ? 0 : get(r, magic + npre, 8 - npre);
	if (rc == 1 && npre > 0)
		rc = -1;	/* some bytes, then nothing */
	if (rc == 1 && !ferror(f)) {
		sym_seterr("%s: empty input (expected a sym stream)", name);
		goto fail;
	}
	if (rc != 0 || memcmp(magic, SYM_STREAM_MAGIC, 8) != 0) {
		if (!ferror(f))
			sym_seterr("%s: not a sym stream (bad magic)", name);
		goto fail;
	}
	if (begin_segment(r) < 0)
		goto fail;
	return r;
fail:
	sym_reader_close(r);
	return NULL;
}

const struct sym_header *
sym_reader_header(const struct sym_reader *r)
{
	return &r->h;
}

unsigned
sym_reader_segments(const struct sym_reader *r)
{
	return r->nseg;
}

int
sym_read(struct sym_reader *r, struct sym_record *rec)
{
	unsigned char tag, magic[8], p[PAIR_BYTES];
	int rc;

	if (r->done)
		return 0;
	for (;;) {
		rc = get(r, &tag, 1);
		if (rc == 1) {
			if (end_segment(r) < 0)
				return -1;
			r->done = 1;
			return 0;
		}
		if (rc < 0)
			return -1;
		if (tag != (unsigned char)SYM_STREAM_MAGIC[0])
			break;
		/* a new segment: cat a b, or >> */
		magic[0] = tag;
		if (get(r, magic + 1, 7) != 0 ||
		    memcmp(magic, SYM_STREAM_MAGIC, 8) != 0)
			return sym_seterr("%s: bad magic at the start of "
			    "segment %u", r->name, r->nseg + 1);
		if (end_segment(r) < 0 || begin_segment(r) < 0)
			return -1;
	}

	memset(rec, 0, sizeof(*rec));
	if (tag == TAG_ITEM) {
		uint32_t label;

		if (r->h.kind == SYM_PAIRS && r->seg_pairs > 0)
			return sym_seterr("%s: item after pairs in segment %u",
			    r->name, r->nseg);
		if (r->seg_nitems != SYM_COUNT_UNKNOWN &&
		    r->seg_items >= r->seg_nitems)
			return sym_seterr("%s: more items than the %llu "
			    "announced", r->name,
			    (unsigned long long)r->seg_nitems);
		if (get(r, r->buf, 4 + r->item_bytes) != 0)
			return truncated(r);
		label = sym_get_u32(r->buf);
		if (label != SYM_NOLABEL) {
			if (label >= r->seg_nclasses)
				return sym_seterr("%s: record %llu: label %u "
				    "out of range (%u classes)", r->name,
				    (unsigned long long)(r->seg_items +
				    r->seg_pairs + 1), label, r->seg_nclasses);
			label = r->remap[label];
		}
		rec->label = label;
		rec->index = r->items;
		if (r->h.dtype == SYM_F32) {
			for (size_t i = 0; i < r->item_bytes / 4; i++)
				r->fbuf[i] = sym_get_f32(r->buf + 4 + 4 * i);
			rec->f32 = r->fbuf;
		} else {
			rec->u8 = r->buf + 4;
		}
		r->seg_items++;
		r->items++;
		return 1;
	}
	if (tag == TAG_PAIR && r->h.kind == SYM_PAIRS) {
		uint32_t a, b;

		if (r->seg_npairs != SYM_COUNT_UNKNOWN &&
		    r->seg_pairs >= r->seg_npairs)
			return sym_seterr("%s: more pairs than the %llu "
			    "announced", r->name,
			    (unsigned long long)r->seg_npairs);
		if (get(r, p, PAIR_BYTES) != 0)
			return truncated(r);
		a = sym_get_u32(p);
		b = sym_get_u32(p + 4);
		if (a >= r->seg_items || b >= r->seg_items || p[8] > 1)
			return sym_seterr("%s: record %llu: bad pair (%u, %u, "
			    "%u) with %llu items", r->name,
			    (unsigned long long)(r->seg_items + r->seg_pairs +
			    1), a, b, p[8], (unsigned long long)r->seg_items);
		rec->is_pair = 1;
		rec->a = r->seg_base + a;
		rec->b = r->seg_base + b;
		rec->same = p[8];
		r->seg_pairs++;
		return 1;
	}
	if (tag == TAG_ABORT)
		return sym_seterr("%s: unfinished stream: the program that "
		    "wrote it failed after %llu records", r->name,
		    (unsigned long long)(r->seg_items + r->seg_pairs));
	return sym_seterr("%s: record %llu: bad record tag 0x%02x", r->name,
	    (unsigned long long)(r->seg_items + r->seg_pairs + 1), tag);
}

void
sym_reader_close(struct sym_reader *r)
{
	if (!r)
		return;
	sym_header_free(&r->h);
	free(r->remap);
	free(r->buf);
	free(r->fbuf);
	free(r->name);
	free(r);
}

struct sym_reader *
sym_ereader_open(FILE *f, const char *name)
{
	struct sym_reader *r = sym_reader_open(f, name);

	if (!r)
		sym_die("%s", sym_strerror());
	return r;
}

int
sym_eread(struct sym_reader *r, struct sym_record *rec)
{
	int rc = sym_read(r, rec);

	if (rc < 0)
		sym_die("%s", sym_strerror());
	return rc;
}

void
sym_reader_expect(const struct sym_reader *r, int kind, int dtype)
{
	if (r->h.kind != kind)
		sym_die("%s: expected %s, got %s", r->name,
		    sym_kind_name(kind), sym_kind_name(r->h.kind));
	if (dtype && r->h.dtype != dtype)
		sym_die("%s: expected %s %s, got %s", r->name,
		    sym_dtype_name(dtype), sym_kind_name(kind),
		    sym_dtype_name(r->h.dtype));
}

/* ---- a whole stream in memory ------------------------------------------ */

static int
fits(size_t items, size_t pairs, size_t item_bytes, size_t max,
    const char *name)
{
	/* label + payload per item, 17 bytes per pair */
	double need = (double)items * (4.0 + item_bytes) + pairs * 17.0;

	if (max && need > (double)max)
		return sym_seterr("%s: needs %.0f MB of memory, the limit is "
		    "%.0f MB (see --max-memory)", name, need / 1e6 + 0.5,
		    max / 1e6);
	return 0;
}

/* The capacity after cap (first: the first one): double it, but stay
 * under max bytes given `other` bytes already taken and `per` bytes an
 * element, so that growing never refuses an input that fits. Returns
 * cap itself when not one more element fits. */
static size_t
grow(size_t cap, size_t first, double per, double other, size_t max)
{
	size_t want = cap ? 2 * cap : first;
	double room;

	if (!max)
		return want;
	room = ((double)max - other) / per;
	if (room < (double)want)
		want = room > (double)cap ? (size_t)room : cap;
	return want;
}

/* The limit is reached while reading a stream that did not say its
 * size up front, so how much it needs is not known. */
static int
over(const struct sym_reader *r, size_t max)
{
	return sym_seterr("%s: needs more memory than the limit of %.0f MB "
	    "(see --max-memory)", r->name, max / 1e6);
}

int
sym_dataset_read(struct sym_dataset *d, struct sym_reader *r,
    size_t max_bytes)
{
	struct sym_record rec;
	size_t ib = r->item_bytes, cap = 0, pcap = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	if (r->h.nitems != SYM_COUNT_UNKNOWN &&
	    (r->h.kind != SYM_PAIRS || r->h.npairs != SYM_COUNT_UNKNOWN) &&
	    fits(r->h.nitems, r->h.npairs, ib, max_bytes, r->name) < 0)
		return -1;
	while ((rc = sym_read(r, &rec)) > 0) {
		if (rec.is_pair) {
			if (d->npairs == pcap) {
				pcap = grow(pcap, 1024, 17.0,
				    (double)d->n * (4.0 + ib), max_bytes);
				if (pcap == d->npairs) {
					over(r, max_bytes);
					goto fail;
				}
				d->pa = sym_erealloc(d->pa, pcap * 8);
				d->pb = sym_erealloc(d->pb, pcap * 8);
				d->psame = sym_erealloc(d->psame, pcap);
			}
			d->pa[d->npairs] = rec.a;
			d->pb[d->npairs] = rec.b;
			d->psame[d->npairs] = (uint8_t)rec.same;
			d->npairs++;
			continue;
		}
		if (d->n == cap) {
			/* 1024 items to start, but large items one by one:
			 * a single item of 64 MB is no reason to ask for
			 * 1024 times as much */
			cap = grow(cap, ib > (1u << 16) ? 1 : 1024, 4.0 + ib,
			    d->npairs * 17.0, max_bytes);
			if (cap == d->n) {
				over(r, max_bytes);
				goto fail;
			}
			d->labels = sym_erealloc(d->labels, cap * 4);
			if (r->h.dtype == SYM_F32)
				d->f32 = sym_erealloc(d->f32, cap * ib);
			else
				d->u8 = sym_erealloc(d->u8, cap * ib);
		}
		d->labels[d->n] = rec.label;
		if (rec.f32)
			memcpy(d->f32 + d->n * (ib / 4), rec.f32, ib);
		else
			memcpy(d->u8 + d->n * ib, rec.u8, ib);
		d->n++;
	}
	if (rc < 0)
		goto fail;
	sym_header_copy(&d->hdr, &r->h);
	d->hdr.nitems = d->n;
	d->hdr.npairs = d->npairs;
	return 0;
fail:
	sym_dataset_free(d);
	return -1;
}

void
sym_dataset_free(struct sym_dataset *d)
{
	if (!d)
		return;
	sym_header_free(&d->hdr);
	free(d->labels);
	free(d->u8);
	free(d->f32);
	free(d->pa);
	free(d->pb);
	free(d->psame);
	memset(d, 0, sizeof(*d));
}
