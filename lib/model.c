/* model.c: sym model files (layout in man/sym-model.5). Writing streams
 * the bytes through a running crc32; reading takes the whole file into
 * memory, checks magic, version, length and checksum, and only then
 * builds the model. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sym.h"

#define FIXED 80		/* bytes before the arch string */
#define TRAIN_FIXED 80		/* training section before its arrays */
#define FLAG_UNSHARED 1u
#define FLAG_TRAIN 2u
/* bits 2-4: the SYM_VIEW_* bits sym-embed uses */
#define FLAG_VIEWS_SHIFT 2
#define FLAG_VIEWS ((uint32_t)SYM_VIEW_ALL << FLAG_VIEWS_SHIFT)

struct sym_model *
sym_model_new(const char *arch, int loss, float margin, int c, int h, int w,
    int unshared)
{
	struct sym_model *m;
	int t;

	if (!sym_loss_name(loss)) {
		sym_seterr("unknown loss %d", loss);
		return NULL;
	}
	m = sym_ecalloc(1, sizeof(*m));
	m->loss = loss;
	m->margin = margin;
	m->c = c;
	m->h = h;
	m->w = w;
	m->scale = 1.0f / 255.0f;
	m->offset = 0.0f;
	m->unshared = unshared != 0;
	for (t = 0; t < 1 + m->unshared; t++) {
		m->tower[t] = sym_net_new(arch, c, h, w);
		if (!m->tower[t]) {
			sym_model_free(m);
			return NULL;
		}
	}
	m->dim = sym_net_out_dim(m->tower[0]);
	m->nhead = sym_head_nparams(loss, m->dim);
	m->head = sym_ecalloc(m->nhead + 1, sizeof(float));
	m->head_grad = sym_ecalloc(m->nhead + 1, sizeof(float));
	return m;
}

void
sym_model_train_drop(struct sym_model *m)
{
	struct sym_model_train *tr = m->train;

	if (!tr)
		return;
	free(tr->m);
	free(tr->v);
	free(tr->snap);
	free(tr);
	m->train = NULL;
}

struct sym_model_train *
sym_model_train_attach(struct sym_model *m)
{
	struct sym_model_train *tr;

	sym_model_train_drop(m);
	tr = sym_ecalloc(1, sizeof(*tr));
	tr->n = sym_model_nparams(m);
	tr->m = sym_ecalloc(tr->n + 1, sizeof(float));
	tr->v = sym_ecalloc(tr->n + 1, sizeof(float));
	m->train = tr;
	return tr;
}

void
sym_model_free(struct sym_model *m)
{
	if (!m)
		return;
	sym_net_free(m->tower[0]);
	sym_net_free(m->tower[1]);
	free(m->head);
	free(m->head_grad);
	for (uint32_t i = 0; i < m->nmeta; i++) {
		free(m->meta_keys[i]);
		free(m->meta_vals[i]);
	}
	free(m->meta_keys);
	free(m->meta_vals);
	sym_model_train_drop(m);
	free(m);
}

void
sym_model_init(struct sym_model *m, struct sym_rng *rng)
{
	sym_net_init(m->tower[0], rng);
	if (m->tower[1])
		sym_net_init(m->tower[1], rng);
	sym_head_init(m->loss, m->dim, m->head, rng);
}

void
sym_model_set_meta(struct sym_model *m, const char *key, const char *val)
{
	for (uint32_t i = 0; i < m->nmeta; i++) {
		if (strcmp(m->meta_keys[i], key) == 0) {
			free(m->meta_vals[i]);
			m->meta_vals[i] = sym_estrdup(val);
			return;
		}
	}
	m->meta_keys = sym_erealloc(m->meta_keys,
	    (m->nmeta + 1) * sizeof(char *));
	m->meta_vals = sym_erealloc(m->meta_vals,
	    (m->nmeta + 1) * sizeof(char *));
	m->meta_keys[m->nmeta] = sym_estrdup(key);
	m->meta_vals[m->nmeta] = sym_estrdup(val);
	m->nmeta++;
}

const char *
sym_model_get_meta(const struct sym_model *m, const char *key)
{
	for (uint32_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta_keys[i], key) == 0)
			return m->meta_vals[i];
	return NULL;
}

size_t
sym_model_nparams(const struct sym_model *m)
{
	size_t n = m->nhead;

	for (int t = 0; t < 2; t++)
		if (m->tower[t])
			n += sym_net_nparams(m->tower[t]);
	return n;
}

