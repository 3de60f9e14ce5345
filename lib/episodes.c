/*
 * episodes.c: few-shot evaluation. Each episode draws `way` classes,
 * `shot` support and `queries` query vectors of each, and classifies
 * every query against the episode's classes only: by the class mean
 * (prototype) or by its best support vector.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

float
sym_scorer_from_dist2(const struct sym_scorer *sc, float d2, int D)
{
	if (d2 < 0)
		d2 = 0;
	if (sc->loss == 0)
		return 1.0f / (1.0f + sqrtf(d2));
	return sym_dist2_similarity(sc->loss, sc->margin, d2, D);
}

float
sym_scorer_similarity(const struct sym_scorer *sc, const float *a,
    const float *b, int D)
{
	float d2 = 0, t;
	int k;

	if (sc->loss == SYM_LOSS_BCE || sc->loss == SYM_LOSS_CONCAT)
		return sym_pair_similarity(sc->loss, sc->hp, sc->margin, a, b,
		    D);
	for (k = 0; k < D; k++) {
		t = a[k] - b[k];
		d2 += t * t;
	}
	return sym_scorer_from_dist2(sc, d2, D);
}

static int
same_group(const char *a, const char *b)
{
	size_t n = sym_group_len(a);

	return n == sym_group_len(b) && strncmp(a, b, n) == 0;
}

/* For each class of the episode, a partial Fisher-Yates shuffle of its
 * rows brings `need` random ones to the front: sel[w * need + j]. */
static void
draw_rows(uint32_t *sel, struct sym_rng *rng, const uint32_t *cls, int W,
    int need, uint32_t *byclass, const uint64_t *start, const uint64_t *cnt)
{
	int w, j;

	for (w = 0; w < W; w++) {
		uint32_t *src = byclass + start[cls[w]];
		uint32_t nr = (uint32_t)cnt[cls[w]], r, t;

		for (j = 0; j < need; j++) {
			r = j + (uint32_t)sym_rng_below(rng, nr - j);
			t = src[j];
			src[j] = src[r];
			src[r] = t;
			sel[(size_t)w * need + j] = src[j];
		}
	}
}

/* Queries of the episode classified right: each class's first S rows
 * are its supports (averaged into proto[w] when mean), the next Q its
 * queries. Equal similarities go to the earlier class. */
static int
classify(const uint32_t *sel, const float *x, float *proto, int W, int S,
    int Q, int D, const struct sym_scorer *sc, int mean)
{
	int need = S + Q, ns = mean ? 1 : S, w, j, m, q, pred, right = 0;
	float best, v;

	for (w = 0; w < W; w++) {
		float *p = proto + (size_t)w * S * D;

		for (j = 0; j < S; j++)
			memcpy(p + (size_t)j * D, x + (size_t)sel[(size_t)w *
			    need + j] * D, (size_t)D * sizeof *p);
		if (!mean || S == 1)
			continue;
		for (j = 1; j < S; j++)
			for (m = 0; m < D; m++)
				p[m] += p[(size_t)j * D + m];
		for (m = 0; m < D; m++)
			p[m] /= (float)S;
	}
	for (w = 0; w < W; w++) {
		for (q = 0; q < Q; q++) {
			const float *qv = x + (size_t)sel[(size_t)w * need +
			    S + q] * D;

			pred = -1;
			best = -1;
			for (j = 0; j < W; j++)
				for (m = 0; m < ns; m++) {
					v = sym_scorer_similarity(sc, qv,
					    proto + ((size_t)j * S + m) * D, D);
					if (v > best) {
						best = v;
						pred = j;
					}
				}
			right += pred == w;
		}
	}
	return right;
}

