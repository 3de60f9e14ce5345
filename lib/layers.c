/* layers.c: the non-GEMM kernels of the engine. Spatial tensors inside a
 * net are channel-major, C x B x H x W, so a convolution over the whole
 * batch is one GEMM whose output already has that layout and batch norm
 * sees each channel as one contiguous run. Shapes are in the comments. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "sym.h"
#include "simd.h"

/* lanes of v where m is set, else 0 */
static vf4
mask(vf4 v, vi4 m)
{
	return (vf4)((vi4)v & m);
}

static double
hsum(vf4 v)
{
	double s = 0;
	int i;

	for (i = 0; i < 4; i++)
		s += v[i];
	return s;
}

/* Accumulate in float vectors for at most this many values, then in
 * double, so long sums keep their precision. */
#define BLOCK 2048

/* o[0..n) = p[0..n); o and p do not overlap. With n >= 4 the last
 * vector may overlap the one before: no scalar tail, which gcc would
 * otherwise turn into a memcpy call per short row. */
static void
vcopy(float *o, const float *p, int n)
{
	int i = 0;

	for (; i + 4 <= n; i += 4)
		st(o + i, ld(p + i));
	if (i < n && n >= 4)
		st(o + n - 4, ld(p + n - 4));
	else
		for (; i < n; i++)
			o[i] = p[i];
}

/* o[0..n) = 0, the same way */
static void
vzero(float *o, int n)
{
	vf4 z = splat(0);
	int i = 0;

	for (; i + 4 <= n; i += 4)
		st(o + i, z);
	if (i < n && n >= 4)
		st(o + n - 4, z);
	else
		for (; i < n; i++)
			o[i] = 0;
}

/* ---- two cores for the passes between GEMMs ----
 * A kernel splits its outer loop (channels, planes or im2col rows) into
 * one range per thread (sym_par_nthreads(): by default as many as
 * OpenBLAS has). Every value is computed the same way
 * whatever the split, so our kernels' results do not depend on the
 * thread count (OpenBLAS's GEMM may: with some of its cores, two threads
 * sum some products in another order than one). */

/* below this many floats of work a thread costs more than it saves */
#define PAR_MIN ((size_t)1 << 15)
#define PAR_MAX 8

static int par_threads;	/* 0: as many as OpenBLAS */

int
sym_par_threads(int n)
{
	int old = par_threads;

	par_threads = n < 0 ? 0 : n;
	return old;
}

int
sym_par_nthreads(void)
{
	return par_threads > 0 ? par_threads : openblas_get_num_threads();
}

struct part {
	void (*fn)(void *, int, int);
	void *ctx;
	int lo, hi;
};

static void *
part_run(void *p)
{
	struct part *t = p;

	t->fn(t->ctx, t->lo, t->hi);
	return NULL;
}

void
sym_par(void (*fn)(void *, int, int), void *ctx, int n, size_t work)
{
	struct part pt[PAR_MAX];
	pthread_t th[PAR_MAX];
	int started[PAR_MAX] = { 0 }, t = sym_par_nthreads(), i;

	if (t > PAR_MAX)
		t = PAR_MAX;
	if (t > n)
		t = n;
	if (t < 2 || work < PAR_MIN) {
		fn(ctx, 0, n);
		return;
	}
	for (i = 0; i < t; i++) {
		pt[i].fn = fn;
		pt[i].ctx = ctx;
		pt[i].lo = (int)((long long)n * i / t);
		pt[i].hi = (int)((long long)n * (i + 1) / t);
	}
	/* a thread that cannot start has its range run here instead */
	for (i = 1; i < t; i++)
		started[i] = pthread_create(&th[i], NULL, part_run,
		    &pt[i]) == 0;
	part_run(&pt[0]);
	for (i = 1; i < t; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			part_run(&pt[i]);
	}
}

struct conv_args {
	float *out;
	const float *in;
	int C, B, H, W, K, pad, b0, nb;
};

struct pool_args {
	float *out;
	const float *in;
	int *arg;
	const int *carg;
	int H, W, S;
};

/* forward: out, mean, istd, rmean, rvar as named; backward: out = din,
 * rmean = dgamma, rvar = dbeta, in = dout, in2 = the forward's input */
