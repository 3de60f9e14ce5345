/*
 * test_match: nearest-class search against brute force (exact answers,
 * top-K order, blocked equals unblocked, threads), class means, episodes
 * determinism, ROC AUC, EER and thresholds on toy scores, and the PNG,
 * font and sheet helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "unit.h"

/* The K best distinct labels by brute force, in double; ties to the
 * lower row, like sym_knn. */
static void
brute(uint32_t *ol, float *oc, const float *q, const float *s,
    const uint32_t *lab, size_t ns, int D, int K)
{
	double *best = malloc(ns * sizeof *best);
	size_t j, r;
	int k, i;

	for (j = 0; j < ns; j++) {
		double d = 0;

		for (k = 0; k < D; k++)
			d += ((double)q[k] - s[j * D + k]) *
			    ((double)q[k] - s[j * D + k]);
		best[j] = d;
	}
	for (i = 0; i < K; i++) {
		ol[i] = SYM_NOLABEL;
		oc[i] = INFINITY;
	}
	for (i = 0; i < K; i++) {
		size_t bj = ns;

		for (j = 0; j < ns; j++) {
			uint32_t l = lab ? lab[j] : (uint32_t)j;
			int taken = 0;

			for (r = 0; r < (size_t)i; r++)
				taken |= ol[r] == l;
			if (!taken && (bj == ns || best[j] < best[bj]))
				bj = j;
		}
		if (bj == ns)
			break;
		ol[i] = lab ? lab[bj] : (uint32_t)bj;
		oc[i] = (float)best[bj];
	}
	free(best);
}

static void
test_small(void)
{
	/* support rows 0..4 in 2-D, labels a=0 a=0 b=1 c=2 b=1 */
	static const float s[] = { 0, 0, 0, 1, 5, 5, 10, 0, 4, 6 };
	static const uint32_t lab[] = { 0, 0, 1, 2, 1 };
	static const float q[] = { 0.1f, 0.9f, 4, 5.5f, 9, 1 };
	float oc[9];
	uint32_t ol[9];
	struct sym_knn_opts o = { 1, SYM_METRIC_L2, 0, NULL, 0, 0, 1, 0, 0, 0 };

	/* plain nearest rows */
	sym_knn(ol, oc, q, 3, s, NULL, 5, 2, &o);
	CHECK(ol[0] == 1 && ol[1] == 4 && ol[2] == 3);
	CHECK_NEAR(oc[0], 0.02, 1e-5);
	CHECK_NEAR(oc[1], 0.25, 1e-5);
	CHECK_NEAR(oc[2], 2.0, 1e-5);
	/* the 3 best classes, best first: query 1 (4, 5.5) is b (4, 6)
	 * at 0.25, then c (10, 0) at 66.25, then a (0, 1) at 36.25: a
	 * before c */
	o.K = 3;
	sym_knn(ol, oc, q, 3, s, lab, 5, 2, &o);
	CHECK(ol[0] == 0 && ol[1] == 1 && ol[2] == 2);
	CHECK(ol[3] == 1 && ol[4] == 0 && ol[5] == 2);
	CHECK_NEAR(oc[4], 36.25, 1e-4);
	CHECK_NEAR(oc[5], 66.25, 1e-4);
	CHECK(ol[6] == 2 && ol[7] == 1 && ol[8] == 0);
	CHECK(oc[6] <= oc[7] && oc[7] <= oc[8]);
	/* more slots than classes: the rest stay empty */
	o.K = 3;
	sym_knn(ol, oc, q, 1, s, (const uint32_t[]){ 0, 0, 0, 1, 1 }, 5, 2,
	    &o);
	CHECK(ol[0] == 0 && ol[1] == 1 && ol[2] == SYM_NOLABEL);
	CHECK(isinf(oc[2]));
	/* ties go to the lower row: (5, 0) is 5 from rows 0, 2 and 3 */
	o.K = 1;
	sym_knn(ol, oc, (const float[]){ 5, 0 }, 1, s, NULL, 5, 2, &o);
	CHECK(ol[0] == 0);
}

/* Integer vectors make every distance exact, so any blocking and any
 * thread split must give identical answers, equal to brute force. */
