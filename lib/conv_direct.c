/*
 * conv_direct.c: convolution without im2col, on x86-64 CPUs with
 * AVX-512: eval mode (with bn, relu and pooling fused), the forward pass
 * of training, and its input gradient.
 *
 * Why: in a conv4 embedding the GEMM of a layer is only half the time;
 * writing the im2col matrix (K*K copies of the input) and OpenBLAS
 * packing it again take another third, because with 64 output channels
 * each of those values feeds only 64 multiply-adds. Here the input is
 * copied once, with its zero border, and read in place.
 *
 * How: give every padded plane (Hp x Wp) a flat index f = y Wp + x. The
 * output at (y, x) is the sum over c, dy, dx of w[o][c][dy][dx] times
 * plane c at f + dy Wp + dx, so for 16 consecutive f each tap is one
 * contiguous load: 16 outputs of one row, or the end of one row and the
 * start of the next. Outputs at x >= OW (the border columns) are computed
 * and dropped, which costs Wp / OW more work than needed; layers where
 * that waste is large stay on the GEMM path. Each output is a sum in the
 * same order (c, dy, dx) whatever the batch, chunk or thread count, so
 * results are reproducible; they differ from the GEMM path's in the last
 * bits only.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define OB 8		/* output channels per kernel call */
#define VW 16		/* floats per vector */
/* zeros after the last plane: its border columns read up to K + 14
 * floats past it (the last vectors run past the last row) */
#define SLACK(K) ((size_t)(K) + 2 * VW)

struct dconv {
	float *out;
	const float *in, *pin, *wpk;
	const struct sym_conv_fuse *fuse;
	int C, H, W, K, pad, Hp, Wp, OH, OW, OC, nob, B, b0, nb, nrun;
	size_t plane, cs, N;
};

void
sym_pad_planes(float *dst, const float *in, int B, int H, int W, int pad,
    int b0, int nb, int lo, int hi)
{
	int Wp = W + 2 * pad;
	size_t plane = (size_t)(H + 2 * pad) * Wp;

	for (int p = lo; p < hi; p++) {
		int c = p / nb, b = p % nb;
		float *o = dst + (size_t)p * plane;
		const float *src = in + ((size_t)c * B + b0 + b) * H * W;

		memset(o, 0, plane * sizeof(float));
		for (int y = 0; y < H; y++)
			memcpy(o + (size_t)(y + pad) * Wp + pad,
			    src + (size_t)y * W, W * sizeof(float));
	}
}

static void
pad_part(void *ctx, int lo, int hi)
{
	const struct dconv *d = ctx;

	sym_pad_planes((float *)d->pin, d->in, d->B, d->H, d->W, d->pad,
	    d->b0, d->nb, lo, hi);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* sym_affine_pool_plane for S = 2, 16 outputs at a time: the same
 * picks (max, or min for a < 0, keeping the first of equals), then a
 * multiply and an add, not a fused multiply-add, so the same bits for
 * finite values (with NaNs among four, which one wins may differ, as it
 * does between that function's own vector and scalar columns; and the
 * build must not contract its a x + b, which -std=c11 ensures) */
__attribute__((target("avx512f")))
static void
pool2(float *out, const float *in, int PH, int PW, int stride, float a,
    float b, int relu)
{
	const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
	    20, 22, 24, 26, 28, 30), od = _mm512_add_epi32(ev,
	    _mm512_set1_epi32(1));
	__m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b),
	    z = _mm512_setzero_ps();
	int neg = a < 0;

	for (int y = 0; y < PH; y++, out += PW) {
		const float *r0 = in + (size_t)2 * y * stride, *r1 = r0 + stride;

		for (int x = 0; x < PW; x += VW) {
			int n = PW - x < VW ? PW - x : VW;
			__mmask16 lo = (__mmask16)(2 * n >= VW ? 0xffff :
			    (1u << 2 * n) - 1), hi = (__mmask16)(2 * n > VW ?
			    (1u << (2 * n - VW)) - 1 : 0),
			    m = (__mmask16)(n == VW ? 0xffff : (1u << n) - 1);
			__m512 u0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * x),
			    u1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * x + VW),
			    v0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * x),
			    v1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * x + VW),
			    c0, c1, e, o, v;

			/* max(p, q) is p > q ? p : q, min(p, q) p < q ? p : q:
			 * with the second operand the earlier one, equals
			 * keep it, as the generic picks do */
			c0 = neg ? _mm512_min_ps(v0, u0) : _mm512_max_ps(v0, u0);
			c1 = neg ? _mm512_min_ps(v1, u1) : _mm512_max_ps(v1, u1);
			e = _mm512_permutex2var_ps(c0, ev, c1);
			o = _mm512_permutex2var_ps(c0, od, c1);
			v = neg ? _mm512_min_ps(o, e) : _mm512_max_ps(o, e);
			v = _mm512_add_ps(_mm512_mul_ps(v, va), vb);
			if (relu)
				v = _mm512_max_ps(v, z);
			_mm512_mask_storeu_ps(out + x, m, v);
		}
	}
}