struct bn_args {
	float *out, *mean, *istd, *rmean, *rvar;
	const float *in, *in2, *gamma, *beta;
	int O, C;
	size_t In;
	int train, relu;
	double *sum;
};

/* One im2col row of a 'same' convolution (output as big as the input):
 * for each of nb planes (H x W, one after another) the block out[y][x] =
 * plane[y + dy][x + dx], 0 outside. Row-major, that is one shifted run
 * of the plane; only the dx columns that wrapped into the next row and
 * the dy rows off the plane need zeros. One long copy instead of H short
 * ones: this is the biggest non-GEMM pass of a conv4 step. */
static void
im2col_same(float *out, const float *plane, int nb, int H, int W, int dy,
    int dx)
{
	long n = (long)H * W, src = (long)dy * W + dx, lo, hi, y;
	/* columns [x0, x1) of every row have x + dx off the plane */
	int x0 = dx < 0 ? 0 : W - dx > 0 ? W - dx : 0,
	    x1 = dx < 0 ? (-dx < W ? -dx : W) : W, b;

	/* output indices [lo, hi) read plane[i + src], inside [0, n) */
	lo = src < 0 ? (-src < n ? -src : n) : 0;
	hi = src > 0 ? n - src : n;
	if (hi < lo)
		hi = lo;
	for (b = 0; b < nb; b++, out += n, plane += n) {
		vzero(out, (int)lo);
		vcopy(out + lo, plane + lo + src, (int)(hi - lo));
		vzero(out + hi, (int)(n - hi));
		for (y = 0; y < H && dx; y++)
			vzero(out + y * W + x0, x1 - x0);
	}
}

/* in: C x B x H x W. col: (C*K*K) x (nb*OH*OW) for images b0..b0+nb-1,
 * zero padding pad, stride 1. Rows go a run at a time; they are short
 * (OW floats), so plain loops beat memcpy calls. */
static void
im2col_part(void *p, int lo, int hi)
{
	const struct conv_args *a = p;
	float *col = a->out;
	const float *in = a->in;
	int B = a->B, H = a->H, W = a->W, K = a->K, pad = a->pad,
	    b0 = a->b0, nb = a->nb;
	int OH = H + 2 * pad - K + 1, OW = W + 2 * pad - K + 1;
	size_t ncol = (size_t)nb * OH * OW;
	int r, c, ki, kj, b, y;

	for (r = lo; r < hi; r++) {
		float *row = col + (size_t)r * ncol;
		/* output x maps to input x + kj - pad; valid x in [x0, x1) */
		int x0, x1;

		c = r / (K * K);
		ki = r / K % K;
		kj = r % K;
		if (OH == H && OW == W) {
			im2col_same(row, in + ((size_t)c * B + b0) * H * W, nb,
			    H, W, ki - pad, kj - pad);
			continue;
		}
		x0 = pad - kj > 0 ? pad - kj : 0;
		x1 = W + pad - kj < OW ? W + pad - kj : OW;
		if (x1 < x0)
			x1 = x0;
		for (b = 0; b < nb; b++) {
			const float *plane = in +
			    ((size_t)c * B + b0 + b) * H * W;

			for (y = 0; y < OH; y++) {
				float *o = row + ((size_t)b * OH + y) * OW;
				int iy = y + ki - pad;

				/* zero the row where padding shows, then
				 * copy the image part over it */
				if (iy < 0 || iy >= H || x0 > 0 || x1 < OW)
					vzero(o, OW);
				if (iy >= 0 && iy < H)
					vcopy(o + x0, plane + (size_t)iy * W +
					    x0 + kj - pad, x1 - x0);
			}
		}
	}
}

void
sym_im2col(float *col, const float *in, int C, int B, int H, int W, int K,
    int pad, int b0, int nb)
{
	struct conv_args a = { col, in, C, B, H, W, K, pad, b0, nb };

	sym_par(im2col_part, &a, C * K * K, (size_t)C * K * K * nb * H * W);
}

