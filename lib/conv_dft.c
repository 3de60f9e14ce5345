/*
 * conv_dft.c: convolution by the discrete Fourier transform, for the
 * forward pass (eval and training) of layers whose kernels are large.
 *
 * Why: Koch's tower spends four fifths of its multiply-adds in one layer,
 * 128 kernels of 7 x 7 x 64 over 48 x 48 maps (708 M per image). A
 * convolution is a product in the frequency domain: with the planes'
 * transforms at hand, each output channel costs one complex multiply-add
 * per input channel and frequency instead of K x K per output position.
 * For that layer the work drops to about a seventh (transforms
 * included), which is what brings sym-embed of Koch nets past three
 * times PyTorch's speed on a CPU whose SGEMM the direct path already
 * saturates.
 *
 * How: every step is a matrix product, so OpenBLAS does the work and no
 * FFT code is needed; at these sizes (N of 10 to 50) a DFT by GEMM
 * costs N multiply-adds per point against about log N for an FFT, but
 * runs at GEMM speed. Planes of N1 x N2 (the input with its zero border)
 * are transformed along rows (real to complex, F = N2 / 2 + 1
 * frequencies) then along columns; the circular cross-correlation with
 * each kernel (zero-padded to N1 x N2 and transformed once) is
 * X conj(W) per frequency, a complex GEMM of the kernels' spectra by the
 * planes' spectra; the inverse transforms give the OH x OW outputs, the
 * circular wrap touching only positions past them. The kernels' spectra
 * are kept between calls (and recomputed when the weights change).
 * These GEMMs are small (inner dimensions N1, N2, C), and OpenBLAS's own
 * threads cost more than they save on them, so a batch is cut into
 * chunks of images and each thread runs whole chunks with one BLAS
 * thread.
 *
 * Numbers: the sums run in another order and through cosines, so results
 * differ from the direct path's by rounding: typically 4e-7 of the
 * layer's largest output, and within the 1e-5 the unit tests allow (as
 * does im2col + GEMM) where outputs cancel. They differ in the last
 * bits with the number of images per chunk too (GEMMs of other sizes
 * sum in other orders), so an image's embedding depends, in tens of
 * ulps, on the batch it came in. A value that is not finite spreads to
 * all of its image's outputs of the layer (it is in every frequency).
 * Training takes this path for the forward pass only: the backward pass
 * stays direct, its gradients those of the convolution this one equals
 * but for rounding. In training the weights change every step, so the
 * kernels' spectra are remade every step; Koch's training steps still
 * gained 18 % (median of 7 alternating rounds, 9-24 %); the input and
 * weight gradients stay direct and are most of a step.
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* scratch for a chunk of images, in floats (two buffers of about this
 * size each, per thread: 32 MB); more images per chunk make the
 * per-frequency GEMMs wider, but larger chunks fell out of cache
 * (Koch's second layer gets 7 images: its engine ran at 257-264 images/s
 * on 2 threads, 228-257 with 2 or 3 times the scratch) */
#define CHUNK_FLOATS ((size_t)4 << 20)
/* threads at most */
#define MAXT 16
/* the DFT must save this factor of the direct multiply-adds, as its
 * small GEMMs (inner dimensions N1, N2, C) run below the direct
 * kernel's speed */
#define PAYS 3.0

struct sym_conv_dft {
	int C, H, W, OC, K, pad;
	int N1, N2, F, OH, OW;
	float *r1;	/* N2 x 2F: row transform, cos | -sin */
	float *cs1;	/* 2 N1 x N1: column transform, cos ; sin */
	float *csi;	/* 2 OH x N1: inverse along columns, cos ; sin */
	float *mi;	/* OW x 2F: inverse along rows, scaled */
	float *wr, *wi;	/* N1 F x OC x C: the kernels' spectra */
	float *wcopy;	/* the weights they were made from */
	int have;	/* whether wr, wi hold any weights' spectra yet */
	size_t cap;	/* scratch floats per buffer and thread */
	int nb;		/* images per chunk */
	int ks;		/* frequencies kw per slice of the column inverse */
};

/* Each thread's two ping-pong buffers, shared by the DFT convolutions of
 * a net (they run one at a time), grown to the largest one's need and
 * kept: made anew for every call, their pages cost 8 % of a koch
 * sym-embed in faults and zeroing. */