static void
test_blocked(void)
{
	enum { NS = 1001, NQ = 77, D = 5, K = 4 };
	float *s = malloc(NS * D * sizeof *s), q[NQ * D];
	float c1[NQ * K], c2[NQ * K], c3[NQ * K], bc[K];
	uint32_t lab[NS], l1[NQ * K], l2[NQ * K], l3[NQ * K], bl[K];
	struct sym_knn_opts o = { K, SYM_METRIC_L2, 0, NULL, NQ, NS, 1, 0, 0, 0 };
	struct sym_rng rng;
	size_t i;
	int same = 1, ok = 1, r;

	sym_rng_seed(&rng, 42);
	for (i = 0; i < NS * D; i++)
		s[i] = (float)sym_rng_below(&rng, 7) - 3;
	for (i = 0; i < NQ * D; i++)
		q[i] = (float)sym_rng_below(&rng, 7) - 3;
	for (i = 0; i < NS; i++)
		lab[i] = (uint32_t)(i % 37);
	sym_knn(l1, c1, q, NQ, s, lab, NS, D, &o);
	o.qblock = 7;
	o.sblock = 13;
	sym_knn(l2, c2, q, NQ, s, lab, NS, D, &o);
	o.nthreads = 3;
	o.qblock = 5;
	sym_knn(l3, c3, q, NQ, s, lab, NS, D, &o);
	for (i = 0; i < NQ * K; i++)
		same &= l1[i] == l2[i] && c1[i] == c2[i] && l1[i] == l3[i] &&
		    c1[i] == c3[i];
	CHECK(same);
	for (i = 0; i < NQ; i++) {
		brute(bl, bc, q + i * D, s, lab, NS, D, K);
		for (r = 0; r < K; r++)
			ok &= bl[r] == l1[i * K + r] && bc[r] == c1[i * K + r];
	}
	CHECK(ok);
	/* plain k-NN of rows, too */
	o.nthreads = 2;
	sym_knn(l1, c1, q, NQ, s, NULL, NS, D, &o);
	ok = 1;
	for (i = 0; i < NQ; i++) {
		brute(bl, bc, q + i * D, s, NULL, NS, D, K);
		for (r = 0; r < K; r++)
			ok &= bl[r] == l1[i * K + r] && bc[r] == c1[i * K + r];
	}
	CHECK(ok);
	free(s);
}

/* The K best distinct labels by sym_dist2 over every row, ties to the
 * lower row: what sym_knn must return to the bit, whatever its pass. */
static void
brute_exact(uint32_t *ol, float *oc, const float *q, const float *s,
    const uint32_t *lab, size_t ns, int D, int K)
{
	size_t j;
	int i, r;

	for (i = 0; i < K; i++) {
		ol[i] = SYM_NOLABEL;
		oc[i] = INFINITY;
	}
	for (j = 0; j < ns; j++) {
		uint32_t l = lab ? lab[j] : (uint32_t)j;
		float d = sym_dist2(q, s + j * D, D);

		for (i = 0; i < K && ol[i] != SYM_NOLABEL && ol[i] != l; i++)
			;
		if (i < K && ol[i] == l) {
			if (!(d < oc[i]))
				continue;
		} else if (!(d < oc[K - 1])) {
			continue;
		} else {
			i = K - 1;
		}
		for (r = i; r > 0 && oc[r - 1] > d; r--) {
			ol[r] = ol[r - 1];
			oc[r] = oc[r - 1];
		}
		ol[r] = l;
		oc[r] = d;
	}
}

/* Every (pass, blocking, threads) against brute force on one data set:
 * the number of runs with a wrong answer or the wrong pass; frac: the
 * share of pairs scored exactly, the larger of the two passes' default
 * runs. Runs with sblock set convert the support block by block. */
