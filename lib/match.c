/*
 * match.c: the K best classes of each query among labelled support
 * vectors. Euclidean search in two passes: a fast one over every pair
 * (bf16 dot products where the CPU has AVX512-BF16, match_bf16.c; else
 * one fp32 GEMM per block of queries x support rows, ||s||^2 - 2 q.s)
 * whose error has a proven bound, so it rules out for good the support
 * rows that cannot make a query's list (on embeddings, all but a few
 * hundredths of a percent); then the rest are scored exactly
 * (sym_dist2) and offered to the list. Both passes work on vectors
 * centred on one point near the data, which keeps the bound tight when
 * the vectors share a large common part. The answers are those of an
 * exact search whatever the pass, block sizes or thread count. Memory
 * beyond the inputs stays bounded (a block per thread; the bf16 copy of
 * a support of up to 64 MiB is made once and shared), so a million
 * support vectors cost the vectors and little more. Worker threads take
 * blocks of queries, so the screening runs in parallel too.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

/* A 768 x 384 block of GEMM costs is 1.2 MB, about one core's L2 here,
 * so the screen reads what the GEMM just wrote from cache. Many queries
 * per block matter more than many support rows: OpenBLAS packs the
 * support rows again for every block of queries (measured on 100k x 10k,
 * d = 128: 128 x 2048 ran 25% slower). 768 is a multiple of the bf16
 * kernel's 12 queries per tile. */
#define QBLOCK 768
#define SBLOCK 384
/* bf16 pass: support rows per block, about 256 KiB of panels (the
 * tiles of a block of queries read them again from L2) */
#define BF16_BLOCK_BYTES (256u << 10)
/* the largest bf16 copy of the support made once for all threads;
 * beyond it each thread converts block by block */
#define BF16_SHARED_MAX ((size_t)64 << 20)
/* columns the GEMM screen looks at at once, branch-free */
#define CHUNK 16

/* eight sums side by side (vectorisable), then a fixed tree: the same
 * bits on every machine and for every caller */
float
sym_dist2(const float *a, const float *b, int D)
{
	float acc[8] = { 0 }, t;
	int k = 0, j;

	for (; k + 8 <= D; k += 8)
		for (j = 0; j < 8; j++) {
			t = a[k + j] - b[k + j];
			acc[j] += t * t;
		}
	for (j = 0; k < D; k++, j++) {
		t = a[k] - b[k];
		acc[j] += t * t;
	}
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
	    ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* Put (lab, v) into slot i of a list sorted by cost, or higher up past
 * the entries that cost more, which move down one slot (slot i's old
 * entry is dropped). Equal costs stay in their order. */
static void
insert_at(uint32_t *l, float *c, int i, uint32_t lab, float v)
{
	int j;

	for (j = i; j > 0 && c[j - 1] > v; j--) {
		l[j] = l[j - 1];
		c[j] = c[j - 1];
	}
	l[j] = lab;
	c[j] = v;
}

/* Offer (lab, v) to one query's list of K (labels l, costs c, best
 * first, empty slots SYM_NOLABEL / INFINITY at the end). Callers only
 * offer v below c[K-1], so v beats the worst entry or lab's own. Equal
 * costs keep the earlier entry first: support rows come in order, so
 * earlier rows win ties. */
static void
offer(uint32_t *l, float *c, int K, uint32_t lab, float v)
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
	insert_at(l, c, i, lab, v);
}

/* The screen's bound. A fast pass's dot product p of two vectors (as
 * the pass sees them, centred) is within c ||q|| ||s|| of the true one;
 * with norms, sums and the distance itself rounded in fp32 too, every
 * exact cost d satisfies
 *   qn + sn - 2 p - c ||q|| ||s|| - m (qn + sn) - a  <=  d
 * (qn, sn: squared norms). A support row whose left side exceeds the
 * query's K-th best cost so far cannot enter its list. c: bf16 rounds
 * each factor to 8 bits, u = 2^-8; fp32 sums of D products add gamma_D
 * = D 2^-24 / (1 - D 2^-24); both with a little room for the rounding
 * of the norms' square roots. m covers the fp32 sums of norms and of the
 * exact distance (gamma_D each, twice over for safety), the centring
 * and a handful of single roundings. a and m together cover what
 * underflow loses: denormal products and sums (gradual in fp32, flushed
 * to zero by VDPBF16PS, whose error on a flushed input is covered by
 * m sn, the rest by a). */
