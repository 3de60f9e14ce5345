/*
 * sym_model.h: trained models and checkpoints on disk (spec:
 * man/sym-model.5), training (sym-train) and embedding (sym-embed) as
 * library calls. A model is one or two towers, the loss's head
 * parameters, what the towers expect as input, provenance, and for a
 * checkpoint also the optimizer state and the position in training.
 */
#ifndef SYM_MODEL_H
#define SYM_MODEL_H

#include <signal.h>

/* First 8 bytes of every model file (differs from the stream magic). */
#define SYM_MODEL_MAGIC "\223SYMMOD\n"
#define SYM_MODEL_MAGIC_LEN 8
#define SYM_MODEL_MAJOR 1
#define SYM_MODEL_MINOR 0
/* Sanity caps, checked before any allocation. */
#define SYM_MODEL_MAX_FILE ((size_t)1 << 31)
#define SYM_MODEL_MAX_META 1024u
#define SYM_MODEL_MAX_STRING 65536u

/* Training state, present in checkpoints only. Sampling randomness is
 * derived from (seed, epoch, step), so these fields fix it exactly. */
struct sym_model_train {
	int optimizer;		/* enum sym_optimizer */
	float beta1, beta2, eps, momentum, weight_decay;
	uint64_t t;		/* optimizer steps taken */
	uint32_t epoch;		/* epochs completed */
	uint64_t step;		/* steps done in epoch `epoch` (0-based) */
	uint64_t seed;
	uint32_t has_best;	/* a validation score was recorded */
	uint32_t best_epoch;	/* 1-based epoch of the best score */
	float best;		/* best validation score */
	size_t n;		/* trainable values: tower(s) then head */
	float *m, *v;		/* optimizer moments, n each */
	size_t nsnap;		/* sym_model_nvalues(); 0 unless has_best */
	float *snap;		/* all values of the best epoch (or NULL) */
};

struct sym_model {
	int loss;		/* enum sym_loss */
	float margin;
	int dim;		/* embedding length D */
	int c, h, w;		/* input shape */
	float scale, offset;	/* the net sees u8 * scale + offset */
	int unshared;		/* 1: tower[1] embeds the pair's b side */
	int views;		/* SYM_VIEW_* bits sym-embed uses (views.c) */
	struct sym_net *tower[2];	/* tower[1] is NULL when shared */
	size_t nhead;
	float *head;		/* sym_head_nparams(loss, dim) values */
	float *head_grad;	/* same size, for training */
	uint32_t nmeta;
	char **meta_keys, **meta_vals;	/* provenance */
	struct sym_model_train *train;	/* NULL unless a checkpoint */
	uint32_t crc;		/* checksum trailer, set by read and write */
	int major, minor;	/* format version read (0 for a new model) */
};

/* A fresh model (parameters not initialised); NULL with sym_strerror()
 * on a bad arch or loss. Pixel normalisation is x / 255. */
struct sym_model *sym_model_new(const char *arch, int loss, float margin,
    int c, int h, int w, int unshared);
void sym_model_free(struct sym_model *m);
/* Initialise tower(s) and head from rng. */
void sym_model_init(struct sym_model *m, struct sym_rng *rng);
/* Provenance: set (replace) or get a key; NULL when absent. */
void sym_model_set_meta(struct sym_model *m, const char *key,
    const char *val);
const char *sym_model_get_meta(const struct sym_model *m, const char *key);
/* Trainable values (tower params and head) and all values (those plus
 * batch-norm state), in file order. */
size_t sym_model_nparams(const struct sym_model *m);
size_t sym_model_nvalues(const struct sym_model *m);
/* Copy all values out of / into the model (nvalues floats). */
void sym_model_get_values(const struct sym_model *m, float *out);
void sym_model_set_values(struct sym_model *m, const float *in);
/* Attach (zeroed, n = nparams) or drop a training-state section. */
struct sym_model_train *sym_model_train_attach(struct sym_model *m);
void sym_model_train_drop(struct sym_model *m);

/* Serialise to f (name for messages), setting m->crc; -1 on error. */
int sym_model_write(struct sym_model *m, FILE *f, const char *name);
/* Write atomically (temp file + rename): on any failure the old file
 * at path is untouched and no temporary is left. A path that exists
 * and is not a regular file (/dev/stdout) is written in place. -1 on
 * error. */
int sym_model_save(struct sym_model *m, const char *path);
/* 0 if a model can be saved at path (its folder exists and is
 * writable), else -1 with the reason; creates nothing. */
int sym_model_check_path(const char *path);
/* Parse a whole model file held in memory; name is for messages
 * ("NAME: not a sym model", "NAME: checksum mismatch (file damaged)"). */
struct sym_model *sym_model_parse(const unsigned char *buf, size_t n,
    const char *name);
/* Read a model from f / from path; NULL with sym_strerror(). */
struct sym_model *sym_model_read(FILE *f, const char *name);
struct sym_model *sym_model_load(const char *path);
/* Dying version of sym_model_load. */
struct sym_model *sym_model_eload(const char *path);
/* "key: value" lines describing m (sym-info); name is the file. Returns
 * 0, or -1 on a write error. */
