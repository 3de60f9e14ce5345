/* views.c: test-time views. A model can ask that each image be embedded
 * as several views of itself: its four quarter turns, the mirror image of
 * each, and each view averaged over the image and its four one-pixel
 * shifts. The views' embeddings are concatenated, so the distance of two
 * images sums over views: an ensemble of the tower with itself, at the
 * cost of more forward passes and no training. Trained with its turns as
 * extra classes (sym-train --rotate-classes), a tower embeds every turn
 * of a symbol well, and the views err on different queries. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sym.h"

static const struct {
	const char *name;
	int bit;
} view_names[] = {
	{ "turns", SYM_VIEW_TURNS },
	{ "mirror", SYM_VIEW_MIRROR },
	{ "shifts", SYM_VIEW_SHIFTS },
};

#define NNAMES (sizeof(view_names) / sizeof(view_names[0]))

int
sym_views_parse(const char *s)
{
	int v = 0;
	size_t i, len;

	if (strcmp(s, "none") == 0)
		return 0;
	while (*s) {
		len = strcspn(s, ",");
		for (i = 0; i < NNAMES; i++)
			if (strlen(view_names[i].name) == len &&
			    strncmp(s, view_names[i].name, len) == 0)
				break;
		if (i == NNAMES && len == 4 && strncmp(s, "none", 4) == 0)
			return sym_seterr("'none' goes alone, not in a list");
		if (i == NNAMES)
			return sym_seterr("unknown view '%.*s' (turns, "
			    "mirror, shifts or none)", (int)len, s);
		if (v & view_names[i].bit)
			return sym_seterr("'%s' given twice",
			    view_names[i].name);
		v |= view_names[i].bit;
		s += len;
		if (*s == ',' && *++s == 0)
			return sym_seterr("empty view name");
	}
	return v ? v : sym_seterr("empty view list");
}

const char *
sym_views_name(int views, char *buf, size_t n)
{
	size_t i, off = 0;

	if (!views) {
		snprintf(buf, n, "none");
		return buf;
	}
	buf[0] = 0;
	for (i = 0; i < NNAMES && off < n; i++)
		if (views & view_names[i].bit)
			off += snprintf(buf + off, n - off, "%s%s",
			    off ? "," : "", view_names[i].name);
	return buf;
}

int
sym_views_count(int views)
{
	return (views & SYM_VIEW_TURNS ? 4 : 1) *
	    (views & SYM_VIEW_MIRROR ? 2 : 1);
}

int
sym_views_check(int views, int loss, int h, int w)
{
	if (!views)
		return 0;
	if (loss != SYM_LOSS_CONTRASTIVE && loss != SYM_LOSS_PROTO)
		return sym_seterr("views need a distance head (contrastive "
		    "or proto), not %s", sym_loss_name(loss));
	if (views & SYM_VIEW_TURNS && h != w)
		return sym_seterr("turns need square images, not %dx%d", w,
		    h);
	return 0;
}

int
sym_views_width_check(size_t dim, int views)
{
	int n = sym_views_count(views);

	if (dim * n <= SYM_MAX_DIM)
		return 0;
	if (n == 1)
		return sym_seterr("embeddings of %zu numbers per image are "
		    "wider than a stream holds (%u): end the tower with "
		    "fewer numbers", dim, SYM_MAX_DIM);
	return sym_seterr("embeddings of %zu numbers per image (%zu per "
	    "view x %d views) are wider than a stream holds (%u): fewer "
	    "views, or a tower ending with fewer numbers", dim * n, dim, n,
	    SYM_MAX_DIM);
}

/* dst = src seen as view (turns r, mirror f) shifted by (dy, dx): dst's
 * pixel (y, x) comes from src (y + dy, x + dx), background outside, then
 * turned r quarter turns clockwise and mirrored left to right. */
static void
view_image(float *dst, const float *src, int C, int H, int W, int r, int f,
    int dy, int dx, float background)
{
	int c, y, x, k, sy, sx, t;

	for (c = 0; c < C; c++, dst += (size_t)H * W, src += (size_t)H * W)
		for (y = 0; y < H; y++)
			for (x = 0; x < W; x++) {
				sy = y + dy;
				sx = x + dx;
				if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
					dst[y * W + x] = background;
					continue;
				}
				for (k = 0; k < r; k++) {
					t = sy;
					sy = W - 1 - sx;
					sx = t;
				}
				if (f)
					sx = W - 1 - sx;
				dst[y * W + x] = src[(size_t)sy * W + sx];
			}
}

void
sym_model_embed(struct sym_model *m, int views, const float *x, int n,
    float *tmp, float *out)
{
	static const int dy[5] = { 0, -1, 1, 0, 0 }, dx[5] = { 0, 0, 0, -1, 1 };
	size_t isz = (size_t)m->c * m->h * m->w, D = (size_t)m->dim, q;
	int nt = views & SYM_VIEW_TURNS ? 4 : 1,
	    nf = views & SYM_VIEW_MIRROR ? 2 : 1,
	    ns = views & SYM_VIEW_SHIFTS ? 5 : 1, V = nt * nf, f, r, s, i;
	/* contrastive: scaled so that a squared distance is the mean over
	 * views, as the similarity 2^(-4 d^2 / margin^2) expects; proto's
	 * similarity already divides d^2 by the embedding length */
	float scale = m->loss == SYM_LOSS_PROTO ? 1.0f :
	    (float)(1 / sqrt((double)V));
	const float *e;

	if (!views) {
		memcpy(out, sym_model_forward(m, 0, x, n),
		    sizeof(float) * (size_t)n * D);
		return;
	}
	memset(out, 0, sizeof(float) * (size_t)n * D * V);
	for (f = 0; f < nf; f++)
		for (r = 0; r < nt; r++)
			for (s = 0; s < ns; s++) {
				for (i = 0; i < n; i++)
					view_image(tmp + i * isz, x + i * isz,
					    m->c, m->h, m->w, r, f, dy[s],
					    dx[s], m->offset);
				e = sym_model_forward(m, 0, tmp, n);
				for (i = 0; i < n; i++) {
					float *o = out + ((size_t)i * V +
					    (size_t)f * nt + r) * D;

					for (q = 0; q < D; q++)
						o[q] += e[(size_t)i * D + q] *
						    scale / ns;
				}
			}
}
