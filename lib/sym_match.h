/*
 * sym_match.h: using embeddings. Nearest-class search (match.c), few-shot
 * episodes (episodes.c), verification metrics (verify.c), reading
 * embeddings and support sets (support.c), a classification's summary
 * (tally.c), and contact
 * sheets: PNG output, a 5x7 bitmap font, drawing, sym-show's layouts
 * (png_write.c, font.c, sheet.c, show.c).
 */
#ifndef SYM_MATCH_H
#define SYM_MATCH_H

/* ---- nearest classes (match.c) ---- */

/* How support vectors are compared with a query. */
enum sym_metric {
	SYM_METRIC_L2 = 0,	/* cost: squared Euclidean distance */
	SYM_METRIC_HEAD = 1	/* cost: 1 - the head's similarity */
};

struct sym_knn_opts {
	int K;		/* best distinct labels kept per query, >= 1 */
	int metric;	/* enum sym_metric */
	int loss;	/* SYM_METRIC_HEAD: SYM_LOSS_BCE or SYM_LOSS_CONCAT */
	const float *hp;	/* SYM_METRIC_HEAD: head parameters */
	size_t qblock;	/* queries per block (0: default) */
	size_t sblock;	/* support rows per block (0: default; set, the
			 * bf16 pass converts each block itself instead of
			 * sharing one copy, as it does past 64 MiB) */
	int nthreads;	/* worker threads; on the fp32 pass each calls
			 * sym_gemm, so >1 wants sym_blas_threads(1) */
	int fp32;	/* 1: screen with fp32 GEMM even where the bf16
			 * pass runs (the same answers; for tests) */
	/* out, L2 only: which pass ran (1 bf16, 0 fp32) and how many
	 * pairs it could not rule out, scored exactly (added to) */
	int used_bf16;
	uint64_t rescored;
};

/* For each of nq queries q (nq x D), the K best distinct labels among ns
 * support vectors s (ns x D) with labels lab (NULL: the row index), and
 * each label's cost: its best (lowest-cost) support vector. Best first in
 * olab[i*K + r], ocost[i*K + r]; ties go to the lower support row. Slots
 * past the number of distinct labels get SYM_NOLABEL and INFINITY.
 * L2 costs are sym_dist2(), and the answers are exactly those of
 * comparing every pair with it: a fast pass (bf16 on CPUs with
 * AVX512-BF16, match_bf16.c, else fp32 GEMM of ||s||^2 - 2 q.s) with a
 * proven error bound rules out the rows that cannot make the list, and
 * the rest are scored exactly. Blocks of qblock x sblock keep memory
 * beyond the inputs bounded. */
void sym_knn(uint32_t *olab, float *ocost, const float *q, size_t nq,
    const float *s, const uint32_t *lab, size_t ns, int D,
    struct sym_knn_opts *o);

/* The exact squared distance between a and b (D floats), summed in a
 * fixed order: the cost sym_knn ranks by and reports. */
float sym_dist2(const float *a, const float *b, int D);

/* 0 when sym-match can search the embedding v of D values: all finite,
 * squared length at most FLT_MAX / 4. Else -1, and sym_strerror() says
 * why, naming item index of name. */
int sym_embedding_check(const float *v, size_t D, const char *name,
    uint64_t index);

/* The bf16 pass (match_bf16.c). Vectors are packed centred on mu as D2 =
 * ceil(D / 2) 32-bit words of two bf16 each, with their squared norms
 * sn (of x - mu, fp32): queries row after row (n x D2 words), support
 * rows in panels of 32 (ceil(n / 32) x 32 x D2 words, sn padded with
 * zeros to a multiple of 32). */
void sym_bf16_pack_rows(uint32_t *w, float *sn, const float *x,
    const float *mu, size_t n, int D);
void sym_bf16_pack_panels(uint32_t *w, float *sn, const float *x,
    const float *mu, size_t n, int D);
struct sym_bf16_screen {
	const uint32_t *q, *s;	/* packed queries (nq), support panels (ns) */
	const float *snm, *sr;	/* per support row, padded to panels */
	const float *cq;	/* per query */
	float *rhs;		/* per query; cand may lower it */
	size_t nq, ns;
	int D2;
	/* query i, support row j (from 0 in this call), with its screen
	 * value t: not ruled out */
	void (*cand)(void *ctx, size_t i, size_t j, float t);
	void *ctx;
};
/* Calls cand for every (i, j), row by row for each query, unless
 * snm_j - 2 bf16(q_i).bf16(s_j) - cq_i sr_j > rhs_i. Only where
 * sym_bf16_runs(): the CPU has AVX512-BF16. */
void sym_bf16_screen(const struct sym_bf16_screen *sc);
int sym_bf16_runs(void);

/* Class means: out (ncls x D) and cnt (ncls) from n labelled rows; rows
 * labelled SYM_NOLABEL or >= ncls are skipped, empty classes are zero. */
