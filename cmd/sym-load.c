/*
 * sym-load: read a data set of symbol images (IDX files of MNIST,
 * Fashion-MNIST or EMNIST, an Omniglot tree, or folders of PNGs) and
 * write it as a labelled images stream (u8, 1 x H x W, ink high) to
 * stdout, one image at a time.
 *
 * Pointers to heap memory live in static variables so that they stay
 * reachable when sym_die() exits midway: LeakSanitizer then reports only
 * real leaks.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym.h"

#define NONE UINT32_MAX
#define MAX_SIDE 4096			/* --size, per side */
#ifndef SHUFFLE_MEM
#define SHUFFLE_MEM (256u << 20)	/* images held at once by --shuffle */
#endif

static const char *fashion_names[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
	"Shirt", "Sneaker", "Bag", "Ankle boot"
};

static const char *splits[] = {
	"letters", "digits", "balanced", "byclass", "bymerge", "mnist", NULL
};

struct opts {
	const char *classes, *exclude;
	uint32_t per_class, limit;	/* 0: all */
	int w, h;			/* --size; 0: as the source */
	int invert, shuffle, quiet;
	uint64_t seed;
	const char *set;		/* "train" or "test", NULL: not given */
	const char *split;		/* NULL: not given */
};

/* A data set as sym-load sees it before reading any pixels: its classes
 * and, per item, a class and where the pixels are. */
struct source {
	char *desc;		/* the "source" metadata */
	uint32_t nclasses;
	char **classes;
	uint32_t n;		/* items */
	uint32_t *cls;		/* n class indices; nclasses: no class */
	uint32_t nunl;		/* items without a class (png DIR/x.png) */
	/* IDX sources */
	char *images;		/* image file */
	int transpose;		/* EMNIST stores images transposed */
	uint32_t sw, sh;	/* image size in the file */
	/* folder sources */
	char **files;		/* n paths */
	size_t cap;		/* room in files and cls */
};

static void
usage(FILE *f)
{
	fputs("usage: sym-load [-q] [--classes list] [--exclude-classes list] "
	    "[--per-class n]\n"
	    "                [--limit n] [--size n|wxh] [--invert] "
	    "[--shuffle] [--seed s]\n"
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
	OPT_INVERT, OPT_SHUFFLE, OPT_SEED, OPT_SET, OPT_SPLIT
};

static const struct option longopts[] = {
	{ "classes", required_argument, NULL, OPT_CLASSES },
	{ "exclude-classes", required_argument, NULL, OPT_EXCLUDE },
	{ "per-class", required_argument, NULL, OPT_PER_CLASS },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "size", required_argument, NULL, OPT_SIZE },
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

static char *
join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = sym_emalloc(na + nb + 2);

	memcpy(s, a, na);
	s[na] = '/';
	memcpy(s + na + 1, b, nb + 1);
	return s;
}

/* printf into a new string */
static char *fmt(const char *f, ...) SYM_PRINTF(1, 2);

static char *
fmt(const char *f, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	s = sym_emalloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static void
need_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		sym_die("%s:", dir);
	if (!S_ISDIR(st.st_mode))
		sym_die("%s: not a folder", dir);
}

/* dir/name, or dir/name.gz when only that exists (the missing name in the
 * message is the .gz the data sets are distributed as). */
static char *
find_idx(const char *dir, const char *name)
{
	static char *p, *gz;	/* static: see the top comment */
	size_t n;

	p = join(dir, name);
	n = strlen(p);
	if (access(p, F_OK) == 0)
		return p;
	gz = sym_emalloc(n + 4);
	memcpy(gz, p, n);
	memcpy(gz + n, ".gz", 4);
	free(p);
	if (access(gz, F_OK) != 0)
		sym_die("%s:", gz);
	return gz;
}

/* The length of dir without its trailing slashes ("/" stays): dir and
 * dir/ are the same source and write the same bytes. */
static int
path_len(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return (int)n;
}

/* ---- IDX sources ---- */

/* Items from an image file and a label file; names[label] names each
 * label's class (NULL: not a class: an error if it occurs), nnames of
 * them; NULL names means classes "0".."max label". */