int sym_model_print_info(FILE *out, const struct sym_model *m,
    const char *name);

/* ---- embedding (lib/embed.c) ---- */

/* Test-time views (lib/views.c): bits of sym_model.views. */
#define SYM_VIEW_TURNS 1	/* the 4 quarter turns */
#define SYM_VIEW_MIRROR 2	/* each also mirrored left to right */
#define SYM_VIEW_SHIFTS 4	/* each the mean over 4 one-pixel shifts too */
#define SYM_VIEW_ALL 7
/* "turns,mirror,shifts" (any subset) or "none" -> bits; -1, error set */
int sym_views_parse(const char *s);
const char *sym_views_name(int views, char *buf, size_t n);
/* concatenated views per image: 1, 2, 4 or 8 */
int sym_views_count(int views);
/* 0 when a model of this loss and input shape can use views; else -1 */
int sym_views_check(int views, int loss, int h, int w);
/* 0 when dim numbers per view, in views, fit one stream item (at most
 * SYM_MAX_DIM numbers, which sym-embed writes); else -1, error set */
int sym_views_width_check(size_t dim, int views);
/* Embed n normalized images x in views: out gets n x (dim x count)
 * floats; tmp is scratch for n images. */
void sym_model_embed(struct sym_model *m, int views, const float *x, int n,
    float *tmp, float *out);

/* u8 pixels to what the net sees: out[i] = in[i] * scale + offset. */
void sym_model_normalize(const struct sym_model *m, float *out,
    const uint8_t *in, size_t n);
/* Eval-mode embeddings of B normalised inputs with tower t (0 or 1;
 * 1 means tower[0] for a shared model). Returns B x D owned by the
 * tower, valid until its next forward. */
const float *sym_model_forward(struct sym_model *m, int t, const float *in,
    int B);
/* Check that items of shape c x h x w from stream sname suit m (file
 * mname); -1 with a message saying what the model wants otherwise. */
int sym_model_check_shape(const struct sym_model *m, const char *mname,
    const char *sname, uint32_t c, uint32_t h, uint32_t w);
/* Whether images whose stream header is h were loaded as m's training
 * images were: the same sym-load normalisation (metadata "ink", the
 * option as given) or none on both sides. 0, or -1 and sym_strerror()
 * saying both. */
int sym_model_check_ink(const struct sym_model *m, const char *mname,
    const struct sym_header *h, const char *sname);
/* The same for any two: h's images against those loaded with want (NULL:
 * as stored); the error ends "but <whose> images loaded ...", so whose
 * is e.g. "f.model was trained on" or "the training stream has". */
int sym_ink_check(const struct sym_header *h, const char *sname,
    const char *want, const char *whose);
/* Header metadata naming the model ("model", "model-id", "loss",
 * "margin", "arch", "head" for bce/concat, "views" when not none) into
 * h, for embeddings made with these views. */
void sym_model_stamp(const struct sym_model *m, const char *name,
    int views, struct sym_header *h);
/* sym-embed: read u8 images or pairs from r, write embeddings to out in
 * batches of `batch`, flushing each so output starts before input ends.
 * m NULL embeds raw pixels (pixel / 255, model-id "raw"), the baseline
 * every learned metric must beat. Dies on error (messages name the
 * streams). */
void sym_embed_stream(struct sym_model *m, const char *model_name,
    int views, struct sym_reader *r, const char *inname, FILE *out,
    const char *outname, int batch);

/* ---- training (lib/train.c) ---- */

struct sym_train_opts {
	const char *arch;
	int loss;		/* enum sym_loss */
	float margin;
	int epochs;
	int batch;		/* pairs per step */
	float lr;
	int optimizer;		/* enum sym_optimizer */
	float momentum;		/* < 0: the optimizer's default */
	float weight_decay;
	int schedule;		/* enum sym_schedule */
	uint64_t seed;
	int augment;
	int rotate_classes;
	int mirror_classes;
	int views;		/* SYM_VIEW_* bits recorded in the model */
	int unshared;
	long pairs_per_epoch;	/* labelled images, pair losses */
	double same_group_neg;	/* fraction of negatives from one group */
	int way, shot, query;	/* proto episodes */
	long episodes;		/* per epoch */
	double within_group;	/* share of episodes from one group */
	int val_way;
	int val_episodes;
	int val_within_group;	/* validation episodes from one group */
	const char *out;	/* -o */
	const char *checkpoint;	/* written every epoch and on a signal */
	const char *resume;	/* checkpoint to continue, or NULL */
	size_t max_memory;	/* bytes for images in memory; 0: no cap */
	int quiet;
	volatile sig_atomic_t *stop;	/* set by a signal handler */
};

/* Train on train (labelled u8 images or pairs of u8 images), validate
 * on val (NULL for none), write the model to o->out. Dies with a
 * message on any error, including an interruption (after writing the
 * checkpoint). */
void sym_train_run(const struct sym_train_opts *o,
    const struct sym_dataset *train, const char *train_name,
    const struct sym_dataset *val, const char *val_name);

#endif
