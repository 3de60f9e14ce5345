/* test_optim.c: Adam and SGD minimise a small quadratic; weight decay
 * and the learning-rate schedules give their documented values. */
#include <math.h>
#include <string.h>

#include "sym.h"
#include "unit.h"

/* f(p) = sum_i c_i (p_i - t_i)^2 with very different curvatures */
static const float c[4] = { 0.5f, 1, 4, 10 }, t[4] = { 1, -2, 0.5f, 3 };

static double
run(int type, float lr, int steps, float *p)
{
	struct sym_optim o;
	float g[4];
	double f = 0;
	int s, i;

	sym_optim_init(&o, type, 4);
	memset(p, 0, 4 * sizeof(*p));
	for (s = 0; s < steps; s++) {
		for (i = 0; i < 4; i++)
			g[i] = 2 * c[i] * (p[i] - t[i]);
		sym_optim_step(&o, p, g, lr);
	}
	CHECK(o.t == steps);
	for (i = 0; i < 4; i++)
		f += c[i] * (p[i] - t[i]) * (p[i] - t[i]);
	sym_optim_free(&o);
	return f;
}

int
main(void)
{
	struct sym_optim o;
	float p[4], g[4] = { 0 }, q;
	int i;

	/* f(0) = 0.5 + 4 + 1 + 90 = 95.5 */
	CHECK(run(SYM_ADAM, 0.05f, 2000, p) < 1e-6);
	for (i = 0; i < 4; i++)
		CHECK_NEAR(p[i], t[i], 1e-3);
	CHECK(run(SYM_SGD, 0.01f, 2000, p) < 1e-6);
	for (i = 0; i < 4; i++)
		CHECK_NEAR(p[i], t[i], 1e-3);

	/* Adam's first step moves each parameter by lr (bias correction) */
	sym_optim_init(&o, SYM_ADAM, 4);
	CHECK_NEAR(o.beta1, 0.9, 1e-7);
	CHECK_NEAR(o.beta2, 0.999, 1e-7);
	CHECK_NEAR(o.eps, 1e-8, 1e-12);
	memset(p, 0, sizeof(p));
	g[0] = 3;
	g[1] = -0.01f;
	sym_optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], -0.1, 1e-6);
	CHECK_NEAR(p[1], 0.1, 1e-5);
	CHECK(p[2] == 0);
	/* decoupled decay: zero gradient, p shrinks by lr * wd * p */
	o.weight_decay = 0.5f;
	memset(g, 0, sizeof(g));
	p[2] = 2;
	q = p[2];
	sym_optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[2], q * (1 - 0.1 * 0.5), 1e-6);
	sym_optim_free(&o);

	/* SGD: v = 0.9 v + g + wd p, p -= lr v */
	sym_optim_init(&o, SYM_SGD, 1);
	CHECK_NEAR(o.momentum, 0.9, 1e-7);
	o.weight_decay = 0.1f;
	p[0] = 1;
	g[0] = 2;
	sym_optim_step(&o, p, g, 0.5f);
	CHECK_NEAR(p[0], 1 - 0.5 * 2.1, 1e-6);
	sym_optim_step(&o, p, g, 0.5f);
	CHECK_NEAR(p[0], -0.05 - 0.5 * (0.9 * 2.1 + 2 + 0.1 * -0.05), 1e-6);
	sym_optim_free(&o);
	sym_optim_free(NULL);

	/* the vector body (0..3) and the scalar tail (4) of Adam agree */
	{
		float pp[5] = { 0.3f, -1, 2, 0.5f, 0.3f };
		float gg[5] = { 0.7f, 0.1f, -0.2f, 3, 0.7f };
		int s;

		sym_optim_init(&o, SYM_ADAM, 5);
		o.weight_decay = 0.01f;
		for (s = 0; s < 10; s++) {
			sym_optim_step(&o, pp, gg, 0.01f);
			gg[0] = gg[4] = gg[0] * -0.9f;
		}
		CHECK(pp[0] == pp[4]);
		CHECK(pp[0] != 0.3f);
		sym_optim_free(&o);
	}

	/* schedules over 100 steps */
	CHECK(sym_lr_at(SYM_SCHED_CONST, 0.1f, 99, 100) == 0.1f);
	CHECK(sym_lr_at(SYM_SCHED_STEP, 1, 0, 100) == 1);
	CHECK(sym_lr_at(SYM_SCHED_STEP, 1, 49, 100) == 1);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_STEP, 1, 50, 100), 0.1, 1e-7);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_STEP, 1, 74, 100), 0.1, 1e-7);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_STEP, 1, 75, 100), 0.01, 1e-8);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_STEP, 1, 99, 100), 0.01, 1e-8);
	CHECK(sym_lr_at(SYM_SCHED_COSINE, 2, 0, 100) == 2);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_COSINE, 2, 50, 100), 1, 1e-6);
	CHECK_NEAR(sym_lr_at(SYM_SCHED_COSINE, 2, 25, 100),
	    1 + cos(M_PI / 4), 1e-6);
	CHECK(sym_lr_at(SYM_SCHED_COSINE, 2, 100, 100) == 0);
	CHECK(sym_schedule_parse("const") == SYM_SCHED_CONST);
	CHECK(sym_schedule_parse("step") == SYM_SCHED_STEP);
	CHECK(sym_schedule_parse("cosine") == SYM_SCHED_COSINE);
	CHECK(sym_schedule_parse("linear") == -1);
	CHECK(sym_optimizer_parse("adam") == SYM_ADAM);
	CHECK(sym_optimizer_parse("sgd") == SYM_SGD);
	CHECK(sym_optimizer_parse("Adam") == -1);
	return UNIT_END();
}