size_t
sym_model_nvalues(const struct sym_model *m)
{
	size_t n = m->nhead;

	for (int t = 0; t < 2; t++)
		if (m->tower[t])
			n += sym_net_nparams(m->tower[t]) +
			    sym_net_nstate(m->tower[t]);
	return n;
}

/* The value blocks in file order: tower params, tower state (per tower),
 * head. Returns the number of blocks. */
static int
blocks(const struct sym_model *m, float **p, size_t *n)
{
	int k = 0;

	for (int t = 0; t < 2; t++) {
		struct sym_net *net = m->tower[t];

		if (!net)
			continue;
		p[k] = sym_net_params(net);
		n[k++] = sym_net_nparams(net);
		p[k] = sym_net_state(net);
		n[k++] = sym_net_nstate(net);
	}
	p[k] = m->head;
	n[k++] = m->nhead;
	return k;
}

void
sym_model_get_values(const struct sym_model *m, float *out)
{
	float *p[5];
	size_t n[5];
	int k = blocks(m, p, n);

	for (int i = 0; i < k; i++) {
		if (n[i])
			memcpy(out, p[i], n[i] * sizeof(float));
		out += n[i];
	}
}

void
sym_model_set_values(struct sym_model *m, const float *in)
{
	float *p[5];
	size_t n[5];
	int k = blocks(m, p, n);

	for (int i = 0; i < k; i++) {
		if (n[i])
			memcpy(p[i], in, n[i] * sizeof(float));
		in += n[i];
	}
}

/* ---- writing ---- */

/* Output with a running checksum; err sticks after the first failure. */
struct wout {
	FILE *f;
	uint32_t crc;
	int err;
};

static void
wbytes(struct wout *o, const void *p, size_t n)
{
	if (o->err || n == 0)
		return;
	o->crc = sym_crc32(o->crc, p, n);
	if (fwrite(p, 1, n, o->f) != n)
		o->err = 1;
}

static void
wu16(struct wout *o, uint16_t v)
{
	unsigned char b[2];

	sym_put_u16(b, v);
	wbytes(o, b, 2);
}

static void
wu32(struct wout *o, uint32_t v)
{
	unsigned char b[4];

	sym_put_u32(b, v);
	wbytes(o, b, 4);
}

static void
wu64(struct wout *o, uint64_t v)
{
	unsigned char b[8];

	sym_put_u64(b, v);
	wbytes(o, b, 8);
}

static void
wf32(struct wout *o, float v)
{
	unsigned char b[4];

	sym_put_f32(b, v);
	wbytes(o, b, 4);
}

/* n floats as little-endian f32, a chunk at a time. */
static void
wf32s(struct wout *o, const float *v, size_t n)
{
	unsigned char buf[4096];

	while (n > 0) {
		size_t k = n < sizeof(buf) / 4 ? n : sizeof(buf) / 4;

		for (size_t i = 0; i < k; i++)
			sym_put_f32(buf + 4 * i, v[i]);
		wbytes(o, buf, 4 * k);
		v += k;
		n -= k;
	}
}

static void
wstr(struct wout *o, const char *s)
{
	size_t n = strlen(s);

	wu32(o, (uint32_t)n);
	wbytes(o, s, n);
}