struct sym_dft_scratch {
	float *a[MAXT], *b[MAXT];
	size_t cap;
};

struct sym_dft_scratch *
sym_dft_scratch_new(void)
{
	return sym_ecalloc(1, sizeof(struct sym_dft_scratch));
}

void
sym_dft_scratch_free(struct sym_dft_scratch *sc)
{
	if (!sc)
		return;
	for (int t = 0; t < MAXT; t++) {
		free(sc->a[t]);
		free(sc->b[t]);
	}
	free(sc);
}

/* multiply-adds of the DFT path per image, transforms included */
static double
dft_cost(int C, int OC, int N1, int N2, int OH, int OW)
{
	double F = N2 / 2 + 1;

	return C * (N1 * N2 * 2 * F + 2.0 * N1 * N1 * 2 * F) +
	    N1 * F * 4.0 * OC * C +
	    OC * (2.0 * OH * N1 * 2 * F + OH * 2 * F * OW);
}

int
sym_conv_dft_pays(int C, int H, int W, int OC, int K, int pad)
{
	int N1 = H + 2 * pad, N2 = W + 2 * pad, OH = N1 - K + 1,
	    OW = N2 - K + 1;
	double direct = (double)OC * C * K * K * OH * OW;

	if (K < 2 || OH < 1 || OW < 1)
		return 0;
	return dft_cost(C, OC, N1, N2, OH, OW) * PAYS < direct;
}

/* floats of scratch per image in each of the two buffers */
static void
per_image(const struct sym_conv_dft *d, size_t *pa, size_t *pb, int *pks)
{
	size_t N1 = d->N1, N2 = d->N2, F = d->F, C = d->C, OC = d->OC,
	    OH = d->OH, OW = d->OW, v;

	/* a: planes, then U, then Y and Q after it */
	*pa = C * N1 * N2;
	v = 2 * N1 * C * 2 * F;
	*pa = v > *pa ? v : *pa;
	v = N1 * F * OC * 2 + OH * 2 * F * OC;
	*pa = v > *pa ? v : *pa;
	/* b: T1, then X, then slices of V, then the outputs; V in slices
	 * of ks frequencies kw, as many as fit what the others need */
	*pb = N1 * C * 2 * F;
	v = N1 * F * C * 3;
	*pb = v > *pb ? v : *pb;
	v = OH * OC * OW;
	*pb = v > *pb ? v : *pb;
	v = 2 * OH * OC * 2;
	*pks = *pb / v < 1 ? 1 : *pb / v > F ? (int)F : (int)(*pb / v);
	if (*pb < v)
		*pb = v;
}

/*
 * The forward transform of P planes of hs x ws values (row stride ldr,
 * plane stride lds) set in the top-left corner of N1 x N2 zeros, into
 * u (2 N1 x P 2F): rows kh < N1 hold sum_h cos(2 pi kh h / N1) T[h],
 * rows N1 + kh the same with sin, where T[h][p] (2F: real parts, then
 * imaginary) is plane p's row h transformed. t: hs x P 2F of scratch.
 */
static void
forward2(const struct sym_conv_dft *d, float *u, float *t, const float *x,
    int P, int hs, int ws, size_t ldr, size_t lds)
{
	int F2 = 2 * d->F, h;

	for (h = 0; h < hs; h++)
		sym_gemm(0, 0, P, F2, ws, 1.0f, x + h * ldr, (int)lds, d->r1,
		    F2, 0.0f, t + (size_t)h * P * F2, F2);
	sym_gemm(0, 0, 2 * d->N1, P * F2, hs, 1.0f, d->cs1, d->N1, t,
	    P * F2, 0.0f, u, P * F2);
}

/* The transform of 2-D signal z at (kh, kw) from forward2's u:
 * (C - i S)(Tr + i Ti) = C Tr + S Ti + i (C Ti - S Tr). */
static inline void
spectrum_at(const struct sym_conv_dft *d, const float *u, size_t P, int kh,
    size_t p, int kw, float *re, float *im)
{
	size_t F = d->F, row = P * 2 * F;
	const float *c = u + kh * row + p * 2 * F,
	    *s = u + (d->N1 + kh) * row + p * 2 * F;

	*re = c[kw] + s[F + kw];
	*im = c[F + kw] - s[kw];
}

