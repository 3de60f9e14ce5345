/* test_net.c: architecture specs (good, bad, canonical form, output
 * sizes), forward results against direct reference code, seeded init,
 * batch-norm train vs eval mode, and batch-size changes. */
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "unit.h"

static struct sym_rng rng;

static void
good(const char *arch, int c, int h, int w, const char *canon, int dim,
    size_t np, size_t ns)
{
	struct sym_net *n = sym_net_new(arch, c, h, w);

	CHECK(n != NULL);
	if (!n) {
		fprintf(stderr, "%s: %s\n", arch, sym_strerror());
		return;
	}
	if (strcmp(sym_net_spec(n), canon) != 0)
		fprintf(stderr, "%s: canonical '%s', want '%s'\n", arch,
		    sym_net_spec(n), canon);
	CHECK(strcmp(sym_net_spec(n), canon) == 0);
	CHECK(sym_net_out_dim(n) == dim);
	CHECK(sym_net_nparams(n) == np);
	CHECK(sym_net_nstate(n) == ns);
	sym_net_free(n);
}

static void
bad(const char *arch, int c, int h, int w, const char *msg)
{
	struct sym_net *n = sym_net_new(arch, c, h, w);

	CHECK(n == NULL);
	if (!n && strcmp(sym_strerror(), msg) != 0)
		fprintf(stderr, "%s: got '%s', want '%s'\n", arch,
		    sym_strerror(), msg);
	CHECK(!n && strcmp(sym_strerror(), msg) == 0);
	sym_net_free(n);
}

static void
fill(float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = (float)sym_rng_normal(&rng);
}

static double
maxdiff(const float *a, const float *b, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (fabs(a[i] - b[i]) > m)
			m = fabs(a[i] - b[i]);
	return m;
}

