/*
 * sym-match: use embeddings. Classify queries by their nearest support
 * classes (one TSV line per query on stdout), run few-shot episodes on
 * one labelled stream, or score pairs of embeddings for verification.
 * Summaries go to stderr or --summary FILE.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sym.h"

/* queries read per search call: about 20 of match.c's 768-query blocks,
 * so the threads, which take blocks as they go, finish close together
 * (8 MB of queries at d = 128) */
#define QSTREAM 16384

enum { OPT_REDUCE = 256, OPT_REJECT, OPT_SUMMARY, OPT_CONFUSION,
	OPT_EPISODES, OPT_WAY, OPT_SHOT, OPT_QUERIES, OPT_SEED,
	OPT_WITHIN, OPT_VERIFY, OPT_THRESHOLD };

struct opts {
	const char **support;
	int nsupport;
	int k;
	int reduce_mean;	/* -1: the mode's default */
	double reject;		/* < 0: off */
	const char *summary;
	int confusion;
	int threads;
	int quiet, verbose;
	long episodes;		/* 0: not the episodes mode */
	int way, shot, queries;
	uint64_t seed;
	int within;
	int verify;
	double threshold;	/* < 0: none */
	const char *input;
};

static void
usage(FILE *f)
{
	fputs("usage: sym-match [-qv] -s support [-s support ...] [-k top] "
	    "[--reduce max|mean]\n"
	    "                 [--reject t] [--summary file] [--confusion] "
	    "[-t threads] [file]\n"
	    "       sym-match --episodes n [--way w] [--shot s] "
	    "[--queries q] [--seed s]\n"
	    "                 [--within-group] [--reduce max|mean] [file]\n"
	    "       sym-match --verify [--threshold t] [--summary file] "
	    "[file]\n", f);
}

static void
help(void)
{
	usage(stdout);
	puts("  -s, --support FILE   embedded support examples, may repeat "
	    "[required]\n"
	    "  -k, --top K          also print the K best classes and "
	    "scores [1]\n"
	    "      --reduce HOW     class score: max (best example) or mean "
	    "(prototype)\n"
	    "                       [max; mean for --episodes]\n"
	    "      --reject T       predict \"unknown\" below similarity T "
	    "[off]\n"
	    "      --summary FILE   write the summary to FILE, not stderr "
	    "[stderr]\n"
	    "      --confusion      add the confusion matrix to the summary "
	    "[off]\n"
	    "  -t, --threads N      search threads [online CPUs]\n"
	    "      --episodes N     run N few-shot episodes on one labelled "
	    "stream [off]\n"
	    "      --way W          classes per episode [5]\n"
	    "      --shot S         support examples per class [1]\n"
	    "      --queries Q      queries per class [15]\n"
	    "      --seed S         random seed of the episodes [1]\n"
	    "      --within-group   draw each episode's classes from one "
	    "group [off]\n"
	    "      --verify         score pairs of embeddings: AUC, EER "
	    "[off]\n"
	    "      --threshold T    also report the accuracy at threshold T "
	    "[off]\n"
	    "  -q, --quiet          no summary on stderr [off]\n"
	    "  -v, --verbose        timing and BLAS core on stderr [off]\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version");
}

static const struct option longopts[] = {
	{ "support", required_argument, NULL, 's' },
	{ "top", required_argument, NULL, 'k' },
	{ "reduce", required_argument, NULL, OPT_REDUCE },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "confusion", no_argument, NULL, OPT_CONFUSION },
	{ "threads", required_argument, NULL, 't' },
	{ "episodes", required_argument, NULL, OPT_EPISODES },
	{ "way", required_argument, NULL, OPT_WAY },
	{ "shot", required_argument, NULL, OPT_SHOT },
	{ "queries", required_argument, NULL, OPT_QUERIES },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "within-group", no_argument, NULL, OPT_WITHIN },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static double
clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* ---- the summary, to stderr or an atomically written file ---- */

struct summary {
	FILE *f;	/* NULL: no summary (-q) */
	char *buf;	/* --summary: written to the file at the end */
	size_t len;
	const char *path;
};

