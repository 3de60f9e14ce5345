/*
 * test_support.c: the library calls behind sym-load's selection and
 * sym-match's support sets and summary, on hand-made data with exact
 * answers: which items a class list, --per-class and --limit keep and
 * their labels; support files merged by class name, as examples and as
 * means; the summary's exact text.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"
#include "unit.h"

/* A source of 4 classes, items in class order 0,1,2,3,0,1,2,3,... and
 * 2 items without a class at the end (index 4 = nclasses). */
static void
make_source(struct sym_source *s, char **names)
{
	static uint32_t cls[14];

	memset(s, 0, sizeof *s);
	s->desc = "test";
	s->nclasses = 4;
	s->classes = names;
	s->n = 14;
	for (uint32_t i = 0; i < 12; i++)
		cls[i] = i % 4;
	cls[12] = cls[13] = 4;
	s->cls = cls;
	s->nunl = 2;
}

static void
test_select(void)
{
	char *names[] = { "Greek/a", "Greek/b", "Latin/a", "Latin/b" };
	struct sym_source s;
	struct sym_select sel;
	uint32_t *order, *newcls, nout, nsel;

	make_source(&s, names);

	/* everything, in file order, the classless items too */
	memset(&sel, 0, sizeof sel);
	sym_source_select(&s, &sel, &order, &nout, &newcls, &nsel);
	CHECK(nout == 14 && nsel == 4);
	CHECK(order[0] == 0 && order[13] == 13);
	CHECK(newcls[0] == 0 && newcls[3] == 3 && newcls[4] == SYM_NOLABEL);
	free(order);
	free(newcls);

	/* a pattern and an index: classes renumbered densely, the
	 * classless items dropped (classes were picked) */
	sel.classes = "Latin/*";
	sym_source_select(&s, &sel, &order, &nout, &newcls, &nsel);
	CHECK(nsel == 2 && nout == 6);
	CHECK(newcls[0] == SYM_SOURCE_NONE && newcls[1] == SYM_SOURCE_NONE);
	CHECK(newcls[2] == 0 && newcls[3] == 1);
	CHECK(order[0] == 2 && order[1] == 3 && order[5] == 11);
	free(order);
	free(newcls);

	/* a range minus a name, at most 2 per class, at most 3 in all */
	sel.classes = "0-2";
	sel.exclude = "Greek/b";
	sel.per_class = 2;
	sel.limit = 3;
	sym_source_select(&s, &sel, &order, &nout, &newcls, &nsel);
	CHECK(nsel == 2 && nout == 3);
	CHECK(newcls[0] == 0 && newcls[1] == SYM_SOURCE_NONE &&
	    newcls[2] == 1);
	CHECK(order[0] == 0 && order[1] == 2 && order[2] == 4);
	free(order);
	free(newcls);

	/* shuffled: a permutation, not file order, the same under the
	 * same seed and another under another */
	memset(&sel, 0, sizeof sel);
	sel.shuffle = 1;
	sel.seed = 7;
	{
		uint32_t *o2, *n2, m2, k2, seen = 0, moved = 0;

		sym_source_select(&s, &sel, &order, &nout, &newcls, &nsel);
		sym_source_select(&s, &sel, &o2, &m2, &n2, &k2);
		CHECK(nout == 14 && m2 == 14);
		CHECK(memcmp(order, o2, 14 * sizeof *order) == 0);
		for (uint32_t i = 0; i < nout; i++) {
			seen |= 1u << order[i];
			moved += order[i] != i;
		}
		CHECK(seen == (1u << 14) - 1);
		CHECK(moved >= 7);
		free(o2);
		free(n2);
		sel.seed = 8;
		sym_source_select(&s, &sel, &o2, &m2, &n2, &k2);
		CHECK(memcmp(order, o2, 14 * sizeof *order) != 0);
		free(o2);
		free(n2);
	}
	free(order);
	free(newcls);

	/* shuffled picks of at most 1 per class: one of each, in the
	 * shuffled order, not always each class's first */
	sel.per_class = 1;
	{
		uint32_t firsts = 0;

		for (uint64_t seed = 1; seed <= 8; seed++) {
			uint32_t cnt[5] = { 0 };

			sel.seed = seed;
			sym_source_select(&s, &sel, &order, &nout, &newcls,
			    &nsel);
			CHECK(nout == 5);
			for (uint32_t i = 0; i < nout; i++) {
				cnt[s.cls[order[i]]]++;
				firsts += order[i] < 4;
			}
			CHECK(cnt[0] == 1 && cnt[3] == 1 && cnt[4] == 1);
			free(order);
			free(newcls);
		}
		CHECK(firsts < 32);
	}
}

/* An embeddings file of D = 2 with the given class names; label[i] of
 * row i (SYM_NOLABEL: none), row i = (i + base, 10 * label). */
