/* embed.c: running a trained model forward, and sym-embed's streaming
 * loop: u8 images (or pairs of them) in, f32 embeddings out, a batch at
 * a time so a pipeline keeps moving. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

void
sym_model_normalize(const struct sym_model *m, float *out, const uint8_t *in,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = in[i] * m->scale + m->offset;
}

const float *
sym_model_forward(struct sym_model *m, int t, const float *in, int B)
{
	struct sym_net *net = t && m->tower[1] ? m->tower[1] : m->tower[0];

	return sym_net_forward(net, in, B, 0);
}

int
sym_model_check_shape(const struct sym_model *m, const char *mname,
    const char *sname, uint32_t c, uint32_t h, uint32_t w)
{
	char hint[64] = "";

	if (c == (uint32_t)m->c && h == (uint32_t)m->h &&
	    w == (uint32_t)m->w)
		return 0;
	if (c == (uint32_t)m->c) {
		if (m->h == m->w)
			snprintf(hint, sizeof(hint), " (use sym-load --size "
			    "%d)", m->w);
		else
			snprintf(hint, sizeof(hint), " (use sym-load --size "
			    "%dx%d)", m->w, m->h);
	}
	return sym_seterr("%s: images are %ux%ux%u, but %s wants %dx%dx%d%s",
	    sname, c, h, w, mname, m->c, m->h, m->w, hint);
}

int
sym_ink_check(const struct sym_header *h, const char *sname,
    const char *want, const char *whose)
{
	const char *got = sym_header_get_meta(h, "ink");

	if (!want == !got && (!want || strcmp(want, got) == 0))
		return 0;
	return sym_seterr("%s: images loaded %s%s, but %s images loaded %s%s",
	    sname, got ? "with sym-load " : "as stored", got ? got : "",
	    whose, want ? "with sym-load " : "as stored", want ? want : "");
}

int
sym_model_check_ink(const struct sym_model *m, const char *mname,
    const struct sym_header *h, const char *sname)
{
	char whose[1024];

	snprintf(whose, sizeof(whose), "%s was trained on", mname);
	return sym_ink_check(h, sname, sym_model_get_meta(m, "ink"), whose);
}

void
sym_model_stamp(const struct sym_model *m, const char *name, int views,
    struct sym_header *h)
{
	char buf[32], vname[64];
	uint32_t id = m->crc;

	sym_views_name(views, vname, sizeof(vname));
	/* embeddings made with other views than the model's own must not
	 * mix with those made with its own: another identity */
	if (views != m->views)
		id = sym_crc32(m->crc, vname, strlen(vname));
	sym_header_set_meta(h, "model", name);
	snprintf(buf, sizeof(buf), "%08x", (unsigned)id);
	sym_header_set_meta(h, "model-id", buf);
	if (views)
		sym_header_set_meta(h, "views", vname);
	sym_header_set_meta(h, "loss", sym_loss_name(m->loss));
	snprintf(buf, sizeof(buf), "%.9g", m->margin);
	sym_header_set_meta(h, "margin", buf);
	sym_header_set_meta(h, "arch", sym_net_spec(m->tower[0]));
	if (m->loss == SYM_LOSS_BCE || m->loss == SYM_LOSS_CONCAT) {
		/* the head's exact f32 bytes, so a matcher scores pairs
		 * the way the model does */
		static const char hex[] = "0123456789abcdef";
		char *s = sym_emalloc(8 * m->nhead + 1);
		unsigned char b[4];

		for (size_t i = 0; i < m->nhead; i++) {
			sym_put_f32(b, m->head[i]);
			for (int j = 0; j < 4; j++) {
				s[8 * i + 2 * j] = hex[b[j] >> 4];
				s[8 * i + 2 * j + 1] = hex[b[j] & 15];
			}
		}
		s[8 * m->nhead] = 0;
		sym_header_set_meta(h, "head", s);
		free(s);
	}
}

/* The output side of sym_embed_stream: one output segment per input
 * segment, so labels and pair indices stay those of the input. */
struct eout {
	struct sym_model *m;
	const char *model_name;
	struct sym_reader *r;
	FILE *f;
	const char *name;
	struct sym_writer *w;
	uint64_t base;		/* stream index of the segment's first item */
	uint64_t items_before, pairs_before;	/* announced, earlier segs */
	int views;		/* SYM_VIEW_* bits */
	/* the pending batch */
	int B, n;
	size_t D;		/* embedding length */
	float *x, *tmp, *e;	/* inputs, scratch and embeddings */
	uint32_t *labels;
};

/* Hand what is written to the next stage of the pipeline now. */
static void
flush_out(struct eout *o)
{
	if (fflush(o->f) != 0) {
		if (errno == EPIPE)
			sym_epipe_exit();
		sym_die("%s: write error:", o->name);
	}
}

static void
flush_batch(struct eout *o)
{
	const float *e;
	size_t D = o->D;

	if (o->n == 0)
		return;
	/* raw mode: the scaled pixels are the embedding */
	e = o->x;
	if (o->m) {
		sym_model_embed(o->m, o->views, o->x, o->n, o->tmp, o->e);
		e = o->e;
	}
	for (int i = 0; i < o->n; i++)
		sym_ewrite_item(o->w, o->labels[i], e + i * D);
	o->n = 0;
	/* let the next stage start on this batch now */
	flush_out(o);
}