static void
summary_open(struct summary *s, const struct opts *o)
{
	memset(s, 0, sizeof *s);
	/* a summary that cannot be written fails before any result */
	if (o->summary && sym_atomic_check(o->summary) < 0)
		sym_die("%s", sym_strerror());
	if (o->summary) {
		/* kept in memory so a failure on the way leaves no file */
		s->path = o->summary;
		if (!(s->f = open_memstream(&s->buf, &s->len)))
			sym_die("%s:", o->summary);
	} else if (!o->quiet) {
		s->f = stderr;
	}
}

static void
summary_close(struct summary *s)
{
	struct sym_atomic a;

	if (!s->path)
		return;
	if (fclose(s->f) != 0)
		sym_die("%s:", s->path);
	if (sym_atomic_open(&a, s->path) < 0)
		sym_die("%s", sym_strerror());
	if (fwrite(s->buf, 1, s->len, a.f) != s->len) {
		sym_atomic_abort(&a);
		sym_die("%s: write error:", s->path);
	}
	if (sym_atomic_commit(&a) < 0)
		sym_die("%s", sym_strerror());
	free(s->buf);
}

/* 0 when the results on stdout were all written; else 1, said (or, the
 * reader gone, a quiet exit). Checked before the summary, which is only
 * printed about results that reached their reader. */
static int
results_failed(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		sym_epipe_exit();
	sym_warn("<stdout>: write error:");
	return 1;
}

/* ---- classify ---- */

