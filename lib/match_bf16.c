/*
 * match_bf16.c: the first pass of the Euclidean search in bfloat16, on
 * x86-64 CPUs with AVX512-BF16 (checked at run time; match.c uses fp32
 * GEMM elsewhere).
 *
 * Why: each query x support distance costs one dot product of D
 * multiply-adds. fp32 GEMM tops out near 200 GFLOP/s on this machine's
 * 2 cores, which caps the search at about 4x FAISS; VDPBF16PS does 32
 * bf16 multiply-adds per instruction, fp32 FMA 16, at the same rate.
 *
 * Why the answers stay exact: bf16 keeps 8 significant bits, so each
 * product of rounded values is off by at most (2u + u^2) |q_k s_k|, u =
 * 2^-8, and the fp32 sums add at most gamma_D sum |q_k s_k|; by
 * Cauchy-Schwarz the dot product is within c ||q|| ||s|| of the true
 * one. match.c turns that into a lower bound on every squared distance,
 * rescores in fp32 only the support rows whose bound does not rule them
 * out of the K best, and so returns what an exact search returns. Both
 * sides are centred on one vector first (distances do not change, norms
 * shrink): embeddings that share a large common part, as ReLU outputs
 * do, would otherwise have a bound too loose to rule much out.
 *
 * Layout: VDPBF16PS multiplies 32-bit lanes holding two bf16 each, low
 * half with low half and high with high, and adds both products to one
 * fp32 lane. So a vector's dimensions 2j and 2j + 1 share one 32-bit
 * word; the support goes in panels of 32 rows, word j of all 32 rows
 * together (two registers), and a query's word j is broadcast to all
 * lanes.
 */
#include <math.h>
#include <string.h>

#include "sym.h"

#define PR 32	/* support rows per panel: two registers of 16 lanes */
#define TQ 12	/* queries per tile: 24 accumulators, 2 loads, 1 broadcast */

/* x in bf16, rounded to nearest, ties to even (x finite) */
static uint32_t
bf16(float x)
{
	uint32_t b;

	memcpy(&b, &x, sizeof b);
	return (b + 0x7fffu + ((b >> 16) & 1)) >> 16;
}

/* row x - mu (D floats) as D2 words; its squared norm in fp32 */
static float
pack_row(uint32_t *w, size_t stride, const float *x, const float *mu,
    int D)
{
	float sn = 0, a, b;
	int j;

	for (j = 0; 2 * j < D; j++) {
		a = x[2 * j] - mu[2 * j];
		b = 2 * j + 1 < D ? x[2 * j + 1] - mu[2 * j + 1] : 0;
		sn += a * a + b * b;
		w[j * stride] = bf16(a) | bf16(b) << 16;
	}
	return sn;
}

void
sym_bf16_pack_rows(uint32_t *w, float *sn, const float *x,
    const float *mu, size_t n, int D)
{
	size_t i, D2 = ((size_t)D + 1) / 2;

	for (i = 0; i < n; i++)
		sn[i] = pack_row(w + i * D2, 1, x + i * (size_t)D, mu, D);
}