static int
exact_case(const float *q, size_t nq, const float *s, const uint32_t *lab,
    size_t ns, int D, int K, double *frac)
{
	float *c = malloc(nq * K * sizeof *c);
	float *bc = malloc(nq * K * sizeof *bc);
	uint32_t *l = malloc(nq * K * sizeof *l);
	uint32_t *bl = malloc(nq * K * sizeof *bl);
	static const struct { size_t qb, sb; int nt, fp32; } run[] = {
		{ 0, 0, 1, 0 }, { 0, 0, 2, 0 }, { 5, 40, 3, 0 },
		{ 13, 1, 2, 0 }, { 0, 0, 1, 1 }, { 7, 13, 2, 1 },
	};
	size_t i, n;
	int bad = 0;

	*frac = 0;
	for (i = 0; i < nq; i++)
		brute_exact(bl + i * K, bc + i * K, q + i * D, s, lab, ns, D,
		    K);
	for (n = 0; n < sizeof run / sizeof run[0]; n++) {
		struct sym_knn_opts o = { K, SYM_METRIC_L2, 0, NULL, run[n].qb,
		    run[n].sb, run[n].nt, run[n].fp32, 0, 0 };

		sym_knn(l, c, q, nq, s, lab, ns, D, &o);
		if (o.used_bf16 != (!run[n].fp32 && sym_bf16_runs()))
			bad++;
		/* the default runs of each pass */
		if ((n == 0 || n == 4) && *frac < (double)o.rescored /
		    ((double)nq * ns))
			*frac = (double)o.rescored / ((double)nq * ns);
		for (i = 0; i < nq * K; i++)
			if (l[i] != bl[i] || memcmp(&c[i], &bc[i], sizeof *c)) {
				bad++;
				break;
			}
	}
	free(c);
	free(bc);
	free(l);
	free(bl);
	return bad;
}

static float
gauss(struct sym_rng *r)
{
	return (float)sym_rng_normal(r);
}

/* Float data where a fast pass's rounding matters: the answers are the
 * exact search's on Gaussian vectors, on ReLU-like ones sharing a large
 * common part (odd D), on a large offset (1000 + noise), with queries
 * that copy or nearly copy support rows, and with more list slots than
 * labels. */