static void
col2im_part(void *p, int lo, int hi)
{
	const struct conv_args *a = p;
	float *din = a->out;
	const float *col = a->in;
	int C = a->C, B = a->B, H = a->H, W = a->W, K = a->K, pad = a->pad,
	    b0 = a->b0, nb = a->nb;
	int OH = H + 2 * pad - K + 1, OW = W + 2 * pad - K + 1;
	size_t ncol = (size_t)nb * OH * OW;
	int c, ki, kj, b, y, x;

	(void)C;
	for (c = lo; c < hi; c++)
	for (ki = 0; ki < K; ki++)
	for (kj = 0; kj < K; kj++) {
		const float *row = col +
		    ((size_t)(c * K + ki) * K + kj) * ncol;
		int x0 = pad - kj > 0 ? pad - kj : 0;
		int x1 = W + pad - kj < OW ? W + pad - kj : OW;

		for (b = 0; b < nb; b++) {
			float *plane = din + ((size_t)c * B + b0 + b) * H * W;

			for (y = 0; y < OH; y++) {
				const float *o = row +
				    ((size_t)b * OH + y) * OW;
				int iy = y + ki - pad;
				float *d;

				if (iy < 0 || iy >= H)
					continue;
				d = plane + (size_t)iy * W + kj - pad;
				for (x = x0; x + 4 <= x1; x += 4)
					st(d + x, ld(d + x) + ld(o + x));
				for (; x < x1; x++)
					d[x] += o[x];
			}
		}
	}
}

/* The adjoint of sym_im2col: ADDS col back into din (C x B x H x W). */
void
sym_col2im(float *din, const float *col, int C, int B, int H, int W, int K,
    int pad, int b0, int nb)
{
	struct conv_args a = { din, col, C, B, H, W, K, pad, b0, nb };

	/* by channel: the rows of one channel add into the same planes */
	sym_par(col2im_part, &a, C, (size_t)C * K * K * nb * H * W);
}

static void
pool_fwd_part(void *ctx, int lo, int hi)
{
	const struct pool_args *pa = ctx;
	int H = pa->H, W = pa->W, S = pa->S, OH = H / S, OW = W / S, p, y,
	    x, i, j;
	const float *in = pa->in;
	float *out = pa->out + (size_t)lo * OH * OW;
	int *arg = pa->arg + (size_t)lo * OH * OW;

	if (S == 2) {
		/* the common case in SIMD: a vector against itself shifted
		 * by one holds the pair maxima in lanes 0 and 2; ties keep
		 * the first (upper, left) value, as the general loop does */
		for (p = lo; p < hi; p++) {
			const float *pl = in + (size_t)p * H * W;

			for (y = 0; y < OH; y++) {
				const float *r0 = pl + (size_t)2 * y * W,
				    *r1 = r0 + W;
				int ia = 2 * y * W;
				vi4 one = { 1, 1, 1, 1 };

				for (x = 0; x + 2 <= OW && 2 * x + 5 <= W;
				    x += 2) {
					vf4 v0 = ld(r0 + 2 * x),
					    w0 = ld(r0 + 2 * x + 1),
					    v1 = ld(r1 + 2 * x),
					    w1 = ld(r1 + 2 * x + 1), m0, m1, m;
					vi4 g0 = w0 > v0, g1 = w1 > v1, gv, i0,
					    i1, k;
					vi4 base = { ia + 2 * x, 0, ia + 2 * x + 2,
					    0 };

					m0 = (vf4)(((vi4)w0 & g0) |
					    ((vi4)v0 & ~g0));
					m1 = (vf4)(((vi4)w1 & g1) |
					    ((vi4)v1 & ~g1));
					i0 = base + (one & g0);
					i1 = base + W + (one & g1);
					gv = m1 > m0;
					m = (vf4)(((vi4)m1 & gv) |
					    ((vi4)m0 & ~gv));
					k = (i1 & gv) | (i0 & ~gv);
					out[0] = m[0];
					out[1] = m[2];
					arg[0] = k[0];
					arg[1] = k[2];
					out += 2;
					arg += 2;
				}
				for (; x < OW; x++) {
					int k = ia + 2 * x, best = k;
					float m = r0[2 * x];

					if (r0[2 * x + 1] > m) {
						m = r0[2 * x + 1];
						best = k + 1;
					}
					if (r1[2 * x] > m) {
						m = r1[2 * x];
						best = k + W;
					}
					if (r1[2 * x + 1] > m) {
						m = r1[2 * x + 1];
						best = k + W + 1;
					}
					*out++ = m;
					*arg++ = best;
				}
			}
		}
		return;
	}
	for (p = lo; p < hi; p++) {
		const float *pl = in + (size_t)p * H * W;

		for (y = 0; y < OH; y++)
		for (x = 0; x < OW; x++) {
			int best = y * S * W + x * S;
			float m = pl[best];

			for (i = 0; i < S; i++)
			for (j = 0; j < S; j++) {
				int k = (y * S + i) * W + x * S + j;

				if (pl[k] > m) {
					m = pl[k];
					best = k;
				}
			}
			*out++ = m;
			*arg++ = best;
		}
	}
}

