/*
 * source.c: what a data set holds before any pixels are read: its
 * classes and, per image, a class and a place (an item of an IDX file, a
 * PNG file). IDX files of MNIST, Fashion-MNIST and EMNIST under their
 * official names, Omniglot's DIR/ALPHABET/CHARACTER/ tree, and PNG
 * folders DIR/CLASS/.
 *
 * Pointers to heap memory that a sym_die() may interrupt live in static
 * variables, so that they stay reachable when it exits midway:
 * LeakSanitizer then reports only real leaks.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym.h"

#define NONE SYM_SOURCE_NONE

static const char *fashion_names[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
	"Shirt", "Sneaker", "Bag", "Ankle boot"
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
load_idx(struct sym_source *s, const char *images, const char *labels,
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
load_named(struct sym_source *s, const char *what, const char *dir,
    const char *set, const char *split)
{
	const char *part = strcmp(set, "test") == 0 ? "t10k" : "train";
	static char *img, *lab, *p, *q, **names;

	need_dir(dir);
	if (strcmp(what, "emnist") == 0) {
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
add_pngs(struct sym_source *s, const char *dir, const char *name,
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
load_tree(struct sym_source *s, const char *what, const char *dir, int quiet)
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

void
sym_source_free(struct sym_source *s)
{
	sym_list_free(s->classes, s->nclasses);
	if (s->files)
		sym_list_free(s->files, s->n);
	free(s->cls);
	free(s->images);
	free(s->desc);
}

void
sym_source_check_nargs(const char *what, int nargs)
{
	static const struct {
		const char *name, *args;
		int min, max;
	} src[] = {
		{ "idx", "IMAGES LABELS", 2, 2 },
		{ "mnist", "DIR", 1, 1 },
		{ "fashion", "[DIR]", 0, 1 },
		{ "emnist", "DIR", 1, 1 },
		{ "omniglot", "DIR", 1, 1 },
		{ "png", "DIR", 1, 1 },
	};

	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		if (strcmp(what, src[i].name) != 0)
			continue;
		if (nargs < src[i].min || nargs > src[i].max)
			sym_usage_die("%s takes %s, not %d argument%s", what,
			    src[i].args, nargs, nargs == 1 ? "" : "s");
		return;
	}
	sym_usage_die("unknown source '%s' (idx, mnist, fashion, emnist, "
	    "omniglot, png)", what);
}

void
sym_source_open(struct sym_source *s, const char *what, char **args,
    int nargs, const char *set, const char *split, int quiet)
{
	memset(s, 0, sizeof(*s));
	s->folder = !strcmp(what, "omniglot") || !strcmp(what, "png");
	if (strcmp(what, "idx") == 0) {
		load_idx(s, args[0], args[1], NULL, 0);
		s->desc = fmt("idx %s %s", args[0], args[1]);
	} else if (s->folder) {
		load_tree(s, what, args[0], quiet);
	} else {
		load_named(s, what, nargs > 0 ? args[0] :
		    "/usr/share/datasets/fashion-mnist", set ? set : "train",
		    split ? split : "letters");
	}
}