static void
test_exact(void)
{
	enum { NS = 2500, NQ = 61, DMAX = 64 };
	float *s = malloc(NS * DMAX * sizeof *s), *q = malloc(NQ * DMAX *
	    sizeof *q);
	uint32_t *lab = malloc(NS * sizeof *lab);
	struct sym_rng rng;
	double frac;
	size_t i;
	int k;

	printf("# bf16 pass: %s\n", sym_bf16_runs() ? "runs" : "not on "
	    "this CPU (fp32 only)");
	sym_rng_seed(&rng, 7);
	for (i = 0; i < NS; i++)
		lab[i] = (uint32_t)(i % 97);
	/* Gaussian, D = 64 */
	for (i = 0; i < NS * 64; i++)
		s[i] = gauss(&rng);
	for (i = 0; i < NQ * 64; i++)
		q[i] = gauss(&rng);
	CHECK(exact_case(q, NQ, s, lab, NS, 64, 5, &frac) == 0);
	CHECK(exact_case(q, NQ, s, NULL, NS, 64, 1, &frac) == 0);
	/* the screen rules out nearly every pair (measured: 0.4 % of
	 * them scored exactly, most while the list fills) */
	CHECK(frac < 0.03);
	/* every label in the list (5 of 5), each a cluster of its own, so
	 * the 5th label's cost is far above the others': rows of labels in
	 * the list already are checked against their label's own cost
	 * before scoring */
	for (i = 0; i < NS; i++) {
		lab[i] = (uint32_t)(i % 5);
		for (k = 0; k < 16; k++)
			s[i * 16 + k] = gauss(&rng) + (k == (int)lab[i] ? 10 :
			    0);
	}
	for (i = 0; i < NQ; i++)
		for (k = 0; k < 16; k++)
			q[i * 16 + k] = gauss(&rng) + (k == (int)(i % 5) ? 10 :
			    0);
	CHECK(exact_case(q, NQ, s, lab, NS, 16, 5, &frac) == 0);
	CHECK(frac < 0.08);	/* 1.6 % measured; 25 % without that check */
	for (i = 0; i < NS; i++)
		lab[i] = (uint32_t)(i % 97);
	for (i = 0; i < NS; i++)
		lab[i] = (uint32_t)(i % 97);
	/* ReLU-like, D = 37; queries: copies, near copies, new */
	for (i = 0; i < NS * 37; i++) {
		float v = 3 + gauss(&rng);

		s[i] = v > 0 ? v : 0;
	}
	for (i = 0; i < NQ; i++)
		for (k = 0; k < 37; k++) {
			float v = 3 + gauss(&rng);

			q[i * 37 + k] = i % 3 == 0 ? s[(i * 41) * 37 + k] :
			    i % 3 == 1 ? s[(i * 41) * 37 + k] * (1 +
			    1e-6f * gauss(&rng)) : v > 0 ? v : 0;
		}
	CHECK(exact_case(q, NQ, s, NULL, NS, 37, 3, &frac) == 0);
	CHECK(exact_case(q, NQ, s, lab, NS, 37, 4, &frac) == 0);
	/* 1000 + noise: centring keeps the bound useful */
	for (i = 0; i < NS * 16; i++)
		s[i] = 1000 + 0.01f * gauss(&rng);
	for (i = 0; i < NQ * 16; i++)
		q[i] = 1000 + 0.01f * gauss(&rng);
	CHECK(exact_case(q, NQ, s, lab, NS, 16, 2, &frac) == 0);
	CHECK(frac < 0.05);	/* 0.7 % measured */
	/* 7 labels, 9 slots: the last two stay empty */
	for (i = 0; i < NS; i++)
		lab[i] = (uint32_t)(i % 7) * 3;
	CHECK(exact_case(q, NQ, s, lab, NS, 16, 9, &frac) == 0);
	/* squares in the denormals (1e-22), on a grid (exact ties) and
	 * not: fp32 underflows gradually, bf16 flushes to zero */
	for (k = 0; k < 20; k++) {
		int D = k % 2 ? 2 : 16, bad = 0;

		for (i = 0; i < 200 * (size_t)D; i++)
			s[i] = 1e-22f * (k % 4 < 2 ? (float)sym_rng_below(&rng,
			    8) : (float)sym_rng_uniform(&rng) * 2 - 1);
		for (i = 0; i < 200; i++)
			lab[i] = (uint32_t)sym_rng_below(&rng, 5);
		for (i = 0; i < 13 * (size_t)D; i++)
			q[i] = i / D % 4 == 0 ? s[i] : 1e-22f * (k % 4 < 2 ?
			    (float)sym_rng_below(&rng, 16) / 2 :
			    (float)sym_rng_uniform(&rng) * 2 - 1);
		bad += exact_case(q, 13, s, lab, 200, D, 3, &frac);
		CHECK(bad == 0);
	}
	/* squares near the largest float (D = 1): fl(snm - 2 q.s) can
	 * overflow to +inf with bf16's error while the distance is finite;
	 * the row at S must still replace the one just past it */
	{
		float S = 0x1.fffffcp+63f;

		for (i = 0; i < 513; i++) {
			s[i] = 0;
			lab[i] = 0;
		}
		s[510] = 0x1.60bf5ap+59f;	/* moves the centre */
		s[511] = nextafterf(S, INFINITY);
		lab[511] = 1;
		s[512] = S;
		lab[512] = 2;
		q[0] = 0;
		CHECK(exact_case(q, 1, s, lab, 513, 1, 2, &frac) == 0);
	}
	free(s);
	free(q);
	free(lab);
}

/* bce head: the search ranks by sym_pair_similarity */
static void
test_head(void)
{
	static const float s[] = { 0, 0, 1, 1, 3, 3 };
	static const float hp[] = { -1, -2, 0.5f };
	static const float q[] = { 2.9f, 3.2f };
	struct sym_knn_opts o = { 3, SYM_METRIC_HEAD, SYM_LOSS_BCE, hp, 0, 0,
	    1, 0, 0, 0 };
	uint32_t ol[3];
	float oc[3];

	sym_knn(ol, oc, q, 1, s, NULL, 3, 2, &o);
	CHECK(ol[0] == 2 && ol[1] == 1 && ol[2] == 0);
	CHECK_NEAR(1 - oc[0], sym_pair_similarity(SYM_LOSS_BCE, hp, 0, q,
	    s + 4, 2), 1e-6);
}

