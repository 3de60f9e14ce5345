/* train.c: sym-train's loop. Pair losses train on pairs given in the
 * input (a shuffled pass per epoch) or drawn fresh from labelled images;
 * the prototypical loss trains on episodes. Every batch draws its
 * randomness from a generator seeded by (seed, epoch, step), so a run
 * resumed from a checkpoint at any step repeats the uninterrupted run
 * bit for bit. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sym.h"

#define VAL_PAIRS 2000		/* fixed validation pairs from labelled images */
#define VAL_SALT 0x76616c6964617465ull	/* "validate" */

/* Training images and how to draw from them. */
struct tdata {
	const char *name;
	uint64_t n;
	size_t isz;		/* C*H*W */
	const uint8_t *pix;	/* n * isz */
	const uint32_t *labels;
	struct sym_header hdr;	/* classes (after rotation) */
	uint8_t *own;		/* rotated copy, when made */
	uint32_t *ownlab;
	int pairs;		/* 1: train on the given pairs */
	uint64_t npairs;
	const uint64_t *pa, *pb;
	const uint8_t *psame;
	struct sym_sampler *smp;
};

/* Validation set and its fixed draws. */
struct vdata {
	const char *name;
	const struct sym_dataset *d;
	size_t isz;
	uint64_t npairs;	/* pairs scored: given or drawn */
	uint64_t *pa, *pb;
	uint8_t *psame;
	int way, episodes;	/* labelled only, else episodes = 0 */
	uint64_t *eidx;		/* episodes * way * 2 (support, query) */
	float *emb[2];		/* n x D per tower */
	float *x;		/* one batch of inputs */
};

struct trainer {
	const struct sym_train_opts *o;
	struct sym_model *m;
	struct tdata td;
	int D, ntower;
	size_t isz;
	/* one optimizer per block: tower 0, tower 1, head */
	struct sym_optim opt[3];
	float *bp[3], *bg[3];
	size_t bn[3];
	int nblock;
	long steps;		/* per epoch */
	long total;
	float *x, *tmp, *e1, *de, *same;
	uint64_t *ia, *ib;
	uint32_t *perm;
	const char *ckpt;	/* where checkpoints go */
	int ckpt_written;
	int tty;
	char valmsg[160];
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The generator of one batch: a function of the seed and the position
 * only, so there is no generator state to carry across a resume. */
static void
batch_rng(struct sym_rng *r, uint64_t seed, uint64_t epoch, uint64_t step)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull;

	x ^= (epoch + 1) * 0xbf58476d1ce4e5b9ull;
	x = (x << 17 | x >> 47) ^ (step + 1) * 0x94d049bb133111ebull;
	sym_rng_seed(r, x);
}

/* ---- data ---- */

/* The options that asked for extra classes, as a user typed them. */
static const char *
extra_opts(int turns, int mirror)
{
	if (turns && mirror)
		return "--rotate-classes --mirror-classes";
	return turns ? "--rotate-classes" : "--mirror-classes";
}

/* New classes made of old ones (Omniglot's trick for more classes): with
 * turns, each class's 90, 180 and 270 degree rotations ("name@90"); with
 * mirror, each class's mirror image and, with turns, its rotations
 * ("name@m", "name@m90"). Names keep their group (the part before the
 * last '/'). */
static void
extra_classes(struct tdata *t, const struct sym_dataset *d, int c, int h,
    int w, int turns, int mirror, size_t max_memory)
{
	const char *opt = extra_opts(turns, mirror);
	uint32_t nc = d->hdr.nclasses;
	int nt = turns ? 4 : 1, nv = nt * (mirror ? 2 : 1);
	size_t total;

	if (turns && h != w)
		sym_die("%s: --rotate-classes needs square images, not %dx%d",
		    t->name, w, h);
	/* the limit counts the input too: it stays in memory beside its nv
	 * copies */
	if (sym_mul_size(&total, (size_t)d->n, (nv + 1) * (t->isz + 4)) < 0 ||
	    (max_memory && total > max_memory))
		sym_die("%s: %s needs %.0f MB of memory, the limit is %.0f MB "
		    "(see --max-memory)", t->name, opt,
		    (double)(nv + 1) * d->n * (t->isz + 4) / 1e6 + 0.5,
		    max_memory / 1e6);
	/* total did not overflow, so neither do the copies' pixels */
	t->own = sym_emalloc((size_t)nv * d->n * t->isz + 1);
	t->ownlab = sym_emalloc(nv * d->n * sizeof(uint32_t));
	/* a fresh class list: the names first, as in the input */
	sym_header_free(&t->hdr);
	sym_header_init(&t->hdr, SYM_IMAGES, SYM_U8, c, h, w);
	for (int k = 0; k < nv; k++) {
		for (uint32_t i = 0; i < nc; i++) {
			char *s = sym_emalloc(strlen(d->hdr.classes[i]) + 8);
			int deg = 90 * (k % nt);

			if (k == 0)
				strcpy(s, d->hdr.classes[i]);
			else if (k < nt)
				sprintf(s, "%s@%d", d->hdr.classes[i], deg);
			else if (deg == 0)
				sprintf(s, "%s@m", d->hdr.classes[i]);
			else
				sprintf(s, "%s@m%d", d->hdr.classes[i], deg);
			sym_header_add_class(&t->hdr, s);
			free(s);
		}
	}
	for (int k = 0; k < nv; k++) {
		for (uint64_t i = 0; i < d->n; i++) {
			uint64_t j = k * d->n + i;
			uint32_t l = d->labels[i];
			uint8_t *dst = t->own + j * t->isz;

			sym_rotate90_u8(dst, d->u8 + i * t->isz, c, h, w,
			    k % nt);
			if (k >= nt)
				sym_mirror_u8(dst, c, h, w);
			t->ownlab[j] = l == SYM_NOLABEL ? l : l + k * nc;
		}
	}
	t->n = nv * d->n;
	t->pix = t->own;
	t->labels = t->ownlab;
}

