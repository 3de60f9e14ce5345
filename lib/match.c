/*
 * match.c: the K best classes of each query among labelled support
 * vectors. Euclidean costs come from one GEMM per block of queries x
 * support rows (||q||^2 + ||s||^2 - 2 q.s; the best K are then scored
 * exactly), so a million support vectors cost the vectors plus one
 * block per thread; worker threads take blocks
 * of queries, each with its own scratch and single-threaded GEMM, so the
 * selection pass runs in parallel too.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* A 768 x 384 block of costs is 1.2 MB, about one core's L2 here, so the
 * selection pass reads what the GEMM just wrote from cache. Many queries
 * per block matter more than many support rows: OpenBLAS packs the
 * support rows again for every block of queries (measured on 100k x 10k,
 * d = 128: 128 x 2048 ran 25% slower). */
#define QBLOCK 768
#define SBLOCK 384
/* columns the selection pass screens at once, branch-free */
#define CHUNK 16

void
sym_sqnorms(float *out, const float *x, size_t n, int D)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		const float *r = x + i * (size_t)D;
		float s = 0;

		for (k = 0; k < D; k++)
			s += r[k] * r[k];
		out[i] = s;
	}
}

/* Put (lab, v, row) into slot i of a list sorted by cost, or higher up
 * past the entries that cost more, which move down one slot (slot i's
 * old entry is dropped). Equal costs stay in their order. */
static void
insert_at(uint32_t *l, float *c, size_t *rw, int i, uint32_t lab, float v,
    size_t row)
{
	int j;

	for (j = i; j > 0 && c[j - 1] > v; j--) {
		l[j] = l[j - 1];
		c[j] = c[j - 1];
		rw[j] = rw[j - 1];
	}
	l[j] = lab;
	c[j] = v;
	rw[j] = row;
}

/* Offer (lab, v) from support row `row` to one query's list of K
 * (labels l, costs c, rows rw, best first, empty slots SYM_NOLABEL /
 * INFINITY at the end). Callers only offer v below c[K-1], so v beats
 * the worst entry or lab's own. Equal costs keep the earlier entry first:
 * earlier support rows win ties. */
static void
offer(uint32_t *l, float *c, size_t *rw, int K, uint32_t lab, float v,
    size_t row)
{
	int i;

	for (i = 0; i < K && l[i] != SYM_NOLABEL; i++)
		if (l[i] == lab)
			break;
	if (i < K && l[i] == lab) {
		if (!(v < c[i]))
			return;
	} else {
		i = K - 1;
	}
	insert_at(l, c, rw, i, lab, v, row);
}

/* Scan one row of relative costs v_j = sn_j + row_j (row holds -2 q.s)
 * for rows s0.. of the support. Chunks whose every value is at or above
 * the threshold, nearly all of them once the list fills, cost one
 * vectorisable pass and no branch per value. */
static void
scan_row(uint32_t *l, float *c, size_t *rw, int K, const float *row,
    const float *sn, const uint32_t *lab, size_t s0, size_t nb)
{
	float thr = c[K - 1], t[CHUNK];
	size_t j0, j;
	int any;

	for (j0 = 0; j0 + CHUNK <= nb; j0 += CHUNK) {
		any = 0;
		for (j = 0; j < CHUNK; j++) {
			t[j] = sn[j0 + j] + row[j0 + j];
			any |= t[j] < thr;
		}
		if (!any)
			continue;
		for (j = 0; j < CHUNK; j++) {
			if (t[j] < thr) {
				size_t r = s0 + j0 + j;

				offer(l, c, rw, K, lab ? lab[r] :
				    (uint32_t)r, t[j], r);
				thr = c[K - 1];
			}
		}
	}
	for (; j0 < nb; j0++) {
		float v = sn[j0] + row[j0];

		if (v < thr) {
			size_t r = s0 + j0;

			offer(l, c, rw, K, lab ? lab[r] : (uint32_t)r, v,
			    r);
			thr = c[K - 1];
		}
	}
}

/* What the workers share. They take blocks of queries from `next` until
 * none are left, so a thread slowed down (by another process on a busy
 * machine, say) does fewer blocks instead of holding up the rest. */
struct work {
	uint32_t *olab;
	float *ocost;
	const float *q, *s, *snorm;
	const uint32_t *lab;
	size_t nq, ns, qb, sb;
	int D;
	const struct sym_knn_opts *o;
	atomic_size_t next;
};

/* The K entries of one query again, with exact squared distances:
 * ||q||^2 + ||s||^2 - 2 q.s loses about eps ||q||^2 to cancellation,
 * which is all of a near-duplicate's distance (a copy of a support
 * vector would score below 1). The GEMM chose the K; this orders them
 * by the exact distance (stable: ties keep their order). */
static void
rescore(uint32_t *l, float *c, size_t *rw, int K, const float *q,
    const float *s, int D)
{
	int r, k;

	for (r = 0; r < K && l[r] != SYM_NOLABEL; r++) {
		const float *sr = s + rw[r] * (size_t)D;
		float d = 0;

		for (k = 0; k < D; k++)
			d += (q[k] - sr[k]) * (q[k] - sr[k]);
		c[r] = d;
	}
	/* insertion sort */
	for (r = 1; r < K && l[r] != SYM_NOLABEL; r++)
		insert_at(l, c, rw, r, l[r], c[r], rw[r]);
}