void
sym_bf16_pack_panels(uint32_t *w, float *sn, const float *x,
    const float *mu, size_t n, int D)
{
	size_t i, D2 = ((size_t)D + 1) / 2, np = (n + PR - 1) / PR;

	memset(w, 0, np * PR * D2 * sizeof *w);
	for (i = n; i < np * PR; i++)
		sn[i] = 0;
	for (i = 0; i < n; i++)
		sn[i] = pack_row(w + i / PR * PR * D2 + i % PR, PR,
		    x + i * (size_t)D, mu, D);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bf16")))

/* Queries i0 .. i0 + R - 1 against panel p: the R x 32 dot products,
 * then the screen t = snm - 2 q.s - cq sr against each query's rhs;
 * rows it does not rule out go to cand, in row order. A NaN t (from
 * values too large for the bound) passes: the exact score decides; so
 * does t = +inf, which may be snm - 2 q.s overflowing with bf16's
 * error in q.s while the exact distance is finite. */
TARGET __attribute__((always_inline)) static inline void
tile(const struct sym_bf16_screen *sc, size_t i0, const int R, size_t p)
{
	const uint32_t *sp = sc->s + p * PR * sc->D2;
	const uint32_t *qp = sc->q + i0 * sc->D2;
	size_t j0 = p * PR, j;
	__m512 a0[TQ], a1[TQ], snm0, snm1, sr0, sr1, t0, t1;
	const __m512 inf = _mm512_set1_ps(INFINITY);
	__mmask16 v0, v1;
	float t[PR];
	int r, l;

	/* every loop over r unrolled: the accumulators stay in registers */
#pragma GCC unroll 12
	for (r = 0; r < R; r++) {
		a0[r] = _mm512_setzero_ps();
		a1[r] = _mm512_setzero_ps();
	}
	for (j = 0; j < (size_t)sc->D2; j++) {
		__m512i s0 = _mm512_loadu_si512(sp + j * PR);
		__m512i s1 = _mm512_loadu_si512(sp + j * PR + 16);

#pragma GCC unroll 12
		for (r = 0; r < R; r++) {
			__m512i b = _mm512_set1_epi32((int)qp[r * sc->D2 + j]);

			a0[r] = _mm512_dpbf16_ps(a0[r], (__m512bh)s0,
			    (__m512bh)b);
			a1[r] = _mm512_dpbf16_ps(a1[r], (__m512bh)s1,
			    (__m512bh)b);
		}
	}
	snm0 = _mm512_loadu_ps(sc->snm + j0);
	snm1 = _mm512_loadu_ps(sc->snm + j0 + 16);
	sr0 = _mm512_loadu_ps(sc->sr + j0);
	sr1 = _mm512_loadu_ps(sc->sr + j0 + 16);
	/* lanes of rows past the last */
	v0 = sc->ns - j0 >= 16 ? 0xffff :
	    (__mmask16)((1u << (sc->ns - j0)) - 1);
	v1 = sc->ns - j0 >= PR ? 0xffff : sc->ns - j0 <= 16 ? 0 :
	    (__mmask16)((1u << (sc->ns - j0 - 16)) - 1);
#pragma GCC unroll 12
	for (r = 0; r < R; r++) {
		__m512 cq = _mm512_set1_ps(sc->cq[i0 + r]);
		__m512 rhs = _mm512_set1_ps(sc->rhs[i0 + r]);
		uint32_t m;

		t0 = _mm512_fnmadd_ps(cq, sr0, _mm512_fmadd_ps(a0[r],
		    _mm512_set1_ps(-2.0f), snm0));
		t1 = _mm512_fnmadd_ps(cq, sr1, _mm512_fmadd_ps(a1[r],
		    _mm512_set1_ps(-2.0f), snm1));
		m = (uint32_t)((_mm512_cmp_ps_mask(t0, rhs, _CMP_NGT_UQ) |
		    _mm512_cmp_ps_mask(t0, inf, _CMP_EQ_OQ)) & v0) |
		    (uint32_t)((_mm512_cmp_ps_mask(t1, rhs, _CMP_NGT_UQ) |
		    _mm512_cmp_ps_mask(t1, inf, _CMP_EQ_OQ)) & v1) << 16;
		if (!m)
			continue;
		_mm512_storeu_ps(t, t0);
		_mm512_storeu_ps(t + 16, t1);
		/* a row rescored may have lowered rhs: check again */
		for (; m; m &= m - 1) {
			l = __builtin_ctz(m);
			if (!(t[l] > sc->rhs[i0 + r]) || t[l] == INFINITY)
				sc->cand(sc->ctx, i0 + r, j0 + (size_t)l,
				    t[l]);
		}
	}
}

TARGET void
sym_bf16_screen(const struct sym_bf16_screen *sc)
{
	size_t np = (sc->ns + PR - 1) / PR, i0, p;

	for (i0 = 0; i0 + TQ <= sc->nq; i0 += TQ)
		for (p = 0; p < np; p++)
			tile(sc, i0, TQ, p);
	for (; i0 < sc->nq; i0++)
		for (p = 0; p < np; p++)
			tile(sc, i0, 1, p);
}

/* libgcc reads the CPU's features before main; this only looks */
int
sym_bf16_runs(void)
{
	return __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bf16");
}
#else
void
sym_bf16_screen(const struct sym_bf16_screen *sc)
{
	(void)sc;
}

int
sym_bf16_runs(void)
{
	return 0;
}
#endif