static void
test_means(void)
{
	static const float x[] = { 1, 2, 3, 4, 10, 10, 7, 7 };
	static const uint32_t lab[] = { 0, 0, 2, SYM_NOLABEL };
	float m[6];
	uint64_t cnt[3];

	sym_class_means(m, cnt, x, lab, 4, 3, 2);
	CHECK(cnt[0] == 2 && cnt[1] == 0 && cnt[2] == 1);
	CHECK(m[0] == 2 && m[1] == 3 && m[2] == 0 && m[4] == 10);
}

static void
test_episodes(void)
{
	enum { NC = 12, PER = 8, D = 3 };
	float x[NC * PER * D];
	uint32_t lab[NC * PER];
	char *names[NC], buf[NC][16];
	double m1, c1, m2, c2, a1[50], a2[50];
	struct sym_scorer sc = { 0, 1, NULL };
	struct sym_episode_opts eo = { 5, 1, 3, 1, 0, 9 };
	struct sym_rng rng;
	int i, k, same = 1;

	sym_rng_seed(&rng, 3);
	for (i = 0; i < NC * PER; i++) {
		lab[i] = (uint32_t)(i / PER);
		for (k = 0; k < D; k++)
			x[i * D + k] = (float)(lab[i] * (k == 0) +
			    sym_rng_normal(&rng) * 0.8);
	}
	for (i = 0; i < NC; i++) {
		snprintf(buf[i], sizeof buf[i], "g%d/c%d", i % 2, i);
		names[i] = buf[i];
	}
	CHECK(sym_episodes(&m1, &c1, a1, 50, x, lab, NC * PER, NC, names, D,
	    &sc, &eo) == 0);
	CHECK(sym_episodes(&m2, &c2, a2, 50, x, lab, NC * PER, NC, names, D,
	    &sc, &eo) == 0);
	for (i = 0; i < 50; i++)
		same &= a1[i] == a2[i];
	CHECK(same && m1 == m2 && c1 == c2);
	CHECK(m1 > 0.2 && m1 < 1 && c1 > 0);
	eo.within_group = 1;
	eo.way = 6;
	CHECK(sym_episodes(&m1, &c1, NULL, 10, x, lab, NC * PER, NC, names,
	    D, &sc, &eo) == 0);
	eo.way = 7;
	CHECK(sym_episodes(&m1, &c1, NULL, 10, x, lab, NC * PER, NC, names,
	    D, &sc, &eo) < 0);
	eo.within_group = 0;
	eo.queries = PER;
	CHECK(sym_episodes(&m1, &c1, NULL, 10, x, lab, NC * PER, NC, names,
	    D, &sc, &eo) < 0);
}

static void
test_verify(void)
{
	/* positives 0.9 0.6 0.4, negatives 0.7 0.3 0.2 */
	static const float s[] = { 0.9f, 0.7f, 0.6f, 0.4f, 0.3f, 0.2f };
	static const uint8_t y[] = { 1, 0, 1, 1, 0, 0 };
	static const float sep[] = { 0.9f, 0.8f, 0.1f, 0.2f };
	static const uint8_t ysep[] = { 1, 1, 0, 0 };
	static const float tie[] = { 0.5f, 0.5f, 0.5f, 0.5f };
	double auc, eer, thr, acc;
	float *rs;
	uint8_t *ry;
	struct sym_rng rng;
	int i;

	CHECK(sym_roc_auc(&auc, sep, ysep, 4) == 0 && auc == 1.0);
	CHECK(sym_eer(&eer, &thr, sep, ysep, 4) == 0 && eer == 0);
	CHECK(sym_best_threshold(&thr, &acc, sep, ysep, 4) == 0);
	CHECK(acc == 1.0 && thr > 0.2f && thr <= 0.8f);
	CHECK(sym_roc_auc(&auc, s, y, 6) == 0);
	CHECK_NEAR(auc, 7.0 / 9.0, 1e-12);
	CHECK(sym_eer(&eer, &thr, s, y, 6) == 0);
	CHECK_NEAR(eer, 1.0 / 3.0, 1e-12);
	CHECK(sym_best_threshold(&thr, &acc, s, y, 6) == 0);
	CHECK_NEAR(acc, 5.0 / 6.0, 1e-12);
	CHECK(thr == 0.4f);
	CHECK_NEAR(sym_threshold_accuracy(0.5f, s, y, 6), 4.0 / 6.0, 1e-12);
	/* ties count half */
	CHECK(sym_roc_auc(&auc, tie, ysep, 4) == 0 && auc == 0.5);
	/* one kind only is an error */
	CHECK(sym_roc_auc(&auc, sep, (const uint8_t[]){ 1, 1, 1, 1 }, 4) < 0);
	CHECK(strstr(sym_strerror(), "both") != NULL);
	/* random scores: about 0.5 */
	rs = malloc(20000 * sizeof *rs);
	ry = malloc(20000);
	sym_rng_seed(&rng, 5);
	for (i = 0; i < 20000; i++) {
		rs[i] = (float)sym_rng_uniform(&rng);
		ry[i] = (uint8_t)sym_rng_below(&rng, 2);
	}
	CHECK(sym_roc_auc(&auc, rs, ry, 20000) == 0);
	CHECK_NEAR(auc, 0.5, 0.02);
	CHECK(sym_eer(&eer, &thr, rs, ry, 20000) == 0);
	CHECK_NEAR(eer, 0.5, 0.02);
	free(rs);
	free(ry);
}