static double
maxabs(const float *a, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

/* conv:OC:K:P then flatten, against the definition (weights OC x C x K x
 * K then OC biases; output flattened as oc, y, x like PyTorch) */
static void
ref_conv(int B, int C, int H, int W, int OC, int K, int P)
{
	char spec[64];
	struct sym_net *n;
	int OH = H + 2 * P - K + 1, OW = W + 2 * P - K + 1, b, o, y, x, c, i,
	    j;
	size_t nin = (size_t)B * C * H * W, nout = (size_t)B * OC * OH * OW;
	float *in = malloc(nin * 4), *ref = malloc(nout * 4), *p;
	const float *out;

	snprintf(spec, sizeof(spec), "conv:%d:%d:%d", OC, K, P);
	n = sym_net_new(spec, C, H, W);
	CHECK(n && sym_net_out_dim(n) == OC * OH * OW);
	sym_net_init(n, &rng);
	p = sym_net_params(n);
	for (o = 0; o < OC; o++)
		p[(size_t)OC * C * K * K + o] = 0.1f * o;
	fill(in, nin);
	out = sym_net_forward(n, in, B, 1);
	for (b = 0; b < B; b++)
	for (o = 0; o < OC; o++)
	for (y = 0; y < OH; y++)
	for (x = 0; x < OW; x++) {
		double s = p[(size_t)OC * C * K * K + o];

		for (c = 0; c < C; c++)
		for (i = 0; i < K; i++)
		for (j = 0; j < K; j++) {
			int iy = y + i - P, ix = x + j - P;

			if (iy >= 0 && iy < H && ix >= 0 && ix < W)
				s += (double)p[((o * C + c) * K + i) * K + j] *
				    in[((b * C + c) * H + iy) * W + ix];
		}
		ref[((b * OC + o) * OH + y) * OW + x] = (float)s;
	}
	CHECK(maxdiff(out, ref, nout) < 1e-4);
	free(in);
	free(ref);
	sym_net_free(n);
}

static void
ref_pool_dense(void)
{
	/* 1 x 1 x 4 x 5 -> pool:2 -> 2 x 2 (last column dropped) */
	float in[20] = { 1, 2, 3, 4, 99, 5, 6, 7, 8, 99, 9, 10, 11, 12, 99,
	    13, 14, 15, 16, 99 };
	float want[4] = { 6, 8, 14, 16 }, x[2 * 2 * 3], *p;
	struct sym_net *n = sym_net_new("pool:2", 1, 4, 5);
	const float *out;
	int b, j;

	CHECK(n && sym_net_out_dim(n) == 4);
	out = sym_net_forward(n, in, 1, 0);
	CHECK(maxdiff(out, want, 4) == 0);
	sym_net_free(n);

	/* dense:2 on B=2 x (C=2 x 1 x 3): flatten order c, y, x; weights
	 * N x F row-major, then N biases */
	n = sym_net_new("dense:2", 2, 1, 3);
	CHECK(n && sym_net_nparams(n) == 2 * 6 + 2);
	p = sym_net_params(n);
	for (j = 0; j < 14; j++)
		p[j] = (float)(j + 1);
	for (j = 0; j < 12; j++)
		x[j] = (float)(j % 5) - 1;
	out = sym_net_forward(n, x, 2, 1);
	for (b = 0; b < 2; b++)
		for (j = 0; j < 2; j++) {
			double s = p[12 + j];
			int f;

			for (f = 0; f < 6; f++)
				s += (double)p[j * 6 + f] * x[b * 6 + f];
			CHECK_NEAR(out[b * 2 + j], s, 1e-4);
		}
	sym_net_free(n);
}

/* BN: train mode normalises with batch stats and moves running stats;
 * eval mode uses the running stats */
static void
bn_modes(void)
{
	struct sym_net *n = sym_net_new("bn", 2, 1, 2);
	float x[8] = { 1, 2, 10, 20, 3, 4, 30, 40 }, *st;
	const float *y;
	double m0 = 2.5, v0 = 1.25;	/* channel 0: 1 2 3 4 */

	CHECK(n && sym_net_nstate(n) == 4 && sym_net_nparams(n) == 4);
	st = sym_net_state(n);
	CHECK(st[0] == 0 && st[1] == 0 && st[2] == 1 && st[3] == 1);
	y = sym_net_forward(n, x, 2, 1);
	CHECK_NEAR(y[0], (1 - m0) / sqrt(v0 + 1e-5), 1e-5);
	CHECK_NEAR(y[5], (4 - m0) / sqrt(v0 + 1e-5), 1e-5);
	/* running: 0.9 * old + 0.1 * batch (unbiased variance) */
	CHECK_NEAR(st[0], 0.1 * m0, 1e-6);
	CHECK_NEAR(st[1], 0.1 * 25, 1e-5);
	CHECK_NEAR(st[2], 0.9 + 0.1 * (5.0 / 3), 1e-6);
	/* eval: (x - rmean) / sqrt(rvar + eps) */
	y = sym_net_forward(n, x, 2, 0);
	CHECK_NEAR(y[0], (1 - st[0]) / sqrt(st[2] + 1e-5), 1e-5);
	CHECK_NEAR(y[3], (20 - st[1]) / sqrt(st[3] + 1e-5), 1e-4);
	/* eval leaves the state alone */
	CHECK_NEAR(st[0], 0.1 * m0, 1e-6);
	sym_net_free(n);
}

/* A conv bias right before bn cancels in train mode but must still reach
 * the running mean (models trained elsewhere may have one). */
static void
conv_bias_bn(void)
{
	struct sym_net *a = sym_net_new("conv:2:3,bn", 1, 4, 4),
	    *b = sym_net_new("conv:2:3,bn", 1, 4, 4);
	float x[3 * 16], out[3 * 8];
	size_t np = sym_net_nparams(a);

	sym_net_init(a, &rng);
	memcpy(sym_net_params(b), sym_net_params(a), np * 4);
	sym_net_params(b)[18] = 1.5f;	/* the first conv bias */
	fill(x, 48);
	memcpy(out, sym_net_forward(a, x, 3, 1), sizeof(out));
	CHECK(maxdiff(out, sym_net_forward(b, x, 3, 1), 24) < 1e-4);
	CHECK_NEAR(sym_net_state(b)[0] - sym_net_state(a)[0], 0.15, 1e-5);
	CHECK_NEAR(sym_net_state(b)[1] - sym_net_state(a)[1], 0, 1e-6);
	sym_net_free(a);
	sym_net_free(b);
}

/* Eval-mode fusion of conv, bn, relu and pool gives what the layers give
 * one by one: to the bit for bn without a conv bias (conv4) and for a
 * bias without bn (koch), within rounding for both; with pool sizes that
 * leave rows and columns over, negative bn scales (max and min swap),
 * one thread and two, a relu of its own or none. exact: 1 to the bit. */
static void
fusion(const char *arch, int c, int h, int w, const int *nobias, int exact)
{
	struct sym_net *a = sym_net_new(arch, c, h, w),
	    *b = sym_net_new(arch, c, h, w);
	size_t nin = (size_t)7 * c * h * w, np, ns, d;
	float *x = malloc(nin * 4), *y;

	CHECK(a && b);
	if (!a || !b)
		return;
	np = sym_net_nparams(a);
	ns = sym_net_nstate(a);
	d = (size_t)sym_net_out_dim(a);
	y = malloc(7 * d * 4);
	sym_net_init(a, &rng);
	fill(sym_net_params(a), np);	/* biases, gammas and betas too */
	fill(sym_net_state(a), ns);
	for (size_t i = 0; i < ns; i++)	/* variances must be >= 0 */
		sym_net_state(a)[i] = 0.5f + fabsf(sym_net_state(a)[i]);
	/* (offset, count) of conv biases to zero, as sym-train leaves them
	 * before a bn */
	for (; nobias && nobias[0] >= 0; nobias += 2)
		memset(sym_net_params(a) + nobias[0], 0, nobias[1] * 4);
	memcpy(sym_net_params(b), sym_net_params(a), np * 4);
	memcpy(sym_net_state(b), sym_net_state(a), ns * 4);
	sym_net_set_fusion(b, 0);
	fill(x, nin);
	for (int t = 1; t <= 2; t++) {
		sym_blas_threads(t);
		memcpy(y, sym_net_forward(a, x, 7, 0), 7 * d * 4);
		if (exact)
			CHECK(memcmp(y, sym_net_forward(b, x, 7, 0),
			    7 * d * 4) == 0);
		else
			CHECK(maxdiff(y, sym_net_forward(b, x, 7, 0),
			    7 * d) < 1e-5 * (1 + maxabs(y, 7 * d)));
	}
	/* train mode is never fused: it needs every layer's output */
	memcpy(y, sym_net_forward(a, x, 7, 1), 7 * d * 4);
	CHECK(memcmp(y, sym_net_forward(b, x, 7, 1), 7 * d * 4) == 0);
	free(x);
	free(y);
	sym_net_free(a);
	sym_net_free(b);
}

/* The kernels split big work over threads by channel or plane: one and
 * two threads must give the same bits, forward and backward. (OpenBLAS
 * stays on one thread: its own bits may change with its thread count,
 * as sym-train(1) says.) */
static void
threads(void)
{
	const char *arch = "conv:8:3:1,bn,relu,pool:2,conv:6:3,bn,relu,dense:5";
	struct sym_net *a = sym_net_new(arch, 2, 16, 16),
	    *b = sym_net_new(arch, 2, 16, 16);
	size_t nin = (size_t)64 * 2 * 16 * 16, np = sym_net_nparams(a);
	float *x = malloc(nin * 4), *d1 = malloc(nin * 4), *d2 = malloc(nin * 4),
	    dy[64 * 5], y1[64 * 5];

	sym_net_init(a, &rng);
	memcpy(sym_net_params(b), sym_net_params(a), np * 4);
	fill(x, nin);
	fill(dy, 64 * 5);
	/* our splits only: OpenBLAS on one thread throughout */
	sym_blas_threads(1);
	sym_par_threads(1);
	memcpy(y1, sym_net_forward(a, x, 64, 1), sizeof(y1));
	sym_net_backward(a, dy, d1);
	sym_par_threads(2);
	CHECK(memcmp(y1, sym_net_forward(b, x, 64, 1), sizeof(y1)) == 0);
	sym_net_backward(b, dy, d2);
	CHECK(memcmp(d1, d2, nin * 4) == 0);
	CHECK(memcmp(sym_net_grads(a), sym_net_grads(b), np * 4) == 0);
	CHECK(memcmp(sym_net_state(a), sym_net_state(b),
	    sym_net_nstate(a) * 4) == 0);
	sym_par_threads(0);
	sym_blas_threads(2);
	free(x);
	free(d1);
	free(d2);
	sym_net_free(a);
	sym_net_free(b);
}

/* out[o][b][y][x] of channel-major x by the definition, in double */
static void
conv_def(float *r, const float *x, const float *w, int C, int B, int H,
    int W, int OC, int K, int P)
{
	int OH = H + 2 * P - K + 1, OW = W + 2 * P - K + 1;

	for (int o = 0; o < OC; o++)
	for (int b = 0; b < B; b++)
	for (int oy = 0; oy < OH; oy++)
	for (int ox = 0; ox < OW; ox++) {
		double s = 0;

		for (int c = 0; c < C; c++)
		for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++) {
			int iy = oy + i - P, ix = ox + j - P;

			if (iy >= 0 && iy < H && ix >= 0 && ix < W)
				s += (double)w[((o * C + c) * K + i) * K + j] *
				    x[(((size_t)c * B + b) * H + iy) * W + ix];
		}
		r[(((size_t)o * B + b) * OH + oy) * OW + ox] = (float)s;
	}
}

