/*
 * train_bench.c: times training steps of one symnet tower on random data
 * with the engine API (forward, pair loss, backward, Adam), the same work
 * as one step of sym-train on pairs, without reading or sampling data.
 * Prints pairs/s of the median step and where the time goes: the GEMM /
 * other split from sym_net_times, and with -k each non-GEMM kernel of the
 * net timed alone at the shapes of the step (to name a bottleneck).
 * With -i it times eval-mode forward passes of -b images instead (what
 * sym-embed does per batch, without I/O) and prints images/s; -F turns
 * its conv-bn-relu-pool fusion off, to time the layers one by one. -D
 * turns the direct convolution off (training steps too), to time im2col
 * and GEMM instead; -T turns the convolution by DFT (forward passes) off. With
 * -g N it times square N x N SGEMMs through sym_gemm and prints GFLOP/s:
 * the ceiling every GEMM-bound figure here is measured against.
 *
 * usage: train_bench [-hikFDT] [-g n] [-a arch] [-s size] [-l loss]
 *            [-b pairs] [-n steps] [-w warmup] [-t threads]
 * Output: "key value" lines on stdout (see bench/README.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sym.h"

struct opts {
	const char *arch;
	int size, loss, pairs, steps, warmup, threads, kernels, infer, gemm;
	int nofuse;		/* -F: eval without conv-bn-relu-pool fusion */
	int nodirect;		/* -D: eval convs by im2col and GEMM */
	int nodft;		/* -T: no convs by DFT */
};

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
usage(FILE *f, int status)
{
	fputs("usage: train_bench [-hikFDT] [-g n] [-a arch] [-s size] "
	    "[-l loss] [-b pairs] [-n steps] [-w warmup] [-t threads]\n"
	    "(the options: the comment at the top of bench/train/"
	    "train_bench.c)\n", f);
	exit(status);
}

/* -g: the best of `steps` N x N x N SGEMMs after `warmup` more */
static void
gemm_peak(const struct opts *o)
{
	size_t nn = (size_t)o->gemm * o->gemm, q;
	float *a = sym_emalloc(nn * sizeof(float)),
	    *b = sym_emalloc(nn * sizeof(float)),
	    *c = sym_emalloc(nn * sizeof(float));
	double best = 1e30, t;
	int i, n = o->gemm;

	for (q = 0; q < nn; q++) {
		a[q] = 1.0f / (float)(q % 7 + 1);
		b[q] = 1.0f / (float)(q % 5 + 1);
	}
	for (i = 0; i < o->warmup + o->steps; i++) {
		t = now();
		sym_gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
		t = now() - t;
		if (i >= o->warmup && t < best)
			best = t;
	}
	printf("gemm_n %d\nthreads %d\nsgemm_gflops %.0f\n", n, o->threads,
	    2.0 * n * n * n / best / 1e9);
	free(a);
	free(b);
	free(c);
}

/* ---- per-kernel timing of conv / bn / pool / relu nets ---- */

/* One call site of a non-GEMM kernel: which, at what shape, on what
 * scratch buffers (see kernel_times). */
enum { K_IM2COL, K_COL2IM, K_BNF, K_BNB, K_POOLF, K_POOLB, K_RELUF,
    K_RELUB, K_SWAP };

struct kcall {
	int op;
	int c, h, w, k, pad, s;	/* input shape of the layer */
	int B;
	float *a, *b, *c2, *d;	/* scratch buffers */
	int *arg;
	double *sum;
};