int
sym_model_write(struct sym_model *m, FILE *f, const char *name)
{
	struct wout o = { f, 0, 0 };
	struct sym_model_train *tr = m->train;
	const char *arch = sym_net_spec(m->tower[0]);
	float *p[5];
	size_t n[5];
	int k = blocks(m, p, n);
	unsigned char b[4];

	wbytes(&o, SYM_MODEL_MAGIC, SYM_MODEL_MAGIC_LEN);
	wu16(&o, SYM_MODEL_MAJOR);
	wu16(&o, SYM_MODEL_MINOR);
	wu32(&o, (m->unshared ? FLAG_UNSHARED : 0) | (tr ? FLAG_TRAIN : 0) |
	    (uint32_t)m->views << FLAG_VIEWS_SHIFT);
	wu32(&o, (uint32_t)m->loss);
	wf32(&o, m->margin);
	wu32(&o, (uint32_t)m->dim);
	wu32(&o, (uint32_t)m->c);
	wu32(&o, (uint32_t)m->h);
	wu32(&o, (uint32_t)m->w);
	wf32(&o, m->scale);
	wf32(&o, m->offset);
	wu64(&o, sym_net_nparams(m->tower[0]));
	wu64(&o, sym_net_nstate(m->tower[0]));
	wu64(&o, m->nhead);
	wu32(&o, (uint32_t)strlen(arch));
	wu32(&o, m->nmeta);
	wbytes(&o, arch, strlen(arch));
	for (uint32_t i = 0; i < m->nmeta; i++) {
		wstr(&o, m->meta_keys[i]);
		wstr(&o, m->meta_vals[i]);
	}
	for (int i = 0; i < k; i++)
		wf32s(&o, p[i], n[i]);
	if (tr) {
		wu32(&o, (uint32_t)tr->optimizer);
		wf32(&o, tr->beta1);
		wf32(&o, tr->beta2);
		wf32(&o, tr->eps);
		wf32(&o, tr->momentum);
		wf32(&o, tr->weight_decay);
		wu64(&o, tr->t);
		wu32(&o, tr->epoch);
		wu64(&o, tr->step);
		wu64(&o, tr->seed);
		wu32(&o, tr->has_best);
		wu32(&o, tr->best_epoch);
		wf32(&o, tr->best);
		wu64(&o, tr->n);
		wu64(&o, tr->has_best ? tr->nsnap : 0);
		wf32s(&o, tr->m, tr->n);
		wf32s(&o, tr->v, tr->n);
		if (tr->has_best)
			wf32s(&o, tr->snap, tr->nsnap);
	}
	m->crc = o.crc;
	sym_put_u32(b, o.crc);
	if (!o.err && fwrite(b, 1, 4, f) != 4)
		o.err = 1;
	if (o.err || fflush(f) != 0 || ferror(f))
		return sym_seterr("%s: write error:", name);
	return 0;
}

int
sym_model_check_path(const char *path)
{
	return sym_atomic_check(path);
}

int
sym_model_save(struct sym_model *m, const char *path)
{
	struct sym_atomic a;
	char msg[512];

	/* a device path (/dev/full, /dev/stdout) is written in place by
	 * sym_atomic_open itself */
	if (sym_atomic_open(&a, path) < 0)
		return -1;
	if (sym_model_write(m, a.f, path) < 0) {
		/* keep the write error; abort may clobber errno */
		snprintf(msg, sizeof(msg), "%s", sym_strerror());
		sym_atomic_abort(&a);
		return sym_seterr("%s", msg);
	}
	return sym_atomic_commit(&a);
}

/* ---- reading ---- */

/* A bounds-checked cursor over the file; trunc records a read past the
 * end. */
struct cur {
	const unsigned char *p;
	size_t n, off;
	int trunc;
};

static const unsigned char *
take(struct cur *c, size_t k)
{
	const unsigned char *q;

	if (c->trunc || k > c->n - c->off) {
		c->trunc = 1;
		return NULL;
	}
	q = c->p + c->off;
	c->off += k;
	return q;
}

static uint32_t
ru32(struct cur *c)
{
	const unsigned char *q = take(c, 4);

	return q ? sym_get_u32(q) : 0;
}

static uint64_t
ru64(struct cur *c)
{
	const unsigned char *q = take(c, 8);

	return q ? sym_get_u64(q) : 0;
}

static float
rf32(struct cur *c)
{
	const unsigned char *q = take(c, 4);

	return q ? sym_get_f32(q) : 0.0f;
}

static void
rf32s(struct cur *c, float *v, size_t n)
{
	const unsigned char *q = take(c, 4 * n);

	if (!q)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = sym_get_f32(q + 4 * i);
}

/* A length-prefixed string, checked against the cap and for NULs;
 * malloc'd, or NULL (c->trunc or *bad set). */
static char *
rstr(struct cur *c, int *bad)
{
	uint32_t n = ru32(c);
	const unsigned char *q;
	char *s;

	if (c->trunc)
		return NULL;
	if (n > SYM_MODEL_MAX_STRING) {
		*bad = 1;
		return NULL;
	}
	q = take(c, n);
	if (!q)
		return NULL;
	if (memchr(q, 0, n)) {
		*bad = 1;
		return NULL;
	}
	s = sym_emalloc(n + 1);
	memcpy(s, q, n);
	s[n] = 0;
	return s;
}

/* Skip k floats, with overflow-checked arithmetic. */
static void
skipf(struct cur *c, uint64_t k)
{
	if (k > SYM_MODEL_MAX_FILE / 4) {
		c->trunc = 1;
		return;
	}
	take(c, (size_t)k * 4);
}