/* Queries i0..i1 against the whole support, one GEMM block of blk
 * (qb x sb floats) at a time; rw: scratch for qb x K support rows. */
static void
knn_l2(struct work *w, size_t i0, size_t i1, float *blk, size_t *rw)
{
	size_t s0, nb, i, D = (size_t)w->D;
	int K = w->o->K;

	for (s0 = 0; s0 < w->ns; s0 += nb) {
		nb = w->ns - s0 < w->sb ? w->ns - s0 : w->sb;
		/* blk[(i1-i0) x nb] = -2 Q S^T */
		sym_gemm(0, 1, (int)(i1 - i0), (int)nb, w->D, -2.0f,
		    w->q + i0 * D, w->D, w->s + s0 * D, w->D, 0.0f, blk,
		    (int)nb);
		for (i = i0; i < i1; i++)
			scan_row(w->olab + i * K, w->ocost + i * K,
			    rw + (i - i0) * K, K, blk + (i - i0) * nb,
			    w->snorm + s0, w->lab, s0, nb);
	}
	for (i = i0; i < i1; i++)
		rescore(w->olab + i * K, w->ocost + i * K, rw + (i - i0) * K,
		    K, w->q + i * D, w->s, w->D);
}

/* A head (bce, concat) is no distance, so every pair is scored; the
 * support is walked in blocks so it stays in cache across queries. */
static void
knn_head(struct work *w, size_t i0, size_t i1, size_t *rw)
{
	const struct sym_knn_opts *o = w->o;
	size_t sb = 1024, s0, s1, i, j, D = (size_t)w->D;
	int K = o->K;

	for (s0 = 0; s0 < w->ns; s0 = s1) {
		s1 = s0 + sb < w->ns ? s0 + sb : w->ns;
		for (i = i0; i < i1; i++) {
			uint32_t *l = w->olab + i * K;
			float *c = w->ocost + i * K;

			for (j = s0; j < s1; j++) {
				float v = 1.0f - sym_pair_similarity(o->loss,
				    o->hp, 0, w->q + i * D, w->s + j * D,
				    w->D);
				uint32_t lj = w->lab ? w->lab[j] : (uint32_t)j;

				if (v < c[K - 1])
					offer(l, c, rw + (i - i0) * K, K,
					    lj, v, j);
			}
		}
	}
}

static void *
worker(void *arg)
{
	struct work *w = arg;
	float *blk = NULL;
	size_t i0, i1, *rw;

	/* the support row of every list entry: rescore() reads them */
	rw = sym_emalloc(w->qb * (size_t)w->o->K * sizeof *rw);
	if (w->o->metric != SYM_METRIC_HEAD)
		blk = sym_emalloc(w->qb * w->sb * sizeof *blk);
	while ((i0 = atomic_fetch_add(&w->next, w->qb)) < w->nq) {
		i1 = i0 + w->qb < w->nq ? i0 + w->qb : w->nq;
		if (w->o->metric == SYM_METRIC_HEAD)
			knn_head(w, i0, i1, rw);
		else
			knn_l2(w, i0, i1, blk, rw);
	}
	free(rw);
	free(blk);
	return NULL;
}

void
sym_knn(uint32_t *olab, float *ocost, const float *q, size_t nq,
    const float *s, const float *snorm, const uint32_t *lab, size_t ns,
    int D, const struct sym_knn_opts *o)
{
	struct work w;
	pthread_t tid[64];
	size_t i;
	int t, nt = o->nthreads > 0 ? o->nthreads : 1, started = 0;

	for (i = 0; i < nq * (size_t)o->K; i++) {
		olab[i] = SYM_NOLABEL;
		ocost[i] = INFINITY;
	}
	if (nq == 0 || ns == 0)
		return;
	w = (struct work){ olab, ocost, q, s, snorm, lab, nq, ns,
	    o->qblock ? o->qblock : QBLOCK, o->sblock ? o->sblock : SBLOCK,
	    D, o, 0 };
	/* heads score pair by pair: small blocks balance better */
	if (o->metric == SYM_METRIC_HEAD && !o->qblock)
		w.qb = 16;
	if (w.qb > nq)
		w.qb = nq;
	if (w.sb > ns)
		w.sb = ns;
	atomic_init(&w.next, 0);
	if (nt > 64)
		nt = 64;
	/* no thread without a block of queries to take */
	if ((size_t)nt > (nq + w.qb - 1) / w.qb)
		nt = (int)((nq + w.qb - 1) / w.qb);
	for (t = 1; t < nt; t++) {
		if (pthread_create(&tid[t], NULL, worker, &w) != 0)
			break;
		started = t;
	}
	/* this thread works too; if some could not start, it does more */
	worker(&w);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}

void
sym_class_means(float *out, uint64_t *cnt, const float *x,
    const uint32_t *lab, size_t n, uint32_t ncls, int D)
{
	size_t i, c;
	int k;

	memset(out, 0, (size_t)ncls * D * sizeof *out);
	memset(cnt, 0, (size_t)ncls * sizeof *cnt);
	for (i = 0; i < n; i++) {
		if (lab[i] == SYM_NOLABEL || lab[i] >= ncls)
			continue;
		for (k = 0; k < D; k++)
			out[(size_t)lab[i] * D + k] += x[i * D + k];
		cnt[lab[i]]++;
	}
	for (c = 0; c < ncls; c++)
		for (k = 0; k < D && cnt[c]; k++)
			out[c * D + k] /= (float)cnt[c];
}