struct kern_args {
	struct sym_conv_dft *d;
	const float *u;
	int o0, no;		/* output channels in u */
};

/* kernels o0 .. o0 + no - 1 (all C each) from u into wr, wi */
static void
kern_part(void *ctx, int lo, int hi)
{
	const struct kern_args *k = ctx;
	struct sym_conv_dft *d = k->d;
	size_t P = (size_t)k->no * d->C, OC = d->OC, C = d->C;

	for (int kh = lo; kh < hi; kh++)
		for (int kw = 0; kw < d->F; kw++) {
			size_t bin = (size_t)kh * d->F + kw;

			for (int o = 0; o < k->no; o++)
				for (size_t c = 0; c < C; c++)
					spectrum_at(d, k->u, P, kh,
					    (size_t)o * C + c, kw,
					    &d->wr[(bin * OC + k->o0 + o) * C +
					    c],
					    &d->wi[(bin * OC + k->o0 + o) * C +
					    c]);
		}
}

/* The kernels' spectra, in chunks of output channels that fit the
 * scratch. */
static void
kernel_spectra(struct sym_conv_dft *d, struct sym_dft_scratch *sc,
    const float *w)
{
	size_t K = d->K, C = d->C, F2 = 2 * d->F;
	size_t per = 2 * d->N1 * C * F2, tper = K * C * F2;
	int no = (int)(d->cap / (per > tper ? per : tper));
	struct kern_args k = { d, sc->a[0], 0, 0 };

	if (no < 1)
		no = 1;
	for (k.o0 = 0; k.o0 < d->OC; k.o0 += k.no) {
		k.no = d->OC - k.o0 < no ? d->OC - k.o0 : no;
		forward2(d, sc->a[0], sc->b[0], w + (size_t)k.o0 * C * K * K,
		    k.no * (int)C, (int)K, (int)K, K, K * K);
		sym_par(kern_part, &k, d->N1, (size_t)d->N1 * d->F * k.no *
		    C);
	}
	memcpy(d->wcopy, w, (size_t)d->OC * C * K * K * sizeof *w);
	d->have = 1;
}

struct sym_conv_dft *
sym_conv_dft_new(int C, int H, int W, int OC, int K, int pad)
{
	struct sym_conv_dft *d = sym_ecalloc(1, sizeof *d);
	size_t pa, pb, bins;
	int i, j;

	d->C = C, d->H = H, d->W = W, d->OC = OC, d->K = K, d->pad = pad;
	d->N1 = H + 2 * pad;
	d->N2 = W + 2 * pad;
	d->F = d->N2 / 2 + 1;
	d->OH = d->N1 - K + 1;
	d->OW = d->N2 - K + 1;
	d->r1 = sym_emalloc((size_t)d->N2 * 2 * d->F * sizeof(float));
	d->cs1 = sym_emalloc((size_t)2 * d->N1 * d->N1 * sizeof(float));
	d->csi = sym_emalloc((size_t)2 * d->OH * d->N1 * sizeof(float));
	d->mi = sym_emalloc((size_t)d->OW * 2 * d->F * sizeof(float));
	/* angles reduced exactly (integer products mod N) before the
	 * trigonometry, in double */
	for (i = 0; i < d->N2; i++)
		for (j = 0; j < d->F; j++) {
			double a = 2 * M_PI * ((long)i * j % d->N2) / d->N2;

			d->r1[i * 2 * d->F + j] = (float)cos(a);
			d->r1[i * 2 * d->F + d->F + j] = (float)-sin(a);
		}
	for (i = 0; i < d->N1; i++)
		for (j = 0; j < d->N1; j++) {
			double a = 2 * M_PI * ((long)i * j % d->N1) / d->N1;

			d->cs1[i * d->N1 + j] = (float)cos(a);
			d->cs1[(d->N1 + i) * d->N1 + j] = (float)sin(a);
			if (i < d->OH) {
				d->csi[i * d->N1 + j] = (float)cos(a);
				d->csi[(d->OH + i) * d->N1 + j] = (float)sin(a);
			}
		}
	/* c2r along rows: the bins between 0 and the Nyquist one stand for
	 * their mirror images too, hence 2; all scaled by 1 / (N1 N2) */
	for (i = 0; i < d->OW; i++)
		for (j = 0; j < d->F; j++) {
			double a = 2 * M_PI * ((long)i * j % d->N2) / d->N2,
			    s = (j == 0 || 2 * j == d->N2 ? 1.0 : 2.0) /
			    ((double)d->N1 * d->N2);

			d->mi[i * 2 * d->F + j] = (float)(s * cos(a));
			d->mi[i * 2 * d->F + d->F + j] = (float)(-s * sin(a));
		}
	bins = (size_t)d->N1 * d->F;
	d->wr = sym_emalloc(bins * OC * C * sizeof(float));
	d->wi = sym_emalloc(bins * OC * C * sizeof(float));
	d->wcopy = sym_emalloc((size_t)OC * C * K * K * sizeof(float));
	per_image(d, &pa, &pb, &d->ks);
	pa = pa > pb ? pa : pb;
	d->nb = (int)(CHUNK_FLOATS / pa);
	if (d->nb < 1)
		d->nb = 1;
	d->cap = pa * d->nb;
	/* the kernels' transform goes through the same buffers */
	pb = 2 * (size_t)d->N1 * C * 2 * d->F;
	if (pb > d->cap)
		d->cap = pb;
	return d;
}