/* Walk the file's structure without building anything: 0 when it fits
 * in c->n bytes, -1 when it needs more (truncated) or a count is beyond
 * any possible file. */
static int
walk(struct cur *c)
{
	uint32_t flags, alen, nmeta;
	uint64_t P, S, H, values;
	int towers;

	take(c, 12);
	flags = ru32(c);
	take(c, 32);
	P = ru64(c);
	S = ru64(c);
	H = ru64(c);
	alen = ru32(c);
	nmeta = ru32(c);
	if (c->trunc)
		return -1;
	take(c, alen);
	for (uint32_t i = 0; i < 2 * nmeta && !c->trunc; i++)
		take(c, ru32(c));
	towers = flags & FLAG_UNSHARED ? 2 : 1;
	if (P > SYM_MODEL_MAX_FILE || S > SYM_MODEL_MAX_FILE ||
	    H > SYM_MODEL_MAX_FILE)
		return -1;
	values = towers * (P + S) + H;
	skipf(c, values);
	if (flags & FLAG_TRAIN) {
		uint64_t n, nsnap;

		take(c, TRAIN_FIXED - 16);
		n = ru64(c);
		nsnap = ru64(c);
		if (n > SYM_MODEL_MAX_FILE || nsnap > SYM_MODEL_MAX_FILE)
			return -1;
		skipf(c, 2 * n + nsnap);
	}
	take(c, 4);
	return c->trunc ? -1 : 0;
}

/* Values (parameters plus batch-norm state) of one tower of spec arch
 * on c x h x w inputs, worked out from the spec alone, so that a header
 * claiming a small net for an arch of billions of parameters is caught
 * before sym_net_new allocates them. 0 when the spec does not parse
 * here (then the engine judges it). */
static double
spec_values(const char *arch, double c, double h, double w)
{
	const char *p = arch;
	double n = 0, in = 0;
	int flat = 0;

	while (*p) {
		char tok[64];
		size_t k = strcspn(p, ",");
		long a = 0, b = 0, pad = 0;

		if (k == 0 || k >= sizeof(tok))
			return 0;
		memcpy(tok, p, k);
		tok[k] = 0;
		p += k + (p[k] == ',');
		if (sscanf(tok, "conv:%ld:%ld:%ld", &a, &b, &pad) >= 2) {
			if (flat || a < 1 || b < 1)
				return 0;
			n += a * (c * b * b + 1);
			c = a;
			h = h + 2 * pad - b + 1;
			w = w + 2 * pad - b + 1;
		} else if (sscanf(tok, "pool:%ld", &a) == 1 && a > 0) {
			h = floor(h / a);
			w = floor(w / a);
		} else if (sscanf(tok, "dense:%ld", &a) == 1 && a > 0) {
			if (!flat)
				in = c * h * w;
			flat = 1;
			n += a * (in + 1);
			in = a;
		} else if (strcmp(tok, "bn") == 0) {
			n += 4 * (flat ? in : c);	/* gamma, beta, mean, var */
		} else if (strcmp(tok, "flatten") == 0) {
			if (!flat)
				in = c * h * w;
			flat = 1;
		} else if (strcmp(tok, "relu") != 0 &&
		    strcmp(tok, "sigmoid") != 0) {
			return 0;
		}
	}
	return n;
}

static struct sym_model *
bad(struct sym_model *m, const char *name, const char *what)
{
	sym_model_free(m);
	sym_seterr("%s: %s", name, what);
	return NULL;
}