/* image b's outputs of channels ob*OB .., run[o][y Wp + x], to out
 * without the border columns, or through the fused affine and pool */
__attribute__((target("avx512f")))
static void
finish(const struct dconv *d, const float *run, int b, int ob)
{
	const struct sym_conv_fuse *f = d->fuse;

	for (int o = 0; o < OB && ob * OB + o < d->OC; o++) {
		int oc = ob * OB + o;
		const float *r = run + (size_t)o * d->nrun;

		if (f) {
			int PH = d->OH / f->S, PW = d->OW / f->S;

			float *po = f->out + ((size_t)oc * d->B + d->b0 + b) *
			    PH * PW;

			if (f->S == 2)
				pool2(po, r, PH, PW, d->Wp, f->a[oc], f->b[oc],
				    f->relu);
			else
				sym_affine_pool_plane(po, r, d->OH, d->OW,
				    d->Wp, f->S, f->a[oc], f->b[oc], f->relu);
			continue;
		}
		for (int y = 0; y < d->OH; y++)
			memcpy(d->out + oc * d->N + ((size_t)(d->b0 + b) *
			    d->OH + y) * d->OW, r + (size_t)y * d->Wp,
			    (size_t)d->OW * sizeof(float));
	}
}

/* items are (image, block of OB output channels); per item, two vectors
 * of flat positions at a time: 2 x OB accumulators, each tap one load
 * per vector and one broadcast weight per channel */
__attribute__((target("avx512f")))
static void
direct_part(void *ctx, int lo, int hi)
{
	const struct dconv *d = ctx;
	int C = d->C, K = d->K, Wp = d->Wp, npos = d->OH * d->Wp;
	/* one image's outputs for OB channels, border columns and all */
	float *run = sym_emalloc((size_t)OB * d->nrun * sizeof(float));

	for (int it = lo; it < hi; it++) {
		int b = it / d->nob, ob = it % d->nob;
		const float *img = d->pin + (size_t)b * d->plane;
		const float *wb = d->wpk + (size_t)ob * C * K * K * OB;

		for (int f0 = 0; f0 < npos; f0 += 2 * VW) {
			__m512 a0[OB], a1[OB];
			const float *w = wb;
			int two = f0 + VW < npos;

#pragma GCC unroll 8
			for (int o = 0; o < OB; o++)
				a0[o] = a1[o] = _mm512_setzero_ps();
			for (int c = 0; c < C; c++) {
				const float *s = img + (size_t)c * d->cs + f0;

				for (int dy = 0; dy < K; dy++)
					for (int dx = 0; dx < K; dx++, w += OB) {
						const float *q = s + dy * Wp + dx;
						__m512 x0 = _mm512_loadu_ps(q), x1;

						if (!two) {
#pragma GCC unroll 8
							for (int o = 0; o < OB; o++)
								a0[o] = _mm512_fmadd_ps(
								    _mm512_set1_ps(w[o]),
								    x0, a0[o]);
							continue;
						}
						x1 = _mm512_loadu_ps(q + VW);
#pragma GCC unroll 8
						for (int o = 0; o < OB; o++) {
							__m512 wo = _mm512_set1_ps(w[o]);

							a0[o] = _mm512_fmadd_ps(wo, x0,
							    a0[o]);
							a1[o] = _mm512_fmadd_ps(wo, x1,
							    a1[o]);
						}
					}
			}
#pragma GCC unroll 8
			for (int o = 0; o < OB; o++) {
				float *r = run + (size_t)o * d->nrun + f0;

				_mm512_storeu_ps(r, a0[o]);
				_mm512_storeu_ps(r + VW, a1[o]);
			}
		}
		finish(d, run, b, ob);
	}
	free(run);
}