/* Max pool S x S, stride S, floor. in: P planes of H x W; out: P planes
 * of (H/S) x (W/S); arg: index in the plane of each maximum. */
void
sym_pool_forward(float *out, int *arg, const float *in, int P, int H, int W,
    int S)
{
	struct pool_args a = { out, in, arg, NULL, H, W, S };

	sym_par(pool_fwd_part, &a, P, (size_t)P * H * W);
}

/* ---- eval mode: a conv's affine (bias, bn), relu and pool in one pass ---- */

struct apool_args {
	float *out;
	const float *in, *a, *b;
	int relu, P, H, W, S;
};

/* x -> a x + b rounds monotonically: rising for a >= 0, falling for
 * a < 0. So the maximum of a x + b over a window is a max(x) + b, or
 * a min(x) + b, to the bit: pool the raw values first, then one affine
 * per output instead of per input. */
static float
affine_out(float m, float a, float b, int relu)
{
	float y = a * m + b;

	return relu && !(y > 0) ? 0 : y;
}

/* the even (odd = 0) or odd lanes of a then b */
static inline vf4
lanes(vf4 a, vf4 b, int odd)
{
#ifdef __clang__
	return odd ? __builtin_shufflevector(a, b, 1, 3, 5, 7) :
	    __builtin_shufflevector(a, b, 0, 2, 4, 6);
#else
	vi4 k = { 0, 2, 4, 6 };

	return __builtin_shuffle(a, b, k + odd);
#endif
}

/* lane-wise max (lo = 0) or min (lo = 1) */
static inline vf4
vpick(vf4 u, vf4 v, int lo)
{
	vi4 g = lo ? v < u : v > u;

	return (vf4)(((vi4)v & g) | ((vi4)u & ~g));
}

/* One plane: out (H/S x W/S) = max pool S x S of (relu of) a x + b over
 * in, whose rows are stride floats apart. */
void
sym_affine_pool_plane(float *out, const float *in, int H, int W, int stride,
    int S, float a, float b, int relu)
{
	int OH = H / S, OW = W / S, neg = a < 0;
	vf4 va = splat(a), vb = splat(b), z = splat(0);

	for (int y = 0; y < OH; y++, out += OW) {
		const float *r = in + (size_t)y * S * stride;
		int x = 0;

		/* 2 x 2, four outputs at a time: down, then across */
		for (; S == 2 && x + 4 <= OW; x += 4) {
			vf4 c0 = vpick(ld(r + 2 * x), ld(r + stride + 2 * x),
			    neg), c1 = vpick(ld(r + 2 * x + 4),
			    ld(r + stride + 2 * x + 4), neg), v;

			v = vpick(lanes(c0, c1, 0), lanes(c0, c1, 1), neg) *
			    va + vb;
			st(out + x, relu ? vpick(z, v, 0) : v);
		}
		for (; x < OW; x++) {
			float m = r[x * S];

			for (int i = 0; i < S; i++)
				for (int j = 0; j < S; j++) {
					float v = r[(size_t)i * stride + x * S + j];

					if (neg ? v < m : v > m)
						m = v;
				}
			out[x] = affine_out(m, a, b, relu);
		}
	}
}

static void
affine_pool_part(void *ctx, int lo, int hi)
{
	const struct apool_args *A = ctx;
	int H = A->H, W = A->W, S = A->S;

	for (int p = lo; p < hi; p++)
		sym_affine_pool_plane(A->out + (size_t)p * (H / S) * (W / S),
		    A->in + (size_t)p * H * W, H, W, W, S, A->a[p / A->P],
		    A->b[p / A->P], A->relu);
}