static void
load_idx(struct source *s, const char *images, const char *labels,
    char **names, uint32_t nnames)
{
	static uint8_t *lab;
	struct sym_idx *x;
	struct stat st;
	uint32_t nl, map[256], maxl = 0;
	int nd;

	/* the image file is read more than once (a check pass, then the
	 * writing): a pipe would start over in its middle */
	if (stat(images, &st) == 0 && (S_ISFIFO(st.st_mode) ||
	    S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode)))
		sym_die("%s: not a regular file, but the image file is read "
		    "more than once", images);
	x = sym_idx_open(images);
	if (!x)
		sym_die("%s", sym_strerror());
	nd = x->ndims;
	s->sh = x->dims[1];
	s->sw = x->dims[2];
	s->n = x->count;
	sym_idx_close(x);
	if (nd != 3)
		sym_die("%s: not an image file (%d dimensions, want 3)",
		    images, nd);
	if (sym_idx_read_labels(labels, &lab, &nl) < 0)
		sym_die("%s", sym_strerror());
	if (nl != s->n)
		sym_die("%s: %lu images but %lu labels in %s", images,
		    (unsigned long)s->n, (unsigned long)nl, labels);
	for (uint32_t i = 0; i < nl; i++)
		maxl = lab[i] > maxl ? lab[i] : maxl;
	for (uint32_t l = 0; l < 256; l++)
		map[l] = NONE;
	if (!names) {
		char b[8];
		for (uint32_t l = 0; l <= maxl; l++) {
			snprintf(b, sizeof(b), "%u", (unsigned)l);
			s->classes = sym_erealloc(s->classes,
			    (l + 1) * sizeof(char *));
			s->classes[l] = sym_estrdup(b);
			map[l] = l;
		}
		s->nclasses = maxl + 1;
	} else {
		/* classes in label order, numbered densely */
		for (uint32_t l = 0; l < nnames && l < 256; l++) {
			if (!names[l])
				continue;
			s->classes = sym_erealloc(s->classes,
			    (s->nclasses + 1) * sizeof(char *));
			s->classes[s->nclasses] = sym_estrdup(names[l]);
			map[l] = s->nclasses++;
		}
	}
	s->cls = sym_emalloc((size_t)(s->n ? s->n : 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < nl; i++) {
		s->cls[i] = map[lab[i]];
		if (s->cls[i] == NONE)
			sym_die("%s: label %u of item %lu has no class", labels,
			    lab[i], (unsigned long)i);
	}
	free(lab);
	s->images = sym_estrdup(images);
}

/* mnist, fashion, emnist: official file names in dir */
static void
load_named(struct source *s, const char *what, const char *dir,
    const struct opts *o)
{
	const char *set = o->set ? o->set : "train";
	const char *part = strcmp(set, "test") == 0 ? "t10k" : "train";
	static char *img, *lab, *p, *q, **names;

	need_dir(dir);
	if (strcmp(what, "emnist") == 0) {
		const char *split = o->split ? o->split : "letters";
		uint32_t nn;

		p = fmt("emnist-%s-%s-images-idx3-ubyte", split, set);
		q = fmt("emnist-%s-%s-labels-idx1-ubyte", split, set);
		img = find_idx(dir, p);
		lab = find_idx(dir, q);
		free(p);
		free(q);
		p = fmt("emnist-%s-mapping.txt", split);
		q = join(dir, p);
		free(p);
		if (sym_emnist_mapping(q, &names, &nn) < 0)
			sym_die("%s", sym_strerror());
		load_idx(s, img, lab, names, nn);
		sym_list_free(names, nn);
		s->transpose = 1;
		s->desc = fmt("emnist %.*s %s %s", path_len(dir), dir, split,
		    set);
		free(q);
	} else {
		char *digits[10], b[10][2];

		p = fmt("%s-images-idx3-ubyte", part);
		q = fmt("%s-labels-idx1-ubyte", part);
		img = find_idx(dir, p);
		lab = find_idx(dir, q);
		free(p);
		free(q);
		for (int i = 0; i < 10; i++) {
			b[i][0] = (char)('0' + i);
			b[i][1] = '\0';
			digits[i] = strcmp(what, "fashion") == 0 ?
			    (char *)fashion_names[i] : b[i];
		}
		load_idx(s, img, lab, digits, 10);
		s->desc = fmt("%s %.*s %s", what, path_len(dir), dir, set);
	}
	free(img);
	free(lab);
}