/* The direct convolution (no im2col) against the definition, for
 * kernels, paddings, channel counts that do not fill a block of 8, planes
 * whose rows do not fill a vector, and scratch so small that the images
 * go in chunks of one or two. Returns 0 when the CPU has no AVX-512 (the
 * kernel declines every shape), else 1. */
static int
direct_conv(void)
{
	static const int cs[][7] = {	/* C, OC, K, pad, H, W, B */
		{ 1, 64, 3, 1, 28, 28, 3 }, { 64, 64, 3, 1, 14, 14, 2 },
		{ 3, 5, 3, 1, 9, 17, 4 }, { 2, 13, 5, 2, 11, 7, 3 },
		{ 4, 9, 2, 0, 20, 20, 2 }, { 1, 3, 10, 0, 40, 40, 2 },
		{ 5, 8, 1, 0, 16, 16, 3 }, { 2, 4, 7, 3, 8, 12, 5 },
		{ 3, 6, 3, 1, 10, 10, 2 }, { 1, 16, 5, 2, 12, 30, 2 },
		{ 2, 8, 3, 1, 36, 40, 2 },	/* pooled rows of 20 */
	};
	int ran = 0;

	for (size_t t = 0; t < sizeof(cs) / sizeof(cs[0]); t++) {
		int C = cs[t][0], OC = cs[t][1], K = cs[t][2], P = cs[t][3],
		    H = cs[t][4], W = cs[t][5], B = cs[t][6];
		int OH = H + 2 * P - K + 1, OW = W + 2 * P - K + 1;
		size_t nin = (size_t)C * B * H * W, nout = (size_t)OC * B * OH *
		    OW, plane = (size_t)(H + 2 * P) * (W + 2 * P);
		float *x = malloc(nin * 4), *w = malloc((size_t)OC * C * K *
		    K * 4), *y = malloc(nout * 4), *r = malloc(nout * 4),
		    *wpk = malloc(sym_conv_direct_wsize(C, OC, K) * 4);
		/* one image's planes and the slack; then room for two */
		for (size_t cap = C * plane + K + 32; cap <= 2 * C * plane +
		    K + 32; cap += C * plane) {
			float *buf = malloc(cap * 4);

			fill(x, nin);
			fill(w, (size_t)OC * C * K * K);
			memset(y, 0xff, nout * 4);	/* NaNs: all written */
			if (sym_conv_direct(y, x, w, C, B, H, W, OC, K, P, buf,
			    cap, wpk, NULL) < 0) {
				free(buf);
				continue;
			}
			ran = 1;
			conv_def(r, x, w, C, B, H, W, OC, K, P);
			if (!(maxdiff(y, r, nout) < 1e-5 * (1 + maxabs(r,
			    nout))))
				fprintf(stderr, "direct conv case %zu: off by "
				    "%g\n", t, maxdiff(y, r, nout));
			CHECK(maxdiff(y, r, nout) < 1e-5 * (1 + maxabs(r,
			    nout)));
			{
				/* fused: pooled as it goes, the same bits as
				 * pooling the output afterwards; scales of
				 * both signs, pools of 1 to 3 */
				int S = 1 + (int)t % 3, PH = OH / S,
				    PW = OW / S;
				size_t np = (size_t)OC * B * PH * PW;
				float *a = malloc(OC * 4), *bb = malloc(OC * 4),
				    *p1 = malloc(np * 4 + 4),
				    *p2 = malloc(np * 4 + 4);
				struct sym_conv_fuse f = { p2, a, bb,
				    (int)t % 2, S };

				fill(a, OC);
				fill(bb, OC);
				sym_affine_pool_forward(p1, y, a, bb, f.relu,
				    OC, B, OH, OW, S);
				memset(p2, 0xff, np * 4);
				CHECK(sym_conv_direct(NULL, x, w, C, B, H, W,
				    OC, K, P, buf, cap, wpk, &f) == 0);
				CHECK(memcmp(p1, p2, np * 4) == 0);
				free(a);
				free(bb);
				free(p1);
				free(p2);
			}
			free(buf);
		}
		free(x);
		free(w);
		free(y);
		free(r);
		free(wpk);
	}
	{
		/* declined: 3 x 3 planes (9 outputs in a 16-wide vector),
		 * and scratch smaller than one image */
		float x[4 * 9], w[4 * 9 * 2], y[4 * 9 * 2], buf[1024], wpk[1024];

		CHECK(sym_conv_direct(y, x, w, 4, 1, 3, 3, 2, 3, 1, buf, 1024,
		    wpk, NULL) == -1);
		CHECK(sym_conv_direct(y, x, w, 4, 1, 14, 14, 2, 3, 1, buf, 1024,
		    wpk, NULL) == -1);
	}
	return ran;
}