static void
run_kernel(struct kcall *q)
{
	size_t n = (size_t)q->c * q->B * q->h * q->w;
	int nb = q->B;

	/* net.c does conv in chunks of images so col stays under ~32 MB;
	 * the work per image is the same, so the caller times one chunk
	 * and scales */
	switch (q->op) {
	case K_IM2COL:
		sym_im2col(q->b, q->a, q->c, q->B, q->h, q->w, q->k, q->pad, 0,
		    nb);
		break;
	case K_COL2IM:
		sym_col2im(q->a, q->b, q->c, q->B, q->h, q->w, q->k, q->pad, 0,
		    nb);
		break;
	case K_BNF:
		sym_bn_forward(q->b, q->c2, q->c2 + q->c, q->a, q->d,
		    q->d + q->c, q->d + 2 * q->c, q->d + 3 * q->c, 1, q->c,
		    (size_t)q->B * q->h * q->w, 1, 1, q->sum);
		break;
	case K_BNB:
		sym_bn_backward(q->b, q->d + 4 * q->c, q->d + 5 * q->c, q->b,
		    q->a, q->d + q->c, q->c2, q->c2 + q->c, q->d, 1, q->c,
		    (size_t)q->B * q->h * q->w, 1, q->sum);
		break;
	case K_POOLF:
		sym_pool_forward(q->b, q->arg, q->a, q->c * q->B, q->h, q->w,
		    q->s);
		break;
	case K_POOLB:
		sym_pool_backward(q->a, q->b, q->arg, q->c * q->B, q->h, q->w,
		    q->s);
		break;
	case K_RELUF:
		sym_relu_forward(q->b, n);
		break;
	case K_RELUB:
		sym_relu_backward(q->b, q->b, q->a, n);
		break;
	case K_SWAP:
		sym_swap01(q->b, q->a, q->c, q->B, (size_t)q->h * q->w);
		break;
	}
}

/* Median seconds of reps calls (at most 16) after one untimed call. */
static double
time_kernel(struct kcall *q, int reps)
{
	double t[16];
	int i;

	if (reps > 16)
		reps = 16;
	run_kernel(q);	/* touch the pages */
	for (i = 0; i < reps; i++) {
		double t0 = now();

		run_kernel(q);
		t[i] = now() - t0;
	}
	return median(t, reps);
}

/* Walk the canonical spec of the net and time, per layer, the non-GEMM
 * kernels one training step of 2*pairs images runs there. Prints
 * "kernel LAYER OP ms" lines and the sum. Layers not listed (dense) do
 * only GEMM and small loops. */
