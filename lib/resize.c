/* resize.c: u8 gray resizing, separable: area averaging when an axis
 * shrinks, bilinear when it grows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* The taps of one axis: output pixel d is the sum over k < n of
 * w[d * maxn + k] * in[first[d] + k]. */
struct taps {
	int maxn;
	int *first;
	int *n;
	double *w;
};

static void
taps_make(struct taps *t, int dn, int sn)
{
	/* an output pixel of a shrink covers sn/dn source pixels, which may
	 * straddle one more than that at each end */
	t->maxn = dn < sn ? sn / dn + 2 : 2;
	t->first = sym_emalloc((size_t)dn * sizeof(int));
	t->n = sym_emalloc((size_t)dn * sizeof(int));
	t->w = sym_ecalloc((size_t)dn * t->maxn, sizeof(double));
	for (int d = 0; d < dn; d++) {
		double *w = t->w + (size_t)d * t->maxn;

		if (dn == sn) {
			t->first[d] = d;
			t->n[d] = 1;
			w[0] = 1.0;
		} else if (dn < sn) {
			/* In units of 1/dn source pixel, output d spans
			 * [d*sn, (d+1)*sn) and source i spans [i*dn, (i+1)*dn):
			 * integer overlaps, so fractional coverage is exact. */
			long lo = (long)d * sn, hi = lo + sn;
			int i0 = (int)(lo / dn), i1 = (int)((hi - 1) / dn);

			t->first[d] = i0;
			t->n[d] = i1 - i0 + 1;
			for (int i = i0; i <= i1; i++) {
				long a = (long)i * dn, b = a + dn;
				if (a < lo)
					a = lo;
				if (b > hi)
					b = hi;
				w[i - i0] = (double)(b - a) / sn;
			}
		} else {
			/* pixel centres aligned: output d sits at source x */
			double x = (d + 0.5) * sn / dn - 0.5, f;
			int i0;

			if (x < 0)
				x = 0;
			if (x > sn - 1)
				x = sn - 1;
			i0 = (int)floor(x);
			f = x - i0;
			if (i0 + 1 > sn - 1 || f == 0.0) {
				t->first[d] = i0;
				t->n[d] = 1;
				w[0] = 1.0;
			} else {
				t->first[d] = i0;
				t->n[d] = 2;
				w[0] = 1.0 - f;
				w[1] = f;
			}
		}
	}
}

static void
taps_free(struct taps *t)
{
	free(t->first);
	free(t->n);
	free(t->w);
}

void
sym_resize_u8(uint8_t *out, int dw, int dh, const uint8_t *in, int sw,
    int sh)
{
	struct taps tx, ty;
	double *tmp;

	if (dw == sw && dh == sh) {
		memcpy(out, in, (size_t)sw * sh);
		return;
	}
	taps_make(&tx, dw, sw);
	taps_make(&ty, dh, sh);
	/* rows first: tmp is sh x dw */
	tmp = sym_emalloc((size_t)sh * dw * sizeof(double));
	for (int y = 0; y < sh; y++) {
		const uint8_t *row = in + (size_t)y * sw;
		for (int x = 0; x < dw; x++) {
			const double *w = tx.w + (size_t)x * tx.maxn;
			const uint8_t *p = row + tx.first[x];
			double s = 0;
			for (int k = 0; k < tx.n[x]; k++)
				s += w[k] * p[k];
			tmp[(size_t)y * dw + x] = s;
		}
	}
	for (int y = 0; y < dh; y++) {
		const double *w = ty.w + (size_t)y * ty.maxn;
		for (int x = 0; x < dw; x++) {
			const double *p = tmp + (size_t)ty.first[y] * dw + x;
			double s = 0;
			for (int k = 0; k < ty.n[y]; k++)
				s += w[k] * p[(size_t)k * dw];
			/* the tiny bias keeps exact halves from rounding down
			 * through accumulated error */
			s = floor(s + 0.5 + 1e-9);
			out[(size_t)y * dw + x] = s < 0 ? 0 : s > 255 ? 255 :
			    (uint8_t)s;
		}
	}
	free(tmp);
	taps_free(&tx);
	taps_free(&ty);
}
