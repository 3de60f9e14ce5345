/*
 * sym-embed: read a sym stream of labelled u8 images (or pairs of them)
 * on stdin and write their embeddings under a trained model to stdout:
 * kind embeddings (or pairs), dtype f32, 1 x 1 x D, labels kept, the
 * model named in the header.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sym-embed [-qV] -m model [--views list] | --raw "
	    "[-b batch]\n"
	    "                 [-t threads] < images > embeddings\n");
}

static void
help(void)
{
	usage(stdout);
	printf("  -m, --model FILE     trained model from sym-train "
	    "(required)\n"
	    "      --raw            no model: the embedding is pixel / 255\n"
	    "                       (the raw-pixel baseline)\n"
	    "      --views LIST     turns,mirror,shifts or none: how to\n"
	    "                       view each image [the model's]\n"
	    "  -b, --batch N        images per forward pass [256]\n"
	    "  -t, --threads N      BLAS threads [2]\n"
	    "  -q, --quiet          no messages but errors\n"
	    "      --verbose        say which BLAS core is used\n"
	    "  -h, --help           this help\n"
	    "  -V, --version        print the version\n");
}

static const struct option longopts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "raw", no_argument, NULL, 'r' },
	{ "views", required_argument, NULL, 'w' },
	{ "batch", required_argument, NULL, 'b' },
	{ "threads", required_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	const char *model = NULL;
	int batch = 256, threads = 2, verbose = 0, raw = 0, views = -1, ch;
	int quiet = 0;
	struct sym_model *m;
	struct sym_reader *r;

	/* before anything touches OpenBLAS: it may re-exec us */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_blas_init(argv, verbose);
	sym_init_io();

	/* options */
	while ((ch = getopt_long(argc, argv, "m:b:t:qhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			model = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		case 'w':
			if ((views = sym_views_parse(optarg)) < 0)
				sym_usage_die("--views: %s", sym_strerror());
			break;
		case 'b':
			batch = (int)sym_parse_long(optarg, 1, 65536,
			    "--batch");
			break;
		case 't':
			threads = (int)sym_parse_long(optarg, 1, 64,
			    "--threads");
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			printf("sym-embed %s\n", SYM_VERSION);
			return sym_fshut(stdout, "<stdout>");
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		sym_warn("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!model == !raw) {
		sym_warn(raw ? "-m MODEL and --raw exclude each other" :
		    "-m MODEL is required");
		usage(stderr);
		return 2;
	}
	if (raw && views >= 0)
		sym_usage_die("--views needs a model, not --raw");
	sym_blas_threads(threads);

	/* read: the model, then the stream's header */
	m = raw ? NULL : sym_model_eload(model);
	r = sym_ereader_open(stdin, "stdin");
	/* a model sees its inputs as its training images were loaded;
	 * otherwise it still works, only worse, so a warning */
	if (m && !quiet && sym_model_check_ink(m, model, sym_reader_header(r),
	    "stdin") < 0)
		sym_warn("warning: %s", sym_strerror());

	/* compute and write, a batch at a time */
	if (views < 0)	/* the model's own */
		views = m ? m->views : 0;
	sym_embed_stream(m, model, views, r, "stdin", stdout, "<stdout>",
	    batch);

	sym_reader_close(r);
	sym_model_free(m);
	return sym_fshut(stdout, "<stdout>");
}