void sym_class_means(float *out, uint64_t *cnt, const float *x,
    const uint32_t *lab, size_t n, uint32_t ncls, int D);

/* ---- few-shot episodes (episodes.c) ---- */

/* How to score a query against a candidate vector. */
struct sym_scorer {
	int loss;	/* 0 (plain Euclidean) or an enum sym_loss */
	float margin;	/* contrastive margin */
	const float *hp;	/* bce, concat: head parameters */
};

/* Similarity in [0, 1] of a and b (D floats) under sc: the head's for
 * bce and concat, sym_dist2_similarity() for contrastive and proto, and
 * 1 / (1 + d) (d Euclidean) when sc->loss is 0. */
float sym_scorer_similarity(const struct sym_scorer *sc, const float *a,
    const float *b, int D);
/* The same from a squared distance (not for bce and concat). */
float sym_scorer_from_dist2(const struct sym_scorer *sc, float d2, int D);

struct sym_episode_opts {
	int way, shot, queries;	/* classes, supports and queries each */
	int reduce_mean;	/* 1: prototypes (class means); 0: best shot */
	int within_group;	/* classes of an episode share a group, the
				 * name before its last '/' */
	uint64_t seed;
};

/* Run n episodes on the labelled vectors x (nx x D, labels lab, ncls
 * classes, names for grouping), drawing only classes with at least
 * shot + queries vectors. Writes the mean accuracy and the half width of
 * its 95% interval (1.96 sample std / sqrt(n)); acc[n] (may be NULL)
 * gets each episode's. -1 with sym_strerror() when too few classes. */
int sym_episodes(double *mean, double *ci, double *acc, long n,
    const float *x, const uint32_t *lab, size_t nx, uint32_t ncls,
    char *const *names, int D, const struct sym_scorer *sc,
    const struct sym_episode_opts *o);

/* ---- embeddings streams and support sets (support.c) ---- */

/* Values per item of a stream (C*H*W). */
static inline int
sym_header_dim(const struct sym_header *h)
{
	return (int)(h->c * h->h * h->w);
}
/* Read the whole f32 stream of this kind from path ("-": stdin; *name
 * gets the name for messages); every vector is checked by
 * sym_embedding_check(). Dies on error. */
void sym_embeddings_read(struct sym_dataset *d, const char *path, int kind,
    const char **name);
/* Die unless stream name (header h) was embedded by the same model as
 * ref ("model-id"; neither having one also agrees). */
void sym_same_model(const char *name, const struct sym_header *h,
    const struct sym_header *ref);
/* The similarity header h asks for: its "loss" (with "margin", and for
 * bce and concat the "head" in hex as sym_model_stamp() writes it), else
 * plain Euclidean. *hp is allocated for heads (free it after sc). Dies
 * naming name on a bad value. */
void sym_scorer_of(struct sym_scorer *sc, float **hp,
    const struct sym_header *h, const char *name);

/* Support examples from one or more embeddings files, classes merged by
 * name (appending a file of a new class adds that class). Examples
 * without a class stand for themselves: labels nnames + their row,
 * named "#row". */
struct sym_support {
	int D;
	size_t n;		/* rows searched */
	float *x;		/* n x D */
	uint32_t *lab;		/* n, into names (or nnames + row) */
	uint32_t nnames;
	char **names;		/* class names, merged over files */
	uint32_t *ix;		/* names sorted by strcmp */
	uint32_t nused;		/* classes with examples, + nunl */
	uint32_t nunl;		/* examples without a class */
	struct sym_header ref;	/* the first file's header: model, loss */
	const char *refname;
};
/* Read and merge npaths files (same model, same D); reduce_mean: one
 * row per class, its mean, then the examples without a class. Dies on
 * error. */
void sym_support_read(struct sym_support *s, const char **paths, int npaths,
    int reduce_mean);
/* The name of search label l; valid until the next call. */
const char *sym_support_name(const struct sym_support *s, uint32_t l);
/* The index of class name, or -1; O(log nnames). */
long sym_support_class(const struct sym_support *s, const char *name);
void sym_support_free(struct sym_support *s);

/* ---- a classification's summary (tally.c) ---- */

/* Counts over labelled queries. Query classes are those of the query
 * stream; pred is a support class, nnames for "an example without a
 * class" (one column), or -1 for "unknown". Zero it to start. */
struct sym_tally {
	uint64_t n, right;
	uint64_t *qn, *qright;	/* per query class */
	uint32_t nq;
	uint32_t *conf;		/* pairs (query class, pred + 1) */
	size_t nconf, cap;
};
/* Count one query of class qc; conf: keep it for the matrix too. */
void sym_tally_add(struct sym_tally *t, uint32_t qc, long pred, int right,
    int conf);
/* "accuracy: 0.xxxx (N queries)", one line per query class, and with
 * confusion the matrix (rows true, columns the support's classes, then
 * "#" when it has examples without a class, and "unknown" when reject
 * was on). qh names the query classes. */