static void
check_kind(const struct sym_dataset *d, const char *name)
{
	if (d->hdr.kind != SYM_IMAGES && d->hdr.kind != SYM_PAIRS)
		sym_die("%s: expected images or pairs, got %s", name,
		    sym_kind_name(d->hdr.kind));
	if (d->hdr.dtype != SYM_U8)
		sym_die("%s: expected u8 items, got %s", name,
		    sym_dtype_name(d->hdr.dtype));
}

static void
setup_data(struct trainer *tr, const struct sym_dataset *d,
    const char *name)
{
	const struct sym_train_opts *o = tr->o;
	struct tdata *t = &tr->td;

	check_kind(d, name);
	t->name = name;
	t->isz = tr->isz;
	t->n = d->n;
	t->pix = d->u8;
	t->labels = d->labels;
	sym_header_copy(&t->hdr, &d->hdr);
	if (d->n == 0)
		sym_die("%s: no images to train on", name);
	if (d->hdr.kind == SYM_PAIRS) {
		if (o->loss == SYM_LOSS_PROTO)
			sym_die("%s: --loss proto needs labelled images, got "
			    "pairs", name);
		if (o->rotate_classes || o->mirror_classes)
			sym_die("%s: %s needs labelled images, got pairs",
			    name, extra_opts(o->rotate_classes,
			    o->mirror_classes));
		if (d->npairs == 0)
			sym_die("%s: no pairs to train on", name);
		t->pairs = 1;
		t->npairs = d->npairs;
		t->pa = d->pa;
		t->pb = d->pb;
		t->psame = d->psame;
		return;
	}
	if (o->rotate_classes || o->mirror_classes)
		extra_classes(t, d, (int)d->hdr.c, (int)d->hdr.h,
		    (int)d->hdr.w, o->rotate_classes, o->mirror_classes,
		    o->max_memory);
	t->smp = sym_sampler_new(t->labels, t->n, &t->hdr);
	if (o->loss == SYM_LOSS_PROTO) {
		uint32_t k = sym_sampler_classes_with(t->smp,
		    (uint64_t)o->shot + o->query);

		if (k < (uint32_t)o->way)
			sym_die("%s: --way %d --shot %d --query %d needs %d "
			    "classes with %d images, found %u", name, o->way,
			    o->shot, o->query, o->way, o->shot + o->query, k);
	} else if (sym_sampler_check_pairs(t->smp, 1, 1) < 0) {
		sym_die("%s: %s", name, sym_strerror());
	} else if (o->same_group_neg > 0 &&
	    !sym_sampler_has_group_pairs(t->smp) && !o->quiet) {
		sym_warn("%s: --same-group-negatives: no group has 2 classes "
		    "(a group is a class name up to its last '/'); negatives "
		    "come from all classes", name);
	}
}

static void
setup_val(struct trainer *tr, struct vdata *v, const struct sym_dataset *d,
    const char *name)
{
	const struct sym_train_opts *o = tr->o;
	struct sym_rng rng;

	memset(v, 0, sizeof(*v));
	if (!d)
		return;
	check_kind(d, name);
	if (d->hdr.c != (uint32_t)tr->m->c || d->hdr.h != (uint32_t)tr->m->h ||
	    d->hdr.w != (uint32_t)tr->m->w)
		sym_die("%s: images are %ux%ux%u, the training images "
		    "%dx%dx%d", name, d->hdr.c, d->hdr.h, d->hdr.w,
		    tr->m->c, tr->m->h, tr->m->w);
	if (d->n == 0)
		sym_die("%s: no images to validate on", name);
	v->name = name;
	v->d = d;
	v->isz = tr->isz;
	sym_rng_seed(&rng, o->seed ^ VAL_SALT);
	if (d->hdr.kind == SYM_PAIRS) {
		if (d->npairs == 0)
			sym_die("%s: no pairs to validate on", name);
		v->npairs = d->npairs;
		v->pa = d->pa;
		v->pb = d->pb;
		v->psame = d->psame;
	} else {
		struct sym_sampler *s = sym_sampler_new(d->labels, d->n,
		    &d->hdr);
		uint32_t k = sym_sampler_classes_with(s, 2);

		if (sym_sampler_check_pairs(s, 1, 1) < 0)
			sym_die("%s: %s", name, sym_strerror());
		if (k < (uint32_t)o->val_way)
			sym_die("%s: --val-way %d needs %d classes with 2 "
			    "images, found %u", name, o->val_way, o->val_way,
			    k);
		v->npairs = VAL_PAIRS;
		v->pa = v->pb = NULL;
		{
			uint64_t *pa = sym_emalloc(VAL_PAIRS * 8);
			uint64_t *pb = sym_emalloc(VAL_PAIRS * 8);
			uint8_t *ps = sym_emalloc(VAL_PAIRS);

			for (int i = 0; i < VAL_PAIRS; i++) {
				ps[i] = i % 2 == 0;
				sym_sample_pair(s, &rng, ps[i],
				    o->same_group_neg, &pa[i], &pb[i]);
			}
			v->pa = pa;
			v->pb = pb;
			v->psame = ps;
		}
		v->way = o->val_way;
		v->episodes = o->val_episodes;
		v->eidx = sym_emalloc((size_t)v->episodes * v->way * 2 * 8);
		for (int e = 0; e < v->episodes; e++)
			if (sym_sample_episode(s, &rng, v->way, 1, 1,
			    o->val_within_group,
			    v->eidx + (size_t)e * v->way * 2, NULL) < 0)
				sym_die("%s: %s", name, sym_strerror());
		sym_sampler_free(s);
	}
	for (int t = 0; t < tr->ntower; t++)
		v->emb[t] = sym_emalloc(d->n * tr->D * sizeof(float) + 1);
	v->x = sym_emalloc(256 * v->isz * sizeof(float));
}

