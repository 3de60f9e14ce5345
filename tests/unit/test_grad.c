/* test_grad.c: central finite-difference checks of every layer's and
 * every loss's gradients, w.r.t. inputs and parameters. Inputs are built
 * to stay clear of the ReLU and max-pool kinks (values at least 0.1 from
 * zero, pooled values at least 0.05 apart, perturbation 1e-2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "unit.h"

#define EPS 1e-2f

static struct sym_rng rng;

/* Worst error of analytic vs numeric gradients, relative to their size
 * with an absolute floor for values near zero. */
static double
gerr(const float *a, const double *num, size_t n)
{
	double worst = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double e = fabs(a[i] - num[i]) /
		    (fabs(a[i]) + fabs(num[i]) + 5e-2);

		if (e > worst)
			worst = e;
	}
	return worst;
}

enum { IN_NORMAL, IN_AWAY0, IN_DISTINCT };

static void
fill(float *x, size_t n, int kind)
{
	size_t i;

	if (kind == IN_DISTINCT) {
		/* a shuffled ladder: distinct values 0.05 apart */
		uint32_t *p = malloc(n * sizeof(*p));

		for (i = 0; i < n; i++)
			p[i] = (uint32_t)i;
		sym_rng_shuffle_u32(&rng, p, n);
		for (i = 0; i < n; i++)
			x[i] = 0.05f * p[i] - 0.025f * n;
		free(p);
		return;
	}
	for (i = 0; i < n; i++) {
		float v = (float)sym_rng_normal(&rng);

		if (kind == IN_AWAY0)
			v = (v < 0 ? -0.2f : 0.2f) + 0.8f * v;
		x[i] = v;
	}
}

/* L = sum(out * R) of a train-mode forward */
static double
lossval(struct sym_net *net, const float *x, int B, const float *R)
{
	const float *y = sym_net_forward(net, x, B, 1);
	size_t i, n = (size_t)B * sym_net_out_dim(net);
	double s = 0;

	for (i = 0; i < n; i++)
		s += (double)y[i] * R[i];
	return s;
}

/* Central differences of L w.r.t. the n values at v into num. Where
 * steps EPS and EPS/2 disagree, the function has a kink (a ReLU or pool
 * switching) between them: the point is skipped by copying the analytic
 * value. A wrong gradient still shows, as both steps then agree with each
 * other but not with it. Returns the number skipped. */
static size_t
numeric(struct sym_net *net, const float *x, int B, const float *R, float *v,
    size_t n, const float *ana, double *num)
{
	size_t i, skip = 0;
	double h2;

	for (i = 0; i < n; i++) {
		float s = v[i];

		v[i] = s + EPS;
		num[i] = lossval(net, x, B, R);
		v[i] = s - EPS;
		num[i] = (num[i] - lossval(net, x, B, R)) / (2 * EPS);
		v[i] = s + EPS / 2;
		h2 = lossval(net, x, B, R);
		v[i] = s - EPS / 2;
		h2 = (h2 - lossval(net, x, B, R)) / EPS;
		v[i] = s;
		if (fabs(h2 - num[i]) > 2e-2 * (fabs(h2) + fabs(num[i])) +
		    1e-3) {
			num[i] = ana[i];
			skip++;
		}
	}
	return skip;
}

/* Check d L / d input and d L / d params of the net spec on B inputs of
 * c x h x w; returns the worst error (also CHECKed). */
