/*
 * sym-show: draw a sym stream as a PNG contact sheet. Labelled images
 * become a grid with class names, pairs are shown side by side as "same"
 * or "different", and with --matches each query image is drawn beside
 * its best matches from sym-match, framed green when right, red when
 * wrong. The PNG is written atomically. The layouts are the library's
 * (lib/show.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

static void
usage(FILE *f)
{
	fputs("usage: sym-show [-q] -o out.png [-c cols] [-n limit] "
	    "[-s scale]\n"
	    "                [-m matches.tsv -S support] [file]\n", f);
}

static void
help(void)
{
	usage(stdout);
	puts("  -o, --output FILE    the PNG to write [required]\n"
	    "  -c, --cols N         cells per row [10; 5 for pairs]\n"
	    "  -n, --limit N        images, pairs or queries shown [100]\n"
	    "  -s, --scale N        pixels per image pixel, 1..16 [2]\n"
	    "  -m, --matches FILE   sym-match output: each query beside its "
	    "matches [off]\n"
	    "  -S, --support FILE   support images, with --matches "
	    "[required with -m]\n"
	    "  -q, --quiet          no report on stderr [off]\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version");
}

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "cols", required_argument, NULL, 'c' },
	{ "limit", required_argument, NULL, 'n' },
	{ "scale", required_argument, NULL, 's' },
	{ "matches", required_argument, NULL, 'm' },
	{ "support", required_argument, NULL, 'S' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int
u8_images(const struct sym_header *h)
{
	return h->dtype == SYM_U8;
}

int
main(int argc, char *argv[])
{
	struct sym_show_opts o;
	struct sym_reader *r;
	struct sym_sheet sh;
	const struct sym_header *h;
	const char *name;
	FILE *f;
	int ch;

	/* options */
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_init_io();
	memset(&o, 0, sizeof o);
	o.limit = 100;
	o.scale = 2;
	while ((ch = getopt_long(argc, argv, "o:c:n:s:m:S:qhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.out = optarg;
			break;
		case 'c':
			o.cols = (int)sym_parse_long(optarg, 1, 1000, "--cols");
			break;
		case 'n':
			o.limit = (long)sym_parse_long(optarg, 1, 100000,
			    "--limit");
			break;
		case 's':
			o.scale = (int)sym_parse_long(optarg, 1, 16,
			    "--scale");
			break;
		case 'm':
			o.matches = optarg;
			break;
		case 'S':
			o.support = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			puts("sym-show " SYM_VERSION);
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
	if (!o.out)
		sym_usage_die("no output file (-o out.png)");
	if (!o.matches != !o.support)
		sym_usage_die("--matches and --support go together");
	if (o.support && strcmp(o.support, "-") == 0 &&
	    (optind == argc || strcmp(argv[optind], "-") == 0))
		sym_usage_die("--support and the queries cannot both be "
		    "stdin");

	/* read and draw */
	f = sym_open_input(optind < argc ? argv[optind] : NULL, &name);
	r = sym_ereader_open(f, name);
	h = sym_reader_header(r);
	if (!u8_images(h))
		sym_die("%s: %s %s cannot be drawn (u8 images or pairs "
		    "only)", name, sym_dtype_name(h->dtype),
		    sym_kind_name(h->kind));
	if (o.matches) {
		sym_reader_expect(r, SYM_IMAGES, SYM_U8);
		if (!o.cols)
			o.cols = 1;
		sym_show_matches(&sh, r, name, &o);
	} else if (h->kind == SYM_PAIRS) {
		if (!o.cols)
			o.cols = 5;
		sym_show_pairs(&sh, r, name, &o);
	} else {
		sym_reader_expect(r, SYM_IMAGES, SYM_U8);
		if (!o.cols)
			o.cols = 10;
		sym_show_images(&sh, r, name, &o);
	}
	sym_reader_close(r);
	if (f != stdin)
		fclose(f);

	/* write */
	sym_sheet_save(&sh, o.out);
	if (!o.quiet)
		sym_warn("%s: %dx%d", o.out, sh.w, sh.h);
	sym_sheet_free(&sh);
	return sym_fshut(stdout, "<stdout>");
}