static int
classify(const struct opts *o, struct summary *sum)
{
	struct sym_support s;
	struct sym_scorer sc;
	struct sym_knn_opts ko;
	struct sym_reader *r;
	struct sym_record rec;
	struct sym_tally t;
	const struct sym_header *qh;
	const char *qname;
	float *hp, *q, *cost;
	uint32_t *lab, *qlab, *olab;
	uint64_t *qidx, nq = 0;
	long *qmap = NULL;
	size_t nb, i, nqmap = 0;
	double t0, c0, tsearch = 0, csearch = 0;
	int K, D, j, rc, failed;
	FILE *f;

	/* read the support, then stream the queries in blocks */
	t0 = now();
	sym_support_read(&s, o->support, o->nsupport, o->reduce_mean == 1);
	D = s.D;
	/* a class of that name would read as a rejection in the output */
	if (o->reject >= 0 && sym_support_class(&s, "unknown") >= 0)
		sym_die("--reject: a support class is named \"unknown\", "
		    "which is what a rejection prints: rename it");
	sym_scorer_of(&sc, &hp, &s.ref, s.refname);
	if (o->verbose)
		sym_warn("support: %zu vectors of %d, %u classes, read in "
		    "%.2f s", s.n, D, s.nused, now() - t0);
	K = o->k < (int)s.nused ? o->k : (int)s.nused;
	memset(&ko, 0, sizeof ko);
	ko.K = K;
	ko.nthreads = o->threads;
	if (sc.loss == SYM_LOSS_BCE || sc.loss == SYM_LOSS_CONCAT) {
		ko.metric = SYM_METRIC_HEAD;
		ko.loss = sc.loss;
		ko.hp = sc.hp;
	}

	f = sym_open_input(o->input, &qname);
	r = sym_ereader_open(f, qname);
	sym_reader_expect(r, SYM_EMBEDDINGS, SYM_F32);
	qh = sym_reader_header(r);
	sym_same_model(qname, qh, &s.ref);
	if (sym_header_dim(qh) != D)
		sym_die("%s: %d-dimensional, support is %d-dimensional",
		    qname, sym_header_dim(qh), D);
	q = sym_emalloc((size_t)QSTREAM * D * sizeof *q);
	qlab = sym_emalloc(QSTREAM * sizeof *qlab);
	qidx = sym_emalloc(QSTREAM * sizeof *qidx);
	olab = sym_emalloc((size_t)QSTREAM * K * sizeof *olab);
	cost = sym_emalloc((size_t)QSTREAM * K * sizeof *cost);
	lab = s.lab;
	memset(&t, 0, sizeof t);
	do {
		for (nb = 0; nb < QSTREAM && (rc = sym_eread(r, &rec)) > 0;
		    nb++) {
			if (sym_embedding_check(rec.f32, D, qname, rec.index) < 0)
				sym_die("%s", sym_strerror());
			memcpy(q + nb * D, rec.f32, D * sizeof *q);
			qlab[nb] = rec.label;
			qidx[nb] = rec.index;
		}
		if (nb == 0)
			break;
		t0 = now();
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		sym_knn(olab, cost, q, nb, s.x, lab, s.n, D, &ko);
		tsearch += now() - t0;
		/* CPU time too: on a shared machine it is the steadier
		 * measure */
		csearch += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		/* costs to similarities in [0, 1] */
		for (i = 0; i < nb * K; i++)
			cost[i] = ko.metric == SYM_METRIC_HEAD ? 1 - cost[i] :
			    sym_scorer_from_dist2(&sc, cost[i], D);
		for (i = 0; i < nb; i++) {
			const uint32_t *l = olab + i * K;
			const float *v = cost + i * K;
			const char *tname = "-";
			long pred = l[0];

			if (o->reject >= 0 && v[0] < o->reject)
				pred = -1;
			if (qlab[i] != SYM_NOLABEL)
				tname = qh->classes[qlab[i]];
			printf("%llu\t%s\t%s\t%.4f",
			    (unsigned long long)qidx[i], tname, pred < 0 ?
			    "unknown" : sym_support_name(&s, (uint32_t)pred),
			    (double)v[0]);
			if (o->k > 1)
				for (j = 0; j < K; j++)
					printf("\t%s\t%.4f",
					    sym_support_name(&s, l[j]),
					    (double)v[j]);
			putchar('\n');
			if (qlab[i] == SYM_NOLABEL)
				continue;
			/* query class -> support class, by name */
			while (nqmap <= qlab[i]) {
				qmap = sym_erealloc(qmap, (nqmap + 1) *
				    sizeof *qmap);
				qmap[nqmap] = sym_support_class(&s,
				    qh->classes[nqmap]);
				nqmap++;
			}
			/* examples without a class share one column */
			sym_tally_add(&t, qlab[i], pred < s.nnames ? pred :
			    (long)s.nnames, qmap[qlab[i]] == pred,
			    o->confusion);
		}
		nq += nb;
	} while (nb == QSTREAM);
	if (o->verbose) {
		char pass[64] = "";

		/* a head scores every pair: no pass to report */
		if (ko.metric != SYM_METRIC_HEAD)
			snprintf(pass, sizeof pass, ", %s pass, %.3g%% of "
			    "pairs rescored", ko.used_bf16 ? "bf16" : "fp32",
			    nq && s.n ? 100.0 * (double)ko.rescored /
			    ((double)nq * s.n) : 0.0);
		sym_warn("search: %.2f s, %.0f queries/s, cpu %.2f s%s",
		    tsearch, tsearch > 0 ? nq / tsearch : 0.0, csearch, pass);
	}
	failed = results_failed();
	if (!failed && nq == 0 && !o->quiet)
		sym_warn("%s: no queries", qname);
	if (!failed && sum->f)
		sym_tally_print(sum->f, &t, qh, &s, o->confusion,
		    o->reject >= 0);
	sym_reader_close(r);
	sym_close_input(f);
	free(q), free(qlab), free(qidx), free(olab), free(cost), free(hp);
	free(qmap);
	sym_tally_free(&t);
	sym_support_free(&s);
	return failed;
}

/* ---- episodes ---- */

