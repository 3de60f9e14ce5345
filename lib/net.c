/* net.c: towers. Parses an architecture spec into layers, lays their
 * parameters out in one array, and runs forward and backward over a
 * batch. Spatial activations are channel-major (C x B x H x W, see
 * layers.c) so each convolution is a few large GEMMs; the input and the
 * flatten step convert from and to batch-first. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sym.h"

enum { L_CONV, L_POOL, L_BN, L_RELU, L_SIGMOID, L_FLATTEN, L_DENSE };

/* im2col scratch per GEMM, in floats (8 MB): the GEMMs are as fast with
 * it as with 32 MB (a conv4 step on 128 pairs: 152 vs 157 ms, noise),
 * and the smaller block cuts 24 MB of peak memory. */
#define COL_BUDGET ((size_t)1 << 21)

struct layer {
	int type;
	int c, h, w;		/* input: C x H x W, or F = c when flat */
	int oc, oh, ow;		/* output likewise */
	int flat;		/* input is batch-first B x F (not spatial) */
	int k, pad, s;		/* conv kernel and padding; pool size */
	size_t insz, outsz;	/* floats per sample */
	size_t wo, bo, so;	/* offsets of weights, biases, BN state */
	int inplace;		/* output overwrites the input buffer */
	int nb;			/* conv: images per im2col chunk */
	float *out;		/* B x outsz (aliases input when inplace) */
	float *mean, *istd;	/* bn: batch stats for backward */
	int relu;		/* bn: a following relu is done here */
	int fused;		/* relu: done by the bn before, no-op */
	int nobias;		/* conv: a bn follows and cancels the bias */
	int *arg;		/* pool: argmax per output */
	struct sym_conv_dft *dft;	/* conv forward by DFT (made at
					 * first use), where it pays */
};

struct sym_net {
	char *spec;
	int c, h, w, nl, dim;
	struct layer *L;
	size_t np, ns;
	float *params, *grads, *state;
	int bmax, B, train;	/* workspace batch; last forward */
	float *x0;		/* the input, channel-major */
	float *ga, *gb;		/* gradient ping-pong, B x largest size */
	float *col;
	double *bnsum;
	size_t colsz, maxsz;
	int maxc;
	float *fab;		/* eval fusion: a and b of each conv channel */
	int nofuse;		/* eval: no conv-bn-relu-pool fusion */
	float *wpk;		/* conv weights laid out for the direct
				 * kernel (conv_direct.c) */
	float *wt;		/* conv weights flipped and transposed, for
				 * the input gradient by the direct kernel */
	int nodirect;		/* convs by im2col and GEMM only */
	int nodft;		/* convs never by DFT */
	struct sym_dft_scratch *dftscr;	/* what those by DFT share */
	double tgemm, ttotal;
};

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* sym_gemm with the time charged to the net */
static void
tgemm(struct sym_net *n, int ta, int tb, int M, int N, int K,
    const float *A, int lda, const float *B, int ldb, float beta, float *C,
    int ldc)
{
	double t = now();

	sym_gemm(ta, tb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc);
	n->tgemm += now() - t;
}

/* ---- spec parsing ---- */

static const struct {
	const char *name, *spec;
} archs[] = {
	{ "mlp", "flatten,dense:128,relu" },
	{ "conv4", "conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,relu,pool:2,"
	    "conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,relu,pool:2,flatten" },
	{ "koch", "conv:64:10,relu,pool:2,conv:128:7,relu,pool:2,"
	    "conv:128:4,relu,pool:2,conv:256:4,relu,flatten,dense:4096,"
	    "sigmoid" },
};

/* Split "name:a:b:c" into up to 3 numbers in [lo, hi]; returns how many,
 * or -1 on a bad or out-of-range number. */
static int
nums(const char *tok, int *v, int max, int lo, int hi)
{
	const char *p = strchr(tok, ':');
	int n = 0;

	while (p) {
		char *end;
		long x;

		if (n == max)
			return -1;
		errno = 0;
		x = strtol(p + 1, &end, 10);
		if (end == p + 1 || (*end && *end != ':') || errno ||
		    x < lo || x > hi)
			return -1;
		v[n++] = (int)x;
		p = *end ? end : NULL;
	}
	return n;
}

static int
is(const char *tok, const char *name)
{
	size_t n = strlen(name);

	return strncmp(tok, name, n) == 0 && (tok[n] == 0 || tok[n] == ':');
}

/* Append token (with a comma) to the canonical spec. */
static void
emit(char *buf, size_t n, const char *tok)
{
	size_t l = strlen(buf);

	snprintf(buf + l, n - l, "%s%s", l ? "," : "", tok);
}

