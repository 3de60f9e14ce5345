/* sample.c: pairs and episodes drawn from labelled items (sym_sample.h). */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

struct sym_sampler {
	uint32_t nclasses;	/* as in the header */
	uint64_t *start;	/* nclasses + 1 offsets into items */
	uint64_t *items;	/* item indices grouped by class */
	uint32_t *live;		/* classes with >= 1 item */
	uint32_t nlive;
	uint32_t *group;	/* class -> group number */
	uint32_t ngroups;
	uint32_t *gstart;	/* ngroups + 1 offsets into gclasses */
	uint32_t *gclasses;	/* live classes grouped by group */
	uint32_t *scratch;	/* nclasses, for drawing without repeats */
	uint64_t *iscratch;	/* largest class, likewise */
};

static uint64_t
count(const struct sym_sampler *s, uint32_t c)
{
	return s->start[c + 1] - s->start[c];
}

size_t
sym_group_len(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? (size_t)(slash - name) : strlen(name);
}

struct sym_sampler *
sym_sampler_new(const uint32_t *labels, uint64_t n,
    const struct sym_header *h)
{
	struct sym_sampler *s = sym_ecalloc(1, sizeof(*s));
	uint32_t nc = h->nclasses;
	uint64_t *fill, biggest = 0;

	s->nclasses = nc;
	s->start = sym_ecalloc((size_t)nc + 1, sizeof(uint64_t));
	for (uint64_t i = 0; i < n; i++)
		if (labels[i] < nc)
			s->start[labels[i] + 1]++;
	for (uint32_t c = 0; c < nc; c++)
		s->start[c + 1] += s->start[c];
	s->items = sym_ecalloc(s->start[nc], sizeof(uint64_t));
	fill = sym_ecalloc(nc ? nc : 1, sizeof(uint64_t));
	for (uint64_t i = 0; i < n; i++)
		if (labels[i] < nc)
			s->items[s->start[labels[i]] + fill[labels[i]]++] = i;
	free(fill);

	s->live = sym_ecalloc(nc, sizeof(uint32_t));
	for (uint32_t c = 0; c < nc; c++) {
		if (count(s, c) > 0)
			s->live[s->nlive++] = c;
		if (count(s, c) > biggest)
			biggest = count(s, c);
	}

	/* groups: number live classes by their name prefix, in order of
	 * first appearance (quadratic in groups, which are few) */
	s->group = sym_ecalloc(nc, sizeof(uint32_t));
	for (uint32_t k = 0; k < s->nlive; k++) {
		uint32_t c = s->live[k], g;
		const char *name = h->classes[c];
		size_t len = sym_group_len(name);

		for (g = 0; g < k; g++) {
			const char *o = h->classes[s->live[g]];
			if (sym_group_len(o) == len &&
			    strncmp(o, name, len) == 0)
				break;
		}
		s->group[c] = g < k ? s->group[s->live[g]] : s->ngroups++;
	}
	s->gstart = sym_ecalloc((size_t)s->ngroups + 1, sizeof(uint32_t));
	for (uint32_t k = 0; k < s->nlive; k++)
		s->gstart[s->group[s->live[k]] + 1]++;
	for (uint32_t g = 0; g < s->ngroups; g++)
		s->gstart[g + 1] += s->gstart[g];
	s->gclasses = sym_ecalloc(s->nlive, sizeof(uint32_t));
	{
		uint32_t *gfill = sym_ecalloc(s->ngroups ? s->ngroups : 1,
		    sizeof(uint32_t));
		for (uint32_t k = 0; k < s->nlive; k++) {
			uint32_t g = s->group[s->live[k]];
			s->gclasses[s->gstart[g] + gfill[g]++] = s->live[k];
		}
		free(gfill);
	}
	s->scratch = sym_ecalloc(nc, sizeof(uint32_t));
	s->iscratch = sym_ecalloc(biggest, sizeof(uint64_t));
	return s;
}

void
sym_sampler_free(struct sym_sampler *s)
{
	if (!s)
		return;
	free(s->start);
	free(s->items);
	free(s->live);
	free(s->group);
	free(s->gstart);
	free(s->gclasses);
	free(s->scratch);
	free(s->iscratch);
	free(s);
}

int
sym_sampler_has_group_pairs(const struct sym_sampler *s)
{
	for (uint32_t g = 0; g < s->ngroups; g++)
		if (s->gstart[g + 1] - s->gstart[g] >= 2)
			return 1;
	return 0;
}

uint32_t
sym_sampler_classes_with(const struct sym_sampler *s, uint64_t min)
{
	uint32_t k = 0;

	for (uint32_t c = 0; c < s->nclasses; c++)
		if (count(s, c) >= min && count(s, c) > 0)
			k++;
	return k;
}