/* out = max pool S x S of (relu of) a[c] x + b[c], for C channels of P
 * planes of H x W each (channel c is planes c P .. c P + P - 1). The
 * eval-mode shortcut for conv, bn, relu, pool: one read of the conv's
 * output instead of three passes, and no argmax (nothing goes back). */
void
sym_affine_pool_forward(float *out, const float *in, const float *a,
    const float *b, int relu, int C, int P, int H, int W, int S)
{
	struct apool_args A = { out, in, a, b, relu, P, H, W, S };

	sym_par(affine_pool_part, &A, C * P, (size_t)C * P * H * W);
}

static void
pool_bwd_part(void *ctx, int lo, int hi)
{
	const struct pool_args *pa = ctx;
	int H = pa->H, W = pa->W, S = pa->S, OH = H / S, OW = W / S, p, y,
	    x, i, j;
	float *din = pa->out;
	const float *dout = pa->in + (size_t)lo * OH * OW;
	const int *arg = pa->carg + (size_t)lo * OH * OW;

	for (p = lo; p < hi; p++) {
		float *pl = din + (size_t)p * H * W;

		for (y = 0; y < OH; y++) {
			for (i = 0; i < S; i++) {
				float *r = pl + (size_t)(y * S + i) * W;

				for (x = 0; x < W; x++)
					r[x] = 0;
			}
			for (x = 0; x < OW; x++)
				pl[arg[x]] = dout[x];
			arg += OW;
			dout += OW;
		}
		/* rows the floor left out */
		for (i = OH * S; i < H; i++)
			for (j = 0; j < W; j++)
				pl[(size_t)i * W + j] = 0;
	}
}

/* din (P x H x W) = dout routed to the maxima; din is overwritten,
 * window by window, so it needs no clearing pass first. */
void
sym_pool_backward(float *din, const float *dout, const int *arg, int P,
    int H, int W, int S)
{
	struct pool_args a = { din, dout, NULL, arg, H, W, S };

	sym_par(pool_bwd_part, &a, P, (size_t)P * H * W);
}

/* sum of (x - m) and of (x - m)^2 over n values, in one pass */
static void
vsums(const float *x, float m, size_t n, double *s1, double *s2)
{
	vf4 vm = splat(m);
	size_t i = 0, e;
	float d;

	while (i + 4 <= n) {
		vf4 a = splat(0), b = splat(0), v;

		for (e = i + BLOCK < n ? i + BLOCK : n; i + 4 <= e; i += 4) {
			v = ld(x + i) - vm;
			a += v;
			b += v * v;
		}
		*s1 += hsum(a);
		*s2 += hsum(b);
	}
	for (; i < n; i++) {
		d = x[i] - m;
		*s1 += d;
		*s2 += (double)d * d;
	}
}

/* y = a x + b, then max(y, 0) if relu */
static void
vaffine(float *y, const float *x, float a, float b, int relu, size_t n)
{
	vf4 va = splat(a), vb = splat(b), z = splat(0), v;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		v = ld(x + i) * va + vb;
		st(y + i, relu ? mask(v, v > z) : v);
	}
	for (; i < n; i++) {
		float t = a * x[i] + b;

		y[i] = relu && !(t > 0) ? 0 : t;
	}
}

/* bn's scale in eval mode: 1 / sqrt(running variance + eps) */
static float
bn_eval_istd(float rvar)
{
	return (float)(1 / sqrt((double)rvar + 1e-5));
}

void
sym_bn_eval_affine(float *a, float *b, const float *gamma,
    const float *beta, const float *rmean, const float *rvar, int C)
{
	for (int c = 0; c < C; c++) {
		a[c] = gamma[c] * bn_eval_istd(rvar[c]);
		b[c] = beta[c] - rmean[c] * a[c];
	}
}