void
sym_conv_dft_chunk(struct sym_conv_dft *d, int nb)
{
	if (nb >= 1 && nb < d->nb)
		d->nb = nb;
}

void
sym_conv_dft_free(struct sym_conv_dft *d)
{
	if (!d)
		return;
	free(d->r1);
	free(d->cs1);
	free(d->csi);
	free(d->mi);
	free(d->wr);
	free(d->wi);
	free(d->wcopy);
	free(d);
}

/* A chunk of images b0 .. b0 + nb - 1 and the scratch it runs in. */
struct chunk {
	const struct sym_conv_dft *d;
	const struct sym_conv_fuse *fuse;
	float *out, *a, *b;
	const float *in;
	int B, b0, nb;
	int kw0, kw1;		/* the slice of V in b */
};

/* the chunk's images into zero-bordered N1 x N2 planes in a */
static void
planes_part(void *ctx, int lo, int hi)
{
	const struct chunk *k = ctx;
	const struct sym_conv_dft *d = k->d;

	sym_pad_planes(k->a, k->in, k->B, d->H, d->W, d->pad, k->b0, k->nb,
	    lo, hi);
}

/* the planes' spectra from U (in a) into b as X[bin][c][3 nb]: real
 * parts, imaginary parts, negated real parts, so that one GEMM operand
 * with row stride 3 nb reads (Xr | Xi) and another (Xi | -Xr) */
static void
spectra_part(void *ctx, int lo, int hi)
{
	const struct chunk *k = ctx;
	const struct sym_conv_dft *d = k->d;
	size_t nb = k->nb, P = (size_t)d->C * nb;

	for (int kh = lo; kh < hi; kh++)
		for (int c = 0; c < d->C; c++)
			for (size_t b = 0; b < nb; b++)
				for (int kw = 0; kw < d->F; kw++) {
					float *x = k->b + (((size_t)kh * d->F +
					    kw) * d->C + c) * 3 * nb + b, re, im;

					spectrum_at(d, k->a, P, kh, c * nb + b,
					    kw, &re, &im);
					x[0] = re;
					x[nb] = im;
					x[2 * nb] = -re;
				}
}

/* Y = X conj(W) at each frequency: (Yr | Yi) = Wr (Xr | Xi) +
 * Wi (Xi | -Xr), OC x 2 nb, into a as Y[kh][kw][o][2 nb] */
static void
products(const struct chunk *k)
{
	const struct sym_conv_dft *d = k->d;
	size_t bins = (size_t)d->N1 * d->F, OC = d->OC, C = d->C;
	int nb = k->nb;

	for (size_t bin = 0; bin < bins; bin++) {
		const float *x = k->b + bin * C * 3 * nb;
		float *y = k->a + bin * OC * 2 * nb;

		sym_gemm(0, 0, (int)OC, 2 * nb, (int)C, 1.0f, d->wr + bin *
		    OC * C, (int)C, x, 3 * nb, 0.0f, y, 2 * nb);
		sym_gemm(0, 0, (int)OC, 2 * nb, (int)C, 1.0f, d->wi + bin *
		    OC * C, (int)C, x + nb, 3 * nb, 1.0f, y, 2 * nb);
	}
}