struct bound {
	float c, m, a;
};

static struct bound
bound_of(int D, int bf16)
{
	double g = D * 0x1p-24 / (1 - D * 0x1p-24), u = 0x1p-8;
	struct bound b;

	b.c = (float)(2 * (bf16 ? 2 * u + u * u + g : g) * (1 + 0x1p-10));
	b.m = (float)((4.0 * D + 64) * 0x1p-24);
	b.a = (float)(D * 0x1p-100);
	return b;
}

/* What the workers share. They take blocks of queries from `next` until
 * none are left, so a thread slowed down (by another process on a busy
 * machine, say) does fewer blocks instead of holding up the rest. */
struct work {
	uint32_t *olab;
	float *ocost;
	const float *q, *s;
	const uint32_t *lab;
	size_t nq, ns, qb, sb;
	int D, keep;		/* keep: list length, K or fewer labels */
	const struct sym_knn_opts *o;
	struct bound bd;
	/* the centre; bf16 pass: the support packed once (or NULL) */
	int bf16;
	const float *mu;
	const uint32_t *spk;
	const float *ssnm, *ssr;
	atomic_size_t next;
	atomic_uint_least64_t rescored;
};

/* One thread's block of queries i0 .. i0 + n - 1 and what its screen
 * needs: per query the bound's factor cq = c ||q|| and the threshold
 * rhs (the K-th cost so far, moved to the screen's side), qn its squared
 * norm; s0 the support row the current screen call starts at. */
struct block {
	struct work *w;
	size_t i0, n, s0;
	float *cq, *rhs, *qn;
	uint64_t rescored;
};

/* A cost tau of query i's list moved to the screen's side: a row whose
 * t exceeds it costs more than tau. */
static float
rhs_at(const struct block *b, size_t i, float tau)
{
	const struct work *w = b->w;
	float r = tau - b->qn[i] * (1 - w->bd.m) + w->bd.a;

	/* a query whose norm overflows is not screened at all */
	return r == r && b->qn[i] <= FLT_MAX ? r : INFINITY;
}

/* the screen's threshold: the K-th cost */
static float
rhs_of(const struct block *b, size_t i)
{
	const struct work *w = b->w;

	return rhs_at(b, i, w->ocost[(b->i0 + i) * w->o->K + w->keep - 1]);
}

/* Support row s0 + j, screen value t, was not ruled out for query
 * i0 + i. If its label is in the list already, it matters only if it
 * beats that label's own cost, lower than the K-th: check that first
 * (with K near the number of labels, most rows that pass the screen
 * fall here), then score it exactly. */
static void
candidate(void *ctx, size_t i, size_t j, float t)
{
	struct block *b = ctx;
	const struct work *w = b->w;
	size_t qi = b->i0 + i, row = b->s0 + j, K = (size_t)w->o->K;
	uint32_t *l = w->olab + qi * K, lab = w->lab ? w->lab[row] :
	    (uint32_t)row;
	float *c = w->ocost + qi * K, d;
	int r;

	for (r = 0; r < w->keep && l[r] != SYM_NOLABEL; r++)
		if (l[r] == lab) {
			if (t > rhs_at(b, i, c[r]) && t != INFINITY)
				return;
			break;
		}
	d = sym_dist2(w->q + qi * w->D, w->s + row * w->D, w->D);
	b->rescored++;
	if (d < c[w->keep - 1]) {
		offer(l, c, w->keep, lab, d);
		b->rhs[i] = rhs_of(b, i);
	}
}

/* GEMM screen of query i against nb support rows from b->s0: row holds
 * -2 q.s, snm and sr the rows' sn (1 - m) and ||s||. Chunks that are
 * all ruled out, nearly all of them once the list fills, cost one
 * vectorisable pass and no branch per value. A NaN t passes (the exact
 * score decides), and so does +inf, which may be rounding's overflow. */