/* The syntax of one token, whatever the shape: its layer type and
 * numbers (conv: OUT, K, PAD; pool: S; dense: N). -1 with sym_strerror()
 * on a bad token. */
static int
parse_token(const char *tok, int *type, int v[3])
{
	static const char *const simple[] = { "bn", "relu", "sigmoid",
	    "flatten" };
	static const int stype[] = { L_BN, L_RELU, L_SIGMOID, L_FLATTEN };
	int k;

	v[0] = v[1] = v[2] = 0;
	if (is(tok, "conv")) {
		k = nums(tok, v, 3, 0, 65536);
		if (k < 2 || v[0] < 1 || v[1] < 1 || v[1] > 64 ||
		    (k == 3 && v[2] > 64))
			return sym_seterr("arch: bad layer '%s' (conv:OUT:K"
			    "[:PAD])", tok);
		*type = L_CONV;
		return 0;
	}
	if (is(tok, "pool")) {
		if (nums(tok, v, 1, 1, 64) != 1)
			return sym_seterr("arch: bad layer '%s' (pool:S)",
			    tok);
		*type = L_POOL;
		return 0;
	}
	if (is(tok, "dense")) {
		if (nums(tok, v, 1, 1, 1 << 20) != 1)
			return sym_seterr("arch: bad layer '%s' (dense:N)",
			    tok);
		*type = L_DENSE;
		return 0;
	}
	for (k = 0; k < 4; k++)
		if (strcmp(tok, simple[k]) == 0) {
			*type = stype[k];
			return 0;
		}
	for (k = 0; k < 4; k++)
		if (is(tok, simple[k]))
			return sym_seterr("arch: layer '%s' takes no "
			    "arguments", tok);
	return sym_seterr("arch: unknown layer '%s'", tok);
}

/* Add one layer for token tok; c/h/w/flat describe the current shape and
 * are updated. -1 with sym_strerror() on error. */
static int
add(struct sym_net *n, const char *tok, char *canon, size_t cn)
{
	struct layer *l = &n->L[n->nl], *prev = n->nl ? l - 1 : NULL;
	int v[3], type, flat = prev ? prev->oh == 0 : 0;
	int c = prev ? prev->oc : n->c, h = prev ? prev->oh : n->h,
	    w = prev ? prev->ow : n->w;
	char tb[64];
	size_t np;

	if (parse_token(tok, &type, v) < 0)
		return -1;
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->h = h;
	l->w = w;
	l->flat = flat;
	l->type = type;
	if (type == L_DENSE && !flat) {
		/* dense implies flatten */
		if (add(n, "flatten", canon, cn) < 0)
			return -1;
		return add(n, tok, canon, cn);
	}
	if ((type == L_CONV || type == L_POOL) && flat)
		return sym_seterr("arch: %s needs an image input, not a flat "
		    "one", tok);
	if (type == L_CONV) {
		l->oc = v[0];
		l->k = v[1];
		l->pad = v[2];
		l->oh = h + 2 * l->pad - l->k + 1;
		l->ow = w + 2 * l->pad - l->k + 1;
		if (l->pad)
			snprintf(tb, sizeof(tb), "conv:%d:%d:%d", l->oc, l->k,
			    l->pad);
		else
			snprintf(tb, sizeof(tb), "conv:%d:%d", l->oc, l->k);
	} else if (type == L_POOL) {
		l->s = v[0];
		l->oc = c;
		l->oh = h / l->s;
		l->ow = w / l->s;
		snprintf(tb, sizeof(tb), "pool:%d", l->s);
	} else if (type == L_DENSE) {
		l->oc = v[0];
		snprintf(tb, sizeof(tb), "dense:%d", l->oc);
	} else {
		l->oc = c;
		l->oh = h;
		l->ow = w;
		snprintf(tb, sizeof(tb), "%s", tok);
		if (type == L_FLATTEN && !flat) {
			/* in size_t: c * h * w can overflow an int */
			size_t vals = (size_t)c * h * w;

			if (vals > (size_t)1 << 28)
				return sym_seterr("arch: flatten makes %zu "
				    "values per input", vals);
			l->oc = (int)vals;
		}
		if (type == L_FLATTEN)
			l->oh = l->ow = 0;
	}
	if (!l->flat && l->type != L_FLATTEN && l->type != L_DENSE &&
	    (l->oh < 1 || l->ow < 1))
		return sym_seterr("arch: %s shrinks %dx%d input to nothing",
		    tb, w, h);
	l->insz = flat ? (size_t)c : (size_t)c * h * w;
	l->outsz = l->oh ? (size_t)l->oc * l->oh * l->ow : (size_t)l->oc;
	if (l->outsz > (size_t)1 << 28)
		return sym_seterr("arch: %s makes %zu values per input", tb,
		    l->outsz);
	/* parameter layout: weights then biases (bn: gamma then beta) */
	np = 0;
	if (l->type == L_CONV)
		np = (size_t)l->oc * c * l->k * l->k + l->oc;
	else if (l->type == L_DENSE)
		np = (size_t)l->oc * c + l->oc;
	else if (l->type == L_BN)
		np = 2 * (size_t)c;
	if (np > ((size_t)1 << 30) - n->np)
		return sym_seterr("arch: too many parameters at %s", tb);
	l->wo = n->np;
	l->bo = n->np + np - (l->type == L_BN ? (size_t)c : (size_t)l->oc);
	n->np += np;
	if (l->type == L_BN) {
		l->so = n->ns;
		n->ns += 2 * (size_t)c;
		if (c > n->maxc)
			n->maxc = c;
	}
	emit(canon, cn, tb);
	n->nl++;
	return 0;
}