/* The inverse along columns for frequencies kw0 .. kw1 - 1 was
 * V = (cos ; sin) Y, in b as V[h][kw - kw0][o][2 nb];
 * (C + i S)(Yr + i Yi) = C Yr - S Yi + i (C Yi + S Yr), into
 * Q[h][2F][o nb + b] for the row inverse, in a past Y's end (see
 * run_chunk). */
static void
inverse_part(void *ctx, int lo, int hi)
{
	const struct chunk *k = ctx;
	const struct sym_conv_dft *d = k->d;
	size_t nb = k->nb, F = d->F, OC = d->OC, ns = k->kw1 - k->kw0,
	    row = ns * OC * 2 * nb, qrow = OC * nb;
	float *q = k->a + (size_t)d->N1 * F * OC * 2 * nb;

	for (int h = lo; h < hi; h++)
		for (size_t kw = k->kw0; kw < (size_t)k->kw1; kw++)
			for (size_t o = 0; o < OC; o++) {
				const float *c = k->b + h * row +
				    ((kw - k->kw0) * OC + o) * 2 * nb,
				    *s = c + (size_t)d->OH * row;
				float *qr = q + ((size_t)h * 2 * F + kw) *
				    qrow + o * nb, *qi = qr + F * qrow;

				for (size_t b = 0; b < nb; b++) {
					qr[b] = c[b] - s[nb + b];
					qi[b] = c[nb + b] + s[b];
				}
			}
}

/* the outputs R[h][o nb + b][OW] in b into channel-major out, or
 * pooled as sym_affine_pool_forward would into fuse->out */
static void
out_part(void *ctx, int lo, int hi)
{
	const struct chunk *k = ctx;
	const struct sym_conv_dft *d = k->d;
	const struct sym_conv_fuse *f = k->fuse;
	size_t OH = d->OH, OW = d->OW, rows = (size_t)d->OC * k->nb;

	for (int o = lo; o < hi; o++)
		for (int b = 0; b < k->nb; b++)
			if (f) {
				size_t pp = (size_t)(OH / f->S) * (OW / f->S);

				sym_affine_pool_plane(f->out + ((size_t)o *
				    k->B + k->b0 + b) * pp, k->b + ((size_t)o *
				    k->nb + b) * OW, (int)OH, (int)OW,
				    (int)(rows * OW), f->S, f->a[o], f->b[o],
				    f->relu);
			} else for (size_t h = 0; h < OH; h++)
				memcpy(k->out + (((size_t)o * k->B + k->b0 +
				    b) * OH + h) * OW, k->b + (h * rows +
				    (size_t)o * k->nb + b) * OW,
				    OW * sizeof(float));
}

/* One chunk, start to end. sym_par splits the passes between GEMMs over
 * sym_par_nthreads() threads: one when chunks run side by side. */
