/*
 * sym_source.h: data sets as sym-load reads them (IDX files of MNIST,
 * Fashion-MNIST and EMNIST under their official names, Omniglot trees,
 * folders of PNGs), which of their images to keep, and writing those as
 * a labelled images stream. Every call dies on error (these run in
 * sym-load, before or while it writes), with a message that names the
 * file, or the option, when there is one.
 */
#ifndef SYM_SOURCE_H
#define SYM_SOURCE_H

#define SYM_SOURCE_NONE UINT32_MAX

/* A data set before any pixels are read: its classes and, per item, a
 * class and where the pixels are. Class index nclasses is the group of
 * images without a class (png DIR/x.png). */
struct sym_source {
	char *desc;		/* the "source" metadata */
	int folder;		/* 1: files (png, omniglot); 0: IDX */
	uint32_t nclasses;
	char **classes;
	uint32_t n;		/* items */
	uint32_t *cls;		/* n class indices */
	uint32_t nunl;		/* items without a class */
	/* IDX sources */
	char *images;		/* image file */
	int transpose;		/* EMNIST stores images transposed */
	uint32_t sw, sh;	/* image size in the file */
	/* folder sources */
	char **files;		/* n paths */
	size_t cap;		/* room in files and cls */
};

/* 0 when source `what` takes nargs arguments after its name; else a
 * usage error (exit 2): naming the arguments it takes ("mnist takes DIR,
 * not 2 arguments"), or the sources when `what` is none of them. */
void sym_source_check_nargs(const char *what, int nargs);

/* Read source `what` ("idx", "mnist", "fashion", "emnist", "omniglot",
 * "png") from args: idx IMAGES LABELS, the others one folder (fashion:
 * none for the Debian package's). set: "train" or "test" (NULL: train);
 * split: EMNIST's (NULL: letters). quiet: no warnings about skipped
 * files. */
void sym_source_open(struct sym_source *s, const char *what, char **args,
    int nargs, const char *set, const char *split, int quiet);
void sym_source_free(struct sym_source *s);

/* What to keep; zeros keep everything in file order. */
struct sym_select {
	const char *classes, *exclude;	/* class lists (see below) */
	uint32_t per_class, limit;	/* 0: all */
	int shuffle;
	uint64_t seed;
};
/* A class list with an empty entry ("", ",", "a,,b", "a,"): a usage
 * error naming opt. */
void sym_select_check_list(const char *list, const char *opt);
/* The kept items: *order gets the *nout item indices in output order;
 * *newcls the output label of each class (SYM_SOURCE_NONE: dropped; the
 * classless group: SYM_NOLABEL), *nsel the classes kept. Lists name
 * classes (Bag), fnmatch(3) patterns (Greek/\*) or index ranges (0-4);
 * without --classes the images without a class are kept too. */
void sym_source_select(const struct sym_source *s, const struct sym_select *sel,
    uint32_t **order, uint32_t *nout, uint32_t **newcls, uint32_t *nsel);

/* The output size *w x *h: IDX images' as stored (upright); folders'
 * from every kept file, which is decoded once here in file order so that
 * a broken or odd-sized PNG stops sym-load before it writes. resize: the
 * caller resizes, so the files may differ in size (the first one's is
 * returned). */
void sym_source_size(const struct sym_source *s, const uint32_t *order,
    uint32_t nout, int resize, int *w, int *h);
/* How each image is converted besides its size (sym-load's options). */
struct sym_convert {
	int invert;		/* v = 255 - v, last */
	double ink;		/* < 0: as drawn; else sym_ink_normalize's
				 * radius (0: centre only) */
};

/* Write the kept items as hdr's stream (u8, 1 x h x w) to f: ink high,
 * upright, converted as cv says, resized to w x h. Shuffled IDX output
 * is gathered in memory, a bounded part per pass over the file.
 * Returns the writer, not yet closed. */
struct sym_writer *sym_source_write(const struct sym_source *s,
    const struct sym_header *hdr, FILE *f, const char *fname,
    const uint32_t *order, uint32_t nout, const uint32_t *newcls,
    int w, int h, const struct sym_convert *cv, int shuffled);

#endif