static void
kernel_times(const struct opts *o, const char *spec, int size, int B)
{
	char *s = sym_estrdup(spec), *tok, *save = NULL;
	int c = 1, h = size, w = size, li = 0, prev_bn = 0;
	double total = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save), li++) {
		struct kcall q;
		size_t in = (size_t)c * B * h * w, big;
		int oc = 0, k = 0, pad = 0, oh, ow, fwd, bwd;
		double t1 = 0, t2 = 0;
		const char *n1 = NULL, *n2 = NULL;

		memset(&q, 0, sizeof(q));
		q.c = c;
		q.h = h;
		q.w = w;
		q.B = B;
		if (strncmp(tok, "conv:", 5) == 0) {
			if (sscanf(tok, "conv:%d:%d:%d", &oc, &k, &pad) < 2)
				sym_die("bad layer %s", tok);
			oh = h + 2 * pad - k + 1;
			ow = w + 2 * pad - k + 1;
			q.k = k;
			q.pad = pad;
			/* one chunk of images as net.c does (COL_BUDGET) */
			q.B = (int)((size_t)1 << 23) /
			    (c * k * k * oh * ow);
			q.B = q.B < 1 ? 1 : q.B > B ? B : q.B;
			big = (size_t)c * k * k * oh * ow * q.B;
			q.a = sym_ecalloc(in, sizeof(float));
			q.b = sym_ecalloc(big, sizeof(float));
			q.op = K_IM2COL;
			/* forward and backward each run im2col, but the
			 * direct convolution has none in the forward and
			 * no col2im for the input gradient */
			fwd = o->nodirect || !sym_conv_direct_runs(h, w, k,
			    pad);
			bwd = o->nodirect || pad > k - 1 ||
			    !sym_conv_direct_runs(oh, ow, k, k - 1 - pad);
			t1 = (1 + fwd) * time_kernel(&q, 5) * B / q.B;
			n1 = fwd ? "im2col(x2)" : "im2col(x1)";
			if (li > 0 && bwd) {
				q.op = K_COL2IM;
				t2 = time_kernel(&q, 5) * B / q.B;
				n2 = "col2im";
			}
			free(q.a);
			free(q.b);
			c = oc;
			h = oh;
			w = ow;
			prev_bn = 0;
		} else if (strcmp(tok, "bn") == 0 ||
		    strncmp(tok, "pool", 4) == 0 ||
		    strcmp(tok, "relu") == 0) {
			q.a = sym_ecalloc(in, sizeof(float));
			q.b = sym_ecalloc(in, sizeof(float));
			q.c2 = sym_ecalloc(2 * (size_t)c, sizeof(float));
			q.d = sym_ecalloc(6 * (size_t)c, sizeof(float));
			q.sum = sym_ecalloc(2 * (size_t)c, sizeof(double));
			q.arg = sym_ecalloc(in, sizeof(int));
			for (size_t i = 0; i < in; i++)
				q.a[i] = (float)((i * 2654435761u) % 1000) /
				    500 - 1;
			for (int i = 0; i < c; i++) {
				q.d[i] = 1;	/* gamma */
				q.d[3 * c + i] = 1;	/* running var */
				q.c2[c + i] = 1;	/* istd */
			}
			if (tok[0] == 'b') {
				q.op = K_BNF;
				t1 = time_kernel(&q, 5);
				q.op = K_BNB;
				t2 = time_kernel(&q, 5);
				n1 = "bn+relu fwd";
				n2 = "bn+relu bwd";
				prev_bn = 1;
			} else if (tok[0] == 'p') {
				q.s = 2;
				sscanf(tok, "pool:%d", &q.s);
				q.op = K_POOLF;
				t1 = time_kernel(&q, 5);
				q.op = K_POOLB;
				t2 = time_kernel(&q, 5);
				n1 = "pool fwd";
				n2 = "pool bwd";
				h /= q.s;
				w /= q.s;
				prev_bn = 0;
			} else if (!prev_bn) {	/* a relu after bn is fused */
				q.op = K_RELUF;
				t1 = time_kernel(&q, 5);
				q.op = K_RELUB;
				t2 = time_kernel(&q, 5);
				n1 = "relu fwd";
				n2 = "relu bwd";
			}
			free(q.a);
			free(q.b);
			free(q.c2);
			free(q.d);
			free(q.sum);
			free(q.arg);
		} else if (strcmp(tok, "flatten") == 0) {
			q.a = sym_ecalloc(in, sizeof(float));
			q.b = sym_ecalloc(in, sizeof(float));
			q.op = K_SWAP;
			/* forward and backward each transpose once */
			t1 = 2 * time_kernel(&q, 5);
			n1 = "flatten swap(x2)";
			free(q.a);
			free(q.b);
			c = c * h * w;
			h = w = 1;
		} else if (strncmp(tok, "dense:", 6) == 0) {
			sscanf(tok, "dense:%d", &c);
			h = w = 1;
		}
		if (n1)
			printf("kernel %d:%s %s %.2f ms\n", li, tok, n1,
			    1e3 * t1);
		if (n2)
			printf("kernel %d:%s %s %.2f ms\n", li, tok, n2,
			    1e3 * t2);
		total += t1 + t2;
	}
	printf("kernel_total %.2f ms\n", 1e3 * total);
	free(s);
}

/* GEMM floating-point operations of one forward (*fwd) and one backward
 * (*bwd) of B images through the net with this canonical spec, counting
 * as net.c computes: conv and dense take 2 M N K each for the output,
 * dW and (below layer 0) dx. */
static void
spec_flops(const char *spec, int size, int B, double *fwd, double *bwd)
{
	char *s = sym_estrdup(spec), *tok, *save = NULL;
	int c = 1, h = size, w = size, li = 0;

	*fwd = *bwd = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",",
	    &save), li++) {
		int oc, k, pad = 0, ps = 2;
		double f;

		if (sscanf(tok, "conv:%d:%d:%d", &oc, &k, &pad) >= 2) {
			h = h + 2 * pad - k + 1;
			w = w + 2 * pad - k + 1;
			f = 2.0 * oc * c * k * k * h * w * B;
			c = oc;
		} else if (sscanf(tok, "dense:%d", &oc) == 1) {
			f = 2.0 * oc * c * h * w * B;
			c = oc;
			h = w = 1;
		} else {
			if (sscanf(tok, "pool:%d", &ps) == 1) {
				h /= ps;
				w /= ps;
			}
			continue;
		}
		*fwd += f;
		*bwd += li > 0 ? 2 * f : f;
	}
	free(s);
}