/* ---- folder sources ---- */

static int
is_png_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && name[n - 4] == '.' &&
	    tolower((unsigned char)name[n - 3]) == 'p' &&
	    tolower((unsigned char)name[n - 2]) == 'n' &&
	    tolower((unsigned char)name[n - 1]) == 'g';
}

/* Add the PNGs in folder dir as class name, or without a class when name
 * is NULL; 1 if any. Other files are skipped with a warning (the first
 * few by name) unless quiet. */
static int
add_pngs(struct source *s, const char *dir, const char *name,
    unsigned long *skipped, int quiet)
{
	static char **v;
	size_t n, added = 0;

	if (sym_list_dir(dir, SYM_LIST_FILES, &v, &n) < 0)
		sym_die("%s", sym_strerror());
	for (size_t i = 0; i < n; i++) {
		if (!is_png_name(v[i])) {
			if (++*skipped <= 5 && !quiet)
				sym_warn("%s/%s: not a .png file, skipped",
				    dir, v[i]);
			continue;
		}
		if (s->n == NONE - 1)
			sym_die("%s: too many files", dir);
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 1024;
			s->files = sym_erealloc(s->files,
			    s->cap * sizeof(char *));
			s->cls = sym_erealloc(s->cls,
			    s->cap * sizeof(uint32_t));
		}
		s->files[s->n] = join(dir, v[i]);
		s->cls[s->n] = name ? s->nclasses : NONE;
		s->n++;
		added++;
	}
	sym_list_free(v, n);
	if (!added)
		return 0;
	if (!name) {
		s->nunl += added;
		return 1;
	}
	/* names end up in sym-match's TSV lines: no tabs, no newlines */
	if (sym_class_name_check(name) < 0)
		sym_die("%s: %s: rename the folder", dir, sym_strerror());
	s->classes = sym_erealloc(s->classes,
	    ((size_t)s->nclasses + 1) * sizeof(char *));
	s->classes[s->nclasses++] = sym_estrdup(name);
	return 1;
}

/* Entries of dir of the given kinds that have no place there (files
 * where the omniglot tree holds only folders, folders inside a class's
 * folder): skipped, the first few by name, so that images in them are
 * not lost without a word. */
static void
skip_all(const char *dir, int kinds, const char *why, unsigned long *skipped,
    int quiet)
{
	static char **v;
	size_t n;

	if (sym_list_dir(dir, kinds, &v, &n) < 0)
		sym_die("%s", sym_strerror());
	for (size_t i = 0; i < n; i++)
		if (++*skipped <= 5 && !quiet)
			sym_warn("%s/%s: %s, skipped", dir, v[i], why);
	sym_list_free(v, n);
}

#define NOT_IN_TREE "not in DIR/ALPHABET/CHARACTER/"
#define IN_CLASS "a folder inside a class's folder"

/* png: DIR/CLASS/NAME.png; omniglot: DIR/ALPHABET/CHARACTER/NAME.png */
static void
load_tree(struct source *s, const char *what, const char *dir, int quiet)
{
	static char **top, **sub, *d, *dd, *name;
	size_t ntop, nsub;
	unsigned long skipped = 0;

	need_dir(dir);
	/* png: images right in DIR have no class (queries to classify) */
	if (strcmp(what, "png") == 0)
		add_pngs(s, dir, NULL, &skipped, quiet);
	else
		skip_all(dir, SYM_LIST_FILES, NOT_IN_TREE, &skipped, quiet);
	if (sym_list_dir(dir, SYM_LIST_DIRS, &top, &ntop) < 0)
		sym_die("%s", sym_strerror());
	for (size_t i = 0; i < ntop; i++) {
		d = join(dir, top[i]);
		if (strcmp(what, "png") == 0) {
			if (!add_pngs(s, d, top[i], &skipped, quiet) && !quiet)
				sym_warn("%s: no .png files, skipped", d);
			skip_all(d, SYM_LIST_DIRS, IN_CLASS, &skipped, quiet);
			free(d);
			continue;
		}
		skip_all(d, SYM_LIST_FILES, NOT_IN_TREE, &skipped, quiet);
		if (sym_list_dir(d, SYM_LIST_DIRS, &sub, &nsub) < 0)
			sym_die("%s", sym_strerror());
		if (nsub == 0 && !quiet)
			sym_warn("%s: no character folders, skipped", d);
		for (size_t k = 0; k < nsub; k++) {
			dd = join(d, sub[k]);
			name = join(top[i], sub[k]);
			if (!add_pngs(s, dd, name, &skipped, quiet) &&
			    !quiet)
				sym_warn("%s: no .png files, skipped", dd);
			skip_all(dd, SYM_LIST_DIRS, IN_CLASS, &skipped,
			    quiet);
			free(dd);
			free(name);
		}
		sym_list_free(sub, nsub);
		free(d);
	}
	sym_list_free(top, ntop);
	if (skipped > 5 && !quiet)
		sym_warn("%s: %lu files or folders skipped in all", dir,
		    skipped);
	if (s->n == 0)
		sym_die("%s: no .png images in %s", dir, strcmp(what, "png") ==
		    0 ? "DIR/ or DIR/CLASS/" : "DIR/ALPHABET/CHARACTER/");
	/* the classless ones form one more group, after the classes */
	for (uint32_t i = 0; i < s->n; i++)
		if (s->cls[i] == NONE)
			s->cls[i] = s->nclasses;
	s->desc = fmt("%s %.*s", what, path_len(dir), dir);
}

