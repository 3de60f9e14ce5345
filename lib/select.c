/*
 * select.c: which images of a data set sym-load keeps, and in what
 * order: class lists (names, patterns, index ranges), classes to drop,
 * at most N per class or in all, shuffled under a seed.
 *
 * Heap pointers a sym_die() may interrupt are static: see source.c.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define NONE SYM_SOURCE_NONE

void
sym_select_check_list(const char *list, const char *opt)
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
parse_classes(const struct sym_source *s, const char *list, const char *opt,
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

void
sym_source_select(const struct sym_source *s, const struct sym_select *sel,
    uint32_t **order, uint32_t *nout, uint32_t **newcls, uint32_t *nsel)
{
	static uint8_t *mark, *ex;
	static uint32_t *count;
	uint32_t *ord, *nc, n = 0, k = 0;
	struct sym_rng rng;

	/* index nclasses is the group of images without a class: kept,
	 * unless --classes picks classes by name */
	mark = sym_ecalloc((size_t)s->nclasses + 1, 1);
	if (sel->classes)
		parse_classes(s, sel->classes, "--classes", mark);
	else
		memset(mark, 1, s->nclasses);
	mark[s->nclasses] = s->nunl > 0 && !sel->classes;
	if (sel->exclude) {
		ex = sym_ecalloc((size_t)s->nclasses + 1, 1);
		parse_classes(s, sel->exclude, "--exclude-classes", ex);
		for (uint32_t c = 0; c < s->nclasses; c++)
			mark[c] &= !ex[c];
		free(ex);
	}
	nc = *newcls = sym_emalloc((s->nclasses + 1) * sizeof(uint32_t));
	for (uint32_t c = 0; c < s->nclasses; c++)
		nc[c] = mark[c] ? k++ : NONE;
	nc[s->nclasses] = SYM_NOLABEL;
	*nsel = k;
	if (k == 0 && !mark[s->nclasses])
		sym_die("no classes selected");
	ord = *order = sym_emalloc(((size_t)s->n + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < s->n; i++)
		if (mark[s->cls[i]])
			ord[n++] = i;
	free(mark);
	if (sel->shuffle) {
		sym_rng_seed(&rng, sel->seed);
		sym_rng_shuffle_u32(&rng, ord, n);
	}
	if (sel->per_class) {
		k = 0;
		count = sym_ecalloc((size_t)s->nclasses + 1, sizeof(uint32_t));
		for (uint32_t j = 0; j < n; j++)
			if (count[s->cls[ord[j]]]++ < sel->per_class)
				ord[k++] = ord[j];
		n = k;
		free(count);
	}
	if (sel->limit && n > sel->limit)
		n = sel->limit;
	if (n == 0)
		sym_die("no images selected");
	*nout = n;
}