/* A training step (forward, then backward of dy) of nets a and b, the
 * same weights computed by other paths: outputs within tol_y, input and
 * parameter gradients within 1e-4 (relative to the largest); a's output
 * and gradients are left in y and ga. */
static void
step_close(struct sym_net *a, struct sym_net *b, const float *x, int B,
    size_t nin, const float *dy, float tol_y, float *y, float *ga)
{
	size_t d = (size_t)sym_net_out_dim(a), np = sym_net_nparams(a);
	float *dxa = malloc(nin * 4), *dxb = malloc(nin * 4);

	memset(sym_net_grads(a), 0, np * 4);
	memcpy(y, sym_net_forward(a, x, B, 1), B * d * 4);
	sym_net_backward(a, dy, dxa);
	memcpy(ga, sym_net_grads(a), np * 4);
	memset(sym_net_grads(b), 0, np * 4);
	CHECK(maxdiff(y, sym_net_forward(b, x, B, 1), B * d) <
	    tol_y * (1 + maxabs(y, B * d)));
	sym_net_backward(b, dy, dxb);
	CHECK(maxdiff(dxa, dxb, nin) < 1e-4 * (1 + maxabs(dxa, nin)));
	CHECK(maxdiff(ga, sym_net_grads(b), np) < 1e-4 * (1 + maxabs(ga, np)));
	free(dxa);
	free(dxb);
}

/* A net gives the same embeddings, but for rounding, with the direct
 * convolution as with im2col and GEMM: in eval mode, and in train mode
 * with the input and parameter gradients of backward; with it, one
 * thread and two give the same bits. */