static void
test_sheet(void)
{
	static const uint8_t red[3] = { 255, 0, 0 };
	const uint8_t *g = sym_font_glyph('A');
	struct sym_sheet sh;
	unsigned char buf[33];
	FILE *f;
	int i, ink = 0;

	CHECK(g[0] == 0x0e && g[3] == 0x1f);
	CHECK(sym_font_glyph(200) == sym_font_glyph('?'));
	CHECK(sym_sheet_new(&sh, 0, 5) < 0);
	CHECK(sym_sheet_new(&sh, 30, 20) == 0);
	CHECK(sh.rgb[0] == 255 && sh.rgb[30 * 20 * 3 - 1] == 255);
	/* "AB" is 11 pixels wide at scale 1 */
	CHECK(sym_sheet_text(&sh, 1, 1, "AB", 1, red) == 11);
	for (i = 0; i < 30 * 20; i++)
		ink += sh.rgb[3 * i + 1] == 0;
	CHECK(ink > 10);
	/* too long: the tail after '~' */
	CHECK(sym_sheet_text_fit(&sh, 0, 10, "abcdefgh", 17, red) == 17);
	/* UTF-8: a glyph per character, not per byte ("a" + a-umlaut +
	 * a 3-byte CJK character is 3 characters, 17 pixels) */
	CHECK(sym_sheet_text(&sh, 1, 1, "a\xc3\xa4\xe6\x97\xa5", 1, red) ==
	    17);
	CHECK(sym_sheet_text_fit(&sh, 0, 10, "a\xc3\xa4\xe6\x97\xa5", 17,
	    red) == 17);
	CHECK(sym_sheet_text_fit(&sh, 0, 10, "abcd\xe6\x97\xa5" "e", 17, red) ==
	    17);
	sym_sheet_frame(&sh, 0, 0, 30, 20, 1, red);
	CHECK(sh.rgb[0] == 255 && sh.rgb[1] == 0);
	sym_sheet_image(&sh, 2, 2, (const uint8_t[]){ 255, 0, 0, 255 }, 1, 2,
	    2, 2);
	CHECK(sh.rgb[(2 * 30 + 2) * 3] == 0 && sh.rgb[(2 * 30 + 4) * 3] ==
	    255);
	f = tmpfile();
	CHECK(f && sym_png_write_rgb(f, "tmp", sh.rgb, 30, 20) == 0);
	rewind(f);
	CHECK(fread(buf, 1, 33, f) == 33);
	CHECK(memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0);
	CHECK(memcmp(buf + 12, "IHDR", 4) == 0);
	CHECK(sym_get_u32(buf + 16) == 0x1e000000u);	/* 30 big-endian */
	CHECK(buf[24] == 8 && buf[25] == 2);	/* 8 bit, RGB */
	fclose(f);
	sym_sheet_free(&sh);
	sym_sheet_free(NULL);
}

int
main(void)
{
	test_small();
	test_blocked();
	test_exact();
	test_head();
	test_means();
	test_episodes();
	test_verify();
	test_sheet();
	return UNIT_END();
}