static void
screen_row(struct block *b, size_t i, const float *row, const float *snm,
    const float *sr, size_t nb)
{
	float cq = b->cq[i], rhs = b->rhs[i], t[CHUNK];
	size_t j0, j;
	int any;

	for (j0 = 0; j0 + CHUNK <= nb; j0 += CHUNK) {
		any = 0;
		for (j = 0; j < CHUNK; j++) {
			t[j] = snm[j0 + j] + row[j0 + j] - cq * sr[j0 + j];
			any |= !(t[j] > rhs) | (t[j] == INFINITY);
		}
		if (!any)
			continue;
		for (j = 0; j < CHUNK; j++)
			if (!(t[j] > b->rhs[i]) || t[j] == INFINITY)
				candidate(b, i, j0 + j, t[j]);
		rhs = b->rhs[i];
	}
	for (; j0 < nb; j0++) {
		float v = snm[j0] + row[j0] - cq * sr[j0];

		if (!(v > b->rhs[i]) || v == INFINITY)
			candidate(b, i, j0, v);
	}
}

/* snm (1 - m) and ||s|| of n rows from their squared norms */
static void
screen_norms(float *snm, float *sr, size_t n, float m)
{
	size_t j;

	for (j = 0; j < n; j++) {
		sr[j] = sqrtf(snm[j]);
		snm[j] *= 1 - m;
	}
}

/* n rows of x - mu into out (n x D), their squared norms into sn:
 * sym_dist2 squares the same rounded differences, in eight sums side by
 * side (a sequential sum would cost a quarter of the GEMM it prepares) */
static void
centre_rows(float *out, float *sn, const float *x, const float *mu,
    size_t n, int D)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < D; k++)
			out[i * D + k] = x[i * D + k] - mu[k];
		sn[i] = sym_dist2(x + i * D, mu, D);
	}
}

/* Queries of block b against the whole support by fp32 GEMM of the
 * centred vectors, one block of qb x sb costs (blk) at a time; qc, sc:
 * scratch for the block's centred queries and sb centred support rows,
 * snm, sr for sb rows. */
static void
knn_gemm(struct block *b, float *blk, float *qc, float *sc, float *snm,
    float *sr)
{
	const struct work *w = b->w;
	size_t nb, i, D = (size_t)w->D;

	centre_rows(qc, b->qn, w->q + b->i0 * D, w->mu, b->n, w->D);
	for (i = 0; i < b->n; i++) {
		b->cq[i] = w->bd.c * sqrtf(b->qn[i]);
		b->rhs[i] = rhs_of(b, i);
	}
	for (b->s0 = 0; b->s0 < w->ns; b->s0 += nb) {
		nb = w->ns - b->s0 < w->sb ? w->ns - b->s0 : w->sb;
		centre_rows(sc, snm, w->s + b->s0 * D, w->mu, nb, w->D);
		screen_norms(snm, sr, nb, w->bd.m);
		/* blk[n x nb] = -2 Qc Sc^T */
		sym_gemm(0, 1, (int)b->n, (int)nb, w->D, -2.0f, qc, w->D, sc,
		    w->D, 0.0f, blk, (int)nb);
		for (i = 0; i < b->n; i++)
			screen_row(b, i, blk + i * nb, snm, sr, nb);
	}
}

/* Queries of block b against the whole support by the bf16 pass: qpk
 * the block's packed queries; spk, snm, sr scratch for one block of
 * support panels when the support was not packed once for all. */
static void
knn_bf16(struct block *b, uint32_t *qpk, uint32_t *spk, float *snm,
    float *sr)
{
	const struct work *w = b->w;
	size_t nb, i, D2 = ((size_t)w->D + 1) / 2;
	struct sym_bf16_screen sc;

	sym_bf16_pack_rows(qpk, b->qn, w->q + b->i0 * (size_t)w->D, w->mu,
	    b->n, w->D);
	for (i = 0; i < b->n; i++) {
		b->cq[i] = w->bd.c * sqrtf(b->qn[i]);
		b->rhs[i] = rhs_of(b, i);
	}
	sc = (struct sym_bf16_screen){ qpk, NULL, NULL, NULL, b->cq, b->rhs,
	    b->n, 0, (int)D2, candidate, b };
	for (b->s0 = 0; b->s0 < w->ns; b->s0 += nb) {
		nb = w->ns - b->s0 < w->sb ? w->ns - b->s0 : w->sb;
		if (w->spk) {
			/* sb is a multiple of the 32 rows of a panel */
			sc.s = w->spk + b->s0 * D2;
			sc.snm = w->ssnm + b->s0;
			sc.sr = w->ssr + b->s0;
		} else {
			sym_bf16_pack_panels(spk, snm, w->s + b->s0 *
			    (size_t)w->D, w->mu, nb, w->D);
			screen_norms(snm, sr, (nb + 31) / 32 * 32, w->bd.m);
			sc.s = spk;
			sc.snm = snm;
			sc.sr = sr;
		}
		sc.ns = nb;
		sym_bf16_screen(&sc);
	}
}