static void
direct_net(const char *arch, int c, int h, int w)
{
	struct sym_net *a = sym_net_new(arch, c, h, w),
	    *b = sym_net_new(arch, c, h, w);
	size_t nin = (size_t)5 * c * h * w, d = (size_t)sym_net_out_dim(a);
	float *x = malloc(nin * 4), *y = malloc(5 * d * 4);

	sym_net_init(a, &rng);
	fill(sym_net_params(a), sym_net_nparams(a));
	memcpy(sym_net_params(b), sym_net_params(a), sym_net_nparams(a) * 4);
	sym_net_set_direct(b, 0);
	fill(x, nin);
	sym_blas_threads(1);
	sym_par_threads(1);
	memcpy(y, sym_net_forward(a, x, 5, 0), 5 * d * 4);
	CHECK(maxdiff(y, sym_net_forward(b, x, 5, 0), 5 * d) <
	    1e-5 * (1 + maxabs(y, 5 * d)));
	/* the direct kernel split over two threads: the same bits */
	sym_par_threads(2);
	CHECK(memcmp(y, sym_net_forward(a, x, 5, 0), 5 * d * 4) == 0);
	sym_par_threads(0);
	sym_blas_threads(2);
	{
		float *dy = malloc(5 * d * 4),
		    *ga = malloc(sym_net_nparams(a) * 4);

		fill(dy, 5 * d);
		step_close(a, b, x, 5, nin, dy, 1e-4, y, ga);
		free(dy);
		free(ga);
	}
	free(x);
	free(y);
	sym_net_free(a);
	sym_net_free(b);
}

/* The path (direct or GEMM) depends on the shape and the CPU only, not
 * on the batch sizes a net has seen: an image alone on a fresh net gives
 * the bits it gets in a batch of two, and again after it. A 1 x 1 conv
 * needs no more im2col scratch than its input, so its direct scratch
 * (with the slack) must be kept apart. */
static void
direct_history(void)
{
	struct sym_net *n = sym_net_new("conv:4:1,relu,flatten", 64, 6, 6);
	float x[2 * 64 * 36], y[4 * 36];

	sym_net_init(n, &rng);
	fill(x, sizeof(x) / 4);
	memcpy(y, sym_net_forward(n, x, 1, 0), sizeof(y));
	CHECK(memcmp(y, sym_net_forward(n, x, 2, 0), sizeof(y)) == 0);
	CHECK(memcmp(y, sym_net_forward(n, x, 1, 0), sizeof(y)) == 0);
	sym_net_free(n);
}

/* Convolution by DFT (conv_dft.c) against the definition: odd and even
 * widths (the Nyquist frequency), padding, kernels of 1 to 10, a
 * plane as small as the kernel; in chunks of 1 to 3 images, so that
 * with 2 threads chunks run side by side, and in one chunk, where
 * OpenBLAS's threads work inside it; new weights are seen. All shapes
 * share one scratch, which grows and shrinks in use. */