static void
source_free(struct source *s)
{
	sym_list_free(s->classes, s->nclasses);
	if (s->files)
		sym_list_free(s->files, s->n);
	free(s->cls);
	free(s->images);
	free(s->desc);
}

/* ---- selection ---- */

/* A class list with an empty entry ("", ",", "a,,b", "a,") selects
 * nothing there: a usage error. */
static void
check_list(const char *list, const char *opt)
{
	size_t n = strlen(list);

	if (n == 0)
		sym_usage_die("%s: an empty list", opt);
	if (list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		sym_usage_die("%s: '%s' has an empty entry", opt, list);
}

/* Mark the classes LIST names in mark[]: a token equal to a class name is
 * that class, a token with a wildcard is a fnmatch(3) pattern for names
 * (Greek/\* is one Omniglot alphabet), else N or N-M are positions. */
static void
parse_classes(const struct source *s, const char *list, const char *opt,
    uint8_t *mark)
{
	static char *copy;
	char *tok, *save = NULL;

	copy = sym_estrdup(list);

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		uint32_t i;
		char *dash, *end;
		long long a, b;

		for (i = 0; i < s->nclasses; i++)
			if (strcmp(s->classes[i], tok) == 0)
				break;
		if (i < s->nclasses) {
			mark[i] = 1;
			continue;
		}
		if (strpbrk(tok, "*?[")) {
			int hit = 0;

			for (i = 0; i < s->nclasses; i++)
				if (fnmatch(tok, s->classes[i], 0) == 0)
					hit = mark[i] = 1;
			if (!hit)
				sym_die("%s: no class matches '%s' in %s", opt,
				    tok, s->desc);
			continue;
		}
		if (!isdigit((unsigned char)tok[0]))
			sym_die("%s: no class '%s' in %s", opt, tok, s->desc);
		a = strtoll(tok, &end, 10);
		b = a;
		dash = end;
		if (*dash == '-' && isdigit((unsigned char)dash[1]))
			b = strtoll(dash + 1, &end, 10);
		if (*end)
			sym_die("%s: no class '%s' in %s", opt, tok, s->desc);
		if (a > b)
			sym_die("%s: %s: a range goes from low to high", opt,
			    tok);
		if (s->nclasses == 0)
			sym_die("%s: %s: %s has no classes", opt, tok, s->desc);
		if (b >= s->nclasses)
			sym_die("%s: %s: class indices are 0..%lu", opt, tok,
			    (unsigned long)s->nclasses - 1);
		for (long long k = a; k <= b; k++)
			mark[k] = 1;
	}
	free(copy);
}

/* ---- pixels ---- */

/* Turn one source image into the output: ink high, upright, resized,
 * maybe inverted. src is sw x sh (IDX: as stored), tmp big enough. */
