/*
 * sym-train: train a Siamese network (or a prototypical one) on a sym
 * stream read from stdin: labelled u8 images, from which pairs or
 * episodes are drawn, or u8 pairs. Writes the model file named by -o.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

static volatile sig_atomic_t stop, reading = 1;

/* While the input is read nothing is written yet, so a signal ends the
 * run at once (a producer that hangs would otherwise keep it waiting);
 * once training runs it only sets the flag, checked per batch, and the
 * run saves a checkpoint before it stops. */
static void
on_signal(int sig)
{
	static const char msg[] = "sym-train: interrupted while reading the "
	    "input; nothing written\n";

	(void)sig;
	if (reading) {
		ssize_t r = write(2, msg, sizeof(msg) - 1);

		(void)r;
		_exit(1);
	}
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sym-train [-qV] -o model [-a arch] [-l loss] "
	    "[-e epochs] [-b batch]\n"
	    "                 [-s seed] [-t threads] [options] < stream\n");
}

static void
help(void)
{
	usage(stdout);
	printf(
"  -o, --output FILE            model to write (required)\n"
"  -a, --arch NAME|SPEC         mlp, conv4, koch or a layer spec [conv4]\n"
"  -l, --loss NAME              contrastive, bce, concat or proto "
"[contrastive]\n"
"      --margin X               contrastive margin [1.0]\n"
"  -e, --epochs N               passes over the data [10]\n"
"  -b, --batch N                pairs per step [128]\n"
"      --lr X                   learning rate [0.001]\n"
"      --optimizer NAME         adam or sgd [adam]\n"
"      --momentum X             sgd momentum [0.9]\n"
"      --weight-decay X         weight decay [0]\n"
"      --schedule NAME          const, step or cosine [cosine]\n"
"  -s, --seed N                 random seed [1]\n"
"  -t, --threads N              BLAS threads [2]\n"
"      --augment                random affine distortion of each image [off]\n"
"      --rotate-classes         90, 180, 270 degree turns are new classes [off]\n"
"      --mirror-classes         mirror images are new classes [off]\n"
"      --views LIST             sym-embed's views: turns,mirror,shifts [none]\n"
"      --unshared               each side of a pair has its own tower [off]\n"
"      --pairs-per-epoch N      pairs drawn from labelled images [10000]\n"
"      --same-group-negatives F share of negatives from one group [0]\n"
"      --way N                  proto: classes per episode [5]\n"
"      --shot N                 proto: supports per class [1]\n"
"      --query N                proto: queries per class [5]\n"
"      --episodes N             proto: episodes per epoch [100]\n"
"      --within-group F         proto: share of episodes from one group [0]\n"
"      --val FILE               validation images or pairs [none]\n"
"      --val-way N              validation N-way 1-shot classes [5]\n"
"      --val-episodes N         validation episodes [200]\n"
"      --val-within-group       validation episodes within one group [off]\n"
"      --checkpoint FILE        checkpoint written every epoch [none]\n"
"      --resume FILE            continue from a checkpoint [none]\n"
"      --max-memory MB          refuse input needing more [4096]\n"
"  -q, --quiet                  no progress\n"
"      --verbose                say which BLAS core is used\n"
"  -h, --help                   this help\n"
"  -V, --version                print the version\n");
}