/* A head (bce, concat) is no distance, so every pair is scored; the
 * support is walked in blocks so it stays in cache across queries. */
static void
knn_head(struct work *w, size_t i0, size_t i1)
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
					offer(l, c, K, lj, v);
			}
		}
	}
}

static void *
worker(void *arg)
{
	struct work *w = arg;
	struct block b = { w, 0, 0, 0, NULL, NULL, NULL, 0 };
	size_t i0, D2 = ((size_t)w->D + 1) / 2, sbp = (w->sb + 31) / 32 * 32;
	float *blk = NULL, *snm = NULL, *sr = NULL, *qc = NULL, *sc = NULL;
	uint32_t *qpk = NULL, *spk = NULL;

	if (w->o->metric != SYM_METRIC_HEAD) {
		b.cq = sym_emalloc(3 * w->qb * sizeof *b.cq);
		b.rhs = b.cq + w->qb;
		b.qn = b.rhs + w->qb;
		if (!w->bf16) {
			blk = sym_emalloc(w->qb * w->sb * sizeof *blk);
			qc = sym_emalloc(w->qb * (size_t)w->D * sizeof *qc);
			sc = sym_emalloc(w->sb * (size_t)w->D * sizeof *sc);
		} else {
			qpk = sym_emalloc(w->qb * D2 * sizeof *qpk);
		}
		if (w->bf16 && !w->spk)
			spk = sym_emalloc(sbp * D2 * sizeof *spk);
		if (!w->spk) {
			snm = sym_emalloc(2 * sbp * sizeof *snm);
			sr = snm + sbp;
		}
	}
	while ((i0 = atomic_fetch_add(&w->next, w->qb)) < w->nq) {
		b.i0 = i0;
		b.n = i0 + w->qb < w->nq ? w->qb : w->nq - i0;
		if (w->o->metric == SYM_METRIC_HEAD)
			knn_head(w, i0, i0 + b.n);
		else if (w->bf16)
			knn_bf16(&b, qpk, spk, snm, sr);
		else
			knn_gemm(&b, blk, qc, sc, snm, sr);
	}
	atomic_fetch_add(&w->rescored, b.rescored);
	free(b.cq);
	free(blk);
	free(qc);
	free(sc);
	free(qpk);
	free(spk);
	free(snm);
	return NULL;
}

/* How many distinct labels the support has, up to K: a list longer than
 * that never fills, and the screen would rule nothing out. */
static int
distinct_labels(const uint32_t *lab, size_t ns, int K)
{
	uint32_t max = 0, *seen;
	size_t j;
	int n = 0;

	if (!lab)
		return ns < (size_t)K ? (int)ns : K;
	for (j = 0; j < ns; j++)
		if (lab[j] > max)
			max = lab[j];
	/* labels far sparser than rows: not worth a bitmap (lists of
	 * more than the support's labels are only slower) */
	if (max / 64 > ns + 4096)
		return K;
	seen = sym_ecalloc((size_t)max / 32 + 1, sizeof *seen);
	for (j = 0; j < ns && n < K; j++)
		if (!(seen[lab[j] / 32] >> (lab[j] % 32) & 1)) {
			seen[lab[j] / 32] |= 1u << (lab[j] % 32);
			n++;
		}
	free(seen);
	return n;
}

/* The centre of the fast pass: the mean of up to 4096 support rows
 * spread over the support. Any centre gives exact answers; one near
 * the data gives small norms, a tight bound and few rows to rescore. */