/* Batch norm over data seen as O x C x In (channel c is every
 * [o][c][i]): spatial C x (B*H*W) is O = 1, In = B*H*W; flat B x F is
 * O = B, C = F, In = 1. train: normalise with the batch mean and biased
 * variance, keep them (mean, istd = 1/std) for backward, and move the
 * running stats by momentum 0.1 toward the mean and unbiased variance (as
 * PyTorch). Otherwise use the running stats. relu: apply max(0, .) too,
 * saving a pass. sum: scratch of 2*C doubles. */
static void
bn_fwd_part(void *ctx, int lo, int hi)
{
	const struct bn_args *A = ctx;
	float *out = A->out, *mean = A->mean, *istd = A->istd,
	    *rmean = A->rmean, *rvar = A->rvar;
	const float *in = A->in, *gamma = A->gamma, *beta = A->beta;
	int O = A->O, C = A->C, train = A->train, relu = A->relu;
	size_t In = A->In;
	double *sum = A->sum, *sq = sum + C, n = (double)O * In;
	int o, c;

	if (train) {
		/* sums of x - x0 and (x - x0)^2, x0 the channel's first
		 * value: one pass, and the shift keeps the variance from
		 * cancelling when the mean is large against the spread */
		for (c = lo; c < hi; c++)
			sum[c] = sq[c] = 0;
		for (o = 0; o < O; o++)
			for (c = lo; c < hi; c++)
				vsums(in + ((size_t)o * C + c) * In, in[c * In],
				    In, sum + c, sq + c);
		for (c = lo; c < hi; c++) {
			double m1 = sum[c] / n;

			mean[c] = (float)(in[c * In] + m1);
			sq[c] = sq[c] - n * m1 * m1;
			if (sq[c] < 0)
				sq[c] = 0;
		}
		for (c = lo; c < hi; c++) {
			double var = sq[c] / n;

			istd[c] = (float)(1 / sqrt(var + 1e-5));
			rmean[c] = (float)(0.9 * rmean[c] + 0.1 * mean[c]);
			rvar[c] = (float)(0.9 * rvar[c] + 0.1 *
			    (n > 1 ? sq[c] / (n - 1) : var));
		}
	}
	for (o = 0; o < O; o++)
	for (c = lo; c < hi; c++) {
		size_t off = ((size_t)o * C + c) * In;
		float m = train ? mean[c] : rmean[c];
		float s = train ? istd[c] : bn_eval_istd(rvar[c]);
		float a = gamma[c] * s;

		vaffine(out + off, in + off, a, beta[c] - m * a, relu, In);
	}
}

void
sym_bn_forward(float *out, float *mean, float *istd, const float *in,
    const float *gamma, const float *beta, float *rmean, float *rvar,
    int O, int C, size_t In, int train, int relu, double *sum)
{
	struct bn_args a = { out, mean, istd, rmean, rvar, in, NULL, gamma,
	    beta, O, C, In, train, relu, sum };

	/* by channel: each one's sums and stats are its own */
	sym_par(bn_fwd_part, &a, C, (size_t)O * C * In);
}

/* Backward of a train-mode sym_bn_forward, from its input in. relu: the
 * mask is where the forward's affine a x + b was positive, recomputed
 * from x rather than read from the output (one array less to stream).
 * dgamma, dbeta are ADDED to; din may be dout. sum: 2*C doubles. */