/* The spec a named architecture stands for, or arch itself. */
static const char *
expand(const char *arch)
{
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (strcmp(arch, archs[i].name) == 0)
			return archs[i].spec;
	return arch;
}

int
sym_arch_check(const char *arch)
{
	const char *spec = expand(arch), *p = spec;
	char tok[256];
	int type, v[3];

	if (!*spec || spec[0] == ',' || strstr(spec, ",,") ||
	    spec[strlen(spec) - 1] == ',')
		return sym_seterr("arch: empty layer in '%s'", spec);
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n >= sizeof(tok))
			return sym_seterr("arch: layer '%.20s...' is too long",
			    p);
		memcpy(tok, p, n);
		tok[n] = 0;
		if (parse_token(tok, &type, v) < 0)
			return -1;
		p += n + (p[n] == ',');
	}
	return 0;
}

struct sym_net *
sym_net_new(const char *arch, int c, int h, int w)
{
	struct sym_net *n;
	const char *spec = arch;
	char *dup, *tok, *save, *canon;
	size_t i, cn;
	int ntok, err = 0;

	if (!arch) {
		sym_seterr("arch: none given");
		return NULL;
	}
	if (c < 1 || h < 1 || w < 1 || c > 4096 || h > 65536 || w > 65536) {
		sym_seterr("arch: bad input shape %dx%dx%d", c, h, w);
		return NULL;
	}
	spec = expand(arch);
	if (!*spec) {
		sym_seterr("arch: empty architecture");
		return NULL;
	}
	for (ntok = 1, i = 0; spec[i]; i++)
		ntok += spec[i] == ',';
	n = sym_ecalloc(1, sizeof(*n));
	n->c = c;
	n->h = h;
	n->w = w;
	/* each token adds at most 2 layers, plus a final flatten */
	n->L = sym_ecalloc(2 * (size_t)ntok + 1, sizeof(*n->L));
	cn = 24 * (2 * (size_t)ntok + 1);
	canon = sym_ecalloc(cn, 1);
	dup = sym_estrdup(spec);
	for (tok = strtok_r(dup, ",", &save); tok && !err;
	    tok = strtok_r(NULL, ",", &save))
		err = add(n, tok, canon, cn) < 0;
	if (!err && (spec[0] == ',' || strstr(spec, ",,") ||
	    spec[strlen(spec) - 1] == ',')) {
		sym_seterr("arch: empty layer in '%s'", spec);
		err = 1;
	}
	/* the output is one vector per input: flatten what is left */
	if (!err && n->L[n->nl - 1].oh)
		err = add(n, "flatten", canon, cn) < 0;
	free(dup);
	if (err) {
		free(canon);
		sym_net_free(n);
		return NULL;
	}
	n->spec = canon;
	n->dim = n->L[n->nl - 1].oc;
	/* relu and sigmoid overwrite their input buffer unless it holds the
	 * output of another relu or sigmoid (whose backward needs it), maybe
	 * seen through a flatten of flat data, which is only an alias */
	for (i = 0; i < (size_t)n->nl; i++) {
		struct layer *l = &n->L[i];
		int j = (int)i - 1;

		if (l->type == L_FLATTEN && l->flat) {
			l->inplace = 1;
			continue;
		}
		if (l->type != L_RELU && l->type != L_SIGMOID)
			continue;
		while (j >= 0 && n->L[j].type == L_FLATTEN && n->L[j].inplace)
			j--;
		l->inplace = j < 0 || (n->L[j].type != L_RELU &&
		    n->L[j].type != L_SIGMOID);
	}
	/* bn then relu: one pass forward and one backward instead of two;
	 * a conv bias right before a bn is cancelled by its mean, so it is
	 * neither added nor trained (its gradient is exactly 0) */
	for (i = 0; i + 1 < (size_t)n->nl; i++) {
		struct layer *l = &n->L[i], *nx = l + 1;

		if (l->type == L_BN && nx->type == L_RELU && nx->inplace) {
			l->relu = 1;
			nx->fused = 1;
		}
		if (l->type == L_CONV && nx->type == L_BN)
			l->nobias = 1;
	}
	n->params = sym_ecalloc(n->np ? n->np : 1, sizeof(float));
	n->grads = sym_ecalloc(n->np ? n->np : 1, sizeof(float));
	n->state = sym_ecalloc(n->ns ? n->ns : 1, sizeof(float));
	for (i = 0; i < (size_t)n->nl; i++) {
		struct layer *l = &n->L[i];
		int j;

		if (l->type != L_BN)
			continue;
		for (j = 0; j < l->c; j++) {
			n->params[l->wo + j] = 1;
			n->state[l->so + l->c + j] = 1;
		}
	}
	return n;
}

