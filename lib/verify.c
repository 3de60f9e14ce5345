/*
 * verify.c: how well similarity scores separate "same" from "different"
 * pairs: ROC AUC, equal error rate, and accuracy at a threshold. All
 * sweep the scores sorted from high to low, a group of equal scores at a
 * time, since a threshold cannot split equal scores.
 */
#include <math.h>
#include <stdlib.h>

#include "sym.h"

struct item {
	float s;
	uint8_t y;
};

static int
by_score_desc(const void *a, const void *b)
{
	float x = ((const struct item *)a)->s, y = ((const struct item *)b)->s;

	return (x < y) - (x > y);
}

/* Sorted copy and the counts of positives and negatives; -1 unless both
 * occur or when a score is NaN. */
static struct item *
sorted(const float *score, const uint8_t *y, size_t n, size_t *np,
    size_t *nn)
{
	struct item *it;
	size_t i;

	*np = *nn = 0;
	for (i = 0; i < n; i++) {
		if (isnan(score[i])) {
			sym_seterr("score %zu is not a number", i);
			return NULL;
		}
		if (y[i])
			(*np)++;
		else
			(*nn)++;
	}
	if (*np == 0 || *nn == 0) {
		sym_seterr("need both same and different pairs (%zu same, "
		    "%zu different)", *np, *nn);
		return NULL;
	}
	it = sym_emalloc(n * sizeof *it);
	for (i = 0; i < n; i++)
		it[i] = (struct item){ score[i], y[i] ? 1 : 0 };
	qsort(it, n, sizeof *it, by_score_desc);
	return it;
}

int
sym_roc_auc(double *auc, const float *score, const uint8_t *y, size_t n)
{
	struct item *it;
	size_t np, nn, i, j, tp, gp, gn;
	double area = 0;

	if (!(it = sorted(score, y, n, &np, &nn)))
		return -1;
	/* each negative scores tp positives above it, half of those tied */
	tp = 0;
	for (i = 0; i < n; i = j) {
		gp = gn = 0;
		for (j = i; j < n && it[j].s == it[i].s; j++) {
			if (it[j].y)
				gp++;
			else
				gn++;
		}
		area += (double)gn * ((double)tp + 0.5 * (double)gp);
		tp += gp;
	}
	free(it);
	*auc = area / ((double)np * (double)nn);
	return 0;
}

int
sym_eer(double *eer, double *thr, const float *score, const uint8_t *y,
    size_t n)
{
	struct item *it;
	size_t np, nn, i, j, tp = 0, fp = 0;
	double far0 = 0, frr0 = 1, far, frr, t;
	float s0;

	if (!(it = sorted(score, y, n, &np, &nn)))
		return -1;
	/* Start accepting nothing (false accepts 0, false rejects 1), then
	 * lower the threshold group by group until the rates cross. */
	*eer = 0.5;
	*thr = it[0].s;
	s0 = it[0].s;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && it[j].s == it[i].s; j++) {
			if (it[j].y)
				tp++;
			else
				fp++;
		}
		far = (double)fp / nn;
		frr = 1 - (double)tp / np;
		if (frr <= far) {
			/* frr - far went from > 0 to <= 0 in this step */
			t = (frr0 - far0) / ((frr0 - far0) - (frr - far));
			*eer = far0 + t * (far - far0);
			*thr = i == 0 ? it[0].s : s0 + t * (it[i].s - s0);
			break;
		}
		far0 = far;
		frr0 = frr;
		s0 = it[i].s;
	}
	free(it);
	return 0;
}

int
sym_best_threshold(double *thr, double *acc, const float *score,
    const uint8_t *y, size_t n)
{
	struct item *it;
	size_t np, nn, i, j, tp = 0, fp = 0, right, best;

	if (!(it = sorted(score, y, n, &np, &nn)))
		return -1;
	/* accepting nothing: every negative right; the threshold is just
	 * above the top score */
	best = nn;
	*thr = nextafterf(it[0].s, INFINITY);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && it[j].s == it[i].s; j++) {
			if (it[j].y)
				tp++;
			else
				fp++;
		}
		right = tp + (nn - fp);
		if (right > best) {
			best = right;
			*thr = it[i].s;
		}
	}
	free(it);
	*acc = (double)best / n;
	return 0;
}

double
sym_threshold_accuracy(float t, const float *score, const uint8_t *y,
    size_t n)
{
	size_t i, right = 0;

	for (i = 0; i < n; i++)
		right += (score[i] >= t) == (y[i] != 0);
	return n ? (double)right / n : 0;
}