enum {
	O_MARGIN = 256, O_LR, O_OPTIMIZER, O_MOMENTUM, O_WD, O_SCHEDULE,
	O_AUGMENT, O_ROTATE, O_MIRROR, O_VIEWS, O_UNSHARED, O_PPE, O_SGN,
	O_WAY, O_SHOT, O_QUERY, O_EPISODES, O_WITHIN, O_VAL, O_VALWAY,
	O_VALEP, O_VALGROUP, O_CKPT, O_RESUME, O_MAXMEM, O_VERBOSE
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "arch", required_argument, NULL, 'a' },
	{ "loss", required_argument, NULL, 'l' },
	{ "margin", required_argument, NULL, O_MARGIN },
	{ "epochs", required_argument, NULL, 'e' },
	{ "batch", required_argument, NULL, 'b' },
	{ "lr", required_argument, NULL, O_LR },
	{ "optimizer", required_argument, NULL, O_OPTIMIZER },
	{ "momentum", required_argument, NULL, O_MOMENTUM },
	{ "weight-decay", required_argument, NULL, O_WD },
	{ "schedule", required_argument, NULL, O_SCHEDULE },
	{ "seed", required_argument, NULL, 's' },
	{ "threads", required_argument, NULL, 't' },
	{ "augment", no_argument, NULL, O_AUGMENT },
	{ "rotate-classes", no_argument, NULL, O_ROTATE },
	{ "mirror-classes", no_argument, NULL, O_MIRROR },
	{ "views", required_argument, NULL, O_VIEWS },
	{ "unshared", no_argument, NULL, O_UNSHARED },
	{ "pairs-per-epoch", required_argument, NULL, O_PPE },
	{ "same-group-negatives", required_argument, NULL, O_SGN },
	{ "way", required_argument, NULL, O_WAY },
	{ "shot", required_argument, NULL, O_SHOT },
	{ "query", required_argument, NULL, O_QUERY },
	{ "episodes", required_argument, NULL, O_EPISODES },
	{ "within-group", required_argument, NULL, O_WITHIN },
	{ "val", required_argument, NULL, O_VAL },
	{ "val-way", required_argument, NULL, O_VALWAY },
	{ "val-episodes", required_argument, NULL, O_VALEP },
	{ "val-within-group", no_argument, NULL, O_VALGROUP },
	{ "checkpoint", required_argument, NULL, O_CKPT },
	{ "resume", required_argument, NULL, O_RESUME },
	{ "max-memory", required_argument, NULL, O_MAXMEM },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Fail now, not after hours of training, when path cannot be written. */
static void
check_writable(const char *path)
{
	if (sym_model_check_path(path) < 0)
		sym_die("%s", sym_strerror());
}

/* Read a whole stream into d, within the memory limit. With o, first
 * check that o's tower and head can be built for the stream's shape, so a
 * bad --arch is a usage error found before reading the records. */
static void
read_all(struct sym_dataset *d, FILE *f, const char *name, size_t max,
    const struct sym_train_opts *o)
{
	struct sym_reader *r = sym_ereader_open(f, name);
	const struct sym_header *h = sym_reader_header(r);
	int bad = 0;

	if (o && (h->kind == SYM_IMAGES || h->kind == SYM_PAIRS)) {
		struct sym_model *m = sym_model_new(o->arch, o->loss,
		    o->margin, (int)h->c, (int)h->h, (int)h->w, o->unshared);

		if (!m || sym_views_width_check(m->dim, o->views) < 0) {
			sym_model_free(m);
			sym_reader_close(r);
			sym_usage_die("%s", sym_strerror());
		}
		sym_model_free(m);
	}

	if (h->kind != SYM_IMAGES && h->kind != SYM_PAIRS)
		bad = sym_seterr("%s: expected images or pairs, got %s", name,
		    sym_kind_name(h->kind));
	else if (h->dtype != SYM_U8)
		bad = sym_seterr("%s: expected u8 items, got %s", name,
		    sym_dtype_name(h->dtype));
	else
		bad = sym_dataset_read(d, r, max);
	/* close first, so leak checkers see a clean exit */
	sym_reader_close(r);
	if (bad < 0)
		sym_die("%s", sym_strerror());
}