int
sym_sampler_check_pairs(const struct sym_sampler *s, int same, int diff)
{
	if (diff && s->nlive < 2)
		return sym_seterr("need at least 2 classes with images, got "
		    "%u", s->nlive);
	if (same && sym_sampler_classes_with(s, 2) == 0)
		return sym_seterr("no class has 2 images, so no same-class "
		    "pair exists");
	return 0;
}

/* A uniformly drawn item of class c. */
static uint64_t
item_of(const struct sym_sampler *s, struct sym_rng *rng, uint32_t c)
{
	return s->items[s->start[c] + sym_rng_below(rng, count(s, c))];
}

void
sym_sample_pair(struct sym_sampler *s, struct sym_rng *rng, int same,
    double hard, uint64_t *a, uint64_t *b)
{
	uint32_t c1, c2;

	if (same) {
		/* uniform over the classes that can give a same pair */
		uint32_t k = 0;
		for (uint32_t i = 0; i < s->nlive; i++)
			if (count(s, s->live[i]) >= 2)
				s->scratch[k++] = s->live[i];
		c1 = s->scratch[sym_rng_below(rng, k)];
		uint64_t n = count(s, c1);
		uint64_t i = sym_rng_below(rng, n);
		uint64_t j = sym_rng_below(rng, n - 1);
		if (j >= i)
			j++;
		*a = s->items[s->start[c1] + i];
		*b = s->items[s->start[c1] + j];
		return;
	}
	c1 = s->live[sym_rng_below(rng, s->nlive)];
	uint32_t g = s->group[c1];
	uint32_t gn = s->gstart[g + 1] - s->gstart[g];
	if (gn >= 2 && hard > 0 && sym_rng_uniform(rng) < hard) {
		/* another class of the same group: a hard negative */
		uint32_t k = (uint32_t)sym_rng_below(rng, gn - 1);
		c2 = s->gclasses[s->gstart[g] + k];
		if (c2 == c1)
			c2 = s->gclasses[s->gstart[g] + gn - 1];
	} else {
		uint32_t k = (uint32_t)sym_rng_below(rng, s->nlive - 1);
		c2 = s->live[k];
		if (c2 == c1)
			c2 = s->live[s->nlive - 1];
	}
	*a = item_of(s, rng, c1);
	*b = item_of(s, rng, c2);
}

int
sym_sample_episode(struct sym_sampler *s, struct sym_rng *rng, int way,
    int shot, int query, int within_group, uint64_t *idx, uint32_t *cls)
{
	uint64_t need = (uint64_t)shot + query;
	uint32_t k = 0;

	if (within_group) {
		/* a group drawn uniformly among those that can fill it */
		uint32_t ok = 0, pick, g;
		for (g = 0; g < s->ngroups; g++) {
			uint32_t m = 0;
			for (uint32_t i = s->gstart[g]; i < s->gstart[g + 1]; i++)
				m += count(s, s->gclasses[i]) >= need;
			ok += m >= (uint32_t)way;
		}
		if (ok == 0)
			return sym_seterr("no group has %d classes with %llu "
			    "items each", way, (unsigned long long)need);
		pick = (uint32_t)sym_rng_below(rng, ok);
		for (g = 0; g < s->ngroups; g++) {
			uint32_t m = 0;
			for (uint32_t i = s->gstart[g]; i < s->gstart[g + 1]; i++)
				m += count(s, s->gclasses[i]) >= need;
			if (m >= (uint32_t)way && pick-- == 0)
				break;
		}
		for (uint32_t i = s->gstart[g]; i < s->gstart[g + 1]; i++)
			if (count(s, s->gclasses[i]) >= need)
				s->scratch[k++] = s->gclasses[i];
	} else {
		for (uint32_t i = 0; i < s->nlive; i++)
			if (count(s, s->live[i]) >= need)
				s->scratch[k++] = s->live[i];
		if (k < (uint32_t)way)
			return sym_seterr("%d-way episodes need %d classes with "
			    "%llu items each, only %u have them", way, way,
			    (unsigned long long)need, k);
	}
	/* partial Fisher-Yates: the first `way` entries become the draw */
	for (int w = 0; w < way; w++) {
		uint32_t j = w + (uint32_t)sym_rng_below(rng, k - w);
		uint32_t t = s->scratch[w];
		s->scratch[w] = s->scratch[j];
		s->scratch[j] = t;
	}
	for (int w = 0; w < way; w++) {
		uint32_t c = s->scratch[w];
		uint64_t n = count(s, c);

		if (cls)
			cls[w] = c;
		memcpy(s->iscratch, s->items + s->start[c], n * 8);
		for (uint64_t q = 0; q < need; q++) {
			uint64_t j = q + sym_rng_below(rng, n - q);
			uint64_t t = s->iscratch[q];
			s->iscratch[q] = s->iscratch[j];
			s->iscratch[j] = t;
			idx[(uint64_t)w * need + q] = s->iscratch[q];
		}
	}
	return 0;
}
