/*
 * sym-info: describe a sym stream (or model file): kind, shape, record
 * counts, classes with their counts, metadata and value statistics, as
 * "key: value" lines that grep and awk read well.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

static void
usage(FILE *f)
{
	fputs("usage: sym-info [-cHr] [file]\n", f);
}

static void
help(void)
{
	usage(stdout);
	puts("  -c, --check        validate the whole input; print nothing, "
	    "exit 0 only if valid\n"
	    "  -H, --header-only  print the header without reading records\n"
	    "  -r, --records      list every record: item INDEX CLASS, or\n"
	    "                     pair A B SAME (before the summary)\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version");
}

static const struct option longopts[] = {
	{ "check", no_argument, NULL, 'c' },
	{ "header-only", no_argument, NULL, 'H' },
	{ "records", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
print_header(const struct sym_header *h)
{
	printf("kind: %s\n", sym_kind_name(h->kind));
	printf("dtype: %s\n", sym_dtype_name(h->dtype));
	if (h->kind == SYM_EMBEDDINGS)
		printf("dim: %u\n", h->w);
	printf("shape: %ux%ux%u\n", h->c, h->h, h->w);
	for (uint32_t i = 0; i < h->nmeta; i++)
		printf("meta: %s=%s\n", h->meta_keys[i],
		    strlen(h->meta_vals[i]) > 200 ? "(long value)" :
		    h->meta_vals[i]);
}

/* Describe a model file whose magic has been read into pre. */
static int
model_info(FILE *f, const char *name, const unsigned char *pre, int check)
{
	size_t n = SYM_MODEL_MAGIC_LEN, cap = 1 << 20, got;
	unsigned char *buf = sym_emalloc(cap);
	struct sym_model *m;

	memcpy(buf, pre, n);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= SYM_MODEL_MAX_FILE)
				sym_die("%s: model file over %zu bytes", name,
				    (size_t)SYM_MODEL_MAX_FILE);
			cap *= 2;
			buf = sym_erealloc(buf, cap);
		}
	}
	if (ferror(f))
		sym_die("%s:", name);
	m = sym_model_parse(buf, n, name);
	free(buf);
	if (!m)
		sym_die("%s", sym_strerror());
	if (!check && sym_model_print_info(stdout, m, name) < 0)
		sym_die("<stdout>: write error:");
	sym_model_free(m);
	return sym_fshut(stdout, "<stdout>");
}