static void
dft_conv(void)
{
	static const int cs[][7] = {	/* C, OC, K, pad, H, W, B */
		{ 3, 5, 3, 1, 8, 8, 4 }, { 2, 4, 4, 0, 9, 11, 5 },
		{ 1, 3, 10, 0, 21, 20, 3 }, { 4, 6, 7, 3, 12, 9, 7 },
		{ 5, 2, 1, 0, 6, 7, 2 }, { 2, 3, 5, 0, 5, 5, 3 },
		{ 16, 24, 7, 0, 24, 24, 5 }, { 2, 3, 4, 1, 10, 10, 3 },
	};
	struct sym_dft_scratch *sc = sym_dft_scratch_new();

	for (size_t t = 0; t < sizeof(cs) / sizeof(cs[0]); t++) {
		int C = cs[t][0], OC = cs[t][1], K = cs[t][2], P = cs[t][3],
		    H = cs[t][4], W = cs[t][5], B = cs[t][6];
		size_t nin = (size_t)C * B * H * W, nw = (size_t)OC * C * K * K,
		    nout = (size_t)OC * B * (H + 2 * P - K + 1) *
		    (W + 2 * P - K + 1);
		float *x = malloc(nin * 4), *w = malloc(nw * 4),
		    *y = malloc(nout * 4), *r = malloc(nout * 4),
		    *y1 = malloc(nout * 4);
		struct sym_conv_dft *d = sym_conv_dft_new(C, H, W, OC, K, P);

		fill(x, nin);
		for (int round = 0; round < 2; round++) {
			fill(w, nw);	/* the second time: new weights */
			conv_def(r, x, w, C, B, H, W, OC, K, P);
			for (int th = 1; th <= 2; th++) {
				sym_blas_threads(1);
				sym_par_threads(th);
				memset(y, 0xff, nout * 4);	/* all written */
				sym_conv_dft(d, sc, y, x, w, B, NULL);
				if (!(maxdiff(y, r, nout) < 1e-5 * (1 +
				    maxabs(r, nout))))
					fprintf(stderr, "dft conv case %zu: "
					    "off by %g\n", t, maxdiff(y, r,
					    nout));
				CHECK(maxdiff(y, r, nout) < 1e-5 * (1 +
				    maxabs(r, nout)));
				/* 1 and 2 threads: the same bits, in one
				 * chunk or several */
				if (th == 1)
					memcpy(y1, y, nout * 4);
				else
					CHECK(memcmp(y, y1, nout * 4) == 0);
			}
			sym_conv_dft_chunk(d, 1 + (int)t % 3);
		}
		sym_par_threads(0);
		sym_blas_threads(2);
		sym_conv_dft(d, sc, y, x, w, B, NULL);
		CHECK(maxdiff(y, r, nout) < 1e-5 * (1 + maxabs(r, nout)));
		{
			/* fused: pooled as it goes, the same bits as
			 * pooling the output afterwards; scales of both
			 * signs, pools of 1 to 3 */
			int S = 1 + (int)t % 3, OH = H + 2 * P - K + 1,
			    OW = W + 2 * P - K + 1;
			size_t np = (size_t)OC * B * (OH / S) * (OW / S);
			float *a = malloc(OC * 4), *bb = malloc(OC * 4),
			    *p1 = malloc(np * 4 + 4), *p2 = malloc(np * 4 + 4);
			struct sym_conv_fuse f = { p2, a, bb, (int)t % 2, S };

			fill(a, OC);
			fill(bb, OC);
			sym_affine_pool_forward(p1, y, a, bb, f.relu, OC, B,
			    OH, OW, S);
			memset(p2, 0xff, np * 4);
			sym_conv_dft(d, sc, NULL, x, w, B, &f);
			CHECK(memcmp(p1, p2, np * 4) == 0);
			free(a);
			free(bb);
			free(p1);
			free(p2);
		}
		sym_conv_dft_free(d);
		free(x);
		free(w);
		free(y);
		free(r);
		free(y1);
	}
	/* Koch's second and third layers go by DFT; its first (one input
	 * channel) and fourth, and conv4's, stay direct */
	CHECK(sym_conv_dft_pays(64, 48, 48, 128, 7, 0));
	CHECK(sym_conv_dft_pays(128, 21, 21, 128, 4, 0));
	CHECK(!sym_conv_dft_pays(1, 105, 105, 64, 10, 0));
	CHECK(!sym_conv_dft_pays(128, 9, 9, 256, 4, 0));
	CHECK(!sym_conv_dft_pays(64, 14, 14, 64, 3, 1));
	CHECK(!sym_conv_dft_pays(8, 4, 4, 8, 5, 0));	/* nothing out */
	/* the tower of pipeline.bats's valgrind stage must take it */
	CHECK(sym_conv_dft_pays(24, 16, 16, 24, 7, 0));
	{
		/* first weights whose bits are the default NaN's: their
		 * spectra are made all the same (NaN out, not stale memory) */
		struct sym_conv_dft *d = sym_conv_dft_new(2, 9, 9, 3, 4, 0);
		float x[2 * 81], w[3 * 2 * 16], y[3 * 36];
		uint32_t qnan = 0x7fc00000;
		int nan = 0;

		fill(x, 2 * 81);
		for (int i = 0; i < 3 * 2 * 16; i++)
			memcpy(&w[i], &qnan, 4);
		sym_conv_dft(d, sc, y, x, w, 1, NULL);
		for (int i = 0; i < 3 * 36; i++)
			nan += isnan(y[i]) != 0;
		CHECK(nan == 3 * 36);
		sym_conv_dft_free(d);
	}
	sym_dft_scratch_free(sc);
}

/* A net whose second conv goes by DFT: the embeddings of the direct (or
 * GEMM) path but for rounding, the same again for the same batch, and
 * for an image alone as in a batch but for rounding (OpenBLAS sums GEMMs
 * of other sizes in other orders); in training too, where the forward
 * pass takes it and the backward pass, direct, gives the gradients of
 * the direct path but for rounding, the same bits twice. */
static void
dft_net(void)
{
	const char *arch = "conv:32:5:2,relu,conv:32:7,relu,pool:2,flatten";
	struct sym_net *a = sym_net_new(arch, 1, 24, 24),
	    *b = sym_net_new(arch, 1, 24, 24);
	size_t nin = (size_t)6 * 24 * 24, d = (size_t)sym_net_out_dim(a);
	float *x = malloc(nin * 4), *y = malloc(6 * d * 4);

	CHECK(sym_conv_dft_pays(32, 24, 24, 32, 7, 0));
	sym_net_init(a, &rng);
	memcpy(sym_net_params(b), sym_net_params(a), sym_net_nparams(a) * 4);
	sym_net_set_dft(b, 0);
	fill(x, nin);
	memcpy(y, sym_net_forward(a, x, 6, 0), 6 * d * 4);
	CHECK(maxdiff(y, sym_net_forward(b, x, 6, 0), 6 * d) <
	    1e-5 * (1 + maxabs(y, 6 * d)));
	CHECK(maxdiff(y, sym_net_forward(b, x, 6, 0), 6 * d) > 0);
	CHECK(memcmp(y, sym_net_forward(a, x, 6, 0), 6 * d * 4) == 0);
	for (int i = 0; i < 6; i++)
		CHECK(maxdiff(y + i * d, sym_net_forward(a, x + i * 576, 1, 0),
		    d) < 1e-5 * (1 + maxabs(y, 6 * d)));
	{
		size_t np = sym_net_nparams(a);
		float *dy = malloc(6 * d * 4), *dx = malloc(nin * 4),
		    *ga = malloc(np * 4);

		fill(dy, 6 * d);
		step_close(a, b, x, 6, nin, dy, 1e-5, y, ga);
		/* b is direct: the forward passes differ */
		CHECK(maxdiff(y, sym_net_forward(b, x, 6, 1), 6 * d) > 0);
		/* the same step twice: the same bits */
		memset(sym_net_grads(a), 0, np * 4);
		CHECK(memcmp(y, sym_net_forward(a, x, 6, 1), 6 * d * 4) == 0);
		sym_net_backward(a, dy, dx);
		CHECK(memcmp(ga, sym_net_grads(a), np * 4) == 0);
		/* new weights (a training step's): the spectra are remade */
		for (size_t i = 0; i < np; i++)
			sym_net_params(a)[i] *= 0.5f;
		memcpy(sym_net_params(b), sym_net_params(a), np * 4);
		memcpy(y, sym_net_forward(a, x, 6, 1), 6 * d * 4);
		CHECK(maxdiff(y, sym_net_forward(b, x, 6, 1), 6 * d) <
		    1e-5 * (1 + maxabs(y, 6 * d)));
		free(dy);
		free(dx);
		free(ga);
	}
	free(x);
	free(y);
	sym_net_free(a);
	sym_net_free(b);
}