void sym_tally_print(FILE *f, const struct sym_tally *t,
    const struct sym_header *qh, const struct sym_support *s, int confusion,
    int reject);
void sym_tally_free(struct sym_tally *t);

/* ---- verification metrics (verify.c) ---- */

/* Scores (higher = more likely "same") of n pairs with truth y (1 same,
 * 0 different). Each returns -1 with sym_strerror() unless both kinds
 * occur. ROC AUC counts ties as one half (Mann-Whitney). */
int sym_roc_auc(double *auc, const float *score, const uint8_t *y,
    size_t n);
/* Equal error rate, where the false accept and false reject rates cross,
 * linearly interpolated between ROC points; *thr: the score there. */
int sym_eer(double *eer, double *thr, const float *score,
    const uint8_t *y, size_t n);
/* The threshold t (predict "same" when score >= t) of best accuracy. */
int sym_best_threshold(double *thr, double *acc, const float *score,
    const uint8_t *y, size_t n);
/* Accuracy of the fixed threshold t. */
double sym_threshold_accuracy(float t, const float *score,
    const uint8_t *y, size_t n);

/* ---- contact sheets (png_write.c, font.c, sheet.c) ---- */

/* Write w x h RGB pixels (3 bytes each, rows top down) as an 8-bit RGB
 * PNG to f (name for messages). -1 with sym_strerror() on error. */
int sym_png_write_rgb(FILE *f, const char *name, const uint8_t *rgb,
    uint32_t w, uint32_t h);

#define SYM_FONT_W 5	/* glyph cell, pixels at scale 1 */
#define SYM_FONT_H 7
#define SYM_FONT_ADV 6	/* advance per character: glyph and a gap */
/* Rows of the glyph for c (ASCII 32..126; others draw as '?'): 7 bytes,
 * top row first, bit 4 the leftmost pixel. Do not free. */
const uint8_t *sym_font_glyph(int c);

/* An RGB canvas, white at birth. */
struct sym_sheet {
	int w, h;
	uint8_t *rgb;	/* w * h * 3 */
};
/* Allocate; -1 with sym_strerror() when w x h is empty or too big. */
int sym_sheet_new(struct sym_sheet *s, int w, int h);
void sym_sheet_free(struct sym_sheet *s);
/* Fill a rectangle, clipped to the canvas. */
void sym_sheet_fill(struct sym_sheet *s, int x, int y, int w, int h,
    const uint8_t rgb[3]);
/* A frame of thickness t just inside the rectangle. */
void sym_sheet_frame(struct sym_sheet *s, int x, int y, int w, int h,
    int t, const uint8_t rgb[3]);
/* Draw a u8 image (C x H x W; C 3 is RGB, else channel 0 is gray with
 * ink high, drawn dark on white) with its top left at (x, y), each pixel
 * a scale x scale block. */
void sym_sheet_image(struct sym_sheet *s, int x, int y, const uint8_t *px,
    int c, int h, int w, int scale);
/* Text in the 5x7 font at (x, y), clipped; returns the width drawn. */
int sym_sheet_text(struct sym_sheet *s, int x, int y, const char *text,
    int scale, const uint8_t rgb[3]);
/* Text fitted into maxw pixels: the whole text, else its tail after
 * a '~' (the end of a class name tells most). */
int sym_sheet_text_fit(struct sym_sheet *s, int x, int y, const char *text,
    int maxw, const uint8_t rgb[3]);

/* sym-show's sheets (show.c). Each reads its stream, sizes the sheet,
 * draws; they die on error, naming the stream. */
struct sym_show_opts {
	const char *out;	/* the PNG's name, for messages */
	int cols;		/* cells per row (images, pairs; a matches
				 * sheet has one query per row) */
	long limit;		/* images, pairs or queries shown */
	int scale;		/* sheet pixels per image pixel */
	const char *matches;	/* sym-match's TSV (sym_show_matches) */
	const char *support;	/* its support images ("-": stdin) */
	int quiet;		/* no warnings about empty frames */
};
/* Labelled u8 images as a grid, each with its class name. */
void sym_show_images(struct sym_sheet *sh, struct sym_reader *r,
    const char *name, const struct sym_show_opts *o);
/* Pairs of u8 images side by side, "same" (green) or "different". */
void sym_show_pairs(struct sym_sheet *sh, struct sym_reader *r,
    const char *name, const struct sym_show_opts *o);
/* Each query of qr that o->matches answers, beside the first support
 * image of each matched class (or the support row "#N" itself), framed
 * green when right, red when wrong, gray when the truth is unknown. The
 * queries must be the stream sym-match read (their classes are
 * checked). */
void sym_show_matches(struct sym_sheet *sh, struct sym_reader *qr,
    const char *qname, const struct sym_show_opts *o);
/* Write the sheet as an RGB PNG to path, atomically; dies on error. */
void sym_sheet_save(const struct sym_sheet *sh, const char *path);

#endif