static float *
centre_of(const float *s, size_t ns, int D)
{
	size_t step = ns > 4096 ? ns / 4096 : 1, j, n = 0;
	double *acc = sym_ecalloc((size_t)D, sizeof *acc);
	float *mu = sym_emalloc((size_t)D * sizeof *mu);
	int k;

	for (j = 0; j < ns; j += step, n++)
		for (k = 0; k < D; k++)
			acc[k] += s[j * D + k];
	for (k = 0; k < D; k++)
		mu[k] = (float)(acc[k] / (double)n);
	free(acc);
	return mu;
}

void
sym_knn(uint32_t *olab, float *ocost, const float *q, size_t nq,
    const float *s, const uint32_t *lab, size_t ns, int D,
    struct sym_knn_opts *o)
{
	struct work w;
	pthread_t tid[64];
	size_t i, D2 = ((size_t)D + 1) / 2;
	uint32_t *spk = NULL;
	float *mu = NULL, *ssnm = NULL;
	int t, nt = o->nthreads > 0 ? o->nthreads : 1, started = 0;

	for (i = 0; i < nq * (size_t)o->K; i++) {
		olab[i] = SYM_NOLABEL;
		ocost[i] = INFINITY;
	}
	o->used_bf16 = 0;
	if (nq == 0 || ns == 0)
		return;
	memset(&w, 0, sizeof w);
	w.olab = olab;
	w.ocost = ocost;
	w.q = q;
	w.s = s;
	w.lab = lab;
	w.nq = nq;
	w.ns = ns;
	w.D = D;
	w.o = o;
	w.qb = o->qblock ? o->qblock : QBLOCK;
	w.sb = o->sblock ? o->sblock : SBLOCK;
	w.keep = o->K;
	if (o->metric != SYM_METRIC_HEAD) {
		w.keep = distinct_labels(lab, ns, o->K);
		w.bf16 = !o->fp32 && sym_bf16_runs();
		w.bd = bound_of(w.bf16 ? (int)(2 * D2) : D, w.bf16);
		w.mu = mu = centre_of(s, ns, D);
	}
	if (w.bf16) {
		if (!o->sblock)
			w.sb = BF16_BLOCK_BYTES / (D2 * sizeof *spk);
		/* whole panels; at least one */
		w.sb = w.sb < 32 ? 32 : w.sb / 32 * 32;
		/* one copy for all threads, unless blocks were asked for */
		if (!o->sblock && (ns + 31) / 32 * 32 * D2 * sizeof *spk <=
		    BF16_SHARED_MAX) {
			size_t np = (ns + 31) / 32 * 32;

			spk = sym_emalloc(np * D2 * sizeof *spk);
			ssnm = sym_emalloc(2 * np * sizeof *ssnm);
			sym_bf16_pack_panels(spk, ssnm, s, mu, ns, D);
			screen_norms(ssnm, ssnm + np, np, w.bd.m);
			w.spk = spk;
			w.ssnm = ssnm;
			w.ssr = ssnm + np;
		}
	}
	/* heads score pair by pair: small blocks balance better */
	if (o->metric == SYM_METRIC_HEAD && !o->qblock)
		w.qb = 16;
	if (w.qb > nq)
		w.qb = nq;
	if (w.sb > ns && !w.bf16)
		w.sb = ns;
	atomic_init(&w.next, 0);
	atomic_init(&w.rescored, 0);
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
	o->used_bf16 = w.bf16;
	o->rescored += atomic_load(&w.rescored);
	free(spk);
	free(ssnm);
	free(mu);
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

/* Every value finite, and the squared length small enough that any
 * squared distance between two such vectors, at most 4 times the larger
 * one, is finite in float too. Items are named by their index in the
 * stream (0-based, as sym-match's query column). */
int
sym_embedding_check(const float *v, size_t D, const char *name,
    uint64_t index)
{
	double sq = 0;
	size_t k;

	for (k = 0; k < D; k++) {
		if (!isfinite(v[k]))
			return sym_seterr("%s: item %llu: value %zu is not "
			    "finite (%g)", name, (unsigned long long)index, k,
			    (double)v[k]);
		sq += (double)v[k] * v[k];
	}
	if (sq > FLT_MAX / 4)
		return sym_seterr("%s: item %llu: values too large (squared "
		    "length %g, over %g)", name, (unsigned long long)index,
		    sq, (double)(FLT_MAX / 4));
	return 0;
}
