/*
 * sym_sample.h: drawing pairs and episodes from labelled items. Classes
 * are drawn uniformly, then items within them, so a class with many
 * examples is not favoured. The group of a class is its name up to the
 * last '/' ("Latin/character05" -> "Latin"); names without '/' are each
 * their own group.
 */
#ifndef SYM_SAMPLE_H
#define SYM_SAMPLE_H

struct sym_sampler;
/* Length of the group of a class name: up to its last '/', or all of it
 * (sym-match's episodes use the same rule). */
size_t sym_group_len(const char *name);
/* Index n items by label (labels[i] < h->nclasses or SYM_NOLABEL, which is
 * skipped). Classes without items are never drawn. */
struct sym_sampler *sym_sampler_new(const uint32_t *labels, uint64_t n,
    const struct sym_header *h);
void sym_sampler_free(struct sym_sampler *s);
/* 0 if pairs can be drawn: same-class ones if same, different-class ones
 * if diff; else -1 with sym_strerror() ("need at least 2 classes, got
 * 1", "no class has 2 images"). */
int sym_sampler_check_pairs(const struct sym_sampler *s, int same,
    int diff);
/* Draw a pair of item indices. same: both from one class (never one item
 * twice); else from two classes, which with probability hard come from
 * the same group when that group has another class. */
void sym_sample_pair(struct sym_sampler *s, struct sym_rng *rng, int same,
    double hard, uint64_t *a, uint64_t *b);
/* 1 if some group has 2 classes or more, so that same-group negatives
 * (hard > 0 in sym_sample_pair) can be drawn; else they come from all
 * classes. */
int sym_sampler_has_group_pairs(const struct sym_sampler *s);
/* Classes with at least min items. */
uint32_t sym_sampler_classes_with(const struct sym_sampler *s, uint64_t min);
/* Draw a way-class episode of shot + query distinct items per class into
 * idx (class-major: class k's shot supports, then its queries) and the
 * classes into cls (way entries, may be NULL). within_group: all classes
 * from one group. -1 with sym_strerror() when not enough classes have
 * shot + query items. */
int sym_sample_episode(struct sym_sampler *s, struct sym_rng *rng, int way,
    int shot, int query, int within_group, uint64_t *idx, uint32_t *cls);

#endif