int
main(int argc, char **argv)
{
	struct opts o = { "conv4", 28, SYM_LOSS_CONTRASTIVE, 128, 10, 2, 2,
	    0, 0, 0, 0, 0, 0 };
	struct rusage ru;
	struct sym_net *net;
	struct sym_optim opt, hopt;
	struct sym_rng rng;
	float *x, *same, *de, *head = NULL, *hgrad = NULL;
	double *tstep, tf = 0, tb = 0, tl = 0, to = 0, gemm, other, med;
	double ffwd, fbwd;
	size_t nin, np, nh;
	int c, i, D, B;

	sym_setprog(argv[0]);
	/* re-exec with the right OpenBLAS core before anything else */
	sym_blas_init(argv, 1);
	/* options */
	while ((c = getopt(argc, argv, "hikFDTg:a:s:l:b:n:w:t:")) != -1) {
		switch (c) {
		case 'g':
			o.gemm = (int)sym_parse_long(optarg, 1, 16384, "-g");
			break;
		case 'i':
			o.infer = 1;
			break;
		case 'k':
			o.kernels = 1;
			break;
		case 'F':
			o.nofuse = 1;
			break;
		case 'D':
			o.nodirect = 1;
			break;
		case 'T':
			o.nodft = 1;
			break;
		case 'a':
			o.arch = optarg;
			break;
		case 's':
			o.size = (int)sym_parse_long(optarg, 1, 1024, "-s");
			break;
		case 'l':
			if ((o.loss = sym_loss_parse(optarg)) < 0 ||
			    o.loss == SYM_LOSS_PROTO)
				sym_usage_die("-l: %s is no pair loss", optarg);
			break;
		case 'b':
			o.pairs = (int)sym_parse_long(optarg, 1, 100000, "-b");
			break;
		case 'n':
			o.steps = (int)sym_parse_long(optarg, 1, 100000, "-n");
			break;
		case 'w':
			o.warmup = (int)sym_parse_long(optarg, 0, 100000, "-w");
			break;
		case 't':
			o.threads = (int)sym_parse_long(optarg, 1, 64, "-t");
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);

	sym_blas_threads(o.threads);
	if (o.gemm) {
		gemm_peak(&o);
		return 0;
	}
	/* set up: the tower, the head, Adam over each, random inputs */
	if (!(net = sym_net_new(o.arch, 1, o.size, o.size)))
		sym_die("%s: %s", o.arch, sym_strerror());
	sym_rng_seed(&rng, 1);
	sym_net_init(net, &rng);
	D = sym_net_out_dim(net);
	B = o.pairs;
	np = sym_net_nparams(net);
	nh = sym_head_nparams(o.loss, D);
	if (nh) {
		head = sym_ecalloc(nh, sizeof(float));
		hgrad = sym_ecalloc(nh, sizeof(float));
		sym_head_init(o.loss, D, head, &rng);
	}
	sym_optim_init(&opt, SYM_ADAM, np);
	sym_optim_init(&hopt, SYM_ADAM, nh ? nh : 1);
	nin = (size_t)2 * B * o.size * o.size;
	x = sym_emalloc(nin * sizeof(float));
	for (size_t q = 0; q < nin; q++)
		x[q] = (float)sym_rng_uniform(&rng);
	same = sym_emalloc(B * sizeof(float));
	for (i = 0; i < B; i++)
		same[i] = i % 2 == 0;
	de = sym_emalloc((size_t)2 * B * D * sizeof(float));
	tstep = sym_emalloc((o.steps ? o.steps : 1) * sizeof(double));

	sym_net_set_direct(net, !o.nodirect);
	sym_net_set_dft(net, !o.nodft);
	if (o.infer) {
		/* forward passes of B images in eval mode; -F times the
		 * layer-by-layer path instead of the fused one */
		sym_net_set_fusion(net, !o.nofuse);
		for (i = -o.warmup; i < o.steps; i++) {
			double t0;

			if (i == 0)
				sym_net_reset_times(net);
			t0 = now();
			sym_net_forward(net, x, B, 0);
			if (i >= 0)
				tstep[i] = now() - t0;
		}
		sym_net_times(net, &gemm, &other);
		med = median(tstep, o.steps);
		getrusage(RUSAGE_SELF, &ru);
		printf("arch %s\n", o.arch);
		printf("fusion %s\n", o.nofuse ? "off" : "on");
		printf("direct_conv %s\n", o.nodirect ? "off" : "on");
		printf("dft_conv %s\n", o.nodft ? "off" : "on");
		printf("input 1x%dx%d\n", o.size, o.size);
		printf("blas %s threads %d\n", sym_blas_core(), o.threads);
		printf("images_per_batch %d\n", B);
		printf("batch_median_ms %.2f\n", 1e3 * med);
		printf("images_per_s %.1f\n", B / med);
		printf("gemm_share %.1f %%\n", 100 * gemm / (gemm + other));
		spec_flops(sym_net_spec(net), o.size, B, &ffwd, &fbwd);
		printf("gemm_gflops %.0f\n", ffwd * o.steps / gemm / 1e9);
		printf("peak_rss_mb %.0f\n", ru.ru_maxrss / 1024.0);
		goto done;
	}

	/* compute: warm-up steps (workspace, page faults, BLAS threads),
	 * then timed ones */
	for (i = -o.warmup; i < o.steps; i++) {
		const float *e;
		double t0, t1, t2, t3, t4;

		if (i == 0)
			sym_net_reset_times(net);
		t0 = now();
		memset(sym_net_grads(net), 0, np * sizeof(float));
		if (nh)
			memset(hgrad, 0, nh * sizeof(float));
		/* both sides of every pair in one pass, as sym-train */
		e = sym_net_forward(net, x, 2 * B, 1);
		t1 = now();
		sym_pair_loss(o.loss, head, hgrad, 1.0f, e, e + (size_t)B * D,
		    same, B, D, de, de + (size_t)B * D);
		t2 = now();
		sym_net_backward(net, de, NULL);
		t3 = now();
		sym_optim_step(&opt, sym_net_params(net), sym_net_grads(net),
		    1e-3f);
		if (nh)
			sym_optim_step(&hopt, head, hgrad, 1e-3f);
		t4 = now();
		if (i < 0)
			continue;
		tstep[i] = t4 - t0;
		tf += t1 - t0;
		tl += t2 - t1;
		tb += t3 - t2;
		to += t4 - t3;
	}
	sym_net_times(net, &gemm, &other);

	/* write */
	{
		double tot = tf + tl + tb + to;

		med = median(tstep, o.steps);
		printf("arch %s\n", o.arch);
		printf("spec %s\n", sym_net_spec(net));
		printf("input 1x%dx%d\n", o.size, o.size);
		printf("loss %s\n", sym_loss_name(o.loss));
		printf("direct_conv %s\n", o.nodirect ? "off" : "on");
		printf("params %zu\n", np + nh);
		printf("blas %s threads %d\n", sym_blas_core(), o.threads);
		printf("pairs_per_step %d\n", B);
		printf("steps %d\n", o.steps);
		printf("step_median_ms %.2f\n", 1e3 * med);
		printf("pairs_per_s %.1f\n", B / med);
		printf("time_forward %.1f %%\n", 100 * tf / tot);
		printf("time_loss %.1f %%\n", 100 * tl / tot);
		printf("time_backward %.1f %%\n", 100 * tb / tot);
		printf("time_adam %.1f %%\n", 100 * to / tot);
		printf("gemm_share %.1f %%\n", 100 * gemm / tot);
		printf("net_other_share %.1f %%\n", 100 * other / tot);
		printf("gemm_ms_per_step %.2f\n", 1e3 * gemm / o.steps);
		printf("other_ms_per_step %.2f\n", 1e3 * other / o.steps);
		printf("adam_ms_per_step %.2f\n", 1e3 * to / o.steps);
		/* what GEMM achieved: the step's flops over its GEMM time */
		spec_flops(sym_net_spec(net), o.size, 2 * B, &ffwd, &fbwd);
		printf("gemm_gflop_per_step %.1f\n", (ffwd + fbwd) / 1e9);
		printf("gemm_gflops %.0f\n",
		    (ffwd + fbwd) * o.steps / gemm / 1e9);
		getrusage(RUSAGE_SELF, &ru);
		printf("peak_rss_mb %.0f\n", ru.ru_maxrss / 1024.0);
	}
	if (o.kernels)
		kernel_times(&o, sym_net_spec(net), o.size, 2 * B);
done:
	sym_net_free(net);
	sym_optim_free(&opt);
	sym_optim_free(&hopt);
	free(x);
	free(same);
	free(de);
	free(head);
	free(hgrad);
	free(tstep);
	return sym_fshut(stdout, "<stdout>");
}