static void
free_work(struct sym_net *n)
{
	int i;

	for (i = 0; i < n->nl; i++) {
		struct layer *l = &n->L[i];

		if (!l->inplace)
			free(l->out);
		free(l->mean);
		free(l->istd);
		free(l->arg);
		l->out = l->mean = l->istd = NULL;
		l->arg = NULL;
	}
	free(n->x0);
	free(n->ga);
	free(n->gb);
	free(n->col);
	free(n->bnsum);
	free(n->fab);
	free(n->wpk);
	free(n->wt);
	n->x0 = n->ga = n->gb = n->col = n->fab = n->wpk = n->wt = NULL;
	n->bnsum = NULL;
	n->bmax = 0;
}

void
sym_net_free(struct sym_net *n)
{
	if (!n)
		return;
	free_work(n);
	for (int i = 0; i < n->nl; i++)
		sym_conv_dft_free(n->L[i].dft);
	sym_dft_scratch_free(n->dftscr);
	free(n->L);
	free(n->spec);
	free(n->params);
	free(n->grads);
	free(n->state);
	free(n);
}

const char *
sym_net_spec(const struct sym_net *n)
{
	return n->spec;
}

int
sym_net_out_dim(const struct sym_net *n)
{
	return n->dim;
}

size_t
sym_net_nparams(const struct sym_net *n)
{
	return n->np;
}

float *
sym_net_params(struct sym_net *n)
{
	return n->params;
}

float *
sym_net_grads(struct sym_net *n)
{
	return n->grads;
}

size_t
sym_net_nstate(const struct sym_net *n)
{
	return n->ns;
}

float *
sym_net_state(struct sym_net *n)
{
	return n->state;
}

void
sym_net_init(struct sym_net *n, struct sym_rng *rng)
{
	int i, j;

	for (i = 0; i < n->nl; i++) {
		struct layer *l = &n->L[i];
		size_t fin, fout, nw, q;
		int relu = 0;

		if (l->type == L_BN) {
			for (j = 0; j < l->c; j++) {
				n->params[l->wo + j] = 1;
				n->params[l->bo + j] = 0;
				n->state[l->so + j] = 0;
				n->state[l->so + l->c + j] = 1;
			}
			continue;
		}
		if (l->type != L_CONV && l->type != L_DENSE)
			continue;
		/* "before ReLU" looks through a batch norm */
		for (j = i + 1; j < n->nl && n->L[j].type == L_BN; j++)
			;
		relu = j < n->nl && n->L[j].type == L_RELU;
		fin = l->type == L_CONV ? (size_t)l->c * l->k * l->k :
		    (size_t)l->c;
		fout = l->type == L_CONV ? (size_t)l->oc * l->k * l->k :
		    (size_t)l->oc;
		nw = (size_t)l->oc * fin;
		for (q = 0; q < nw; q++) {
			double x;

			if (relu)	/* He: N(0, 2 / fan_in) */
				x = sym_rng_normal(rng) * sqrt(2.0 / fin);
			else		/* Glorot uniform */
				x = (2 * sym_rng_uniform(rng) - 1) *
				    sqrt(6.0 / (fin + fout));
			n->params[l->wo + q] = (float)x;
		}
		memset(n->params + l->bo, 0, sizeof(float) * l->oc);
	}
}

/* Workspace for batches up to B: grown, never shrunk, so training does
 * not allocate per step. sym_net_work_bytes() counts what grows with B. */