/* Eval mode is per sample: a batch equals its samples one at a time,
 * across workspace growth (1, then 5, then 3). */
static void
batches(const char *arch, int c, int h, int w)
{
	struct sym_net *n = sym_net_new(arch, c, h, w);
	size_t in1 = (size_t)c * h * w, d;
	float *x = malloc(5 * in1 * 4), *one, *all;
	int b;

	CHECK(n != NULL);
	if (!n)
		return;
	d = sym_net_out_dim(n);
	one = malloc(5 * d * 4);
	all = malloc(5 * d * 4);
	sym_net_init(n, &rng);
	fill(x, 5 * in1);
	for (b = 0; b < 5; b++)
		memcpy(one + b * d, sym_net_forward(n, x + b * in1, 1, 0),
		    d * 4);
	memcpy(all, sym_net_forward(n, x, 5, 0), 5 * d * 4);
	CHECK(maxdiff(one, all, 5 * d) < 1e-4);
	CHECK(maxdiff(one, sym_net_forward(n, x, 3, 0), 3 * d) < 1e-4);
	free(x);
	free(one);
	free(all);
	sym_net_free(n);
}

static void
seeded(const char *arch, int c, int h, int w)
{
	struct sym_net *a = sym_net_new(arch, c, h, w),
	    *b = sym_net_new(arch, c, h, w);
	struct sym_rng r1, r2;
	size_t np = sym_net_nparams(a), i, zero = 0;

	sym_rng_seed(&r1, 123);
	sym_rng_seed(&r2, 123);
	sym_net_init(a, &r1);
	sym_net_init(b, &r2);
	CHECK(memcmp(sym_net_params(a), sym_net_params(b), np * 4) == 0);
	for (i = 0; i < np; i++)
		zero += sym_net_params(a)[i] == 0;
	CHECK(zero < np / 2);	/* weights were set, biases are zero */
	sym_rng_seed(&r2, 124);
	sym_net_init(b, &r2);
	CHECK(memcmp(sym_net_params(a), sym_net_params(b), np * 4) != 0);
	sym_net_free(a);
	sym_net_free(b);
}

/* Syntax alone, no shape: what sym-train checks before reading data. */
static void
test_arch_check(void)
{
	CHECK(sym_arch_check("koch") == 0);
	CHECK(sym_arch_check("conv:64:3:1,bn,relu,pool:2,dense:10") == 0);
	/* fine as syntax even if some shapes cannot take it */
	CHECK(sym_arch_check("conv:8:64") == 0);
	CHECK(sym_arch_check("nonsense") == -1 &&
	    strcmp(sym_strerror(), "arch: unknown layer 'nonsense'") == 0);
	CHECK(sym_arch_check("dense:0") == -1);
	CHECK(sym_arch_check("relu:3") == -1 &&
	    strstr(sym_strerror(), "takes no arguments"));
	CHECK(sym_arch_check("relu,,bn") == -1 &&
	    strstr(sym_strerror(), "empty layer"));
	CHECK(sym_arch_check("") == -1);
}

