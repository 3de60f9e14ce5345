/* optim.c: Adam (AdamW-style decoupled weight decay), SGD with momentum
 * (weight decay as L2 in the gradient), and learning-rate schedules. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "simd.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Adam's update in 4-float vectors (simd.h); the square root is SSE's
 * where there is SSE, else per lane. */

static vf4
vsqrt(vf4 v)
{
#if defined(__SSE__)
	__m128 m;

	memcpy(&m, &v, sizeof(m));
	m = _mm_sqrt_ps(m);
	memcpy(&v, &m, sizeof(v));
#else
	int i;

	for (i = 0; i < 4; i++)
		v[i] = sqrtf(v[i]);
#endif
	return v;
}

void
sym_optim_init(struct sym_optim *o, int type, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->type = type;
	o->n = n;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->momentum = 0.9f;
	o->m = sym_ecalloc(n ? n : 1, sizeof(float));
	if (type == SYM_ADAM)
		o->v = sym_ecalloc(n ? n : 1, sizeof(float));
}

void
sym_optim_free(struct sym_optim *o)
{
	if (!o)
		return;
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
}

void
sym_optim_step(struct sym_optim *o, float *p, const float *g, float lr)
{
	size_t i;

	o->t++;
	if (o->type == SYM_ADAM) {
		float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
		/* bias corrections folded into the step size and eps */
		double c1 = 1 - pow(b1, (double)o->t);
		double c2 = 1 - pow(b2, (double)o->t);
		float a = (float)(lr * sqrt(c2) / c1);
		float e = (float)(eps * sqrt(c2));
		float decay = 1 - lr * o->weight_decay;
		vf4 vb1 = { b1, b1, b1, b1 }, vb2 = { b2, b2, b2, b2 },
		    va = { a, a, a, a }, ve = { e, e, e, e },
		    vd = { decay, decay, decay, decay }, c1v, c2v, gv, mv, vv;

		c1v = 1 - vb1;
		c2v = 1 - vb2;
		for (i = 0; i + 4 <= o->n; i += 4) {
			gv = ld(g + i);
			mv = vb1 * ld(o->m + i) + c1v * gv;
			vv = vb2 * ld(o->v + i) + c2v * gv * gv;
			st(o->m + i, mv);
			st(o->v + i, vv);
			st(p + i, ld(p + i) * vd - va * mv / (vsqrt(vv) + ve));
		}
		for (; i < o->n; i++) {
			float m = b1 * o->m[i] + (1 - b1) * g[i];
			float v = b2 * o->v[i] + (1 - b2) * g[i] * g[i];

			o->m[i] = m;
			o->v[i] = v;
			p[i] = p[i] * decay - a * m / (sqrtf(v) + e);
		}
	} else {
		float mu = o->momentum, wd = o->weight_decay;

		for (i = 0; i < o->n; i++) {
			float v = mu * o->m[i] + g[i] + wd * p[i];

			o->m[i] = v;
			p[i] -= lr * v;
		}
	}
}

float
sym_lr_at(int schedule, float base, long step, long total)
{
	if (total <= 0 || step < 0)
		return base;
	switch (schedule) {
	case SYM_SCHED_STEP:
		/* integer tests, so 50% and 75% are exact */
		if (2 * step < total)
			return base;
		if (4 * step < 3 * total)
			return base * 0.1f;
		return base * 0.01f;
	case SYM_SCHED_COSINE:
		if (step >= total)
			return 0;
		return (float)(base * 0.5 * (1 + cos(M_PI * step / total)));
	default:
		return base;
	}
}

int
sym_schedule_parse(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "const") == 0)
		return SYM_SCHED_CONST;
	if (strcmp(name, "step") == 0)
		return SYM_SCHED_STEP;
	if (strcmp(name, "cosine") == 0)
		return SYM_SCHED_COSINE;
	return -1;
}

int
sym_optimizer_parse(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "adam") == 0)
		return SYM_ADAM;
	if (strcmp(name, "sgd") == 0)
		return SYM_SGD;
	return -1;
}