static void
ensure(struct sym_net *n, int B)
{
	size_t maxsz = (size_t)n->c * n->h * n->w, colsz = 0, wpksz = 1,
	    wtsz = 1;
	int i, maxoc = 0;

	if (B <= n->bmax)
		return;
	free_work(n);
	for (i = 0; i < n->nl; i++) {
		struct layer *l = &n->L[i];
		size_t per, nb;

		if (l->outsz > maxsz)
			maxsz = l->outsz;
		if (l->inplace)
			l->out = i ? n->L[i - 1].out : NULL;
		else
			l->out = sym_emalloc(sizeof(float) * B * l->outsz);
		if (l->type == L_BN) {
			l->mean = sym_emalloc(sizeof(float) * l->c);
			l->istd = sym_emalloc(sizeof(float) * l->c);
		}
		if (l->type == L_POOL)
			l->arg = sym_emalloc(sizeof(int) * B * l->outsz);
		if (l->type == L_CONV) {
			if (l->oc > maxoc)
				maxoc = l->oc;
			per = (size_t)l->c * l->k * l->k * l->oh * l->ow;
			nb = COL_BUDGET / per;
			nb = nb < 1 ? 1 : nb > (size_t)B ? (size_t)B : nb;
			l->nb = (int)nb;
			if (per * nb > colsz)
				colsz = per * nb;
			/* the direct kernel's one image, forward and
			 * input gradient: always room for it */
			per = sym_conv_direct_scratch(l->c, l->h, l->w, l->k,
			    l->pad);
			colsz = per > colsz ? per : colsz;
			if (l->pad <= l->k - 1) {
				per = sym_conv_direct_scratch(l->oc, l->oh,
				    l->ow, l->k, l->k - 1 - l->pad);
				colsz = per > colsz ? per : colsz;
			}
			/* its weights, forward and input gradient (in
			 * and out channels swapped) */
			per = sym_conv_direct_wsize(l->c, l->oc, l->k);
			wpksz = per > wpksz ? per : wpksz;
			per = sym_conv_direct_wsize(l->oc, l->c, l->k);
			wpksz = per > wpksz ? per : wpksz;
			per = (size_t)l->oc * l->c * l->k * l->k;
			wtsz = per > wtsz ? per : wtsz;
		}
	}
	n->x0 = sym_emalloc(sizeof(float) * B * (size_t)n->c * n->h * n->w);
	/* inplace layers right after the input work on x0 */
	for (i = 0; i < n->nl && n->L[i].inplace; i++)
		n->L[i].out = n->x0;
	n->ga = sym_emalloc(sizeof(float) * B * maxsz);
	n->gb = sym_emalloc(sizeof(float) * B * maxsz);
	n->col = sym_emalloc(sizeof(float) * (colsz ? colsz : 1));
	n->bnsum = sym_emalloc(sizeof(double) * 2 * (n->maxc ? n->maxc : 1));
	n->fab = sym_emalloc(sizeof(float) * 2 * (maxoc ? maxoc : 1));
	n->wpk = sym_emalloc(sizeof(float) * wpksz);
	n->wt = sym_emalloc(sizeof(float) * wtsz);
	n->colsz = colsz;
	n->maxsz = maxsz;
	n->bmax = B;
}

size_t
sym_net_work_bytes(const struct sym_net *n, int B)
{
	/* what ensure() allocates per item: the input, each layer's output
	 * (not the in-place ones), the pools' argmax, two gradient buffers
	 * of the largest layer; the rest does not grow with B */
	double per = (double)n->c * n->h * n->w, maxsz = per;

	for (int i = 0; i < n->nl; i++) {
		const struct layer *l = &n->L[i];

		if (l->outsz > maxsz)
			maxsz = (double)l->outsz;
		if (!l->inplace)
			per += (double)l->outsz;
		if (l->type == L_POOL)
			per += (double)l->outsz * sizeof(int) / sizeof(float);
	}
	per += 2 * maxsz;
	per *= sizeof(float) * (double)B;
	return per >= (double)SIZE_MAX ? SIZE_MAX : (size_t)per;
}

/* Whether conv l's forward pass goes by DFT: large kernels only
 * (conv_dft.c says why), in eval and training passes; the backward pass
 * stays direct */
static int
by_dft(const struct sym_net *n, const struct layer *l)
{
	return !n->nodft && sym_conv_dft_pays(l->c, l->h, l->w,
	    l->oc, l->k, l->pad);
}

/* conv l's DFT object, and the net's scratch for it (n->dftscr), made
 * at first use */
static struct sym_conv_dft *
dft_of(struct sym_net *n, struct layer *l)
{
	if (!n->dftscr)
		n->dftscr = sym_dft_scratch_new();
	if (!l->dft)
		l->dft = sym_conv_dft_new(l->c, l->h, l->w, l->oc, l->k,
		    l->pad);
	return l->dft;
}