static void
run_chunk(struct chunk *k)
{
	const struct sym_conv_dft *d = k->d;
	size_t nb = k->nb, P = (size_t)d->C * nb, F2 = 2 * d->F,
	    yrow = d->F * d->OC * 2 * nb, qrow = d->OC * nb;
	const float *q;

	sym_par(planes_part, k, (int)P, P * d->N1 * d->N2);
	/* U into a (its last GEMM, once the planes are read), T1 in b */
	forward2(d, k->a, k->b, k->a, (int)P, d->N1, d->N2, d->N2,
	    (size_t)d->N1 * d->N2);
	sym_par(spectra_part, k, d->N1, P * d->N1 * F2);
	products(k);
	/* V, a slice of frequencies kw at a time, into b; Q after Y in a
	 * (per_image counts both there) */
	for (k->kw0 = 0; k->kw0 < d->F; k->kw0 = k->kw1) {
		int ns;

		k->kw1 = k->kw0 + d->ks < d->F ? k->kw0 + d->ks : d->F;
		ns = k->kw1 - k->kw0;
		sym_gemm(0, 0, 2 * d->OH, (int)(ns * d->OC * 2 * nb), d->N1,
		    1.0f, d->csi, d->N1, k->a + (size_t)k->kw0 * d->OC * 2 *
		    nb, (int)yrow, 0.0f, k->b, (int)(ns * d->OC * 2 * nb));
		sym_par(inverse_part, k, d->OH, (size_t)d->OH * ns * d->OC *
		    2 * nb);
	}
	/* R[h] (OC nb x OW) = Q[h]^T Mi^T, into b */
	q = k->a + (size_t)d->N1 * yrow;
	for (int h = 0; h < d->OH; h++)
		sym_gemm(1, 1, (int)qrow, d->OW, (int)F2, 1.0f, q + h * F2 *
		    qrow, (int)qrow, d->mi, (int)F2, 0.0f, k->b + (size_t)h *
		    qrow * d->OW, d->OW);
	sym_par(out_part, k, d->OC, (size_t)d->OC * nb * d->OH * d->OW);
}

/* what the threads share: chunks are taken in turn from next */
struct job {
	struct sym_conv_dft *d;
	struct sym_dft_scratch *sc;
	const struct sym_conv_fuse *fuse;
	float *out;
	const float *in;
	int B;
	atomic_int next;
};

struct worker {
	struct job *j;
	int t;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->j;
	struct sym_conv_dft *d = j->d;
	struct chunk k = { d, j->fuse, j->out, j->sc->a[w->t], j->sc->b[w->t],
	    j->in, j->B, 0, 0, 0, 0 };
	int i;

	while ((i = atomic_fetch_add(&j->next, 1)) * d->nb < j->B) {
		k.b0 = i * d->nb;
		k.nb = j->B - k.b0 < d->nb ? j->B - k.b0 : d->nb;
		run_chunk(&k);
	}
	return NULL;
}

void
sym_conv_dft(struct sym_conv_dft *d, struct sym_dft_scratch *sc, float *out,
    const float *in, const float *w, int B, const struct sym_conv_fuse *fuse)
{
	size_t n = (size_t)d->OC * d->C * d->K * d->K;
	int blas = openblas_get_num_threads(), nt = sym_par_nthreads(),
	    nchunk = (B + d->nb - 1) / d->nb, t, par, started[MAXT] = { 0 };
	struct worker wk[MAXT];
	pthread_t tid[MAXT];
	struct job j;

	if (nt > MAXT)
		nt = MAXT;
	if (nt > nchunk)
		nt = nchunk;
	if (nt < 1)
		nt = 1;
	if (sc->cap < d->cap) {
		for (t = 0; t < MAXT; t++) {
			free(sc->a[t]);
			free(sc->b[t]);
			sc->a[t] = sc->b[t] = NULL;
		}
		sc->cap = d->cap;
	}
	for (t = 0; t < nt; t++)
		if (!sc->a[t]) {
			sc->a[t] = sym_emalloc(sc->cap * sizeof(float));
			sc->b[t] = sym_emalloc(sc->cap * sizeof(float));
		}
	/* the bits, not the values: NaN weights are weights too */
	if (!d->have || memcmp(w, d->wcopy, n * sizeof *w) != 0)
		kernel_spectra(d, sc, w);
	j.d = d;
	j.sc = sc;
	j.fuse = fuse;
	j.out = out;
	j.in = in;
	j.B = B;
	atomic_init(&j.next, 0);
	if (nt == 1) {
		/* one chunk (or one thread): OpenBLAS's threads, if any,
		 * work inside it */
		wk[0] = (struct worker){ &j, 0 };
		worker_run(&wk[0]);
		return;
	}
	/* each worker runs its chunk alone: no threads inside */
	sym_blas_threads(1);
	par = sym_par_threads(1);
	for (t = 1; t < nt; t++) {
		wk[t] = (struct worker){ &j, t };
		started[t] = pthread_create(&tid[t], NULL, worker_run,
		    &wk[t]) == 0;
	}
	wk[0] = (struct worker){ &j, 0 };
	worker_run(&wk[0]);
	for (t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
	sym_par_threads(par);
	sym_blas_threads(blas);
}