static void
bn_bwd_part(void *ctx, int lo, int hi)
{
	const struct bn_args *A = ctx;
	float *din = A->out, *dgamma = A->rmean, *dbeta = A->rvar;
	const float *dout = A->in, *in = A->in2, *beta = A->beta,
	    *mean = A->mean, *istd = A->istd, *gamma = A->gamma;
	int O = A->O, C = A->C, relu = A->relu;
	size_t In = A->In;
	double *sum = A->sum, *st1 = sum + C, n = (double)O * In;
	vf4 z = splat(0);
	size_t i;
	int o, c;

	for (c = lo; c < hi; c++)
		sum[c] = st1[c] = 0;
	/* sum[c] = sum dy, st1[c] = sum dy (x - mean), dy after the mask */
	for (o = 0; o < O; o++)
	for (c = lo; c < hi; c++) {
		size_t off = ((size_t)o * C + c) * In;
		const float *dy = dout + off, *x = in + off;
		float ka = gamma[c] * istd[c], kb = beta[c] - mean[c] * ka;
		vf4 vm = splat(mean[c]), a = z, b = z, d, xv,
		    va = splat(ka), vb = splat(kb);
		double s = 0, t = 0;

		for (i = 0; i + 4 <= In; i += 4) {
			d = ld(dy + i);
			xv = ld(x + i);
			if (relu)
				d = mask(d, xv * va + vb > z);
			a += d;
			b += d * (xv - vm);
			if ((i & (BLOCK - 1)) == BLOCK - 4) {
				s += hsum(a);
				t += hsum(b);
				a = b = z;
			}
		}
		s += hsum(a);
		t += hsum(b);
		for (; i < In; i++) {
			float g = relu && !(ka * x[i] + kb > 0) ? 0 : dy[i];

			s += g;
			t += (double)g * (x[i] - mean[c]);
		}
		sum[c] += s;
		st1[c] += t;
	}
	for (c = lo; c < hi; c++) {
		dbeta[c] += (float)sum[c];
		dgamma[c] += (float)(st1[c] * istd[c]);
	}
	/* dx = g istd (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - m)
	 * istd, written as dx = k dy + c0 + c1 x */
	for (o = 0; o < O; o++)
	for (c = lo; c < hi; c++) {
		size_t off = ((size_t)o * C + c) * In;
		const float *dy = dout + off, *x = in + off;
		float *dx = din + off;
		float ka = gamma[c] * istd[c], kb = beta[c] - mean[c] * ka;
		double k = (double)gamma[c] * istd[c];
		double c1 = -k * istd[c] * istd[c] * st1[c] / n;
		double c0 = -k * sum[c] / n - c1 * mean[c];
		vf4 vk = splat((float)k), v0 = splat((float)c0),
		    v1 = splat((float)c1), va = splat(ka), vb = splat(kb), d, xv;

		for (i = 0; i + 4 <= In; i += 4) {
			d = ld(dy + i);
			xv = ld(x + i);
			if (relu)
				d = mask(d, xv * va + vb > z);
			st(dx + i, vk * d + v0 + v1 * xv);
		}
		for (; i < In; i++) {
			float g = relu && !(ka * x[i] + kb > 0) ? 0 : dy[i];

			dx[i] = (float)(k * g + c0 + c1 * x[i]);
		}
	}
}

void
sym_bn_backward(float *din, float *dgamma, float *dbeta, const float *dout,
    const float *in, const float *beta, const float *mean, const float *istd,
    const float *gamma, int O, int C, size_t In, int relu, double *sum)
{
	struct bn_args a = { din, (float *)mean, (float *)istd, dgamma, dbeta,
	    dout, in, gamma, beta, O, C, In, 0, relu, sum };

	sym_par(bn_bwd_part, &a, C, (size_t)O * C * In);
}

/* In place y = max(x, 0) over n values. */
void
sym_relu_forward(float *x, size_t n)
{
	vf4 z = splat(0), v;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		v = ld(x + i);
		st(x + i, mask(v, v > z));
	}
	for (; i < n; i++)
		x[i] = x[i] > 0 ? x[i] : 0;
}

/* dx = dy where y > 0; dx may be dy. */
void
sym_relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
	vf4 z = splat(0);
	size_t i = 0;

	for (; i + 4 <= n; i += 4)
		st(dx + i, mask(ld(dy + i), ld(y + i) > z));
	for (; i < n; i++)
		dx[i] = y[i] > 0 ? dy[i] : 0;
}

/* In place y = 1 / (1 + exp(-x)). */
void
sym_sigmoid_forward(float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = 1 / (1 + expf(-x[i]));
}

/* dx = dy * y * (1 - y); dx may be dy. */
void
sym_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dx[i] = dy[i] * y[i] * (1 - y[i]);
}

/* out[b][a][s] = in[a][b][s]: A x B x S to B x A x S (channel-major to
 * batch-first and, with A and B swapped, back). */
void
sym_swap01(float *out, const float *in, int A, int B, size_t S)
{
	int a, b;

	for (a = 0; a < A; a++)
		for (b = 0; b < B; b++)
			memcpy(out + ((size_t)b * A + a) * S,
			    in + ((size_t)a * B + b) * S, sizeof(*in) * S);
}