/* bias_later: leave the bias out, a fused pass adds it */
static void
conv_forward(struct sym_net *n, struct layer *l, const float *x, int B,
    int bias_later)
{
	size_t ohw = (size_t)l->oh * l->ow, N = (size_t)B * ohw;
	int ckk = l->c * l->k * l->k, b0, nb, o, skip, direct;
	const float *W = n->params + l->wo, *bias = n->params + l->bo;
	double t = now();

	/* large kernels: by DFT; else no im2col where the CPU
	 * and the shape allow (backward makes its own for the weight
	 * gradient). direct: done without im2col */
	if (by_dft(n, l)) {
		struct sym_conv_dft *d = dft_of(n, l);

		sym_conv_dft(d, n->dftscr, l->out, x, W, B, NULL);
		direct = 1;
	} else {
		direct = !n->nodirect && sym_conv_direct(l->out, x, W,
		    l->c, B, l->h, l->w, l->oc, l->k, l->pad, n->col,
		    n->colsz, n->wpk, NULL) == 0;
	}
	if (direct)
		n->tgemm += now() - t;
	for (b0 = 0; b0 < B && !direct; b0 += nb) {
		nb = B - b0 < l->nb ? B - b0 : l->nb;
		sym_im2col(n->col, x, l->c, B, l->h, l->w, l->k, l->pad, b0,
		    nb);
		/* out[OC x B*OH*OW], this chunk's columns */
		tgemm(n, 0, 0, l->oc, nb * (int)ohw, ckk, W, ckk, n->col,
		    nb * (int)ohw, 0, l->out + b0 * ohw, (int)N);
	}
	/* a bn right after cancels a bias in train mode; skip the pass
	 * unless some bias is set (a model trained elsewhere, say), as
	 * running stats and eval mode do see it */
	skip = l->nobias || bias_later;
	for (o = 0; o < l->oc && !bias_later; o++)
		skip &= bias[o] == 0;
	for (o = 0; o < l->oc && !skip; o++) {
		float *y = l->out + o * N, bv = bias[o];
		size_t q;

		for (q = 0; q < N; q++)
			y[q] += bv;
	}
}

static void
conv_backward(struct sym_net *n, struct layer *l, const float *x,
    const float *dy, float *dx, int B)
{
	size_t ohw = (size_t)l->oh * l->ow, N = (size_t)B * ohw;
	int ckk = l->c * l->k * l->k, kk = l->k * l->k, b0, nb, o,
	    dxdone = 0;
	float *dW = n->grads + l->wo, *db = n->grads + l->bo;
	const float *W = n->params + l->wo;
	double t;

	for (o = 0; o < l->oc && !l->nobias; o++) {
		const float *g = dy + o * N;
		double s = 0;
		size_t q;

		for (q = 0; q < N; q++)
			s += g[q];
		db[o] += (float)s;
	}
	/* the input gradient is a convolution of dy by the weights turned
	 * half round, in and out channels swapped, padding k - 1 - pad:
	 * the direct kernel's, where it runs */
	if (dx && !n->nodirect && l->pad <= l->k - 1 &&
	    sym_conv_direct_runs(l->oh, l->ow, l->k, l->k - 1 - l->pad)) {
		t = now();
		for (int oc = 0; oc < l->oc; oc++)
			for (int c = 0; c < l->c; c++)
				for (int q = 0; q < kk; q++)
					n->wt[((size_t)c * l->oc + oc) * kk + q] =
					    W[((size_t)oc * l->c + c) * kk +
					    kk - 1 - q];
		dxdone = sym_conv_direct(dx, dy, n->wt, l->oc, B, l->oh, l->ow,
		    l->c, l->k, l->k - 1 - l->pad, n->col, n->colsz, n->wpk,
		    NULL) == 0;
		n->tgemm += now() - t;
	}
	if (dx && !dxdone)
		memset(dx, 0, sizeof(float) * B * l->insz);
	for (b0 = 0; b0 < B; b0 += nb) {
		nb = B - b0 < l->nb ? B - b0 : l->nb;
		sym_im2col(n->col, x, l->c, B, l->h, l->w, l->k, l->pad, b0,
		    nb);
		/* dW[OC x CKK] += dy[OC x cols] col^T */
		tgemm(n, 0, 1, l->oc, ckk, nb * (int)ohw, dy + b0 * ohw,
		    (int)N, n->col, nb * (int)ohw, 1, dW, ckk);
		if (!dx || dxdone)
			continue;
		/* dcol[CKK x cols] = W^T dy, then back onto the image */
		tgemm(n, 1, 0, ckk, nb * (int)ohw, l->oc, W, ckk,
		    dy + b0 * ohw, (int)N, 0, n->col, nb * (int)ohw);
		sym_col2im(dx, n->col, l->c, B, l->h, l->w, l->k, l->pad, b0,
		    nb);
	}
}