int
sym_episodes(double *mean, double *ci, double *acc, long n,
    const float *x, const uint32_t *lab, size_t nx, uint32_t ncls,
    char *const *names, int D, const struct sym_scorer *sc,
    const struct sym_episode_opts *o)
{
	int W = o->way, S = o->shot, Q = o->queries, need = S + Q;
	uint64_t *cnt, *start;
	uint32_t *byclass, *elig, *pick, *grp, *sel, nelig = 0, c, ngrp, k;
	size_t i, *fill;
	float *proto;
	double sum = 0, sum2 = 0, a;
	long e;
	int w, right;
	struct sym_rng rng;

	/* rows of each class, contiguous: byclass[start[c] .. +cnt[c]] */
	cnt = sym_ecalloc(ncls + 1, sizeof *cnt);
	start = sym_ecalloc(ncls + 1, sizeof *start);
	for (i = 0; i < nx; i++)
		if (lab[i] < ncls)
			cnt[lab[i]]++;
	for (c = 0; c < ncls; c++)
		start[c + 1] = start[c] + cnt[c];
	byclass = sym_emalloc((start[ncls] + 1) * sizeof *byclass);
	fill = sym_ecalloc(ncls + 1, sizeof *fill);
	for (i = 0; i < nx; i++)
		if (lab[i] < ncls)
			byclass[start[lab[i]] + fill[lab[i]]++] = (uint32_t)i;
	free(fill);
	elig = sym_emalloc((ncls + 1) * sizeof *elig);
	for (c = 0; c < ncls; c++)
		if (cnt[c] >= (uint64_t)need)
			elig[nelig++] = c;
	/* Within groups, an episode's group is drawn among those with
	 * `way` eligible classes, each group equally likely. */
	grp = sym_emalloc((nelig + 1) * sizeof *grp);
	ngrp = 0;
	for (c = 0; c < nelig; c++) {
		uint32_t same = 0, first = 1;

		for (k = 0; k < nelig; k++) {
			if (!same_group(names[elig[c]], names[elig[k]]))
				continue;
			if (k < c)
				first = 0;
			same++;
		}
		if (first && same >= (uint32_t)W)
			grp[ngrp++] = elig[c];
	}
	if (nelig < (uint32_t)W || (o->within_group && ngrp == 0)) {
		free(cnt), free(start), free(byclass), free(elig), free(grp);
		if (o->within_group)
			return sym_seterr("no group has %d classes with at "
			    "least %d vectors", W, need);
		return sym_seterr("%u classes have at least %d vectors, "
		    "%d-way episodes need %d", nelig, need, W, W);
	}

	pick = sym_emalloc((size_t)(nelig + 1) * sizeof *pick);
	proto = sym_emalloc((size_t)W * S * D * sizeof *proto);
	sel = sym_emalloc((size_t)W * need * sizeof *sel);
	sym_rng_seed(&rng, o->seed);
	for (e = 0; e < n; e++) {
		uint32_t np = 0, *cls;

		/* the candidate classes, then a partial shuffle picks W */
		if (o->within_group) {
			const char *g = names[grp[sym_rng_below(&rng, ngrp)]];

			for (c = 0; c < nelig; c++)
				if (same_group(g, names[elig[c]]))
					pick[np++] = elig[c];
		} else {
			memcpy(pick, elig, nelig * sizeof *pick);
			np = nelig;
		}
		for (w = 0; w < W; w++) {
			uint32_t r = w + (uint32_t)sym_rng_below(&rng, np - w),
			    t = pick[w];

			pick[w] = pick[r];
			pick[r] = t;
		}
		cls = pick;
		draw_rows(sel, &rng, cls, W, need, byclass, start, cnt);
		right = classify(sel, x, proto, W, S, Q, D, sc,
		    o->reduce_mean);
		a = (double)right / ((double)W * Q);
		if (acc)
			acc[e] = a;
		sum += a;
		sum2 += a * a;
	}
	*mean = n ? sum / n : 0;
	*ci = 0;
	if (n > 1) {
		double var = (sum2 - sum * sum / n) / (n - 1);

		*ci = 1.96 * sqrt(var > 0 ? var : 0) / sqrt((double)n);
	}
	free(cnt), free(start), free(byclass), free(elig), free(grp);
	free(pick), free(proto), free(sel);
	return 0;
}