static int
episodes(const struct opts *o)
{
	struct sym_dataset d;
	struct sym_episode_opts eo;
	struct sym_scorer sc;
	const char *name;
	double mean, ci;
	float *hp;

	sym_embeddings_read(&d, o->input, SYM_EMBEDDINGS, &name);
	sym_scorer_of(&sc, &hp, &d.hdr, name);
	eo.way = o->way;
	eo.shot = o->shot;
	eo.queries = o->queries;
	eo.reduce_mean = o->reduce_mean != 0;
	eo.within_group = o->within;
	eo.seed = o->seed;
	if (sym_episodes(&mean, &ci, NULL, o->episodes, d.f32, d.labels,
	    d.n, d.hdr.nclasses, d.hdr.classes, sym_header_dim(&d.hdr), &sc,
	    &eo) < 0)
		sym_die("%s: %s", name, sym_strerror());
	printf("accuracy: %.4f \xc2\xb1 %.4f (95%% CI, %ld episodes)\n",
	    mean, ci, o->episodes);
	free(hp);
	sym_dataset_free(&d);
	return 0;
}

/* ---- verify ---- */

static int
verify(const struct opts *o, struct summary *sum)
{
	struct sym_dataset d;
	struct sym_scorer sc;
	const char *name;
	double auc, eer, ethr, thr, acc;
	float *hp, *score;
	uint8_t *same;
	size_t i;
	int D, failed;

	sym_embeddings_read(&d, o->input, SYM_PAIRS, &name);
	D = sym_header_dim(&d.hdr);
	sym_scorer_of(&sc, &hp, &d.hdr, name);
	if (d.npairs == 0)
		sym_die("%s: no pairs", name);
	score = sym_emalloc(d.npairs * sizeof *score);
	same = sym_emalloc(d.npairs);
	for (i = 0; i < d.npairs; i++) {
		score[i] = sym_scorer_similarity(&sc, d.f32 + d.pa[i] * D,
		    d.f32 + d.pb[i] * D, D);
		same[i] = d.psame[i];
	}
	/* metrics first: a failure must leave stdout empty */
	if (sym_roc_auc(&auc, score, same, d.npairs) < 0 ||
	    sym_eer(&eer, &ethr, score, same, d.npairs) < 0 ||
	    sym_best_threshold(&thr, &acc, score, same, d.npairs) < 0)
		sym_die("%s: %s", name, sym_strerror());
	for (i = 0; i < d.npairs; i++)
		printf("%zu\t%d\t%.4f\n", i, same[i], (double)score[i]);
	failed = results_failed();
	if (!failed && sum->f) {
		fprintf(sum->f, "auc: %.4f\neer: %.4f\n"
		    "best-threshold: %.4f accuracy %.4f\n", auc, eer, thr,
		    acc);
		if (o->threshold >= 0)
			fprintf(sum->f, "threshold: %.4f accuracy %.4f\n",
			    o->threshold, sym_threshold_accuracy(
			    (float)o->threshold, score, same, d.npairs));
	}
	free(score), free(same), free(hp);
	sym_dataset_free(&d);
	return failed;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct summary sum;
	long ncpu;
	int ch, rc, epopt = 0;

	/* options */
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_init_io();
	memset(&o, 0, sizeof o);
	o.k = 1;
	o.reduce_mean = -1;
	o.reject = -1;
	o.threshold = -1;
	o.way = 5;
	o.shot = 1;
	o.queries = 15;
	o.seed = 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o.threads = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	o.support = sym_emalloc((size_t)argc * sizeof *o.support);
	while ((ch = getopt_long(argc, argv, "s:k:t:qvhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o.support[o.nsupport++] = optarg;
			break;
		case 'k':
			o.k = (int)sym_parse_long(optarg, 1, 1000, "--top");
			break;
		case OPT_REDUCE:
			if (strcmp(optarg, "max") == 0)
				o.reduce_mean = 0;
			else if (strcmp(optarg, "mean") == 0)
				o.reduce_mean = 1;
			else
				sym_usage_die("--reduce: %s is not max or mean",
				    optarg);
			break;
		case OPT_REJECT:
			o.reject = sym_parse_double(optarg, 0, 1, "--reject");
			break;
		case OPT_SUMMARY:
			o.summary = optarg;
			break;
		case OPT_CONFUSION:
			o.confusion = 1;
			break;
		case 't':
			o.threads = (int)sym_parse_long(optarg, 1, 64,
			    "--threads");
			break;
		case OPT_EPISODES:
			/* two at least: one has no interval */
			o.episodes = (long)sym_parse_long(optarg, 2, 10000000,
			    "--episodes");
			break;
		case OPT_WAY:
			epopt = 1;
			o.way = (int)sym_parse_long(optarg, 2, 100000,
			    "--way");
			break;
		case OPT_SHOT:
			epopt = 1;
			o.shot = (int)sym_parse_long(optarg, 1, 100000,
			    "--shot");
			break;
		case OPT_QUERIES:
			epopt = 1;
			o.queries = (int)sym_parse_long(optarg, 1, 100000,
			    "--queries");
			break;
		case OPT_SEED:
			epopt = 1;
			o.seed = (uint64_t)sym_parse_long(optarg, 0,
			    INT64_MAX, "--seed");
			break;
		case OPT_WITHIN:
			epopt = 1;
			o.within = 1;
			break;
		case OPT_VERIFY:
			o.verify = 1;
			break;
		case OPT_THRESHOLD:
			o.threshold = sym_parse_double(optarg, 0, 1,
			    "--threshold");
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			help();
			free(o.support);
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			puts("sym-match " SYM_VERSION);
			free(o.support);
			return sym_fshut(stdout, "<stdout>");
		default:
			usage(stderr);
			free(o.support);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		free(o.support);
		return 2;
	}
	o.input = optind < argc ? argv[optind] : NULL;
	/* one mode, and only its options */
	if (o.episodes && o.verify)
		sym_usage_die("--episodes and --verify exclude each other");
	if ((o.episodes || o.verify) && o.nsupport)
		sym_usage_die("--support is for classifying, not %s",
		    o.verify ? "--verify" : "--episodes");
	if (epopt && !o.episodes)
		sym_usage_die("--way, --shot, --queries, --seed and "
		    "--within-group need --episodes");
	if (o.threshold >= 0 && !o.verify)
		sym_usage_die("--threshold needs --verify");
	if (!o.episodes && !o.verify && !o.nsupport) {
		sym_warn("no support set (-s file)");
		usage(stderr);
		free(o.support);
		return 2;
	}
	/* standard input can be read once */
	{
		int nstdin = !o.input || strcmp(o.input, "-") == 0;

		for (int i = 0; i < o.nsupport; i++)
			nstdin += strcmp(o.support[i], "-") == 0;
		if (nstdin > 1)
			sym_usage_die("standard input is read once: -s - "
			    "needs the queries in a file, and only one -s -");
	}
	if (o.verify && (o.k != 1 || o.reduce_mean >= 0 || o.reject >= 0 ||
	    o.confusion))
		sym_usage_die("--verify takes no -k, --reduce, --reject or "
		    "--confusion");
	if (o.episodes && (o.k != 1 || o.reject >= 0 || o.confusion ||
	    o.summary))
		sym_usage_die("--episodes takes no -k, --reject, --confusion "
		    "or --summary");
	if (o.episodes && o.reduce_mean < 0)
		o.reduce_mean = 1;

	/* BLAS before anything touches it; the search threads each run a
	 * single-threaded GEMM */
	sym_blas_init(argv, o.verbose);
	sym_blas_threads(1);

	/* read, compute, write */
	summary_open(&sum, &o);
	if (o.episodes)
		rc = episodes(&o);
	else if (o.verify)
		rc = verify(&o, &sum);
	else
		rc = classify(&o, &sum);
	/* the summary is written only when the results were: a failed
	 * run leaves an old summary as it was. stdout stays open until
	 * after it (--summary /dev/stdout writes to it). */
	if (!rc)
		rc = results_failed();
	if (!rc)
		summary_close(&sum);
	else if (sum.path) {
		fclose(sum.f);
		free(sum.buf);
	}
	free(o.support);
	return rc ? rc : sym_fshut(stdout, "<stdout>");
}