static void
write_emb(const char *path, const char *model, char **names, int ncls,
    const uint32_t *label, int n, float base)
{
	struct sym_header h;
	struct sym_writer *w;
	FILE *f = fopen(path, "wb");

	sym_header_init(&h, SYM_EMBEDDINGS, SYM_F32, 1, 1, 2);
	for (int c = 0; c < ncls; c++)
		sym_header_add_class(&h, names[c]);
	sym_header_set_meta(&h, "model-id", model);
	w = sym_writer_new(f, path, &h);
	for (int i = 0; i < n; i++) {
		float v[2] = { (float)i + base, label[i] == SYM_NOLABEL ? -1.0f :
		    10.0f * (float)label[i] };

		CHECK(sym_write_item(w, label[i], v) == 0);
	}
	CHECK(sym_writer_close(w) == 0);
	CHECK(fclose(f) == 0);
	sym_header_free(&h);
}

static void
test_support(const char *dir)
{
	char a[512], b[512], *na[] = { "cat", "dog" }, *nb[] = { "emu",
	    "dog" };
	const char *paths[2] = { a, b };
	uint32_t la[] = { 0, 1, 0 }, lb[] = { 1, SYM_NOLABEL, 0 };
	struct sym_support s;
	struct sym_tally t;
	struct sym_header qh;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(a, sizeof a, "%s/a.emb", dir);
	snprintf(b, sizeof b, "%s/b.emb", dir);
	write_emb(a, "m1", na, 2, la, 3, 0);
	write_emb(b, "m1", nb, 2, lb, 3, 100);

	/* examples: b's "dog" is a's, "emu" is new; b's row 1 has no
	 * class and stands for itself as "#4" (row 4 of the merged set) */
	sym_support_read(&s, paths, 2, 0);
	CHECK(s.D == 2 && s.n == 6 && s.nnames == 3 && s.nunl == 1);
	CHECK(s.nused == 4);
	CHECK(strcmp(s.names[0], "cat") == 0 &&
	    strcmp(s.names[1], "dog") == 0 && strcmp(s.names[2], "emu") == 0);
	CHECK(s.lab[0] == 0 && s.lab[1] == 1 && s.lab[2] == 0);
	CHECK(s.lab[3] == 1 && s.lab[4] == 3 + 4 && s.lab[5] == 2);
	CHECK(strcmp(sym_support_name(&s, 2), "emu") == 0);
	CHECK(strcmp(sym_support_name(&s, 7), "#4") == 0);
	CHECK(sym_support_class(&s, "dog") == 1);
	CHECK(sym_support_class(&s, "emu") == 2);
	CHECK(sym_support_class(&s, "yak") == -1);
	CHECK(s.x[2 * 5] == 102.0f && s.x[2 * 5 + 1] == 0.0f);
	sym_support_free(&s);

	/* means: one row per class in merged order (cat: rows 0, 2 of a;
	 * dog: row 1 of a and row 0 of b; emu: row 2 of b), then the
	 * classless row */
	sym_support_read(&s, paths, 2, 1);
	CHECK(s.n == 4);
	CHECK(s.lab[0] == 0 && s.lab[1] == 1 && s.lab[2] == 2 &&
	    s.lab[3] == 7);
	CHECK(s.x[0] == 1.0f && s.x[1] == 0.0f);		/* cat */
	CHECK(s.x[2] == 50.5f && s.x[3] == 10.0f);		/* dog */
	CHECK(s.x[4] == 102.0f && s.x[5] == 0.0f);		/* emu */
	CHECK(s.x[6] == 101.0f && s.x[7] == -1.0f);		/* #4 */

	/* the summary of 4 queries of classes dog, dog, yak, cat */
	sym_header_init(&qh, SYM_EMBEDDINGS, SYM_F32, 1, 1, 2);
	sym_header_add_class(&qh, "dog");
	sym_header_add_class(&qh, "yak");
	sym_header_add_class(&qh, "cat");
	memset(&t, 0, sizeof t);
	sym_tally_add(&t, 0, 1, 1, 1);		/* dog -> dog */
	sym_tally_add(&t, 0, 0, 0, 1);		/* dog -> cat */
	sym_tally_add(&t, 1, -1, 0, 1);		/* yak -> unknown */
	sym_tally_add(&t, 2, 3, 0, 1);		/* cat -> a classless row */
	f = open_memstream(&buf, &len);
	sym_tally_print(f, &t, &qh, &s, 1, 1);
	fclose(f);
	CHECK(strcmp(buf,
	    "accuracy: 0.2500 (4 queries)\n"
	    "class dog: 0.5000 (1/2)\n"
	    "class yak: 0.0000 (0/1)\n"
	    "class cat: 0.0000 (0/1)\n"
	    "confusion: rows true, columns predicted\n"
	    "true\\pred\tcat\tdog\temu\t#\tunknown\n"
	    "dog\t1\t1\t0\t0\t0\n"
	    "yak\t0\t0\t0\t0\t1\n"
	    "cat\t0\t0\t0\t1\t0\n") == 0);
	if (buf && unit_fail)
		fputs(buf, stderr);
	free(buf);
	sym_tally_free(&t);
	sym_header_free(&qh);
	sym_support_free(&s);
	unlink(a);
	unlink(b);
}

int
main(void)
{
	char dir[] = "/tmp/test_support.XXXXXX";

	sym_setprog("test_support");
	test_select();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_support(dir);
	rmdir(dir);
	return UNIT_END();
}