static void
convert(uint8_t *out, int ow, int oh, const uint8_t *src, int sw, int sh,
    int paper, int transpose, int invert, uint8_t *tmp)
{
	size_t n = (size_t)sw * sh;
	const uint8_t *p = src;

	if (transpose) {
		sym_transpose_u8(tmp, src, sh, sw);
		p = tmp;
		sw ^= sh;
		sh ^= sw;
		sw ^= sh;
	}
	if (paper) {
		/* dark ink on light paper: ink becomes high */
		uint8_t *q = tmp;
		for (size_t i = 0; i < n; i++)
			q[i] = 255 - p[i];
		p = q;
	}
	sym_resize_u8(out, ow, oh, p, sw, sh);
	if (invert)
		for (size_t i = 0; i < (size_t)ow * oh; i++)
			out[i] = 255 - out[i];
}

/* Read the image file from the start as far as item last. The item at
 * output position j = pos[i] goes, if lo <= j < hi, to buf + (j - lo)
 * images, or with wr straight to the stream (positions then come in file
 * order). */
static void
idx_pass(const struct source *s, const uint32_t *pos, uint32_t last,
    uint32_t lo, uint32_t hi, uint8_t *buf, struct sym_writer *wr,
    const uint32_t *label, int ow, int oh, int invert)
{
	static struct sym_idx *x;
	static uint8_t *img, *tmp, *out;
	size_t ob = (size_t)ow * oh;

	x = sym_idx_open(s->images);
	if (!x)
		sym_die("%s", sym_strerror());
	if (x->ndims != 3 || x->dims[1] != s->sh || x->dims[2] != s->sw)
		sym_die("%s: changed while reading", s->images);
	img = sym_emalloc(x->item_bytes);
	tmp = sym_emalloc(x->item_bytes);
	out = sym_emalloc(ob);
	for (uint32_t i = 0; i <= last; i++) {
		uint32_t j;

		if (sym_idx_read(x, img) != 1)
			sym_die("%s", sym_strerror());
		j = pos[i];
		if (j == NONE || j < lo || j >= hi)
			continue;
		if (wr) {
			convert(out, ow, oh, img, (int)s->sw, (int)s->sh, 0,
			    s->transpose, invert, tmp);
			sym_ewrite_item(wr, label[j], out);
		} else {
			convert(buf + (size_t)(j - lo) * ob, ow, oh, img,
			    (int)s->sw, (int)s->sh, 0, s->transpose, invert,
			    tmp);
		}
	}
	free(img);
	free(tmp);
	free(out);
	sym_idx_close(x);
}

/* Stream the selected IDX images in order. A first pass reads as far as
 * the last selected image so that a truncated or corrupt file stops us
 * before anything reaches stdout. Shuffled output is gathered in memory,
 * SHUFFLE_MEM at a time, one more pass over the file for each part. */
static struct sym_writer *
write_idx(const struct source *s, const struct opts *o,
    const struct sym_header *hdr, const uint32_t *order, uint32_t nout,
    const uint32_t *newcls, int ow, int oh)
{
	static struct sym_writer *wr;
	static uint32_t *pos, *label;
	static uint8_t *buf;
	size_t ob = (size_t)ow * oh;
	uint32_t last = 0, chunk;

	pos = sym_emalloc(((size_t)s->n + 1) * sizeof(uint32_t));
	label = sym_emalloc((size_t)nout * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++)
		pos[i] = NONE;
	for (uint32_t j = 0; j < nout; j++) {
		pos[order[j]] = j;
		label[j] = newcls[s->cls[order[j]]];
		last = order[j] > last ? order[j] : last;
	}
	chunk = SHUFFLE_MEM / ob ? (uint32_t)(SHUFFLE_MEM / ob) : 1;
	if (chunk > nout)
		chunk = nout;
	if (o->shuffle)
		buf = sym_emalloc((size_t)chunk * ob);
	idx_pass(s, pos, last, 0, o->shuffle ? chunk : 0, buf, NULL, label,
	    ow, oh, o->invert);
	wr = sym_ewriter_new(stdout, "<stdout>", hdr);
	if (!o->shuffle) {
		idx_pass(s, pos, last, 0, nout, NULL, wr, label, ow, oh,
		    o->invert);
	} else {
		for (uint32_t lo = 0; lo < nout; lo += chunk) {
			uint32_t hi = nout - lo > chunk ? lo + chunk : nout;
			if (lo > 0)
				idx_pass(s, pos, last, lo, hi, buf, NULL,
				    label, ow, oh, o->invert);
			for (uint32_t j = lo; j < hi; j++)
				sym_ewrite_item(wr, label[j],
				    buf + (size_t)(j - lo) * ob);
		}
	}
	free(buf);
	free(pos);
	free(label);
	return wr;
}