struct sym_model *
sym_model_parse(const unsigned char *buf, size_t n, const char *name)
{
	struct cur c = { buf, n, 0, 0 };
	struct sym_model *m = NULL;
	uint32_t major, minor, flags, loss, D, C, H, W, alen, nmeta;
	uint64_t P, S, NH;
	float margin, scale, offset;
	char *arch;
	int badstr = 0, views;
	char msg[256];

	if (n < SYM_MODEL_MAGIC_LEN) {
		if (n > 0 && memcmp(buf, SYM_MODEL_MAGIC, n) == 0)
			return bad(NULL, name, "truncated model file");
		return bad(NULL, name, "not a sym model");
	}
	if (memcmp(buf, SYM_MODEL_MAGIC, SYM_MODEL_MAGIC_LEN) != 0)
		return bad(NULL, name, "not a sym model");
	if (n < FIXED + 4)
		return bad(NULL, name, "truncated model file");
	major = sym_get_u16(buf + 8);
	minor = sym_get_u16(buf + 10);
	if (major > SYM_MODEL_MAJOR) {
		snprintf(msg, sizeof(msg), "model version %u.%u is newer than "
		    "this program (%d.x)", major, minor, SYM_MODEL_MAJOR);
		return bad(NULL, name, msg);
	}
	if (major < 1)
		return bad(NULL, name, "model version 0 is not supported");
	if (sym_crc32(0, buf, n - 4) != sym_get_u32(buf + n - 4)) {
		struct cur w = { buf, n, 0, 0 };

		if (walk(&w) < 0)
			return bad(NULL, name, "truncated model file");
		return bad(NULL, name, "checksum mismatch (file damaged)");
	}

	/* The checksum holds, so what follows is only wrong if the file
	 * was written wrong; still, nothing is trusted. */
	take(&c, 12);
	flags = ru32(&c);
	loss = ru32(&c);
	margin = rf32(&c);
	D = ru32(&c);
	C = ru32(&c);
	H = ru32(&c);
	W = ru32(&c);
	scale = rf32(&c);
	offset = rf32(&c);
	P = ru64(&c);
	S = ru64(&c);
	NH = ru64(&c);
	alen = ru32(&c);
	nmeta = ru32(&c);
	if (flags & ~(FLAG_UNSHARED | FLAG_TRAIN | FLAG_VIEWS))
		return bad(NULL, name, "unknown flags (damaged model)");
	views = (int)((flags & FLAG_VIEWS) >> FLAG_VIEWS_SHIFT);
	if (sym_views_check(views, (int)loss, (int)H, (int)W) < 0) {
		snprintf(msg, sizeof(msg), "%.200s (damaged model)",
		    sym_strerror());
		return bad(NULL, name, msg);
	}
	if (!sym_loss_name((int)loss))
		return bad(NULL, name, "unknown loss");
	if (C < 1 || H < 1 || W < 1 || C > SYM_MAX_DIM || H > SYM_MAX_DIM ||
	    W > SYM_MAX_DIM || D < 1 || D > (1u << 24))
		return bad(NULL, name, "impossible shape");
	if (alen > SYM_MODEL_MAX_STRING || nmeta > SYM_MODEL_MAX_META)
		return bad(NULL, name, "impossible string or metadata size");
	{
		struct cur w = { buf, n, 0, 0 };

		if (walk(&w) < 0)
			return bad(NULL, name, "impossible sizes (damaged "
			    "model)");
		if (w.off != n)
			return bad(NULL, name, "unexpected data after the "
			    "model");
	}
	arch = sym_emalloc((size_t)alen + 1);
	memcpy(arch, take(&c, alen), alen);
	arch[alen] = 0;
	if (strlen(arch) != alen) {
		free(arch);
		return bad(NULL, name, "bad architecture string");
	}
	/* the file holds every value, so a net much larger than the file
	 * cannot be this model (slack for a spec read differently here) */
	if (spec_values(arch, C, H, W) > 2.0 * (double)(P + S) + 1e6) {
		free(arch);
		return bad(NULL, name, "sizes do not match the architecture");
	}
	m = sym_model_new(arch, (int)loss, margin, (int)C, (int)H, (int)W,
	    flags & FLAG_UNSHARED);
	if (!m) {
		snprintf(msg, sizeof(msg), "architecture '%.100s': %.120s",
		    arch, sym_strerror());
		free(arch);
		return bad(NULL, name, msg);
	}
	free(arch);
	m->scale = scale;
	m->offset = offset;
	m->views = views;
	if ((uint64_t)m->dim != D ||
	    sym_net_nparams(m->tower[0]) != P ||
	    sym_net_nstate(m->tower[0]) != S || m->nhead != NH)
		return bad(m, name, "sizes do not match the architecture");
	for (uint32_t i = 0; i < nmeta; i++) {
		char *k = rstr(&c, &badstr), *v = NULL;

		if (k)
			v = rstr(&c, &badstr);
		if (!k || !v) {
			free(k);
			return bad(m, name, "bad metadata string");
		}
		sym_model_set_meta(m, k, v);
		free(k);
		free(v);
	}
	for (int t = 0; t < 2; t++) {
		if (!m->tower[t])
			continue;
		rf32s(&c, sym_net_params(m->tower[t]), P);
		rf32s(&c, sym_net_state(m->tower[t]), S);
	}
	rf32s(&c, m->head, NH);
	if (flags & FLAG_TRAIN) {
		struct sym_model_train *tr = sym_model_train_attach(m);
		uint64_t tn, nsnap;

		tr->optimizer = (int)ru32(&c);
		tr->beta1 = rf32(&c);
		tr->beta2 = rf32(&c);
		tr->eps = rf32(&c);
		tr->momentum = rf32(&c);
		tr->weight_decay = rf32(&c);
		tr->t = ru64(&c);
		tr->epoch = ru32(&c);
		tr->step = ru64(&c);
		tr->seed = ru64(&c);
		tr->has_best = ru32(&c);
		tr->best_epoch = ru32(&c);
		tr->best = rf32(&c);
		tn = ru64(&c);
		nsnap = ru64(&c);
		if (tn != tr->n || (tr->has_best &&
		    nsnap != sym_model_nvalues(m)) ||
		    (!tr->has_best && nsnap != 0))
			return bad(m, name, "training state does not match "
			    "the architecture");
		rf32s(&c, tr->m, tn);
		rf32s(&c, tr->v, tn);
		if (tr->has_best) {
			tr->nsnap = nsnap;
			tr->snap = sym_emalloc(nsnap * sizeof(float) + 1);
			rf32s(&c, tr->snap, nsnap);
		}
	}
	if (c.trunc)
		return bad(m, name, "truncated model file");
	m->crc = sym_get_u32(buf + n - 4);
	m->major = (int)major;
	m->minor = (int)minor;
	return m;
}