/* In eval mode a conv followed by [bn] [relu] pool is one GEMM and one
 * pass over its output (sym_affine_pool_forward) instead of four: the
 * layers between write nothing, as nothing reads them without a
 * backward. Returns the pool's index, or -1 when conv i is not followed
 * so; *bn is the bn's index or -1, *relu whether a relu is among them. */
static int
fusable(const struct sym_net *n, int i, int *bn, int *relu)
{
	int j = i + 1;

	*bn = -1;
	*relu = 0;
	if (n->nofuse || n->L[i].type != L_CONV)
		return -1;
	if (j < n->nl && n->L[j].type == L_BN && !n->L[j].flat) {
		*bn = j;
		*relu = n->L[j].relu;
		j++;
	}
	for (; j < n->nl && n->L[j].type == L_RELU; j++)
		*relu = 1;
	return j < n->nl && n->L[j].type == L_POOL ? j : -1;
}

/* Conv i's output through its bias, bn (running stats) and relu, then
 * pool p, in one pass; y = a x + b per channel. */
static void
fused_conv_pool(struct sym_net *n, int i, int bn, int relu, int p,
    const float *x, int B)
{
	struct layer *l = &n->L[i], *pl = &n->L[p];
	const float *bias = n->params + l->bo;
	float *a = n->fab, *b = n->fab + l->oc;
	struct sym_conv_fuse f = { pl->out, a, b, relu, pl->s };
	double t;

	if (bn >= 0) {
		const struct layer *q = &n->L[bn];

		sym_bn_eval_affine(a, b, n->params + q->wo, n->params + q->bo,
		    n->state + q->so, n->state + q->so + q->c, l->oc);
	} else {
		for (int c = 0; c < l->oc; c++) {
			a[c] = 1;
			b[c] = 0;
		}
	}
	/* the bias the conv left out: a (x + bias) + b */
	for (int c = 0; c < l->oc; c++)
		if (bias[c] != 0)
			b[c] += a[c] * bias[c];
	/* the DFT and the direct convolution pool each image's maps as
	 * they make them (the conv's output is never written); else GEMM,
	 * then a pass */
	t = now();
	if (by_dft(n, l)) {
		struct sym_conv_dft *d = dft_of(n, l);

		sym_conv_dft(d, n->dftscr, NULL, x, n->params + l->wo, B, &f);
		n->tgemm += now() - t;
		return;
	}
	if (!n->nodirect && sym_conv_direct(NULL, x, n->params + l->wo, l->c,
	    B, l->h, l->w, l->oc, l->k, l->pad, n->col, n->colsz, n->wpk,
	    &f) == 0) {
		n->tgemm += now() - t;
		return;
	}
	conv_forward(n, l, x, B, 1);
	sym_affine_pool_forward(pl->out, l->out, a, b, relu, l->oc, B, l->oh,
	    l->ow, pl->s);
}

const float *
sym_net_forward(struct sym_net *n, const float *in, int B, int train)
{
	double t0 = now();
	const float *x;
	int i;

	ensure(n, B);
	n->B = B;
	n->train = train;
	/* B x C x HW -> C x B x HW */
	sym_swap01(n->x0, in, B, n->c, (size_t)n->h * n->w);
	x = n->x0;
	for (i = 0; i < n->nl; i++) {
		struct layer *l = &n->L[i];
		size_t tot = (size_t)B * l->outsz, q;
		int bn, relu, p;

		switch (l->type) {
		case L_CONV:
			if (!train && (p = fusable(n, i, &bn, &relu)) >= 0) {
				fused_conv_pool(n, i, bn, relu, p, x, B);
				i = p;
				l = &n->L[p];
				break;
			}
			conv_forward(n, l, x, B, 0);
			break;
		case L_POOL:
			sym_pool_forward(l->out, l->arg, x, l->c * B, l->h,
			    l->w, l->s);
			break;
		case L_BN:
			if (l->flat)
				sym_bn_forward(l->out, l->mean, l->istd, x,
				    n->params + l->wo, n->params + l->bo,
				    n->state + l->so, n->state + l->so + l->c,
				    B, l->c, 1, train, l->relu, n->bnsum);
			else
				sym_bn_forward(l->out, l->mean, l->istd, x,
				    n->params + l->wo, n->params + l->bo,
				    n->state + l->so, n->state + l->so + l->c,
				    1, l->c, (size_t)B * l->h * l->w, train,
				    l->relu, n->bnsum);
			break;
		case L_RELU:
		case L_SIGMOID:
			if (l->fused)
				break;
			if (!l->inplace)
				memcpy(l->out, x, sizeof(float) * tot);
			if (l->type == L_RELU)
				sym_relu_forward(l->out, tot);
			else
				sym_sigmoid_forward(l->out, tot);
			break;
		case L_FLATTEN:
			if (!l->flat)	/* C x B x HW -> B x C x HW */
				sym_swap01(l->out, x, l->c, B,
				    (size_t)l->h * l->w);
			break;
		case L_DENSE:
			/* out[B x N] = x[B x F] W^T + b, W is N x F */
			tgemm(n, 0, 1, B, l->oc, l->c, x, l->c,
			    n->params + l->wo, l->c, 0, l->out, l->oc);
			for (q = 0; q < (size_t)B; q++) {
				float *y = l->out + q * l->oc;
				const float *bv = n->params + l->bo;
				int j;

				for (j = 0; j < l->oc; j++)
					y[j] += bv[j];
			}
			break;
		}
		x = l->out;
	}
	n->ttotal += now() - t0;
	return x;
}

