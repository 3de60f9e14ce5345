/*
 * sym-match: use embeddings. Classify queries by their nearest support
 * classes (one TSV line per query on stdout), run few-shot episodes on
 * one labelled stream, or score pairs of embeddings for verification.
 * Summaries go to stderr or --summary FILE.
 */
#include <errno.h>
#include <getopt.h>
#include <float.h>
#include <math.h>
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

/* ---- input checks ---- */

static void
check_finite(const float *v, size_t D, const char *name, uint64_t index)
{
	if (sym_embedding_check(v, D, name, index) < 0)
		sym_die("%s", sym_strerror());
}

static void
same_model(const char *name, const struct sym_header *h,
    const struct sym_header *ref)
{
	const char *a = sym_header_get_meta(h, "model-id");
	const char *b = sym_header_get_meta(ref, "model-id");

	if ((a || b) && (!a || !b || strcmp(a, b) != 0))
		sym_die("%s: embedded by model %s, support by %s", name,
		    a ? a : "(none)", b ? b : "(none)");
}

static int
dim_of(const struct sym_header *h)
{
	return (int)(h->c * h->h * h->w);
}

/* The similarity a stream's header asks for: its "loss" (with "margin"
 * and, for bce and concat, the "head" bytes in hex), else plain
 * Euclidean. *hp is allocated for heads. */
static void
scorer_of(struct sym_scorer *sc, float **hp, const struct sym_header *h,
    const char *name)
{
	const char *loss = sym_header_get_meta(h, "loss");
	const char *m = sym_header_get_meta(h, "margin");
	const char *hex = sym_header_get_meta(h, "head");
	int D = dim_of(h);
	size_t n, i, j;
	char *end;

	memset(sc, 0, sizeof *sc);
	*hp = NULL;
	if (!loss)
		return;
	if ((sc->loss = sym_loss_parse(loss)) < 0)
		sym_die("%s: unknown loss \"%s\"", name, loss);
	sc->margin = 1;
	if (m) {
		sc->margin = strtof(m, &end);
		if (*end || !isfinite(sc->margin) || sc->margin <= 0)
			sym_die("%s: bad margin \"%s\"", name, m);
	}
	if (sc->loss != SYM_LOSS_BCE && sc->loss != SYM_LOSS_CONCAT)
		return;
	n = sym_head_nparams(sc->loss, D);
	if (!hex || strlen(hex) != 8 * n)
		sym_die("%s: %s embeddings need a \"head\" of %zu values",
		    name, loss, n);
	*hp = sym_emalloc(n * sizeof **hp);
	for (i = 0; i < n; i++) {
		unsigned char b[4];

		for (j = 0; j < 4; j++) {
			char two[3] = { hex[8 * i + 2 * j],
			    hex[8 * i + 2 * j + 1], 0 };
			unsigned long v = strtoul(two, &end, 16);

			if (*end || !two[0] || !two[1])
				sym_die("%s: bad \"head\" hex", name);
			b[j] = (unsigned char)v;
		}
		(*hp)[i] = sym_get_f32(b);
		if (!isfinite((*hp)[i]))
			sym_die("%s: \"head\" value %zu is not finite", name,
			    i);
	}
	sc->hp = *hp;
}

