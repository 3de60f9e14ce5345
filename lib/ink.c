/* ink.c: moment normalisation of a symbol image: its ink's centre of
 * mass to the image centre and, if asked, its spread to a fixed size.
 * Drawers put a symbol anywhere on the page and at any size; matching
 * against one example per class suffers from both (raw pixels badly, a
 * network less), so sym-load can remove them before anything else
 * looks. */
#include <math.h>
#include <string.h>

#include "sym.h"

/* Sub-samples per axis are capped: beyond this a shrink aliases a little
 * rather than costing k^2 reads per pixel without bound. */
#define MAX_SUB 8

/* Bilinear read of in (w x h) at (x, y); points outside read 0. */
static double
bilinear(const uint8_t *in, int w, int h, double x, double y)
{
	double fx = floor(x), fy = floor(y), ax = x - fx, ay = y - fy;
	int x0 = (int)fx, y0 = (int)fy;
	double s = 0;

	if (x <= -1 || y <= -1 || x >= w || y >= h)
		return 0;
	for (int dy = 0; dy < 2; dy++) {
		int yy = y0 + dy;
		double wy = dy ? ay : 1 - ay;

		if (yy < 0 || yy >= h || wy == 0)
			continue;
		for (int dx = 0; dx < 2; dx++) {
			int xx = x0 + dx;
			double wx = dx ? ax : 1 - ax;

			if (xx < 0 || xx >= w || wx == 0)
				continue;
			s += wx * wy * in[(size_t)yy * w + xx];
		}
	}
	return s;
}

void
sym_ink_normalize(uint8_t *out, const uint8_t *in, int w, int h,
    double radius)
{
	double m = 0, mx = 0, my = 0, var = 0, s = 1, cx, cy;
	int k = 1;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double v = in[(size_t)y * w + x];
			m += v;
			mx += v * x;
			my += v * y;
		}
	if (m == 0) {
		/* no ink: nothing to centre */
		memcpy(out, in, (size_t)w * h);
		return;
	}
	mx /= m;
	my /= m;
	if (radius > 0) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				double v = in[(size_t)y * w + x];
				var += v * ((x - mx) * (x - mx) +
				    (y - my) * (y - my));
			}
		/* a dot (spread under a pixel) is not blown up to fill the
		 * image */
		s = radius * (w < h ? w : h) / fmax(sqrt(var / m), 1.0);
		/* shrinking by s: average k x k samples per output pixel */
		k = (int)ceil(1 / s - 1e-9);
		k = k < 1 ? 1 : k > MAX_SUB ? MAX_SUB : k;
	}
	cx = (w - 1) * 0.5;
	cy = (h - 1) * 0.5;
	if (radius <= 0) {
		/* centring alone moves by whole pixels: the image stays
		 * sharp, pixel for pixel */
		mx = cx + floor(mx - cx + 0.5);
		my = cy + floor(my - cy + 0.5);
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double sum = 0, v;

			/* output (x, y) shows source (mx, my) + ((x, y) -
			 * centre) / s */
			for (int j = 0; j < k; j++)
				for (int i = 0; i < k; i++) {
					double u = x - 0.5 + (i + 0.5) / k;
					double t = y - 0.5 + (j + 0.5) / k;
					sum += bilinear(in, w, h,
					    mx + (u - cx) / s, my + (t - cy) / s);
				}
			v = floor(sum / (k * k) + 0.5 + 1e-9);
			out[(size_t)y * w + x] = v > 255 ? 255 : (uint8_t)v;
		}
}
