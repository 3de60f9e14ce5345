/*
 * sym-load: read a data set of symbol images (IDX files of MNIST,
 * Fashion-MNIST or EMNIST, an Omniglot tree, or folders of PNGs) and
 * write it as a labelled images stream (u8, 1 x H x W, ink high) to
 * stdout, one image at a time. Reading, selecting and converting are
 * the library's (lib/source.c, select.c, source_write.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define MAX_SIDE 4096			/* --size, per side */

static const char *splits[] = {
	"letters", "digits", "balanced", "byclass", "bymerge", "mnist", NULL
};

struct opts {
	struct sym_select sel;
	int w, h;			/* --size; 0: as the source */
	struct sym_convert cv;
	int quiet;
	const char *set;		/* "train" or "test", NULL: not given */
	const char *split;		/* NULL: not given */
};

static void
usage(FILE *f)
{
	fputs("usage: sym-load [-q] [--classes list] [--exclude-classes list] "
	    "[--per-class n]\n"
	    "                [--limit n] [--size n|wxh] [--center] "
	    "[--ink-radius r]\n"
	    "                [--invert] [--shuffle] [--seed s]\n"
	    "                [--set train|test] [--split name] "
	    "source [args]\n", f);
}

static void
help(void)
{
	usage(stdout);
	puts("sources:\n"
	    "  idx IMAGES LABELS        IDX files, raw or gzip; classes "
	    "\"0\"..max label\n"
	    "  mnist DIR                MNIST files in DIR, classes 0..9\n"
	    "  fashion [DIR]            Fashion-MNIST "
	    "[/usr/share/datasets/fashion-mnist]\n"
	    "  emnist DIR               EMNIST files of --split in DIR\n"
	    "  omniglot DIR             DIR/ALPHABET/characterNN/*.png, "
	    "class ALPHABET/characterNN\n"
	    "  png DIR                  DIR/CLASS/*.png, class = subfolder;\n"
	    "                           DIR/*.png without a class\n"
	    "options:\n"
	    "  --classes LIST           keep these classes: names, index "
	    "ranges, patterns\n"
	    "                           (Bag,0-4,Greek/*) [all]\n"
	    "  --exclude-classes LIST   drop these classes [none]\n"
	    "  --per-class N            at most N images per class [all]\n"
	    "  --limit N                at most N images in all [all]\n"
	    "  --size N|WxH             resize every image [as stored]\n"
	    "  --center                 move the ink's centre of mass to the "
	    "middle [off]\n"
	    "  --ink-radius R           also scale the ink to an RMS radius "
	    "of R x side\n"
	    "                           (0.001..1; the Fashion demo uses "
	    "0.25) [off]\n"
	    "  --invert                 flip the output: v = 255 - v [off]\n"
	    "  --shuffle                random order (and random "
	    "--per-class picks) [off]\n"
	    "  --seed S                 seed for --shuffle [1]\n"
	    "  --set train|test         part of mnist, fashion, emnist "
	    "[train]\n"
	    "  --split NAME             EMNIST split: letters, digits, "
	    "balanced, byclass,\n"
	    "                           bymerge, mnist [letters]\n"
	    "  -q, --quiet              no progress or warnings on stderr\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version");
}

enum {
	OPT_CLASSES = 256, OPT_EXCLUDE, OPT_PER_CLASS, OPT_LIMIT, OPT_SIZE,
	OPT_INVERT, OPT_SHUFFLE, OPT_SEED, OPT_SET, OPT_SPLIT, OPT_CENTER,
	OPT_INK_RADIUS
};