int
main(int argc, char *argv[])
{
	struct sym_reader *r;
	struct sym_record rec;
	const struct sym_header *h;
	const char *name;
	FILE *f;
	int ch, check = 0, header_only = 0, records = 0;
	uint64_t items = 0, pairs = 0, same = 0, unlabelled = 0, nonfinite = 0,
	    normed = 0;
	uint64_t *counts = NULL, ncounts = 0;
	double sum = 0, sumsq = 0, norm = 0, vmin = INFINITY, vmax = -INFINITY;
	size_t nvals, npre;
	unsigned char pre[SYM_MODEL_MAGIC_LEN];

	/* options */
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_init_io();
	while ((ch = getopt_long(argc, argv, "cHrhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			check = 1;
			break;
		case 'H':
			header_only = 1;
			break;
		case 'r':
			records = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			puts("sym-info " SYM_VERSION);
			return sym_fshut(stdout, "<stdout>");
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	/* -c prints nothing, whatever else is asked */
	if (check)
		header_only = records = 0;
	f = sym_open_input(optind < argc ? argv[optind] : NULL, &name);

	/* read: a model file, or a stream */
	npre = fread(pre, 1, sizeof(pre), f);
	if (npre == sizeof(pre) &&
	    memcmp(pre, SYM_MODEL_MAGIC, SYM_MODEL_MAGIC_LEN) == 0)
		return model_info(f, name, pre, check);
	if (ferror(f))
		sym_die("%s:", name);
	r = sym_reader_open_after(f, name, pre, npre);
	if (!r)
		sym_die("%s", sym_strerror());
	h = sym_reader_header(r);
	if (header_only) {
		print_header(h);
		if (h->nitems != SYM_COUNT_UNKNOWN)
			printf("items: %llu\n", (unsigned long long)h->nitems);
		if (h->kind == SYM_PAIRS && h->npairs != SYM_COUNT_UNKNOWN)
			printf("pairs: %llu\n", (unsigned long long)h->npairs);
		printf("classes: %u\n", h->nclasses);
		for (uint32_t i = 0; i < h->nclasses; i++)
			printf("class: %u %s\n", i, h->classes[i]);
		sym_reader_close(r);
		return sym_fshut(stdout, "<stdout>");
	}
	nvals = sym_header_item_bytes(h) / (h->dtype == SYM_F32 ? 4 : 1);
	while (sym_eread(r, &rec) > 0) {
		if (records && !check) {
			if (rec.is_pair)
				printf("pair\t%llu\t%llu\t%d\n",
				    (unsigned long long)rec.a,
				    (unsigned long long)rec.b, rec.same);
			else
				printf("item\t%llu\t%s\n",
				    (unsigned long long)rec.index,
				    rec.label == SYM_NOLABEL ? "-" :
				    h->classes[rec.label]);
		}
		if (rec.is_pair) {
			pairs++;
			same += rec.same;
			continue;
		}
		items++;
		if (rec.label == SYM_NOLABEL) {
			unlabelled++;
		} else {
			if (rec.label >= ncounts) {
				/* classes grow as segments arrive */
				uint64_t n = h->nclasses;
				counts = sym_erealloc(counts, n * 8);
				memset(counts + ncounts, 0, (n - ncounts) * 8);
				ncounts = n;
			}
			counts[rec.label]++;
		}
		if (rec.u8) {
			for (size_t i = 0; i < nvals; i++) {
				double v = rec.u8[i];
				sum += v;
				sumsq += v * v;
				vmin = v < vmin ? v : vmin;
				vmax = v > vmax ? v : vmax;
			}
		} else {
			double n2 = 0;
			int bad = 0;

			/* valid: what sym-match takes */
			if (check && sym_embedding_check(rec.f32, nvals, name,
			    rec.index) < 0)
				sym_die("%s", sym_strerror());
			for (size_t i = 0; i < nvals; i++) {
				double v = rec.f32[i];
				if (!isfinite(v)) {
					nonfinite++;
					bad = 1;
					continue;
				}
				sum += v;
				sumsq += v * v;
				n2 += v * v;
				vmin = v < vmin ? v : vmin;
				vmax = v > vmax ? v : vmax;
			}
			/* the mean norm is over whole vectors */
			if (!bad) {
				norm += sqrt(n2);
				normed++;
			}
		}
	}
	if (check) {
		sym_reader_close(r);
		free(counts);
		return sym_fshut(stdout, "<stdout>");
	}

	/* write */
	print_header(h);
	printf("segments: %u\n", sym_reader_segments(r));
	if (h->kind == SYM_PAIRS) {
		printf("items: %llu\n", (unsigned long long)items);
		printf("pairs: %llu\n", (unsigned long long)pairs);
		printf("pairs-same: %llu\n", (unsigned long long)same);
		printf("pairs-different: %llu\n",
		    (unsigned long long)(pairs - same));
	} else {
		printf("records: %llu\n", (unsigned long long)items);
	}
	printf("classes: %u\n", h->nclasses);
	for (uint32_t i = 0; i < h->nclasses; i++)
		printf("class: %u %s %llu\n", i, h->classes[i],
		    (unsigned long long)(i < ncounts ? counts[i] : 0));
	if (unlabelled)
		printf("unlabelled: %llu\n", (unsigned long long)unlabelled);
	if (items > 0 && nvals > 0) {
		double n = (double)(items * nvals - nonfinite);
		double mean = n > 0 ? sum / n : 0;
		double var = n > 0 ? sumsq / n - mean * mean : 0;
		printf("min: %.6g\n", n > 0 ? vmin : 0);
		printf("max: %.6g\n", n > 0 ? vmax : 0);
		printf("mean: %.6g\n", mean);
		printf("std: %.6g\n", var > 0 ? sqrt(var) : 0);
		if (h->dtype == SYM_F32) {
			printf("mean-norm: %.6g\n", normed ? norm / normed :
			    0);
			printf("non-finite: %llu\n",
			    (unsigned long long)nonfinite);
		}
	}
	sym_reader_close(r);
	free(counts);
	return sym_fshut(stdout, "<stdout>");
}
