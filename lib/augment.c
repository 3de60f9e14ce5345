/* augment.c: geometric augmentation: random affine distortions of float
 * images for training (Koch et al. 2015) and quarter turns of u8 images
 * for making new classes. */
#include <math.h>
#include <string.h>

#include "sym.h"

void
sym_rotate90_u8(uint8_t *out, const uint8_t *in, int c, int h, int w, int k)
{
	size_t plane = (size_t)h * w;

	k = ((k % 4) + 4) % 4;
	for (int ch = 0; ch < c; ch++) {
		const uint8_t *src = in + ch * plane;
		uint8_t *dst = out + ch * plane;

		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				uint8_t v = src[(size_t)y * w + x];
				/* where (x, y) lands after k counter-clockwise
				 * quarter turns; odd k makes out w x h */
				switch (k) {
				case 0:
					dst[(size_t)y * w + x] = v;
					break;
				case 1:
					dst[(size_t)(w - 1 - x) * h + y] = v;
					break;
				case 2:
					dst[(size_t)(h - 1 - y) * w +
					    (w - 1 - x)] = v;
					break;
				default:
					dst[(size_t)x * h + (h - 1 - y)] = v;
					break;
				}
			}
		}
	}
}

void
sym_mirror_u8(uint8_t *img, int c, int h, int w)
{
	for (size_t r = 0; r < (size_t)c * h; r++) {
		uint8_t *row = img + r * w;

		for (int x = 0; x < w / 2; x++) {
			uint8_t v = row[x];

			row[x] = row[w - 1 - x];
			row[w - 1 - x] = v;
		}
	}
}

void
sym_affine_warp(float *out, const float *in, int c, int h, int w,
    const double m[6])
{
	double cx = (w - 1) * 0.5, cy = (h - 1) * 0.5;
	size_t plane = (size_t)h * w;

	for (int y = 0; y < h; y++) {
		double v = y - cy;
		/* source point of (x = 0, y); each step in x adds (m0, m3) */
		double sx = m[0] * -cx + m[1] * v + m[2] + cx;
		double sy = m[3] * -cx + m[4] * v + m[5] + cy;

		for (int x = 0; x < w; x++, sx += m[0], sy += m[3]) {
			double fx = floor(sx), fy = floor(sy);
			int x0 = (int)fx, y0 = (int)fy;
			float ax = (float)(sx - fx), ay = (float)(sy - fy);
			float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay);
			float w10 = (1 - ax) * ay, w11 = ax * ay;
			size_t o = (size_t)y * w + x;

			if (sx <= -1 || sy <= -1 || sx >= w || sy >= h) {
				for (int ch = 0; ch < c; ch++)
					out[ch * plane + o] = 0;
				continue;
			}
			for (int ch = 0; ch < c; ch++) {
				const float *p = in + ch * plane;
				float s = 0;
				/* neighbours outside the image are background */
				if (y0 >= 0) {
					if (x0 >= 0)
						s += w00 * p[(size_t)y0 * w + x0];
					if (x0 + 1 < w)
						s += w01 *
						    p[(size_t)y0 * w + x0 + 1];
				}
				if (y0 + 1 < h) {
					if (x0 >= 0)
						s += w10 *
						    p[(size_t)(y0 + 1) * w + x0];
					if (x0 + 1 < w)
						s += w11 * p[(size_t)(y0 + 1) *
						    w + x0 + 1];
				}
				out[ch * plane + o] = s;
			}
		}
	}
}

void
sym_augment_affine(float *out, const float *in, int c, int h, int w,
    struct sym_rng *rng)
{
	const double pi = 3.14159265358979323846;
	double u[11], th = 0, shx = 0, shy = 0, scx = 1, scy = 1, tx = 0,
	    ty = 0;
	double a, b, cc, d, det, m[6];

	/* always draw the same count so the stream of numbers, and so the
	 * images, depend only on the seed */
	for (int i = 0; i < 11; i++)
		u[i] = sym_rng_uniform(rng);
	if (u[0] < 0.5)
		th = (u[4] * 20 - 10) * pi / 180;
	if (u[1] < 0.5) {
		shx = u[5] * 0.6 - 0.3;
		shy = u[6] * 0.6 - 0.3;
	}
	if (u[2] < 0.5) {
		scx = 0.8 + u[7] * 0.4;
		scy = 0.8 + u[8] * 0.4;
	}
	if (u[3] < 0.5) {
		tx = u[9] * 4 - 2;
		ty = u[10] * 4 - 2;
	}
	/* forward map A = R * Sh * Sc about the centre, then the shift:
	 * p_out = A p_in + t. The warp needs p_in = A^-1 (p_out - t). */
	{
		double cs = cos(th), sn = sin(th);
		/* Sh * Sc = [[scx, shx*scy], [shy*scx, scy]] */
		double s00 = scx, s01 = shx * scy, s10 = shy * scx, s11 = scy;

		a = cs * s00 - sn * s10;
		b = cs * s01 - sn * s11;
		cc = sn * s00 + cs * s10;
		d = sn * s01 + cs * s11;
	}
	det = a * d - b * cc;
	if (fabs(det) < 1e-6) {
		/* shear near +-1 with no scale cannot occur in these ranges,
		 * but never divide by zero */
		memcpy(out, in, (size_t)c * h * w * sizeof(float));
		return;
	}
	m[0] = d / det;
	m[1] = -b / det;
	m[3] = -cc / det;
	m[4] = a / det;
	m[2] = -(m[0] * tx + m[1] * ty);
	m[5] = -(m[3] * tx + m[4] * ty);
	sym_affine_warp(out, in, c, h, w, m);
}