static void
check_net(const char *spec, int c, int h, int w, int B, int kind)
{
	struct sym_net *net = sym_net_new(spec, c, h, w);
	size_t nin = (size_t)B * c * h * w, np, nout, i;
	float *x, *R, *din, *p, *g;
	double *num, e1, e2 = 0;
	size_t skipped;

	CHECK(net != NULL);
	if (!net) {
		fprintf(stderr, "%s: %s\n", spec, sym_strerror());
		return;
	}
	sym_net_init(net, &rng);
	np = sym_net_nparams(net);
	nout = (size_t)B * sym_net_out_dim(net);
	p = sym_net_params(net);
	g = sym_net_grads(net);
	/* nonzero BN betas and biases so those paths are exercised */
	for (i = 0; i < np; i++)
		if (p[i] == 0)
			p[i] = 0.1f * (float)sym_rng_normal(&rng);
	x = malloc(nin * sizeof(*x));
	din = malloc(nin * sizeof(*din));
	R = malloc(nout * sizeof(*R));
	num = malloc((nin > np ? nin : np) * sizeof(*num));
	fill(x, nin, kind);
	fill(R, nout, IN_NORMAL);

	lossval(net, x, B, R);
	memset(g, 0, np * sizeof(*g));
	sym_net_backward(net, R, din);
	skipped = numeric(net, x, B, R, x, nin, din, num);
	e1 = gerr(din, num, nin);
	skipped += numeric(net, x, B, R, p, np, g, num);
	if (np)
		e2 = gerr(g, num, np);
	printf("grad %-44s input %.1e params %.1e (%zu, %zu kinks)\n", spec,
	    e1, e2, np, skipped);
	CHECK(e1 < 1e-2);
	CHECK(e2 < 1e-2);
	/* kinks are rare by construction; many means something is off */
	CHECK(skipped <= (nin + np) / 20);
	/* the checker itself must notice a gradient 3% off */
	if (np) {
		for (i = 0; i < np; i++)
			g[i] *= 1.03f;
		CHECK(gerr(g, num, np) > 1e-2);
	}
	free(x);
	free(din);
	free(R);
	free(num);
	sym_net_free(net);
}

/* ---- losses ---- */

struct pl {
	int loss, B, D;
	float margin;
	const float *same;
	float *hp, *hg;
};

static double
pair_l(struct pl *c, const float *e1, const float *e2)
{
	size_t n = (size_t)c->B * c->D;
	float *d1 = malloc(n * sizeof(float)), *d2 = malloc(n * sizeof(float));
	float *hg = calloc(sym_head_nparams(c->loss, c->D) + 1, sizeof(float));
	double v = sym_pair_loss(c->loss, c->hp, hg, c->margin, e1, e2,
	    c->same, c->B, c->D, d1, d2);

	free(d1);
	free(d2);
	free(hg);
	return v;
}

/* numeric gradient of pair_l w.r.t. the n values at v */
static void
numgrad(struct pl *c, float *e1, float *e2, float *v, size_t n, double *num)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float s = v[i];

		v[i] = s + EPS;
		num[i] = pair_l(c, e1, e2);
		v[i] = s - EPS;
		num[i] = (num[i] - pair_l(c, e1, e2)) / (2 * EPS);
		v[i] = s;
	}
}

static void
check_pair(int loss, int B, int D, float margin)
{
	size_t n = (size_t)B * D, nh = sym_head_nparams(loss, D), i;
	float *e1 = malloc(n * 4), *e2 = malloc(n * 4), *d1 = malloc(n * 4),
	    *d2 = malloc(n * 4), *same = malloc(B * 4);
	float *hp = calloc(nh + 1, 4), *hg = calloc(nh + 1, 4);
	double *num = malloc((n > nh ? n : nh) * sizeof(double)), e;
	struct pl c = { loss, B, D, margin, same, hp, hg };
	int b, k, inside = 0, outside = 0;

	sym_head_init(loss, D, hp, &rng);
	if (nh)
		hp[nh - 1] = 0.3f;
	fill(e1, n, IN_NORMAL);
	for (b = 0; b < B; b++) {
		double len = 0, want;
		float *u = e2 + (size_t)b * D;

		same[b] = b % 2 ? 0 : 1;
		/* e2 = e1 + u with |u| chosen: dissimilar pairs alternate
		 * inside (0.4 m) and outside (1.6 m) the margin; every
		 * coordinate of u at least 0.1 from 0 (the |.| kink) */
		fill(u, D, IN_AWAY0);
		for (k = 0; k < D; k++)
			len += (double)u[k] * u[k];
		want = (b % 4 == 1 ? 0.4 : b % 4 == 3 ? 1.6 : 0.7) * margin;
		if (loss != SYM_LOSS_CONTRASTIVE)
			want = sqrt(len);
		for (k = 0; k < D; k++)
			u[k] = e1[(size_t)b * D + k] +
			    (float)(u[k] * want / sqrt(len));
		if (same[b] == 0 && want < margin)
			inside++;
		if (same[b] == 0 && want > margin)
			outside++;
	}
	if (loss == SYM_LOSS_CONTRASTIVE)
		CHECK(inside > 0 && outside > 0);
	sym_pair_loss(loss, hp, hg, margin, e1, e2, same, B, D, d1, d2);
	numgrad(&c, e1, e2, e1, n, num);
	e = gerr(d1, num, n);
	numgrad(&c, e1, e2, e2, n, num);
	if (gerr(d2, num, n) > e)
		e = gerr(d2, num, n);
	printf("grad loss %-12s embeddings %.1e", sym_loss_name(loss), e);
	CHECK(e < 1e-2);
	if (nh) {
		numgrad(&c, e1, e2, hp, nh, num);
		e = gerr(hg, num, nh);
		printf(" head %.1e", e);
		CHECK(e < 1e-2);
	}
	printf("\n");
	/* loss gradients are small (averaged), so the checker's self-test
	 * uses 10% here */
	for (i = 0; i < n; i++)
		d1[i] *= 1.1f;
	numgrad(&c, e1, e2, e1, n, num);
	CHECK(gerr(d1, num, n) > 1e-2);
	free(e1);
	free(e2);
	free(d1);
	free(d2);
	free(same);
	free(hp);
	free(hg);
	free(num);
}

