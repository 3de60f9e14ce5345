/*
 * sym-pairs: labelled images (or embeddings) in, a pairs stream out: the
 * items that the drawn pairs use, once each, then (a, b, same) triples.
 * Classes are drawn uniformly, then items within them.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

static void
usage(FILE *f)
{
	fputs("usage: sym-pairs [-q] [-n count] [--positive-fraction f] "
	    "[--same-group-negatives f] [--seed s] [--max-memory mb] [file]\n",
	    f);
}

static void
help(void)
{
	usage(stdout);
	puts("  -n, --count N                 pairs to draw [10000]\n"
	    "      --positive-fraction F     fraction of same-class pairs "
	    "[0.5]\n"
	    "      --same-group-negatives F  fraction of different-class pairs "
	    "drawn\n"
	    "                                from one group (name prefix "
	    "before '/') [0]\n"
	    "  -s, --seed S                  random seed [1]\n"
	    "      --max-memory MB           refuse inputs needing more memory "
	    "[4096]\n"
	    "  -q, --quiet                   no messages but errors\n"
	    "  -h, --help                    show this help\n"
	    "  -V, --version                 show the version");
}

enum { OPT_POS = 256, OPT_HARD, OPT_MEM };

static const struct option longopts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "positive-fraction", required_argument, NULL, OPT_POS },
	{ "same-group-negatives", required_argument, NULL, OPT_HARD },
	{ "seed", required_argument, NULL, 's' },
	{ "max-memory", required_argument, NULL, OPT_MEM },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	long long count = 10000, seed = 1, maxmem = 4096;
	double posfrac = 0.5, hard = 0;
	const char *name;
	FILE *f;
	int ch, quiet = 0;
	struct sym_reader *r;
	struct sym_dataset d;
	struct sym_sampler *s;
	struct sym_rng rng;
	struct sym_header out;
	struct sym_writer *w;
	uint8_t *flags;
	uint64_t *pa, *pb, *newidx, *order, nused = 0, npos;
	size_t ib;
	char buf[64];

	/* options */
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_init_io();
	while ((ch = getopt_long(argc, argv, "n:s:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			count = sym_parse_long(optarg, 1, 100000000, "--count");
			break;
		case OPT_POS:
			posfrac = sym_parse_double(optarg, 0, 1,
			    "--positive-fraction");
			break;
		case OPT_HARD:
			hard = sym_parse_double(optarg, 0, 1,
			    "--same-group-negatives");
			break;
		case 's':
			seed = sym_parse_long(optarg, 0, INT64_MAX, "--seed");
			break;
		case OPT_MEM:
			maxmem = sym_parse_long(optarg, 1, 1 << 24,
			    "--max-memory");
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			puts("sym-pairs " SYM_VERSION);
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
	f = sym_open_input(optind < argc ? argv[optind] : NULL, &name);

	/* read */
	r = sym_ereader_open(f, name);
	if (sym_reader_header(r)->kind == SYM_PAIRS)
		sym_die("%s: expected images or embeddings, got pairs", name);
	/* megabytes of 10^6 bytes, as in sym-train and the messages */
	if (sym_dataset_read(&d, r, (size_t)maxmem * 1000000) < 0)
		sym_die("%s", sym_strerror());
	sym_reader_close(r);
	/* compute: exactly round(count * f) same pairs, in a shuffled
	 * order, so the fraction holds for small counts too */
	npos = (uint64_t)llround((double)count * posfrac);
	s = sym_sampler_new(d.labels, d.n, &d.hdr);
	if (sym_sampler_check_pairs(s, npos > 0, npos < (uint64_t)count) < 0)
		sym_die("%s: %s", name, sym_strerror());
	if (hard > 0 && !sym_sampler_has_group_pairs(s) && !quiet)
		sym_warn("%s: --same-group-negatives: no group has 2 classes "
		    "(a group is a class name up to its last '/'); negatives "
		    "come from all classes", name);
	sym_rng_seed(&rng, (uint64_t)seed);
	flags = sym_emalloc(count);
	for (long long i = 0; i < count; i++)
		flags[i] = (uint64_t)i < npos;
	for (long long i = count - 1; i > 0; i--) {
		long long j = (long long)sym_rng_below(&rng, (uint64_t)i + 1);
		uint8_t t = flags[i];
		flags[i] = flags[j];
		flags[j] = t;
	}
	pa = sym_emalloc(count * sizeof(uint64_t));
	pb = sym_emalloc(count * sizeof(uint64_t));
	for (long long i = 0; i < count; i++)
		sym_sample_pair(s, &rng, flags[i], hard, &pa[i], &pb[i]);

	/* only the items the pairs use are written, in order of first use */
	newidx = sym_emalloc(d.n * sizeof(uint64_t));
	order = sym_emalloc(d.n * sizeof(uint64_t));
	for (uint64_t i = 0; i < d.n; i++)
		newidx[i] = UINT64_MAX;
	for (long long i = 0; i < count; i++) {
		uint64_t *ab[2] = { &pa[i], &pb[i] };
		for (int k = 0; k < 2; k++) {
			if (newidx[*ab[k]] == UINT64_MAX) {
				order[nused] = *ab[k];
				newidx[*ab[k]] = nused++;
			}
			*ab[k] = newidx[*ab[k]];
		}
	}

	/* write */
	sym_header_copy(&out, &d.hdr);
	out.kind = SYM_PAIRS;
	out.nitems = nused;
	out.npairs = (uint64_t)count;
	snprintf(buf, sizeof(buf), "%lld", seed);
	sym_header_set_meta(&out, "pairs-seed", buf);
	w = sym_ewriter_new(stdout, "<stdout>", &out);
	ib = sym_header_item_bytes(&d.hdr);
	for (uint64_t i = 0; i < nused; i++) {
		const void *p = d.u8 ? (const void *)(d.u8 + order[i] * ib) :
		    (const void *)(d.f32 + order[i] * (ib / 4));
		sym_ewrite_item(w, d.labels[order[i]], p);
	}
	for (long long i = 0; i < count; i++)
		sym_ewrite_pair(w, pa[i], pb[i], flags[i]);
	sym_ewriter_close(w);
	if (!quiet)
		fprintf(stderr, "sym-pairs: %lld pair%s (%llu same) over %llu "
		    "item%s\n", count, count == 1 ? "" : "s",
		    (unsigned long long)npos, (unsigned long long)nused,
		    nused == 1 ? "" : "s");

	sym_header_free(&out);
	sym_sampler_free(s);
	sym_dataset_free(&d);
	free(flags);
	free(pa);
	free(pb);
	free(newidx);
	free(order);
	return sym_fshut(stdout, "<stdout>");
}