int
main(int argc, char **argv)
{
	struct sym_train_opts o;
	struct sym_dataset train, val;
	struct sigaction sa;
	const char *valpath = NULL;
	int threads = 2, verbose = 0, ch, valopt = 0;
	const char *drawopt = NULL;	/* an option of drawn pairs */
	const char *pairopt = NULL;	/* an option of the pair losses */
	const char *protoopt = NULL;	/* an option of proto episodes */
	int marginopt = 0;
	long long maxmem = 4096;
	FILE *vf;

	/* before anything touches OpenBLAS: it may re-exec us */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
	sym_setprog(argv[0]);
	argv[0] = (char *)sym_prog();	/* getopt's messages too */
	sym_blas_init(argv, verbose);
	sym_init_io();

	/* options */
	memset(&o, 0, sizeof(o));
	o.arch = "conv4";
	o.loss = SYM_LOSS_CONTRASTIVE;
	o.margin = 1.0f;
	o.epochs = 10;
	o.batch = 128;
	o.lr = 1e-3f;
	o.optimizer = SYM_ADAM;
	o.momentum = -1;
	o.schedule = SYM_SCHED_COSINE;
	o.seed = 1;
	o.pairs_per_epoch = 10000;
	o.way = 5;
	o.shot = 1;
	o.query = 5;
	o.episodes = 100;
	o.val_way = 5;
	o.val_episodes = 200;
	o.stop = &stop;
	while ((ch = getopt_long(argc, argv, "o:a:l:e:b:s:t:qhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.out = optarg;
			break;
		case 'a':
			o.arch = optarg;
			break;
		case 'l':
			o.loss = sym_loss_parse(optarg);
			if (o.loss < 0)
				sym_usage_die("--loss: unknown loss '%s' "
				    "(contrastive, bce, concat, proto)",
				    optarg);
			break;
		case O_MARGIN:
			marginopt = 1;
			o.margin = (float)sym_parse_double(optarg, 1e-6, 1e6,
			    "--margin");
			break;
		case 'e':
			o.epochs = (int)sym_parse_long(optarg, 1, 100000,
			    "--epochs");
			break;
		case 'b':
			pairopt = "--batch";
			o.batch = (int)sym_parse_long(optarg, 1, 65536,
			    "--batch");
			break;
		case O_LR:
			o.lr = (float)sym_parse_double(optarg, 0, 10, "--lr");
			break;
		case O_OPTIMIZER:
			o.optimizer = sym_optimizer_parse(optarg);
			if (o.optimizer < 0)
				sym_usage_die("--optimizer: unknown optimizer "
				    "'%s' (adam, sgd)", optarg);
			break;
		case O_MOMENTUM:
			o.momentum = (float)sym_parse_double(optarg, 0, 1,
			    "--momentum");
			break;
		case O_WD:
			o.weight_decay = (float)sym_parse_double(optarg, 0, 1,
			    "--weight-decay");
			break;
		case O_SCHEDULE:
			o.schedule = sym_schedule_parse(optarg);
			if (o.schedule < 0)
				sym_usage_die("--schedule: unknown schedule "
				    "'%s' (const, step, cosine)", optarg);
			break;
		case 's':
			o.seed = (uint64_t)sym_parse_long(optarg, 0,
			    INT64_MAX, "--seed");
			break;
		case 't':
			threads = (int)sym_parse_long(optarg, 1, 64,
			    "--threads");
			break;
		case O_AUGMENT:
			o.augment = 1;
			break;
		case O_ROTATE:
			o.rotate_classes = 1;
			break;
		case O_MIRROR:
			o.mirror_classes = 1;
			break;
		case O_VIEWS:
			if ((o.views = sym_views_parse(optarg)) < 0)
				sym_usage_die("--views: %s", sym_strerror());
			break;
		case O_UNSHARED:
			o.unshared = 1;
			break;
		case O_PPE:
			pairopt = drawopt = "--pairs-per-epoch";
			o.pairs_per_epoch = (long)sym_parse_long(optarg, 1,
			    1000000000, "--pairs-per-epoch");
			break;
		case O_SGN:
			pairopt = drawopt = "--same-group-negatives";
			o.same_group_neg = sym_parse_double(optarg, 0, 1,
			    "--same-group-negatives");
			break;
		case O_WAY:
			protoopt = "--way";
			o.way = (int)sym_parse_long(optarg, 2, 1000, "--way");
			break;
		case O_SHOT:
			protoopt = "--shot";
			o.shot = (int)sym_parse_long(optarg, 1, 1000,
			    "--shot");
			break;
		case O_QUERY:
			protoopt = "--query";
			o.query = (int)sym_parse_long(optarg, 1, 1000,
			    "--query");
			break;
		case O_EPISODES:
			protoopt = "--episodes";
			o.episodes = (long)sym_parse_long(optarg, 1,
			    100000000, "--episodes");
			break;
		case O_WITHIN:
			protoopt = "--within-group";
			o.within_group = sym_parse_double(optarg, 0, 1,
			    "--within-group");
			break;
		case O_VAL:
			valpath = optarg;
			break;
		case O_VALWAY:
			valopt = 1;
			o.val_way = (int)sym_parse_long(optarg, 2, 1000,
			    "--val-way");
			break;
		case O_VALEP:
			valopt = 1;
			o.val_episodes = (int)sym_parse_long(optarg, 1,
			    1000000, "--val-episodes");
			break;
		case O_VALGROUP:
			valopt = 1;
			o.val_within_group = 1;
			break;
		case O_CKPT:
			o.checkpoint = optarg;
			break;
		case O_RESUME:
			o.resume = optarg;
			break;
		case O_MAXMEM:
			maxmem = sym_parse_long(optarg, 1, 1 << 24,
			    "--max-memory");
			break;
		case 'q':
			o.quiet = 1;
			break;
		case O_VERBOSE:
			verbose = 1;
			break;
		case 'h':
			help();
			return sym_fshut(stdout, "<stdout>");
		case 'V':
			printf("sym-train %s\n", SYM_VERSION);
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
	if (!o.out) {
		sym_warn("-o MODEL is required");
		usage(stderr);
		return 2;
	}
	if (valopt && !valpath)
		sym_usage_die("--val-way, --val-episodes and "
		    "--val-within-group need --val");
	/* what the options alone decide, before reading (the image shape
	 * is checked once known) */
	if (sym_views_check(o.views, o.loss, 1, 1) < 0)
		sym_usage_die("--views: %s", sym_strerror());
	/* an option the loss does not use is a mistake (a forgotten
	 * --loss proto would train the default for a whole run) */
	if (o.loss != SYM_LOSS_PROTO && protoopt)
		sym_usage_die("%s needs --loss proto", protoopt);
	if (o.loss == SYM_LOSS_PROTO && pairopt)
		sym_usage_die("%s is for the pair losses, not proto", pairopt);
	if (o.loss != SYM_LOSS_CONTRASTIVE && marginopt)
		sym_usage_die("--margin needs --loss contrastive");
	if (o.optimizer != SYM_SGD && o.momentum >= 0)
		sym_usage_die("--momentum needs --optimizer sgd");
	if (o.loss == SYM_LOSS_PROTO && o.unshared)
		sym_usage_die("--unshared needs a pair loss, not proto");
	if ((long long)o.way * (o.shot + o.query) > 65536)
		sym_usage_die("--way x (--shot + --query) is over 65536 "
		    "images per episode");
	if (sym_arch_check(o.arch) < 0)
		sym_usage_die("%s", sym_strerror());
	o.max_memory = (size_t)maxmem * 1000000;
	check_writable(o.out);
	if (o.checkpoint)
		check_writable(o.checkpoint);
	/* a missing or wrong --resume file is said before reading stdin */
	if (o.resume) {
		struct sym_model *ck = sym_model_eload(o.resume);

		if (!ck->train)
			sym_die("%s: a model, not a checkpoint", o.resume);
		sym_model_free(ck);
	}
	sym_blas_threads(threads);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* reads of stdin go on; training checks the flag per batch */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* read */
	read_all(&train, stdin, "stdin", o.max_memory, &o);
	if (valpath) {
		vf = sym_efopen(valpath, "rb");
		read_all(&val, vf, valpath, o.max_memory, NULL);
		if (vf != stdin)
			fclose(vf);
	}

	reading = 0;
	/* a pairs stream is the epoch: nothing is drawn */
	if (drawopt && train.hdr.kind == SYM_PAIRS && !o.quiet)
		sym_warn("%s: ignored, the input is a pairs stream", drawopt);

	/* compute and write */
	sym_train_run(&o, &train, "stdin", valpath ? &val : NULL, valpath);

	sym_dataset_free(&train);
	if (valpath)
		sym_dataset_free(&val);
	return sym_fshut(stdout, "<stdout>");
}