/* A whole labelled embeddings (or pairs) stream, checked finite. */
static void
read_all(struct sym_dataset *d, const char *path, int kind,
    const char **name)
{
	FILE *f = sym_open_input(path, name);
	struct sym_reader *r = sym_ereader_open(f, *name);
	size_t D, i;

	sym_reader_expect(r, kind, SYM_F32);
	if (sym_dataset_read(d, r, 0) < 0)
		sym_die("%s", sym_strerror());
	sym_reader_close(r);
	sym_close_input(f);
	D = (size_t)dim_of(&d->hdr);
	for (i = 0; i < d->n; i++)
		check_finite(d->f32 + i * D, D, *name, i);
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

/* ---- classify ---- */

struct support {
	int D;
	size_t n;		/* rows searched */
	float *x;		/* n x D */
	uint32_t *lab;		/* n, into names */
	uint32_t nnames;
	char **names;		/* class names, merged over files */
	uint32_t *ix;		/* names sorted (find_name) */
	uint32_t nused;		/* classes with examples, + nunl */
	uint32_t nunl;		/* examples without a class */
	struct sym_header ref;	/* the first file's header: model, loss */
	const char *refname;
};

static const char *const *cmp_names;

static int
by_name(const void *a, const void *b)
{
	return strcmp(cmp_names[*(const uint32_t *)a],
	    cmp_names[*(const uint32_t *)b]);
}

/* Support class names sorted, for lookups by name in O(log n). */
static uint32_t *
name_index(char *const *names, uint32_t n)
{
	uint32_t *ix = sym_emalloc(((size_t)n + 1) * sizeof *ix), c;

	for (c = 0; c < n; c++)
		ix[c] = c;
	cmp_names = (const char *const *)names;
	qsort(ix, n, sizeof *ix, by_name);
	return ix;
}

/* Index of name among names (sorted by ix), or -1. */
static long
find_name(char *const *names, const uint32_t *ix, uint32_t n,
    const char *name)
{
	uint32_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(names[ix[mid]], name);
		if (c == 0)
			return ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void
read_support(struct support *s, const struct opts *o)
{
	struct sym_dataset d;
	const char *name;
	uint32_t *map, *ix, c, old;
	uint64_t *cnt;
	size_t i;
	int f;

	memset(s, 0, sizeof *s);
	for (f = 0; f < o->nsupport; f++) {
		read_all(&d, o->support[f], SYM_EMBEDDINGS, &name);
		if (f == 0) {
			sym_header_copy(&s->ref, &d.hdr);
			s->refname = name;
			s->D = dim_of(&d.hdr);
		} else {
			same_model(name, &d.hdr, &s->ref);
			if (dim_of(&d.hdr) != s->D)
				sym_die("%s: %d-dimensional, %s is "
				    "%d-dimensional", name, dim_of(&d.hdr),
				    s->refname, s->D);
		}
		/* class indices of this file into the merged names; names
		 * are unique within one header */
		map = sym_emalloc((d.hdr.nclasses + 1) * sizeof *map);
		ix = name_index(s->names, s->nnames);
		old = s->nnames;
		s->names = sym_erealloc(s->names, ((size_t)s->nnames +
		    d.hdr.nclasses + 1) * sizeof *s->names);
		for (c = 0; c < d.hdr.nclasses; c++) {
			long k = find_name(s->names, ix, old,
			    d.hdr.classes[c]);

			if (k < 0) {
				k = s->nnames++;
				s->names[k] = sym_estrdup(d.hdr.classes[c]);
			}
			map[c] = (uint32_t)k;
		}
		free(ix);
		if (f == 0) {
			/* take the vectors over: no second copy of a big
			 * support set */
			s->x = d.f32;
			s->lab = d.labels;
			d.f32 = NULL;
			d.labels = NULL;
		} else {
			s->x = sym_erealloc(s->x, (s->n + d.n) * s->D *
			    sizeof *s->x);
			s->lab = sym_erealloc(s->lab, (s->n + d.n) *
			    sizeof *s->lab);
			memcpy(s->x + s->n * s->D, d.f32, d.n * s->D *
			    sizeof *s->x);
			memcpy(s->lab + s->n, d.labels, d.n * sizeof *s->lab);
		}
		for (i = s->n; i < s->n + d.n; i++)
			if (s->lab[i] != SYM_NOLABEL)
				s->lab[i] = map[s->lab[i]];
		s->n += d.n;
		free(map);
		sym_dataset_free(&d);
	}
	if (s->n == 0)
		sym_die("%s: no support examples", s->refname);
	/* Examples without a class stand for themselves: labels from
	 * nnames on, named "#row" (label_name). */
	if ((uint64_t)s->nnames + s->n >= SYM_NOLABEL)
		sym_die("%s: too many support examples", s->refname);
	cnt = sym_ecalloc(s->nnames + 1, sizeof *cnt);
	for (i = 0; i < s->n; i++) {
		if (s->lab[i] == SYM_NOLABEL) {
			s->lab[i] = s->nnames + (uint32_t)i;
			s->nused++;
			s->nunl++;
		} else {
			cnt[s->lab[i]]++;
		}
	}
	for (c = 0; c < s->nnames; c++)
		s->nused += cnt[c] > 0;
	if (o->reduce_mean == 1) {
		/* one prototype row per class with examples, then the
		 * examples without a class */
		float *mean = sym_emalloc(((size_t)s->nnames + s->n) * s->D *
		    sizeof *mean);
		uint32_t *ml = sym_emalloc(((size_t)s->nnames + s->n) *
		    sizeof *ml);
		size_t n = 0;

		sym_class_means(mean, cnt, s->x, s->lab, s->n, s->nnames,
		    s->D);
		for (c = 0; c < s->nnames; c++) {
			if (!cnt[c])
				continue;
			memmove(mean + n * s->D, mean + (size_t)c * s->D,
			    s->D * sizeof *mean);
			ml[n++] = c;
		}
		for (i = 0; i < s->n; i++) {
			if (s->lab[i] < s->nnames)
				continue;
			memcpy(mean + n * s->D, s->x + i * s->D,
			    s->D * sizeof *mean);
			ml[n++] = s->lab[i];
		}
		free(s->lab);
		s->lab = ml;
		free(s->x);
		s->x = mean;
		s->n = n;
	}
	free(cnt);
	s->ix = name_index(s->names, s->nnames);
}

/* Name of a search label: a class, or "#row" for an example without
 * one (its index in the support). Valid until the next call. */
static const char *
label_name(const struct support *s, uint32_t l)
{
	static char buf[32];

	if (l < s->nnames)
		return s->names[l];
	snprintf(buf, sizeof buf, "#%u", l - s->nnames);
	return buf;
}

static void
support_free(struct support *s)
{
	uint32_t c;

	for (c = 0; c < s->nnames; c++)
		free(s->names[c]);
	free(s->names);
	free(s->x);
	free(s->lab);
	free(s->ix);
	sym_header_free(&s->ref);
}

/* Tallies of the summary. Query classes are those of the query stream;
 * pred is a support class or -1 for "unknown". */
struct tally {
	uint64_t n, right;
	uint64_t *qn, *qright;	/* per query class */
	uint32_t nq;
	uint32_t *conf;		/* pairs (query class, pred + 1) */
	size_t nconf, cap;
};

static void
tally_add(struct tally *t, uint32_t qc, long pred, int right, int conf)
{
	if (qc >= t->nq) {
		uint32_t n = qc + 1;

		t->qn = sym_erealloc(t->qn, n * sizeof *t->qn);
		t->qright = sym_erealloc(t->qright, n * sizeof *t->qright);
		memset(t->qn + t->nq, 0, (n - t->nq) * sizeof *t->qn);
		memset(t->qright + t->nq, 0, (n - t->nq) * sizeof *t->qright);
		t->nq = n;
	}
	t->n++;
	t->right += right;
	t->qn[qc]++;
	t->qright[qc] += right;
	if (conf) {
		if (t->nconf == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 1024;
			t->conf = sym_erealloc(t->conf, t->cap * 2 *
			    sizeof *t->conf);
		}
		t->conf[2 * t->nconf] = qc;
		t->conf[2 * t->nconf + 1] = (uint32_t)(pred + 1);
		t->nconf++;
	}
}

static void
print_summary(FILE *f, const struct tally *t, const struct sym_header *qh,
    const struct support *s, const struct opts *o)
{
	uint64_t *m;
	uint32_t c, p, ncol = s->nnames + 2;
	size_t i;

	if (t->n == 0) {
		fprintf(f, "accuracy: n/a (0 labelled queries)\n");
		return;
	}
	fprintf(f, "accuracy: %.4f (%llu queries)\n",
	    (double)t->right / t->n, (unsigned long long)t->n);
	for (c = 0; c < t->nq; c++)
		if (t->qn[c])
			fprintf(f, "class %s: %.4f (%llu/%llu)\n",
			    qh->classes[c], (double)t->qright[c] / t->qn[c],
			    (unsigned long long)t->qright[c],
			    (unsigned long long)t->qn[c]);
	if (!o->confusion)
		return;
	/* rows: true classes seen; columns: support classes, unknown */
	m = sym_ecalloc((size_t)t->nq * ncol + 1, sizeof *m);
	for (i = 0; i < t->nconf; i++)
		m[(size_t)t->conf[2 * i] * ncol + t->conf[2 * i + 1]]++;
	fprintf(f, "confusion: rows true, columns predicted\ntrue\\pred");
	for (p = 0; p < s->nnames; p++)
		fprintf(f, "\t%s", s->names[p]);
	if (s->nunl)
		fprintf(f, "\t#");
	fprintf(f, "%s\n", o->reject >= 0 ? "\tunknown" : "");
	for (c = 0; c < t->nq; c++) {
		if (!t->qn[c])
			continue;
		fprintf(f, "%s", qh->classes[c]);
		for (p = 1; p < ncol - !s->nunl; p++)
			fprintf(f, "\t%llu", (unsigned long long)m[
			    (size_t)c * ncol + p]);
		if (o->reject >= 0)
			fprintf(f, "\t%llu", (unsigned long long)m[
			    (size_t)c * ncol]);
		fputc('\n', f);
	}
	free(m);
}

static int
classify(const struct opts *o, struct summary *sum)
{
	struct support s;
	struct sym_scorer sc;
	struct sym_knn_opts ko;
	struct sym_reader *r;
	struct sym_record rec;
	struct tally t;
	const struct sym_header *qh;
	const char *qname;
	float *hp, *q, *cost;
	uint32_t *lab, *qlab, *olab;
	uint64_t *qidx, nq = 0;
	long *qmap = NULL;
	size_t nb, i, nqmap = 0;
	double t0, c0, tsearch = 0, csearch = 0;
	int K, D, j, rc;
	FILE *f;

	/* read the support, then stream the queries in blocks */
	t0 = now();
	read_support(&s, o);
	D = s.D;
	scorer_of(&sc, &hp, &s.ref, s.refname);
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
	same_model(qname, qh, &s.ref);
	if (dim_of(qh) != D)
		sym_die("%s: %d-dimensional, support is %d-dimensional",
		    qname, dim_of(qh), D);
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
			check_finite(rec.f32, D, qname, rec.index);
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
			    "unknown" : label_name(&s, (uint32_t)pred),
			    (double)v[0]);
			if (o->k > 1)
				for (j = 0; j < K; j++)
					printf("\t%s\t%.4f",
					    label_name(&s, l[j]),
					    (double)v[j]);
			putchar('\n');
			if (qlab[i] == SYM_NOLABEL)
				continue;
			/* query class -> support class, by name */
			while (nqmap <= qlab[i]) {
				qmap = sym_erealloc(qmap, (nqmap + 1) *
				    sizeof *qmap);
				qmap[nqmap] = find_name(s.names, s.ix,
				    s.nnames, qh->classes[nqmap]);
				nqmap++;
			}
			/* examples without a class share one column */
			tally_add(&t, qlab[i], pred < s.nnames ? pred :
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
	/* the reader of the results went away: stop quietly, no summary */
	if (fflush(stdout) != 0 && errno == EPIPE)
		sym_epipe_exit();
	if (nq == 0 && !o->quiet)
		sym_warn("%s: no queries", qname);
	if (sum->f)
		print_summary(sum->f, &t, qh, &s, o);
	sym_reader_close(r);
	sym_close_input(f);
	free(q), free(qlab), free(qidx), free(olab), free(cost), free(hp);
	free(qmap), free(t.qn), free(t.qright), free(t.conf);
	support_free(&s);
	return 0;
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

	read_all(&d, o->input, SYM_EMBEDDINGS, &name);
	scorer_of(&sc, &hp, &d.hdr, name);
	eo.way = o->way;
	eo.shot = o->shot;
	eo.queries = o->queries;
	eo.reduce_mean = o->reduce_mean != 0;
	eo.within_group = o->within;
	eo.seed = o->seed;
	if (sym_episodes(&mean, &ci, NULL, o->episodes, d.f32, d.labels,
	    d.n, d.hdr.nclasses, d.hdr.classes, dim_of(&d.hdr), &sc,
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
	int D;

	read_all(&d, o->input, SYM_PAIRS, &name);
	D = dim_of(&d.hdr);
	scorer_of(&sc, &hp, &d.hdr, name);
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
	if (sum->f) {
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
	return 0;
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
	if (o.threshold >= 0 && !o.verify)
		sym_usage_die("--threshold needs --verify");
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
	if (!rc && (fflush(stdout) != 0 || ferror(stdout))) {
		if (errno == EPIPE)
			sym_epipe_exit();
		sym_warn("<stdout>: write error:");
		rc = 1;
	}
	if (!rc)
		summary_close(&sum);
	else if (sum.path) {
		fclose(sum.f);
		free(sum.buf);
	}
	free(o.support);
	return rc ? rc : sym_fshut(stdout, "<stdout>");
}
