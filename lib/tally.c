/*
 * tally.c: sym-match's summary of a classification: accuracy over the
 * labelled queries, per query class, and the confusion matrix against
 * the support's classes.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

void
sym_tally_add(struct sym_tally *t, uint32_t qc, long pred, int right, int conf)
{
	if (qc >= t->nq) {
		uint32_t n = qc + 1;

		t->qn = sym_erealloc(t->qn, n * sizeof *t->qn);
		t->qright = sym_erealloc(t->qright, n * sizeof *t->qright);
		memset(t->qn + t->nq, 0, (n - t->nq) * sizeof *t->qn);
		memset(t->qright + t->nq, 0, (n - t->nq) * sizeof *t->qright);
		t->nq = n;
	}
	t->n++;
	t->right += right;
	t->qn[qc]++;
	t->qright[qc] += right;
	if (conf) {
		if (t->nconf == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 1024;
			t->conf = sym_erealloc(t->conf, t->cap * 2 *
			    sizeof *t->conf);
		}
		t->conf[2 * t->nconf] = qc;
		t->conf[2 * t->nconf + 1] = (uint32_t)(pred + 1);
		t->nconf++;
	}
}

void
sym_tally_print(FILE *f, const struct sym_tally *t,
    const struct sym_header *qh, const struct sym_support *s, int confusion,
    int reject)
{
	uint64_t *m;
	uint32_t c, p, ncol = s->nnames + 2;
	size_t i;

	if (t->n == 0) {
		fprintf(f, "accuracy: n/a (0 labelled queries)\n");
		return;
	}
	fprintf(f, "accuracy: %.4f (%llu queries)\n",
	    (double)t->right / t->n, (unsigned long long)t->n);
	for (c = 0; c < t->nq; c++)
		if (t->qn[c])
			fprintf(f, "class %s: %.4f (%llu/%llu)\n",
			    qh->classes[c], (double)t->qright[c] / t->qn[c],
			    (unsigned long long)t->qright[c],
			    (unsigned long long)t->qn[c]);
	if (!confusion)
		return;
	/* rows: true classes seen; columns: support classes, unknown */
	m = sym_ecalloc((size_t)t->nq * ncol + 1, sizeof *m);
	for (i = 0; i < t->nconf; i++)
		m[(size_t)t->conf[2 * i] * ncol + t->conf[2 * i + 1]]++;
	fprintf(f, "confusion: rows true, columns predicted\ntrue\\pred");
	for (p = 0; p < s->nnames; p++)
		fprintf(f, "\t%s", s->names[p]);
	if (s->nunl)
		fprintf(f, "\t#");
	fprintf(f, "%s\n", reject ? "\tunknown" : "");
	for (c = 0; c < t->nq; c++) {
		if (!t->qn[c])
			continue;
		fprintf(f, "%s", qh->classes[c]);
		for (p = 1; p < ncol - !s->nunl; p++)
			fprintf(f, "\t%llu", (unsigned long long)m[
			    (size_t)c * ncol + p]);
		if (reject)
			fprintf(f, "\t%llu", (unsigned long long)m[
			    (size_t)c * ncol]);
		fputc('\n', f);
	}
	free(m);
}

void
sym_tally_free(struct sym_tally *t)
{
	free(t->qn);
	free(t->qright);
	free(t->conf);
}