int
main(int argc, char *argv[])
{
	static struct source s;
	static struct sym_header hdr;
	static struct sym_writer *wr;
	static uint8_t *mark, *ex, *tmp, *outimg, *pix, *seen;
	static uint32_t *order, *newcls, *count, *sorted;
	struct opts o;
	struct sym_rng rng;
	const char *what;
	uint32_t nout = 0, nsel = 0;
	size_t obytes;
	int ch, ow, oh, folder, seedopt = 0;

	/* options */
	sym_setprog(argv[0]);
	sym_init_io();
	memset(&o, 0, sizeof(o));
	o.seed = 1;
	while ((ch = getopt_long(argc, argv, "qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_CLASSES:
			check_list(optarg, "--classes");
			o.classes = optarg;
			break;
		case OPT_EXCLUDE:
			check_list(optarg, "--exclude-classes");
			o.exclude = optarg;
			break;
		case OPT_PER_CLASS:
			o.per_class = (uint32_t)sym_parse_long(optarg, 1,
			    SYM_IDX_MAX_ITEMS, "--per-class");
			break;
		case OPT_LIMIT:
			o.limit = (uint32_t)sym_parse_long(optarg, 1,
			    SYM_IDX_MAX_ITEMS, "--limit");
			break;
		case OPT_SIZE:
			sym_parse_size(optarg, MAX_SIDE, &o.w, &o.h, "--size");
			break;
		case OPT_INVERT:
			o.invert = 1;
			break;
		case OPT_SHUFFLE:
			o.shuffle = 1;
			break;
		case OPT_SEED:
			seedopt = 1;
			o.seed = (uint64_t)sym_parse_long(optarg, 0,
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
		usage(stderr);
		return 2;
	}
	what = argv[0];
	{
		int nargs = argc - 1, ok;
		if (strcmp(what, "idx") == 0)
			ok = nargs == 2;
		else if (strcmp(what, "fashion") == 0)
			ok = nargs <= 1;
		else if (!strcmp(what, "mnist") || !strcmp(what, "emnist") ||
		    !strcmp(what, "omniglot") || !strcmp(what, "png"))
			ok = nargs == 1;
		else
			sym_usage_die("unknown source '%s' (idx, mnist, "
			    "fashion, emnist, omniglot, png)", what);
		if (!ok) {
			usage(stderr);
			return 2;
		}
	}
	if (o.set && strcmp(what, "mnist") && strcmp(what, "fashion") &&
	    strcmp(what, "emnist"))
		sym_usage_die("--set: only for mnist, fashion and emnist");
	if (o.split && strcmp(what, "emnist"))
		sym_usage_die("--split: only for emnist");
	if (seedopt && !o.shuffle)
		sym_usage_die("--seed needs --shuffle");

	/* read: classes and items, no pixels yet */
	memset(&s, 0, sizeof(s));
	folder = !strcmp(what, "omniglot") || !strcmp(what, "png");
	if (strcmp(what, "idx") == 0) {
		load_idx(&s, argv[1], argv[2], NULL, 0);
		s.desc = fmt("idx %s %s", argv[1], argv[2]);
	} else if (folder) {
		load_tree(&s, what, argv[1], o.quiet);
	} else {
		load_named(&s, what, argc > 1 ? argv[1] :
		    "/usr/share/datasets/fashion-mnist", &o);
	}

	/* compute: which classes, which items, in what order. Index
	 * nclasses is the group of images without a class: kept, unless
	 * --classes picks classes by name. */
	mark = sym_ecalloc((size_t)s.nclasses + 1, 1);
	if (o.classes)
		parse_classes(&s, o.classes, "--classes", mark);
	else
		memset(mark, 1, s.nclasses);
	mark[s.nclasses] = s.nunl > 0 && !o.classes;
	if (o.exclude) {
		ex = sym_ecalloc((size_t)s.nclasses + 1, 1);
		parse_classes(&s, o.exclude, "--exclude-classes", ex);
		for (uint32_t c = 0; c < s.nclasses; c++)
			mark[c] &= !ex[c];
		free(ex);
	}
	newcls = sym_emalloc((s.nclasses + 1) * sizeof(uint32_t));
	for (uint32_t c = 0; c < s.nclasses; c++)
		newcls[c] = mark[c] ? nsel++ : NONE;
	newcls[s.nclasses] = SYM_NOLABEL;
	if (nsel == 0 && !mark[s.nclasses])
		sym_die("no classes selected");
	order = sym_emalloc(((size_t)s.n + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < s.n; i++)
		if (mark[s.cls[i]])
			order[nout++] = i;
	sym_rng_seed(&rng, o.seed);
	if (o.shuffle)
		sym_rng_shuffle_u32(&rng, order, nout);
	if (o.per_class) {
		uint32_t k = 0;
		count = sym_ecalloc((size_t)s.nclasses + 1, sizeof(uint32_t));
		for (uint32_t j = 0; j < nout; j++)
			if (count[s.cls[order[j]]]++ < o.per_class)
				order[k++] = order[j];
		nout = k;
		free(count);
	}
	if (o.limit && nout > o.limit)
		nout = o.limit;
	if (nout == 0)
		sym_die("no images selected");

	/* sizes: IDX from the header, folders from every selected file */
	if (!folder) {
		ow = (int)(s.transpose ? s.sh : s.sw);
		oh = (int)(s.transpose ? s.sw : s.sh);
	} else {
		/* decode every selected file once before writing, in file
		 * order, so a broken or odd-sized PNG stops us with nothing
		 * on stdout */
		char *first = NULL;
		int fw = 0, fh = 0;

		sorted = sym_emalloc((size_t)nout * sizeof(*sorted));
		seen = sym_ecalloc(s.n, 1);
		{
			uint32_t k = 0;
			for (uint32_t j = 0; j < nout; j++)
				seen[order[j]] = 1;
			for (uint32_t i = 0; i < s.n; i++)
				if (seen[i])
					sorted[k++] = i;
			free(seen);
		}
		for (uint32_t j = 0; j < nout; j++) {
			const char *f = s.files[sorted[j]];
			int w, h;

			if (sym_png_read(f, &pix, &w, &h) < 0)
				sym_die("%s", sym_strerror());
			free(pix);
			if (!first) {
				first = s.files[sorted[j]];
				fw = w;
				fh = h;
			} else if (!o.w && (w != fw || h != fh)) {
				sym_die("%s: size %dx%d differs from %dx%d of "
				    "%s (use --size)", f, w, h, fw, fh, first);
			}
		}
		free(sorted);
		ow = fw;
		oh = fh;
	}
	if (o.w) {
		ow = o.w;
		oh = o.h;
	}
	obytes = (size_t)ow * oh;

	/* write */
	sym_header_init(&hdr, SYM_IMAGES, SYM_U8, 1, (uint32_t)oh,
	    (uint32_t)ow);
	for (uint32_t c = 0; c < s.nclasses; c++)
		if (mark[c])
			sym_header_add_class(&hdr, s.classes[c]);
	hdr.nitems = nout;
	sym_header_set_meta(&hdr, "source", s.desc);
	if (o.shuffle) {
		char b[32];
		snprintf(b, sizeof(b), "%llu", (unsigned long long)o.seed);
		sym_header_set_meta(&hdr, "seed", b);
	}
	outimg = sym_emalloc(obytes);
	if (folder) {
		wr = sym_ewriter_new(stdout, "<stdout>", &hdr);
		for (uint32_t j = 0; j < nout; j++) {
			const char *f = s.files[order[j]];
			int w, h;

			if (sym_png_read(f, &pix, &w, &h) < 0)
				sym_die("%s", sym_strerror());
			tmp = sym_emalloc((size_t)w * h);
			convert(outimg, ow, oh, pix, w, h, 1, 0, o.invert, tmp);
			free(tmp);
			free(pix);
			sym_ewrite_item(wr, newcls[s.cls[order[j]]], outimg);
		}
	} else {
		wr = write_idx(&s, &o, &hdr, order, nout, newcls, ow, oh);
	}
	sym_ewriter_close(wr);
	if (!o.quiet) {
		uint32_t unl = 0;

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
	source_free(&s);
	free(mark);
	free(newcls);
	free(order);
	free(outimg);
	return sym_fshut(stdout, "<stdout>");
}
