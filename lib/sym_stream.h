/*
 * sym_stream.h: the sym stream, the binary format every sym-* command
 * reads and writes (spec: man/sym-stream.5). A stream is one or more
 * segments; each is a header and then records, read and written one at a
 * time. Segments of the same kind, dtype and shape back to back read as one
 * stream, with class names merged by name.
 */
#ifndef SYM_STREAM_H
#define SYM_STREAM_H

enum sym_kind {
	SYM_IMAGES = 1,		/* labelled u8 images, C x H x W */
	SYM_EMBEDDINGS = 2,	/* labelled f32 vectors, 1 x 1 x D */
	SYM_PAIRS = 3		/* items (u8 or f32), then (a, b, same) */
};

enum sym_dtype {
	SYM_U8 = 1,
	SYM_F32 = 2
};

#define SYM_STREAM_MAGIC "\223SYM\r\n\032\n"	/* 8 bytes */
#define SYM_STREAM_MAJOR 1
#define SYM_STREAM_MINOR 0
#define SYM_NOLABEL UINT32_MAX		/* record whose class is unknown */
#define SYM_COUNT_UNKNOWN UINT64_MAX	/* header count not known */

/* Sanity caps, checked before any allocation. */
#define SYM_MAX_DIM 65536u		/* any of C, H, W */
#define SYM_MAX_ITEM_BYTES (64u << 20)	/* one record's payload */
#define SYM_MAX_CLASSES (1u << 24)
#define SYM_MAX_META 1024u
#define SYM_MAX_STRINGS (64u << 20)	/* all names and metadata */

struct sym_header {
	int kind;		/* enum sym_kind */
	int dtype;		/* enum sym_dtype */
	uint32_t c, h, w;	/* item shape; embeddings: c = h = 1, w = D */
	uint64_t nitems;	/* item records, or SYM_COUNT_UNKNOWN */
	uint64_t npairs;	/* pair records (pairs kind), else 0 */
	uint32_t nclasses;
	char **classes;		/* nclasses NUL-terminated names */
	uint32_t nmeta;
	char **meta_keys;	/* provenance: "source", "seed", "model", ... */
	char **meta_vals;
};

/* A record as the reader returns it. Pointers are valid until the next
 * sym_read(); do not free. */
struct sym_record {
	int is_pair;		/* 0: item, 1: pair */
	uint64_t index;		/* item: its index in the whole stream */
	uint32_t label;		/* item: class index in the merged header */
	const uint8_t *u8;	/* item, dtype u8: C*H*W pixels */
	const float *f32;	/* item, dtype f32: C*H*W values */
	uint64_t a, b;		/* pair: stream-wide item indices */
	int same;		/* pair: 1 same class, 0 different */
};

/* ---- headers ---- */

/* Empty header of the given kind, dtype and shape; counts unknown. */
void sym_header_init(struct sym_header *h, int kind, int dtype,
    uint32_t c, uint32_t hh, uint32_t w);
void sym_header_free(struct sym_header *h);
/* Deep copy of src into dst (dst uninitialised). */
void sym_header_copy(struct sym_header *dst, const struct sym_header *src);
/* Index of class name, adding it when new. */
uint32_t sym_header_add_class(struct sym_header *h, const char *name);
/* 0 if name may be a class name: UTF-8 without control characters (no
 * tab or newline); else -1, sym_strerror() says why. Its length (1 to
 * 65535 bytes) is checked by the writer. */
int sym_class_name_check(const char *name);
/* Index of class name, or -1. */
long sym_header_find_class(const struct sym_header *h, const char *name);
/* Set (replace) a metadata value. */
void sym_header_set_meta(struct sym_header *h, const char *key,
    const char *val);
/* Value of key, or NULL. */
const char *sym_header_get_meta(const struct sym_header *h, const char *key);
/* Bytes of one item's payload (C*H*W*sizeof dtype). */
size_t sym_header_item_bytes(const struct sym_header *h);
/* "images", "embeddings", "pairs"; "u8", "f32". */
const char *sym_kind_name(int kind);
const char *sym_dtype_name(int dtype);

/* ---- writing ---- */

struct sym_writer;
/* Write h's header to f (name is for messages). Counts in h are promises:
 * closing after a different number of records is an error. */
struct sym_writer *sym_writer_new(FILE *f, const char *name,
    const struct sym_header *h);
/* Item: u8 pixels or f32 values per the header's dtype. -1 on error. */
int sym_write_item(struct sym_writer *w, uint32_t label, const void *data);
/* Pair of items of this segment, by index (both already written). */
int sym_write_pair(struct sym_writer *w, uint64_t a, uint64_t b, int same);
/* Check the promised counts, flush, free; -1 on error. NULL is a no-op. */
int sym_writer_close(struct sym_writer *w);
/* The same calls that die on error; EPIPE on stdout exits quietly. */
struct sym_writer *sym_ewriter_new(FILE *f, const char *name,
    const struct sym_header *h);
void sym_ewrite_item(struct sym_writer *w, uint32_t label, const void *data);
void sym_ewrite_pair(struct sym_writer *w, uint64_t a, uint64_t b, int same);
void sym_ewriter_close(struct sym_writer *w);

/* ---- reading ---- */

struct sym_reader;
/* Read the first header from f. Empty input or a bad header is an
 * error (-1 style: NULL with sym_strerror()). */
struct sym_reader *sym_reader_open(FILE *f, const char *name);
/* The same, for input whose first npre (<= 8) bytes were read already
 * (to tell a stream from a model file) and are given in pre. */
struct sym_reader *sym_reader_open_after(FILE *f, const char *name,
    const unsigned char *pre, size_t npre);
/* The merged header: kind, dtype and shape of the stream, every class
 * name seen so far (grows as segments arrive), metadata of the first
 * segment, and nitems/npairs summed over segments (unknown if any is). */
const struct sym_header *sym_reader_header(const struct sym_reader *r);
/* Next record: 1 and *rec filled, 0 at the clean end, -1 on error
 * (truncation, bad label, bad pair index, mismatched segment...). */
int sym_read(struct sym_reader *r, struct sym_record *rec);
/* Segments begun so far. */
unsigned sym_reader_segments(const struct sym_reader *r);
void sym_reader_close(struct sym_reader *r);
/* Dying versions: messages are "name: problem". */
struct sym_reader *sym_ereader_open(FILE *f, const char *name);
int sym_eread(struct sym_reader *r, struct sym_record *rec);
/* Die unless the stream is of this kind ("sym-embed: stdin: expected
 * images, got pairs"). dtype 0 accepts any. */
void sym_reader_expect(const struct sym_reader *r, int kind, int dtype);

/* ---- a whole stream in memory (training, pair sampling, matching) ---- */

struct sym_dataset {
	struct sym_header hdr;	/* merged header; nitems/npairs exact */
	uint64_t n;		/* items */
	uint32_t *labels;	/* n labels */
	uint8_t *u8;		/* n * item size, dtype u8 (else NULL) */
	float *f32;		/* n * item size, dtype f32 (else NULL) */
	uint64_t npairs;
	uint64_t *pa, *pb;	/* pair item indices */
	uint8_t *psame;
};
/* Read the rest of r. Refuses, before reading on, a stream whose header
 * announces more than max_bytes of memory ("needs 1234 MB, limit 512 MB");
 * unknown counts are checked as they grow. 0 max_bytes means no limit. */
int sym_dataset_read(struct sym_dataset *d, struct sym_reader *r,
    size_t max_bytes);
void sym_dataset_free(struct sym_dataset *d);

#endif