static void
check_proto(int way, int shot, int query, int D)
{
	size_t n = (size_t)way * (shot + query) * D, i;
	float *emb = malloc(n * 4), *de = malloc(n * 4), *tmp = malloc(n * 4);
	double *num = malloc(n * sizeof(double)), e;
	int ok;

	fill(emb, n, IN_NORMAL);
	sym_proto_loss(emb, way, shot, query, D, de, &ok);
	for (i = 0; i < n; i++) {
		float s = emb[i];

		emb[i] = s + EPS;
		num[i] = sym_proto_loss(emb, way, shot, query, D, tmp, &ok);
		emb[i] = s - EPS;
		num[i] = (num[i] - sym_proto_loss(emb, way, shot, query, D,
		    tmp, &ok)) / (2 * EPS);
		emb[i] = s;
	}
	e = gerr(de, num, n);
	printf("grad loss proto %d-way %d-shot embeddings %.1e\n", way, shot,
	    e);
	CHECK(e < 1e-2);
	free(emb);
	free(de);
	free(tmp);
	free(num);
}

/* Exact values, the d = 0 case, and the similarity mappings. */
static void
check_values(void)
{
	float a[2] = { 0, 0 }, b[2] = { 3, 4 }, d1[2], d2[2], one = 1,
	    zero = 0, hp[3] = { 0.5f, -1, 0.25f }, hg[3] = { 0 };
	int ok;

	/* d = 5: same -> d^2, dissimilar inside margin 6 -> (6 - 5)^2 */
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_CONTRASTIVE, NULL, NULL, 6, a, b,
	    &one, 1, 2, d1, d2), 25, 1e-5);
	CHECK_NEAR(d1[0], -6, 1e-5);
	CHECK_NEAR(d2[1], 8, 1e-5);
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_CONTRASTIVE, NULL, NULL, 6, a, b,
	    &zero, 1, 2, d1, d2), 1, 1e-5);
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_CONTRASTIVE, NULL, NULL, 4, a, b,
	    &zero, 1, 2, d1, d2), 0, 0);
	CHECK(d1[0] == 0 && d1[1] == 0);
	/* d = 0, dissimilar: loss margin^2, finite zero gradient */
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_CONTRASTIVE, NULL, NULL, 2, a, a,
	    &zero, 1, 2, d1, d2), 4, 1e-6);
	CHECK(d1[0] == 0 && d1[1] == 0 && d2[0] == 0);
	/* bce: z = 0.5*3 - 1*4 + 0.25 = -2.25; same: log(1 + e^2.25) */
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_BCE, hp, hg, 0, a, b, &one, 1, 2,
	    d1, d2), log1p(exp(2.25)), 1e-5);
	CHECK_NEAR(hg[2], 1 / (1 + exp(2.25)) - 1, 1e-6);
	CHECK_NEAR(sym_pair_similarity(SYM_LOSS_BCE, hp, 0, a, b, 2),
	    1 / (1 + exp(2.25)), 1e-6);
	/* stable for huge logits */
	hp[2] = 1000;
	CHECK_NEAR(sym_pair_loss(SYM_LOSS_BCE, hp, hg, 0, a, b, &zero, 1, 2,
	    d1, d2), 997.5, 1e-2);
	/* similarities: d = margin/2 -> 0.5; proto 1 / (1 + d^2 / D) */
	CHECK_NEAR(sym_dist2_similarity(SYM_LOSS_CONTRASTIVE, 2, 1, 5), 0.5,
	    1e-6);
	CHECK_NEAR(sym_pair_similarity(SYM_LOSS_CONTRASTIVE, NULL, 10, a, b,
	    2), 0.5, 1e-6);
	CHECK_NEAR(sym_pair_similarity(SYM_LOSS_PROTO, NULL, 0, a, b, 2),
	    1 / 13.5, 1e-6);
	CHECK(sym_loss_parse("bce") == SYM_LOSS_BCE);
	CHECK(sym_loss_parse("proto") == SYM_LOSS_PROTO);
	CHECK(sym_loss_parse("nope") == -1);
	CHECK(strcmp(sym_loss_name(SYM_LOSS_CONCAT), "concat") == 0);
	CHECK(sym_loss_name(99) == NULL);
	CHECK(sym_head_nparams(SYM_LOSS_BCE, 7) == 8);
	CHECK(sym_head_nparams(SYM_LOSS_CONCAT, 7) == 15);
	CHECK(sym_head_nparams(SYM_LOSS_PROTO, 7) == 0);
	{
		/* 2-way 1-shot 1-query: queries sit on their prototypes */
		float emb[8] = { 0, 0, 0, 0, 10, 0, 10, 0 }, de[8];

		CHECK_NEAR(sym_proto_loss(emb, 2, 1, 1, 2, de, &ok),
		    log1p(exp(-100)), 1e-6);
		CHECK(ok == 2);
		emb[2] = 10;	/* class 0's query on class 1's prototype */
		sym_proto_loss(emb, 2, 1, 1, 2, de, &ok);
		CHECK(ok == 1);
	}
}