/* Start an output segment for the input segment just begun. */
static void
begin_out(struct eout *o)
{
	const struct sym_header *ih = sym_reader_header(o->r);
	struct sym_header h;
	uint64_t ni = ih->nitems, np = ih->npairs;

	sym_header_copy(&h, ih);
	h.kind = ih->kind == SYM_PAIRS ? SYM_PAIRS : SYM_EMBEDDINGS;
	h.dtype = SYM_F32;
	h.c = 1;
	h.h = 1;
	h.w = (uint32_t)o->D;
	/* the merged header sums announced counts over segments */
	h.nitems = ni == SYM_COUNT_UNKNOWN ? ni : ni - o->items_before;
	h.npairs = h.kind != SYM_PAIRS ? 0 : np == SYM_COUNT_UNKNOWN ? np :
	    np - o->pairs_before;
	o->items_before = ni;
	o->pairs_before = np;
	if (o->m) {
		sym_model_stamp(o->m, o->model_name, o->views, &h);
	} else {
		/* raw pixels: a "model" of its own, so sym-match refuses
		 * to mix these with learned embeddings */
		sym_header_set_meta(&h, "model", "raw");
		sym_header_set_meta(&h, "model-id", "raw");
	}
	o->w = sym_ewriter_new(o->f, o->name, &h);
	sym_header_free(&h);
}

void
sym_embed_stream(struct sym_model *m, const char *model_name, int views,
    struct sym_reader *r, const char *inname, FILE *out,
    const char *outname, int batch)
{
	const struct sym_header *ih = sym_reader_header(r);
	struct eout o;
	struct sym_record rec;
	unsigned seg;
	size_t isz;
	uint64_t pairs = 0;

	if (ih->kind != SYM_IMAGES && ih->kind != SYM_PAIRS)
		sym_die("%s: expected images or pairs, got %s", inname,
		    sym_kind_name(ih->kind));
	if (ih->dtype != SYM_U8)
		sym_die("%s: expected u8 items, got %s", inname,
		    sym_dtype_name(ih->dtype));
	if (m && sym_model_check_shape(m, model_name, inname, ih->c, ih->h,
	    ih->w) < 0)
		sym_die("%s", sym_strerror());
	if (m && sym_views_check(views, m->loss, m->h, m->w) < 0)
		sym_die("%s: %s", model_name, sym_strerror());
	if (m && sym_views_width_check(m->dim, views) < 0)
		sym_die("%s: %s", model_name, sym_strerror());
	if (!m && (size_t)ih->c * ih->h * ih->w > SYM_MAX_DIM)
		sym_die("%s: %ux%u images make raw embeddings of %zu numbers, "
		    "more than a stream holds (%u): --size to shrink them",
		    inname, ih->w, ih->h, (size_t)ih->c * ih->h * ih->w,
		    SYM_MAX_DIM);
	memset(&o, 0, sizeof(o));
	o.m = m;
	o.model_name = model_name;
	o.r = r;
	o.f = out;
	o.name = outname;
	o.B = batch;
	isz = (size_t)ih->c * ih->h * ih->w;
	o.views = views;
	o.D = m ? (size_t)m->dim * sym_views_count(views) : isz;
	o.x = sym_emalloc((size_t)batch * isz * sizeof(float));
	if (m) {
		o.tmp = sym_emalloc((size_t)batch * isz * sizeof(float));
		o.e = sym_emalloc((size_t)batch * o.D * sizeof(float));
	}
	o.labels = sym_emalloc((size_t)batch * sizeof(uint32_t));
	begin_out(&o);
	seg = sym_reader_segments(r);
	while (sym_eread(r, &rec)) {
		if (sym_reader_segments(r) != seg) {
			flush_batch(&o);
			sym_ewriter_close(o.w);
			seg = sym_reader_segments(r);
			o.base = rec.is_pair ? o.base : rec.index;
			begin_out(&o);
		}
		/* counts in the merged header: the sums over the segments
		 * read so far, so the end of this one */
		ih = sym_reader_header(r);
		if (rec.is_pair) {
			flush_batch(&o);
			sym_ewrite_pair(o.w, rec.a - o.base, rec.b - o.base,
			    rec.same);
			/* the segment's last pair need not wait for more
			 * input (a producer may pause between segments) */
			if (++pairs == ih->npairs)
				flush_out(&o);
			continue;
		}
		if (m) {
			sym_model_normalize(m, o.x + (size_t)o.n * isz, rec.u8,
			    isz);
		} else {
			for (size_t i = 0; i < isz; i++)
				o.x[(size_t)o.n * isz + i] = rec.u8[i] / 255.0f;
		}
		o.labels[o.n++] = rec.label;
		/* a full batch, or the segment's last item */
		if (o.n == o.B || (ih->nitems != SYM_COUNT_UNKNOWN &&
		    rec.index + 1 == ih->nitems))
			flush_batch(&o);
	}
	flush_batch(&o);
	sym_ewriter_close(o.w);
	free(o.x);
	free(o.tmp);
	free(o.e);
	free(o.labels);
}