/* libgcc reads the CPU's features before main; this only looks */
static int
have_avx512(void)
{
	return __builtin_cpu_supports("avx512f") != 0;
}
#else
static void
direct_part(void *ctx, int lo, int hi)
{
	(void)ctx;
	(void)lo;
	(void)hi;
}

static int
have_avx512(void)
{
	return 0;
}
#endif

size_t
sym_conv_direct_scratch(int C, int H, int W, int K, int pad)
{
	return (size_t)C * (H + 2 * pad) * (W + 2 * pad) + SLACK(K);
}

/* the CPU has AVX-512 and the border columns would take at most 40 %
 * of the work */
int
sym_conv_direct_runs(int H, int W, int K, int pad)
{
	int Wp = W + 2 * pad, OH = H + 2 * pad - K + 1, OW = Wp - K + 1,
	    nv = (OH * Wp + VW - 1) / VW;

	return have_avx512() && OH >= 1 && OW >= 1 &&
	    (double)OH * OW >= 0.6 * nv * VW;
}

size_t
sym_conv_direct_wsize(int C, int OC, int K)
{
	return (size_t)(OC + OB - 1) / OB * OB * C * K * K;
}

int
sym_conv_direct(float *out, const float *in, const float *w, int C, int B,
    int H, int W, int OC, int K, int pad, float *buf, size_t cap,
    float *wpk, const struct sym_conv_fuse *fuse)
{
	struct dconv d;
	int nv, kk = K * K;
	size_t slack = SLACK(K);

	if (!sym_conv_direct_runs(H, W, K, pad))
		return -1;
	d.out = out;
	d.in = in;
	d.pin = buf;
	d.wpk = wpk;
	d.fuse = fuse;
	d.C = C;
	d.H = H;
	d.W = W;
	d.K = K;
	d.pad = pad;
	d.Hp = H + 2 * pad;
	d.Wp = W + 2 * pad;
	d.OH = d.Hp - K + 1;
	d.OW = d.Wp - K + 1;
	d.OC = OC;
	d.nob = (OC + OB - 1) / OB;
	d.B = B;
	d.plane = (size_t)d.Hp * d.Wp;
	d.N = (size_t)B * d.OH * d.OW;
	nv = (d.OH * d.Wp + VW - 1) / VW;
	d.nrun = (nv + 1) / 2 * 2 * VW;
	if (cap < slack || (cap - slack) / d.plane / C < 1)
		return -1;
	d.nb = (int)((cap - slack) / d.plane / C);
	/* weights as [block][c][dy][dx][OB], zeros past OC */
	for (int ob = 0; ob < d.nob; ob++)
		for (int c = 0; c < C; c++)
			for (int t = 0; t < kk; t++)
				for (int o = 0; o < OB; o++) {
					int oc = ob * OB + o;

					wpk[(((size_t)ob * C + c) * kk + t) * OB +
					    o] = oc < OC ? w[((size_t)oc * C +
					    c) * kk + t] : 0;
				}
	for (d.b0 = 0; d.b0 < B; d.b0 += d.nb) {
		if (d.nb > B - d.b0)
			d.nb = B - d.b0;
		d.cs = (size_t)d.nb * d.plane;
		sym_par(pad_part, &d, C * d.nb, (size_t)C * d.nb * d.plane);
		memset(buf + (size_t)C * d.cs, 0, slack * sizeof(float));
		sym_par(direct_part, &d, d.nb * d.nob, (size_t)d.nb * OC *
		    d.OH * d.OW * C * kk);
	}
	return 0;
}