void
sym_net_backward(struct sym_net *n, const float *dout, float *din)
{
	double t0 = now();
	int B = n->B, i, lowest = 0;
	float *g = n->ga, *o;

	/* Below the lowest layer with parameters nothing needs a gradient
	 * unless the caller wants din: stop there, and skip that layer's
	 * input gradient (for mlp, a third of the GEMM work). */
	if (!din)
		while (lowest < n->nl - 1 && n->L[lowest].type != L_CONV &&
		    n->L[lowest].type != L_DENSE && n->L[lowest].type != L_BN)
			lowest++;
	memcpy(g, dout, sizeof(float) * B * (size_t)n->dim);
	for (i = n->nl - 1; i >= lowest; i--) {
		struct layer *l = &n->L[i];
		const float *x = i ? n->L[i - 1].out : n->x0;
		int need = i > lowest || din;
		size_t tot = (size_t)B * l->outsz, q;
		float *dW, *db;

		o = g == n->ga ? n->gb : n->ga;
		switch (l->type) {
		case L_CONV:
			conv_backward(n, l, x, g, need ? o : NULL, B);
			g = o;
			break;
		case L_POOL:
			sym_pool_backward(o, g, l->arg, l->c * B, l->h, l->w,
			    l->s);
			g = o;
			break;
		case L_BN:
			if (l->flat)
				sym_bn_backward(g, n->grads + l->wo,
				    n->grads + l->bo, g, x, n->params + l->bo, l->mean,
				    l->istd, n->params + l->wo, B, l->c, 1,
				    l->relu, n->bnsum);
			else
				sym_bn_backward(g, n->grads + l->wo,
				    n->grads + l->bo, g, x, n->params + l->bo, l->mean,
				    l->istd, n->params + l->wo, 1, l->c,
				    (size_t)B * l->h * l->w, l->relu, n->bnsum);
			break;
		case L_RELU:
			if (!l->fused)
				sym_relu_backward(g, g, l->out, tot);
			break;
		case L_SIGMOID:
			sym_sigmoid_backward(g, g, l->out, tot);
			break;
		case L_FLATTEN:
			if (!l->flat) {	/* B x C x HW -> C x B x HW */
				sym_swap01(o, g, B, l->c,
				    (size_t)l->h * l->w);
				g = o;
			}
			break;
		case L_DENSE:
			dW = n->grads + l->wo;
			db = n->grads + l->bo;
			/* dW[N x F] += dy^T[N x B] x[B x F] */
			tgemm(n, 1, 0, l->oc, l->c, B, g, l->oc, x, l->c, 1,
			    dW, l->c);
			for (q = 0; q < (size_t)B; q++) {
				const float *gy = g + q * l->oc;
				int j;

				for (j = 0; j < l->oc; j++)
					db[j] += gy[j];
			}
			if (need) {
				/* dx[B x F] = dy[B x N] W[N x F] */
				tgemm(n, 0, 0, B, l->c, l->oc, g, l->oc,
				    n->params + l->wo, l->c, 0, o, l->c);
				g = o;
			}
			break;
		}
	}
	if (din)	/* C x B x HW -> B x C x HW */
		sym_swap01(din, g, n->c, B, (size_t)n->h * n->w);
	n->ttotal += now() - t0;
}

void
sym_net_times(const struct sym_net *n, double *gemm, double *other)
{
	if (gemm)
		*gemm = n->tgemm;
	if (other)
		*other = n->ttotal - n->tgemm;
}

void
sym_net_reset_times(struct sym_net *n)
{
	n->tgemm = n->ttotal = 0;
}

void
sym_net_set_fusion(struct sym_net *n, int on)
{
	n->nofuse = !on;
}

void
sym_net_set_direct(struct sym_net *n, int on)
{
	n->nodirect = !on;
}

void
sym_net_set_dft(struct sym_net *n, int on)
{
	n->nodft = !on;
}