int
main(void)
{
	test_arch_check();
	sym_rng_seed(&rng, 1);
	{
		/* a conv's weights (oc x c x k x k), its oc biases, then a
		 * bn's c gammas and c betas */
		static const int nb1[] = { 54, 3, 171, 4, -1 },
		    nb4[] = { 27, 3, 144, 4, -1 };

		fusion("conv:3:3:1,bn,relu,pool:2,conv:4:3:1,bn,relu,pool:3,"
		    "flatten", 2, 13, 11, nb1, 1);
		fusion("conv:3:3:1,relu,pool:2,conv:4:2,relu,pool:2,dense:3",
		    1, 30, 30, NULL, 1);
		fusion("conv:3:3:1,bn,pool:2,conv:5:3,bn,relu,relu,pool:2,"
		    "flatten", 3, 9, 17, NULL, 0);
		fusion("conv:3:3:1,bn,relu,pool:2,conv:4:3:1,bn,relu,flatten",
		    1, 10, 10, nb4, 1);
	}

	good("mlp", 1, 28, 28, "flatten,dense:128,relu", 128,
	    784 * 128 + 128, 0);
	good("conv4", 1, 28, 28, "conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,"
	    "relu,pool:2,conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,relu,"
	    "pool:2,flatten", 64, (64 * 9 + 64 + 128) + 3 * (64 * 576 + 64 +
	    128), 4 * 128);
	good("koch", 1, 105, 105, "conv:64:10,relu,pool:2,conv:128:7,relu,"
	    "pool:2,conv:128:4,relu,pool:2,conv:256:4,relu,flatten,"
	    "dense:4096,sigmoid", 4096, (64 * 100 + 64) + (128 * 64 * 49 +
	    128) + (128 * 128 * 16 + 128) + (256 * 128 * 16 + 256) +
	    (4096 * 9216 + 4096), 0);
	/* dense implies flatten; a trailing image is flattened */
	good("conv:4:3,dense:10", 2, 8, 8, "conv:4:3,flatten,dense:10", 10,
	    4 * 2 * 9 + 4 + 10 * 144 + 10, 0);
	good("conv:4:3:0,pool:2", 1, 9, 9, "conv:4:3,pool:2,flatten", 36,
	    40, 0);
	good("dense:8,bn,sigmoid", 3, 2, 2, "flatten,dense:8,bn,sigmoid", 8,
	    8 * 12 + 8 + 16, 16);
	good("relu", 2, 3, 3, "relu,flatten", 18, 0, 0);

	bad("foo", 1, 28, 28, "arch: unknown layer 'foo'");
	bad("conv:64:3,foo,relu", 1, 28, 28, "arch: unknown layer 'foo'");
	bad("conv:64:10", 1, 5, 5,
	    "arch: conv:64:10 shrinks 5x5 input to nothing");
	bad("pool:2,pool:2,pool:2", 1, 6, 6,
	    "arch: pool:2 shrinks 1x1 input to nothing");
	bad("conv:64", 1, 28, 28, "arch: bad layer 'conv:64' "
	    "(conv:OUT:K[:PAD])");
	bad("conv:x:3", 1, 28, 28, "arch: bad layer 'conv:x:3' "
	    "(conv:OUT:K[:PAD])");
	bad("conv:8:3:1:1", 1, 28, 28, "arch: bad layer 'conv:8:3:1:1' "
	    "(conv:OUT:K[:PAD])");
	bad("pool", 1, 28, 28, "arch: bad layer 'pool' (pool:S)");
	bad("pool:0", 1, 28, 28, "arch: bad layer 'pool:0' (pool:S)");
	bad("dense:0", 1, 28, 28, "arch: bad layer 'dense:0' (dense:N)");
	bad("dense:-4", 1, 28, 28, "arch: bad layer 'dense:-4' (dense:N)");
	bad("relu:2", 1, 28, 28, "arch: layer 'relu:2' takes no arguments");
	bad("flatten,conv:8:3", 1, 28, 28,
	    "arch: conv:8:3 needs an image input, not a flat one");
	bad("conv:8:3,,relu", 1, 28, 28,
	    "arch: empty layer in 'conv:8:3,,relu'");
	bad("relu,", 1, 28, 28, "arch: empty layer in 'relu,'");
	bad("", 1, 28, 28, "arch: empty architecture");
	bad("mlp", 0, 28, 28, "arch: bad input shape 0x28x28");
	bad(NULL, 1, 28, 28, "arch: none given");

	ref_conv(3, 2, 5, 4, 3, 3, 1);
	ref_conv(2, 1, 7, 6, 2, 4, 0);
	ref_conv(2, 3, 4, 4, 2, 2, 2);
	/* 'same' convolutions take im2col's shifted-run path: shifts
	 * wider than the image, a 1 x 1 image, 1 x 1 kernels */
	ref_conv(4, 2, 9, 11, 3, 5, 2);
	ref_conv(2, 2, 3, 2, 2, 5, 2);
	ref_conv(2, 1, 1, 1, 2, 3, 1);
	ref_conv(2, 3, 4, 5, 2, 1, 0);
	ref_conv(3, 2, 2, 7, 2, 7, 3);
	ref_conv(2, 1, 3, 2, 2, 7, 3);	/* shifts wider than a row */
	ref_pool_dense();
	bn_modes();
	conv_bias_bn();
	threads();
	batches("conv:3:3:1,bn,relu,pool:2,dense:5,bn,sigmoid", 2, 6, 6);
	batches("mlp", 1, 4, 4);
	seeded("conv4", 1, 28, 28);
	seeded("koch", 1, 105, 105);
	dft_conv();
	dft_net();
	if (direct_conv()) {
		direct_history();
		direct_net("conv4", 1, 28, 28);
		direct_net("conv:8:3:1,bn,relu,conv:12:5,relu,pool:2,flatten",
		    2, 19, 23);
	} else {
		printf("test_net: no AVX-512, direct convolution not "
		    "tested\n");
	}
	return UNIT_END();
}