int
main(void)
{
	sym_rng_seed(&rng, 42);
	sym_blas_threads(1);

	check_net("conv:3:3", 2, 5, 6, 3, IN_NORMAL);
	check_net("conv:3:3:1", 2, 5, 4, 2, IN_NORMAL);
	check_net("conv:2:2:2", 1, 3, 3, 2, IN_NORMAL);
	check_net("pool:2", 2, 5, 5, 2, IN_DISTINCT);
	check_net("pool:3", 1, 7, 6, 2, IN_DISTINCT);
	check_net("bn", 3, 3, 2, 4, IN_NORMAL);
	check_net("dense:5,bn", 2, 2, 2, 6, IN_NORMAL);
	/* bn then relu run fused */
	check_net("bn,relu", 2, 3, 3, 2, IN_DISTINCT);
	check_net("conv:2:3:1,bn,relu,pool:2", 2, 4, 4, 3, IN_NORMAL);
	check_net("dense:6,bn,relu", 2, 2, 2, 5, IN_NORMAL);
	check_net("relu", 2, 3, 3, 2, IN_AWAY0);
	check_net("flatten,relu", 2, 3, 3, 2, IN_AWAY0);
	check_net("sigmoid", 2, 3, 3, 2, IN_NORMAL);
	check_net("flatten", 3, 2, 2, 2, IN_NORMAL);
	check_net("dense:4", 2, 3, 3, 3, IN_NORMAL);
	check_net("flatten,dense:3,sigmoid,dense:2", 1, 4, 4, 3, IN_NORMAL);
	check_net("conv:2:3:1,bn,sigmoid,conv:3:2,dense:3,bn,sigmoid", 2, 5,
	    5, 4, IN_NORMAL);

	check_pair(SYM_LOSS_CONTRASTIVE, 8, 5, 1.0f);
	check_pair(SYM_LOSS_BCE, 6, 5, 1.0f);
	check_pair(SYM_LOSS_CONCAT, 6, 5, 1.0f);
	check_proto(3, 2, 2, 4);
	check_proto(4, 1, 3, 3);
	check_values();
	return UNIT_END();
}