static void
free_val(struct vdata *v)
{
	if (!v->d)
		return;
	if (v->d->hdr.kind != SYM_PAIRS) {
		free(v->pa);
		free(v->pb);
		free(v->psame);
	}
	free(v->eidx);
	free(v->emb[0]);
	free(v->emb[1]);
	free(v->x);
}

/* ---- validation ---- */

/* Area under the ROC curve of scores s for labels y (ties count half),
 * by sorting. */
struct scored {
	float s;
	int y;
};

static int
cmp_scored(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->s;
	float y = ((const struct scored *)b)->s;

	return (x > y) - (x < y);
}

static double
roc_auc(struct scored *v, size_t n)
{
	double rank_sum = 0, npos = 0, nneg;
	size_t i = 0;

	qsort(v, n, sizeof(*v), cmp_scored);
	while (i < n) {
		size_t j = i;
		double r;

		while (j < n && v[j].s == v[i].s)
			j++;
		r = (i + 1 + j) / 2.0;	/* mean 1-based rank of the tie */
		for (size_t k = i; k < j; k++)
			if (v[k].y) {
				rank_sum += r;
				npos++;
			}
		i = j;
	}
	nneg = n - npos;
	if (npos == 0 || nneg == 0)
		return 0.5;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

/* Embed every validation item with each tower, eval mode. */
static void
val_embed(struct trainer *tr, struct vdata *v)
{
	const struct sym_dataset *d = v->d;
	size_t D = tr->D;

	for (int t = 0; t < tr->ntower; t++) {
		for (uint64_t i = 0; i < d->n; i += 256) {
			int B = d->n - i < 256 ? (int)(d->n - i) : 256;
			const float *e;

			sym_model_normalize(tr->m, v->x, d->u8 + i * v->isz,
			    (size_t)B * v->isz);
			e = sym_model_forward(tr->m, t, v->x, B);
			memcpy(v->emb[t] + i * D, e, (size_t)B * D *
			    sizeof(float));
		}
	}
}

/* A score that ranks pairs as the similarity does, without its
 * underflow: 2^(-4 d^2 / margin^2) is 0 for every pair of an untrained
 * conv4, which would make ranks and N-way choices ties. */
static float
rank_score(const struct sym_model *m, const float *ea, const float *eb,
    int D)
{
	float d2 = 0;

	if (m->loss != SYM_LOSS_CONTRASTIVE && m->loss != SYM_LOSS_PROTO)
		return sym_pair_similarity(m->loss, m->head, m->margin, ea,
		    eb, D);
	for (int i = 0; i < D; i++)
		d2 += (ea[i] - eb[i]) * (ea[i] - eb[i]);
	return -d2;
}

/* Score the model on the validation set; returns the score that picks
 * the best epoch (N-way accuracy for labelled images, else pair
 * accuracy) and writes a summary to tr->valmsg. */
static double
validate(struct trainer *tr, struct vdata *v)
{
	struct sym_model *m = tr->m;
	int D = tr->D, t1 = tr->ntower > 1;
	struct scored *sc = sym_emalloc(v->npairs * sizeof(*sc));
	double loss = 0, acc = 0, auc, way_acc = 0;
	float *hg = sym_ecalloc(m->nhead + 1, sizeof(float));
	float *de = sym_emalloc(2 * D * sizeof(float));
	int have_loss = m->loss != SYM_LOSS_PROTO;
	/* proto's similarity 1 / (1 + d^2 / D) sits near 1 for every pair:
	 * a fixed 0.5 threshold says nothing, so it reports and ranks by
	 * the AUC instead */
	int thr = m->loss != SYM_LOSS_PROTO;
	size_t k = 0;

	val_embed(tr, v);
	for (uint64_t i = 0; i < v->npairs; i++) {
		const float *ea = v->emb[0] + v->pa[i] * D;
		const float *eb = v->emb[t1] + v->pb[i] * D;
		float y = v->psame[i];
		float s = sym_pair_similarity(m->loss, m->head, m->margin,
		    ea, eb, D);

		if (have_loss)
			loss += sym_pair_loss(m->loss, m->head, hg, m->margin,
			    ea, eb, &y, 1, D, de, de + D);
		acc += (s >= 0.5f) == (v->psame[i] != 0);
		sc[i].s = rank_score(m, ea, eb, D);
		sc[i].y = v->psame[i];
	}
	acc /= v->npairs;
	loss /= v->npairs;
	auc = roc_auc(sc, v->npairs);
	if (v->episodes > 0) {
		long right = 0, asked = 0;
		float *emb = sym_emalloc(2 * v->way * D * sizeof(float));
		float *demb = sym_emalloc(2 * v->way * D * sizeof(float));
		double ploss = 0;

		for (int e = 0; e < v->episodes; e++) {
			const uint64_t *idx = v->eidx + (size_t)e * v->way * 2;

			for (int q = 0; q < v->way; q++) {
				const float *eq = v->emb[t1] +
				    idx[2 * q + 1] * D;
				int bestk = 0;
				float best = 0;

				for (int c = 0; c < v->way; c++) {
					float s = rank_score(m, v->emb[0] +
					    idx[2 * c] * D, eq, D);

					if (c == 0 || s > best) {
						best = s;
						bestk = c;
					}
				}
				right += bestk == q;
				asked++;
			}
			if (!have_loss) {
				int correct;

				for (int j = 0; j < 2 * v->way; j++)
					memcpy(emb + (size_t)j * D,
					    v->emb[0] + idx[j] * D,
					    D * sizeof(float));
				ploss += sym_proto_loss(emb, v->way, 1, 1, D,
				    demb, &correct);
			}
		}
		way_acc = (double)right / asked;
		if (!have_loss) {
			loss = ploss / v->episodes;
			have_loss = 1;
		}
		free(emb);
		free(demb);
	}
	if (have_loss)
		k += snprintf(tr->valmsg + k, sizeof(tr->valmsg) - k,
		    ", val loss %.4f", loss);
	if (thr)
		k += snprintf(tr->valmsg + k, sizeof(tr->valmsg) - k,
		    "%s acc %.4f", have_loss ? "" : ", val", acc);
	k += snprintf(tr->valmsg + k, sizeof(tr->valmsg) - k, "%s auc %.4f",
	    have_loss || thr ? "" : ", val", auc);
	if (v->episodes > 0)
		snprintf(tr->valmsg + k, sizeof(tr->valmsg) - k,
		    " %d-way 1-shot %.4f", v->way, way_acc);
	free(sc);
	free(hg);
	free(de);
	return v->episodes > 0 ? way_acc : thr ? acc : auc;
}

/* Refuse, before training, a step whose items (nitems: both sides of
 * -b pairs, or one episode) need more memory than --max-memory: each
 * keeps every layer's output for the backward pass, so a large -b would
 * otherwise take all the memory there is, and a signal would wait for
 * the step to end. */
static void
check_step_memory(const struct trainer *tr, int nitems)
{
	const struct sym_train_opts *o = tr->o;
	double need = (double)nitems * (tr->isz + 2.0 * tr->D) * sizeof(float);

	if (tr->ntower == 2)
		need += (double)sym_net_work_bytes(tr->m->tower[0], nitems / 2) +
		    (double)sym_net_work_bytes(tr->m->tower[1], nitems / 2);
	else
		need += (double)sym_net_work_bytes(tr->m->tower[0], nitems);
	if (o->max_memory && need > (double)o->max_memory)
		sym_die("a training step of %d images needs about %.0f MB of "
		    "memory, the limit is %.0f MB (see --max-memory; %s)",
		    nitems, need / 1e6 + 0.5, o->max_memory / 1e6,
		    o->loss == SYM_LOSS_PROTO ? "fewer --way, --shot or "
		    "--query" : "a smaller -b");
}

/* ---- one step ---- */

/* Item i of the training set into slot out (isz floats), normalised and,
 * with --augment, distorted. */
static void
load_item(struct trainer *tr, float *out, uint64_t i, struct sym_rng *rng)
{
	const uint8_t *p = tr->td.pix + i * tr->isz;

	if (!tr->o->augment) {
		sym_model_normalize(tr->m, out, p, tr->isz);
		return;
	}
	sym_model_normalize(tr->m, tr->tmp, p, tr->isz);
	sym_augment_affine(out, tr->tmp, tr->m->c, tr->m->h, tr->m->w, rng);
}

static void
zero_grads(struct trainer *tr)
{
	for (int b = 0; b < tr->nblock; b++)
		memset(tr->bg[b], 0, tr->bn[b] * sizeof(float));
}

/* Step `step` of epoch `epoch`: draw, forward, backward, update.
 * Returns the loss; *count gets the pairs (or episodes) done. */
static float
train_step(struct trainer *tr, long epoch, long step, long *count)
{
	const struct sym_train_opts *o = tr->o;
	struct sym_model *m = tr->m;
	struct tdata *t = &tr->td;
	struct sym_rng rng;
	size_t D = tr->D, isz = tr->isz;
	float loss, lr;
	int B;

	batch_rng(&rng, o->seed, epoch, step);
	zero_grads(tr);
	if (o->loss == SYM_LOSS_PROTO) {
		int ne = o->way * (o->shot + o->query), correct, wg;
		const float *e;

		/* no draw without the option: old seeds keep their models */
		wg = o->within_group > 0 &&
		    sym_rng_uniform(&rng) < o->within_group;
		if (sym_sample_episode(t->smp, &rng, o->way, o->shot,
		    o->query, wg, tr->ia, NULL) < 0)
			sym_die("%s: %s", t->name, sym_strerror());
		for (int i = 0; i < ne; i++)
			load_item(tr, tr->x + i * isz, tr->ia[i], &rng);
		e = sym_net_forward(m->tower[0], tr->x, ne, 1);
		loss = sym_proto_loss(e, o->way, o->shot, o->query, (int)D,
		    tr->de, &correct);
		if (isfinite(loss))
			sym_net_backward(m->tower[0], tr->de, NULL);
		*count = 1;
	} else {
		const float *e;

		if (t->pairs) {
			uint64_t first = (uint64_t)step * o->batch;

			B = t->npairs - first < (uint64_t)o->batch ?
			    (int)(t->npairs - first) : o->batch;
			for (int i = 0; i < B; i++) {
				uint32_t p = tr->perm[first + i];

				tr->ia[i] = t->pa[p];
				tr->ib[i] = t->pb[p];
				tr->same[i] = t->psame[p];
			}
		} else {
			long first = step * (long)o->batch;

			B = o->pairs_per_epoch - first < o->batch ?
			    (int)(o->pairs_per_epoch - first) : o->batch;
			for (int i = 0; i < B; i++) {
				tr->same[i] = i % 2 == 0;
				sym_sample_pair(t->smp, &rng, i % 2 == 0,
				    o->same_group_neg, &tr->ia[i],
				    &tr->ib[i]);
			}
		}
		for (int i = 0; i < B; i++) {
			load_item(tr, tr->x + i * isz, tr->ia[i], &rng);
			load_item(tr, tr->x + (B + i) * isz, tr->ib[i], &rng);
		}
		if (!m->unshared) {
			/* one pass over both sides: backward needs the
			 * activations of a single forward */
			e = sym_net_forward(m->tower[0], tr->x, 2 * B, 1);
			loss = sym_pair_loss(m->loss, m->head, m->head_grad,
			    m->margin, e, e + B * D, tr->same, B, (int)D,
			    tr->de, tr->de + B * D);
			if (isfinite(loss))
				sym_net_backward(m->tower[0], tr->de, NULL);
		} else {
			e = sym_net_forward(m->tower[0], tr->x, B, 1);
			memcpy(tr->e1, e, B * D * sizeof(float));
			e = sym_net_forward(m->tower[1], tr->x + B * isz, B, 1);
			loss = sym_pair_loss(m->loss, m->head, m->head_grad,
			    m->margin, tr->e1, e, tr->same, B, (int)D,
			    tr->de, tr->de + B * D);
			/* each tower kept the activations of its own
			 * forward, so both can go backward now */
			if (isfinite(loss)) {
				sym_net_backward(m->tower[1], tr->de + B * D,
				    NULL);
				sym_net_backward(m->tower[0], tr->de, NULL);
			}
		}
		*count = B;
	}
	if (!isfinite(loss))
		return loss;
	lr = sym_lr_at(o->schedule, o->lr, tr->opt[0].t, tr->total);
	for (int b = 0; b < tr->nblock; b++)
		sym_optim_step(&tr->opt[b], tr->bp[b], tr->bg[b], lr);
	return loss;
}

/* ---- checkpoints ---- */

/* Copy the optimizer moments and position into the model's training
 * section and write it atomically to tr->ckpt. */
static void
save_checkpoint(struct trainer *tr, long epoch, long step)
{
	struct sym_model_train *st = tr->m->train;
	size_t off = 0;

	for (int b = 0; b < tr->nblock; b++) {
		memcpy(st->m + off, tr->opt[b].m, tr->bn[b] * sizeof(float));
		if (tr->opt[b].v)
			memcpy(st->v + off, tr->opt[b].v,
			    tr->bn[b] * sizeof(float));
		else
			memset(st->v + off, 0, tr->bn[b] * sizeof(float));
		off += tr->bn[b];
	}
	st->t = (uint64_t)tr->opt[0].t;
	st->epoch = (uint32_t)epoch;
	st->step = (uint64_t)step;
	if (sym_model_save(tr->m, tr->ckpt) < 0)
		sym_die("%s", sym_strerror());
	tr->ckpt_written = 1;
}

/* 0 when checkpoint ck (file name) was made by the run the options of tr
 * ask for: same architecture and settings; else -1 with the difference
 * in sym_strerror(). */
static int
resume_check(const struct trainer *tr, const struct sym_model *ck,
    const char *name)
{
	const struct sym_model *m = tr->m;

	if (!ck->train)
		return sym_seterr("%s: a model, not a checkpoint", name);
	if (strcmp(sym_net_spec(ck->tower[0]), sym_net_spec(m->tower[0])) ||
	    ck->loss != m->loss || (m->loss == SYM_LOSS_CONTRASTIVE &&
	    ck->margin != m->margin) ||
	    ck->unshared != m->unshared || ck->c != m->c || ck->h != m->h ||
	    ck->w != m->w)
		return sym_seterr("%s: checkpoint is %s %s %dx%dx%d%s, not "
		    "what the options ask for", name, sym_loss_name(ck->loss),
		    sym_net_spec(ck->tower[0]), ck->c, ck->h, ck->w,
		    ck->unshared ? " unshared" : "");
	/* both ways: a setting only one side records (an option left
	 * out, say) differs too */
	for (uint32_t i = 0; i < m->nmeta; i++) {
		const char *v = sym_model_get_meta(ck, m->meta_keys[i]);

		if (!v || strcmp(v, m->meta_vals[i]) != 0)
			return sym_seterr("%s: checkpoint has %s %s, this run "
			    "%s", name, m->meta_keys[i], v ? v : "(none)",
			    m->meta_vals[i]);
	}
	for (uint32_t i = 0; i < ck->nmeta; i++)
		if (!sym_model_get_meta(m, ck->meta_keys[i]))
			return sym_seterr("%s: checkpoint has %s %s, this run "
			    "(none)", name, ck->meta_keys[i], ck->meta_vals[i]);
	if (ck->views != m->views) {
		char a[64], b[64];

		return sym_seterr("%s: checkpoint has views %s, this run %s",
		    name, sym_views_name(ck->views, a, sizeof(a)),
		    sym_views_name(m->views, b, sizeof(b)));
	}
	if (ck->train->optimizer != tr->o->optimizer)
		return sym_seterr("%s: checkpoint used another optimizer",
		    name);
	return 0;
}

/* Continue from a checkpoint: same architecture and settings, then take
 * its values, moments and position. */
static void
resume(struct trainer *tr, long *epoch, long *step)
{
	struct sym_model *m = tr->m;
	struct sym_model *ck = sym_model_eload(tr->o->resume);
	struct sym_model_train *st = ck->train;
	const char *name = tr->o->resume;
	float *vals;
	size_t off = 0;

	if (resume_check(tr, ck, name) < 0) {
		/* freed first, so leak checkers see a clean exit */
		sym_model_free(ck);
		sym_die("%s", sym_strerror());
	}
	vals = sym_emalloc(sym_model_nvalues(ck) * sizeof(float) + 1);
	sym_model_get_values(ck, vals);
	sym_model_set_values(m, vals);
	free(vals);
	for (int b = 0; b < tr->nblock; b++) {
		memcpy(tr->opt[b].m, st->m + off, tr->bn[b] * sizeof(float));
		if (tr->opt[b].v)
			memcpy(tr->opt[b].v, st->v + off,
			    tr->bn[b] * sizeof(float));
		tr->opt[b].t = (long)st->t;
		off += tr->bn[b];
	}
	/* the checkpoint's training section, best snapshot and all */
	sym_model_train_drop(m);
	m->train = st;
	ck->train = NULL;
	sym_model_free(ck);
	*epoch = st->epoch;
	*step = (long)st->step;
	if (*epoch > tr->o->epochs || (*epoch == tr->o->epochs && *step))
		sym_die("%s: checkpoint is past --epochs %d", name,
		    tr->o->epochs);
	if (*step >= tr->steps)
		sym_die("%s: checkpoint step %ld is past the epoch's %ld "
		    "steps", name, *step, tr->steps);
}

/* ---- provenance ---- */

static void
meta_num(struct sym_model *m, const char *key, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.9g", v);
	sym_model_set_meta(m, key, buf);
}

static void
meta_int(struct sym_model *m, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	sym_model_set_meta(m, key, buf);
}

/* Options held as float: 7 digits print 0.001f as "0.001". */
static void
meta_float(struct sym_model *m, const char *key, float v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.7g", v);
	sym_model_set_meta(m, key, buf);
}

/* crc32 of a data set's labels, items and pairs, as held in memory */
static uint32_t
data_crc(const struct sym_dataset *d)
{
	size_t ib = sym_header_item_bytes(&d->hdr);
	uint32_t crc = sym_crc32(0, d->labels, d->n * sizeof(uint32_t));

	crc = sym_crc32(crc, d->u8 ? (const void *)d->u8 :
	    (const void *)d->f32, d->n * ib);
	if (d->npairs) {
		crc = sym_crc32(crc, d->pa, d->npairs * sizeof(*d->pa));
		crc = sym_crc32(crc, d->pb, d->npairs * sizeof(*d->pb));
		crc = sym_crc32(crc, d->psame, d->npairs);
	}
	return crc;
}

static void
set_provenance(struct trainer *tr, const struct sym_dataset *d,
    const struct sym_dataset *val, const char *val_name)
{
	const struct sym_train_opts *o = tr->o;
	struct sym_model *m = tr->m;
	const char *src = sym_header_get_meta(&d->hdr, "source");
	static const char *opt_names[] = { NULL, "adam", "sgd" };
	static const char *sched_names[] = { NULL, "const", "step",
	    "cosine" };
	char crc[16];

	const char *ink = sym_header_get_meta(&d->hdr, "ink");
	if (src)
		sym_model_set_meta(m, "source", src);
	if (ink)
		sym_model_set_meta(m, "ink", ink);
	sym_model_set_meta(m, "train-kind", sym_kind_name(d->hdr.kind));
	meta_int(m, "train-items", d->n);
	/* the data itself, so --resume refuses other data of the same size */
	snprintf(crc, sizeof(crc), "%08x", (unsigned)data_crc(d));
	sym_model_set_meta(m, "train-crc", crc);
	if (d->hdr.kind == SYM_PAIRS)
		meta_int(m, "train-pairs", d->npairs);
	else
		meta_int(m, "train-classes", d->hdr.nclasses);
	meta_int(m, "seed", o->seed);
	meta_int(m, "epochs", o->epochs);
	sym_model_set_meta(m, "optimizer", opt_names[o->optimizer]);
	meta_float(m, "lr", o->lr);
	sym_model_set_meta(m, "schedule", sched_names[o->schedule]);
	if (o->optimizer == SYM_SGD)
		meta_float(m, "momentum", tr->opt[0].momentum);
	meta_float(m, "weight-decay", o->weight_decay);
	sym_model_set_meta(m, "augment", o->augment ? "yes" : "no");
	if (o->rotate_classes)
		sym_model_set_meta(m, "rotate-classes", "yes");
	if (o->mirror_classes)
		sym_model_set_meta(m, "mirror-classes", "yes");
	if (o->loss == SYM_LOSS_PROTO) {
		meta_int(m, "way", o->way);
		meta_int(m, "shot", o->shot);
		meta_int(m, "query", o->query);
		meta_int(m, "episodes", o->episodes);
		if (o->within_group > 0)
			meta_num(m, "within-group", o->within_group);
	} else {
		meta_int(m, "batch", o->batch);
		if (d->hdr.kind != SYM_PAIRS) {
			meta_int(m, "pairs-per-epoch",
			    (uint64_t)o->pairs_per_epoch);
			meta_num(m, "same-group-negatives",
			    o->same_group_neg);
		}
	}
	if (val) {
		const char *vs = sym_header_get_meta(&val->hdr, "source");

		sym_model_set_meta(m, "val", vs ? vs : val_name);
		if (val->hdr.kind != SYM_PAIRS) {
			meta_int(m, "val-way", o->val_way);
			meta_int(m, "val-episodes", o->val_episodes);
			if (o->val_within_group)
				sym_model_set_meta(m, "val-within-group",
				    "yes");
		}
	}
}

/* ---- progress ---- */

static void
fmt_secs(char *buf, size_t n, double s)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void
progress_bar(struct trainer *tr, long epoch, long step, double loss,
    double rate, double eta)
{
	char bar[21], e[32];
	int fill = (int)(20.0 * step / tr->steps);

	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = 0;
	fmt_secs(e, sizeof(e), eta);
	fprintf(stderr, "\r\033[Kepoch %ld/%d [%s] %.0f %s/s, loss %.4f, "
	    "ETA %s", epoch + 1, tr->o->epochs, bar, rate,
	    tr->o->loss == SYM_LOSS_PROTO ? "episodes" : "pairs", loss, e);
}

/* ---- the loop ---- */

void
sym_train_run(const struct sym_train_opts *o,
    const struct sym_dataset *train, const char *train_name,
    const struct sym_dataset *val, const char *val_name)
{
	struct trainer tr;
	struct vdata v;
	struct sym_model *m;
	struct sym_model_train *st;
	struct sym_rng rng;
	long epoch = 0, step = 0;
	size_t D, isz;
	char *ckpt_default = NULL;
	int nitems;

	memset(&tr, 0, sizeof(tr));
	tr.o = o;
	check_kind(train, train_name);
	m = sym_model_new(o->arch, o->loss, o->margin, (int)train->hdr.c,
	    (int)train->hdr.h, (int)train->hdr.w, o->unshared);
	if (!m)
		sym_die("%s", sym_strerror());
	/* only sym-embed uses the views; training never sees them */
	if (sym_views_check(o->views, o->loss, m->h, m->w) < 0)
		sym_die("--views: %s", sym_strerror());
	/* a model whose embeddings no stream can hold is refused before
	 * training, not found out by sym-embed afterwards */
	if (sym_views_width_check(m->dim, o->views) < 0)
		sym_die("%s", sym_strerror());
	m->views = o->views;
	tr.m = m;
	tr.D = D = m->dim;
	tr.ntower = m->unshared ? 2 : 1;
	tr.isz = isz = (size_t)m->c * m->h * m->w;
	setup_data(&tr, train, train_name);
	setup_val(&tr, &v, val, val_name);
	/* validating on images loaded another way only scores worse */
	if (val && !o->quiet && sym_ink_check(&val->hdr, val_name,
	    sym_header_get_meta(&train->hdr, "ink"),
	    "the training stream has") < 0)
		sym_warn("warning: %s", sym_strerror());

	/* optimizer blocks */
	for (int t = 0; t < tr.ntower; t++) {
		tr.bp[tr.nblock] = sym_net_params(m->tower[t]);
		tr.bg[tr.nblock] = sym_net_grads(m->tower[t]);
		tr.bn[tr.nblock++] = sym_net_nparams(m->tower[t]);
	}
	if (m->nhead) {
		tr.bp[tr.nblock] = m->head;
		tr.bg[tr.nblock] = m->head_grad;
		tr.bn[tr.nblock++] = m->nhead;
	}
	for (int b = 0; b < tr.nblock; b++) {
		sym_optim_init(&tr.opt[b], o->optimizer, tr.bn[b]);
		if (o->momentum >= 0)
			tr.opt[b].momentum = o->momentum;
		tr.opt[b].weight_decay = o->weight_decay;
	}

	/* steps per epoch and buffers */
	if (o->loss == SYM_LOSS_PROTO) {
		tr.steps = o->episodes;
		nitems = o->way * (o->shot + o->query);
	} else {
		uint64_t np = tr.td.pairs ? tr.td.npairs :
		    (uint64_t)o->pairs_per_epoch;

		tr.steps = (long)((np + o->batch - 1) / o->batch);
		/* no step has more pairs than an epoch (np >= 1) */
		nitems = 2 * (np < (uint64_t)o->batch ? (int)np : o->batch);
	}
	tr.total = tr.steps * o->epochs;
	check_step_memory(&tr, nitems);
	tr.x = sym_emalloc((size_t)nitems * isz * sizeof(float));
	tr.tmp = sym_emalloc(isz * sizeof(float));
	tr.e1 = sym_emalloc((size_t)nitems * D * sizeof(float));
	tr.de = sym_emalloc((size_t)nitems * D * sizeof(float));
	tr.same = sym_emalloc((size_t)nitems * sizeof(float));
	tr.ia = sym_emalloc((size_t)nitems * sizeof(uint64_t));
	tr.ib = sym_emalloc((size_t)nitems * sizeof(uint64_t));
	if (tr.td.pairs)
		tr.perm = sym_emalloc(tr.td.npairs * sizeof(uint32_t));

	set_provenance(&tr, train, val, val_name);
	if (o->checkpoint) {
		tr.ckpt = o->checkpoint;
	} else {
		ckpt_default = sym_emalloc(strlen(o->out) + 6);
		sprintf(ckpt_default, "%s.ckpt", o->out);
		tr.ckpt = ckpt_default;
	}

	/* a fresh start or a resumed one */
	sym_rng_seed(&rng, o->seed);
	sym_model_init(m, &rng);
	if (o->resume) {
		resume(&tr, &epoch, &step);
		st = m->train;
	} else {
		st = sym_model_train_attach(m);
		st->optimizer = o->optimizer;
		st->beta1 = tr.opt[0].beta1;
		st->beta2 = tr.opt[0].beta2;
		st->eps = tr.opt[0].eps;
		st->momentum = tr.opt[0].momentum;
		st->weight_decay = tr.opt[0].weight_decay;
		st->seed = o->seed;
	}
	tr.tty = !o->quiet && isatty(2);

	for (; epoch < o->epochs; epoch++, step = 0) {
		double t0 = now(), last = t0, lsum = 0, el;
		long done = 0, nsteps = 0, first = step;
		char part[64] = "";

		if (tr.td.pairs) {
			/* this epoch's order, the same on any resume */
			struct sym_rng pr;

			for (uint64_t i = 0; i < tr.td.npairs; i++)
				tr.perm[i] = (uint32_t)i;
			batch_rng(&pr, o->seed, epoch, UINT64_MAX - 1);
			sym_rng_shuffle_u32(&pr, tr.perm, tr.td.npairs);
		}
		for (; step < tr.steps; step++) {
			long count;
			float loss;

			if (o->stop && *o->stop) {
				if (tr.tty)
					fputc('\n', stderr);
				save_checkpoint(&tr, epoch, step);
				/* as the checkpoint counts: steps done */
				sym_die("interrupted in epoch %ld after %ld of "
				    "%ld steps; checkpoint written to %s "
				    "(continue with --resume %s)", epoch + 1,
				    step, tr.steps, tr.ckpt, tr.ckpt);
			}
			loss = train_step(&tr, epoch, step, &count);
			if (!isfinite(loss)) {
				if (tr.tty)
					fputc('\n', stderr);
				if (tr.ckpt_written || o->resume)
					sym_die("loss is %s at epoch %ld step "
					    "%ld; last good checkpoint kept "
					    "in %s", isnan(loss) ? "nan" :
					    "inf", epoch + 1, step + 1,
					    tr.ckpt_written ? tr.ckpt :
					    o->resume);
				sym_die("loss is %s at epoch %ld step %ld; "
				    "no checkpoint written%s", isnan(loss) ?
				    "nan" : "inf", epoch + 1, step + 1,
				    o->checkpoint ? " yet" :
				    " (see --checkpoint)");
			}
			lsum += loss;
			nsteps++;
			done += count;
			if (tr.tty && now() - last > 0.2) {
				double rate, left;

				el = now() - t0;
				rate = done / el;
				left = (tr.steps - step - 1) *
				    (el / nsteps) + (o->epochs - epoch - 1) *
				    tr.steps * (el / nsteps);

				last = now();
				progress_bar(&tr, epoch, step + 1,
				    lsum / nsteps, rate, left);
			}
		}

		/* end of epoch: validate, keep the best, checkpoint; the
		 * rate is training's own */
		el = now() - t0;
		tr.valmsg[0] = 0;
		if (v.d) {
			double score = validate(&tr, &v);

			if (!st->has_best || score > st->best) {
				st->has_best = 1;
				st->best = (float)score;
				st->best_epoch = (uint32_t)epoch + 1;
				st->nsnap = sym_model_nvalues(m);
				if (!st->snap)
					st->snap = sym_emalloc(st->nsnap *
					    sizeof(float) + 1);
				sym_model_get_values(m, st->snap);
			}
		}
		/* a resumed epoch's loss covers only the steps run here;
		 * the checkpoint keeps no loss, so say so */
		if (first > 0)
			snprintf(part, sizeof(part), " (steps %ld-%ld, "
			    "resumed)", first + 1, tr.steps);
		if (!o->quiet) {
			fprintf(stderr, "%sepoch %ld/%d: loss %.4f%s, %.0f %s/s%s"
			    "\n", tr.tty ? "\r\033[K" : "", epoch + 1,
			    o->epochs, nsteps ? lsum / nsteps : 0.0, part,
			    el > 0 ? done / el : 0.0,
			    o->loss == SYM_LOSS_PROTO ? "episodes" : "pairs",
			    tr.valmsg);
		}
		if (o->checkpoint)
			save_checkpoint(&tr, epoch + 1, 0);
	}

	/* write: the best epoch's values when validating */
	if (st->has_best) {
		sym_model_set_values(m, st->snap);
		meta_int(m, "best-epoch", st->best_epoch);
		meta_float(m, "val-score", st->best);
		if (!o->quiet)
			fprintf(stderr, "best epoch %u: val score %.4f\n",
			    st->best_epoch, st->best);
	}
	m->train = NULL;
	if (sym_model_save(m, o->out) < 0)
		sym_die("%s", sym_strerror());
	m->train = st;

	free(ckpt_default);
	free(tr.x);
	free(tr.tmp);
	free(tr.e1);
	free(tr.de);
	free(tr.same);
	free(tr.ia);
	free(tr.ib);
	free(tr.perm);
	for (int b = 0; b < tr.nblock; b++)
		sym_optim_free(&tr.opt[b]);
	free_val(&v);
	sym_sampler_free(tr.td.smp);
	sym_header_free(&tr.td.hdr);
	free(tr.td.own);
	free(tr.td.ownlab);
	sym_model_free(m);
}