struct sym_model *
sym_model_read(FILE *f, const char *name)
{
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, k;
	struct sym_model *m;

	for (;;) {
		if (n == cap) {
			if (cap >= SYM_MODEL_MAX_FILE) {
				free(buf);
				sym_seterr("%s: too large for a model", name);
				return NULL;
			}
			cap = cap ? 2 * cap : 1 << 16;
			buf = sym_erealloc(buf, cap);
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		sym_seterr("%s: read error:", name);
		return NULL;
	}
	m = sym_model_parse(buf, n, name);
	free(buf);
	return m;
}

struct sym_model *
sym_model_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sym_model *m;

	if (!f) {
		sym_seterr("%s:", path);
		return NULL;
	}
	m = sym_model_read(f, path);
	fclose(f);
	return m;
}

struct sym_model *
sym_model_eload(const char *path)
{
	struct sym_model *m = sym_model_load(path);

	if (!m)
		sym_die("%s", sym_strerror());
	return m;
}

int
sym_model_print_info(FILE *out, const struct sym_model *m, const char *name)
{
	struct sym_model_train *tr = m->train;
	char vb[64];

	(void)name;	/* the layout of sym-info's stream lines has none */
	fprintf(out, "kind: %s\n", tr ? "checkpoint" : "model");
	/* the file's own version: a 1.1 file read by a 1.0 program */
	fprintf(out, "format: sym model %d.%d\n",
	    m->major ? m->major : SYM_MODEL_MAJOR,
	    m->major ? m->minor : SYM_MODEL_MINOR);
	fprintf(out, "arch: %s\n", sym_net_spec(m->tower[0]));
	fprintf(out, "loss: %s\n", sym_loss_name(m->loss));
	fprintf(out, "margin: %.9g\n", m->margin);
	fprintf(out, "input: %dx%dx%d u8\n", m->c, m->h, m->w);
	fprintf(out, "normalization: x * %.9g + %.9g\n", m->scale, m->offset);
	fprintf(out, "embedding dim: %d\n", m->dim);
	fprintf(out, "towers: %s\n", m->unshared ? "unshared" : "shared");
	fprintf(out, "views: %s\n", sym_views_name(m->views, vb, sizeof(vb)));
	fprintf(out, "parameters: %zu\n", sym_model_nparams(m));
	fprintf(out, "head parameters: %zu\n", m->nhead);
	for (uint32_t i = 0; i < m->nmeta; i++)
		fprintf(out, "meta: %s=%s\n", m->meta_keys[i],
		    m->meta_vals[i]);
	if (tr) {
		fprintf(out, "checkpoint epoch: %u\n", tr->epoch);
		fprintf(out, "checkpoint step: %llu\n",
		    (unsigned long long)tr->step);
		if (tr->has_best)
			fprintf(out, "checkpoint best: %.4f at epoch %u\n",
			    tr->best, tr->best_epoch);
	}
	fprintf(out, "model-id: %08x\n", (unsigned)m->crc);
	fprintf(out, "checksum: crc32 %08x ok\n", (unsigned)m->crc);
	return ferror(out) ? -1 : 0;
}