static const struct option longopts[] = {
	{ "classes", required_argument, NULL, OPT_CLASSES },
	{ "exclude-classes", required_argument, NULL, OPT_EXCLUDE },
	{ "per-class", required_argument, NULL, OPT_PER_CLASS },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "center", no_argument, NULL, OPT_CENTER },
	{ "ink-radius", required_argument, NULL, OPT_INK_RADIUS },
	{ "invert", no_argument, NULL, OPT_INVERT },
	{ "shuffle", no_argument, NULL, OPT_SHUFFLE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "set", required_argument, NULL, OPT_SET },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	static struct sym_source s;
	static struct sym_header hdr;
	static struct sym_writer *wr;
	static uint32_t *order, *newcls;
	struct opts o;
	const char *what;
	uint32_t nout, nsel, unl = 0;
	int ch, ow, oh, seedopt = 0;

	/* options */
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_init_io();
	memset(&o, 0, sizeof(o));
	o.sel.seed = 1;
	o.cv.ink = -1;
	while ((ch = getopt_long(argc, argv, "qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CLASSES:
			sym_select_check_list(optarg, "--classes");
			o.sel.classes = optarg;
			break;
		case OPT_EXCLUDE:
			sym_select_check_list(optarg, "--exclude-classes");
			o.sel.exclude = optarg;
			break;
		case OPT_PER_CLASS:
			o.sel.per_class = (uint32_t)sym_parse_long(optarg, 1,
			    SYM_IDX_MAX_ITEMS, "--per-class");
			break;
		case OPT_LIMIT:
			o.sel.limit = (uint32_t)sym_parse_long(optarg, 1,
			    SYM_IDX_MAX_ITEMS, "--limit");
			break;
		case OPT_SIZE:
			sym_parse_size(optarg, MAX_SIDE, &o.w, &o.h, "--size");
			break;
		case OPT_CENTER:
			if (o.cv.ink < 0)
				o.cv.ink = 0;
			break;
		case OPT_INK_RADIUS:
			/* over 1 the ink could not fit in the image at all */
			o.cv.ink = sym_parse_double(optarg, 1e-3, 1,
			    "--ink-radius");
			break;
		case OPT_INVERT:
			o.cv.invert = 1;
			break;
		case OPT_SHUFFLE:
			o.sel.shuffle = 1;
			break;
		case OPT_SEED:
			seedopt = 1;
			o.sel.seed = (uint64_t)sym_parse_long(optarg, 0,
			    9223372036854775807LL, "--seed");
			break;
		case OPT_SET:
			if (strcmp(optarg, "train") != 0 &&
			    strcmp(optarg, "test") != 0)
				sym_usage_die("--set: '%s' is not train or "
				    "test", optarg);
			o.set = optarg;
			break;
		case OPT_SPLIT: {
			int k;
			for (k = 0; splits[k]; k++)
				if (strcmp(splits[k], optarg) == 0)
					break;
			if (!splits[k])
				sym_usage_die("--split: unknown split '%s' "
				    "(letters, digits, balanced, byclass, "
				    "bymerge, mnist)", optarg);
			o.split = optarg;
			break;
		}
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			puts("sym-load " SYM_VERSION);
			return sym_fshut(stdout, "<stdout>");
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		sym_warn("no source given");
		usage(stderr);
		return 2;
	}
	what = argv[0];
	sym_source_check_nargs(what, argc - 1);
	if (o.set && strcmp(what, "mnist") && strcmp(what, "fashion") &&
	    strcmp(what, "emnist"))
		sym_usage_die("--set: only for mnist, fashion and emnist");
	if (o.split && strcmp(what, "emnist"))
		sym_usage_die("--split: only for emnist");
	if (seedopt && !o.sel.shuffle)
		sym_usage_die("--seed needs --shuffle");

	/* read the classes and items, choose, check every pixel, write */
	sym_source_open(&s, what, argv + 1, argc - 1, o.set, o.split, o.quiet);
	sym_source_select(&s, &o.sel, &order, &nout, &newcls, &nsel);
	sym_source_size(&s, order, nout, o.w > 0, &ow, &oh);
	if (o.w) {
		ow = o.w;
		oh = o.h;
	}
	sym_header_init(&hdr, SYM_IMAGES, SYM_U8, 1, (uint32_t)oh,
	    (uint32_t)ow);
	for (uint32_t c = 0; c < s.nclasses; c++)
		if (newcls[c] != SYM_SOURCE_NONE)
			sym_header_add_class(&hdr, s.classes[c]);
	hdr.nitems = nout;
	sym_header_set_meta(&hdr, "source", s.desc);
	if (o.cv.ink >= 0) {
		/* the option as given, so a model trained on these images
		 * can tell sym-embed what its inputs must have had */
		char b[48];
		if (o.cv.ink > 0)
			snprintf(b, sizeof(b), "--ink-radius %g", o.cv.ink);
		else
			snprintf(b, sizeof(b), "--center");
		sym_header_set_meta(&hdr, "ink", b);
	}
	if (o.sel.shuffle) {
		char b[32];
		snprintf(b, sizeof(b), "%llu", (unsigned long long)o.sel.seed);
		sym_header_set_meta(&hdr, "seed", b);
	}
	wr = sym_source_write(&s, &hdr, stdout, "<stdout>", order, nout,
	    newcls, ow, oh, &o.cv, o.sel.shuffle);
	sym_ewriter_close(wr);
	if (!o.quiet) {
		for (uint32_t j = 0; j < nout; j++)
			unl += s.cls[order[j]] == s.nclasses;
		fprintf(stderr, "sym-load: %lu image%s of %dx%d in %u "
		    "class%s", (unsigned long)nout, nout == 1 ? "" : "s", ow,
		    oh, nsel, nsel == 1 ? "" : "es");
		if (unl)
			fprintf(stderr, ", %lu of them without a class",
			    (unsigned long)unl);
		fputc('\n', stderr);
	}
	sym_header_free(&hdr);
	sym_source_free(&s);
	free(newcls);
	free(order);
	return sym_fshut(stdout, "<stdout>");
}
