/* test_model.c: model files round-trip exactly, and damaged, truncated,
 * foreign or newer files are refused with the right message. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"
#include "unit.h"

/* Serialise m into a malloc'd buffer. */
static unsigned char *
to_bytes(struct sym_model *m, size_t *n)
{
	FILE *f = tmpfile();
	unsigned char *buf;
	long len;

	if (!f)
		return NULL;
	CHECK(sym_model_write(m, f, "tmp") == 0);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? (size_t)len : 1);
	*n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	return buf;
}

static int
has(const char *msg, const char *part)
{
	if (strstr(msg, part))
		return 1;
	fprintf(stderr, "message '%s' lacks '%s'\n", msg, part);
	return 0;
}

static struct sym_model *
make(const char *arch, int loss, int unshared, int train)
{
	struct sym_model *m = sym_model_new(arch, loss, 0.75f, 1, 12, 10,
	    unshared);
	struct sym_rng r;

	if (!m)
		return NULL;
	sym_rng_seed(&r, 7);
	sym_model_init(m, &r);
	/* batch-norm state too, so it is not all zeros and ones */
	for (size_t i = 0; i < sym_net_nstate(m->tower[0]); i++)
		sym_net_state(m->tower[0])[i] = (float)sym_rng_normal(&r);
	sym_model_set_meta(m, "source", "unit test");
	sym_model_set_meta(m, "seed", "7");
	if (train) {
		struct sym_model_train *t = sym_model_train_attach(m);

		t->optimizer = SYM_ADAM;
		t->beta1 = 0.9f;
		t->beta2 = 0.999f;
		t->eps = 1e-8f;
		t->t = 1234;
		t->epoch = 3;
		t->step = 17;
		t->seed = 7;
		for (size_t i = 0; i < t->n; i++) {
			t->m[i] = (float)sym_rng_normal(&r);
			t->v[i] = (float)sym_rng_uniform(&r);
		}
		t->has_best = 1;
		t->best = 0.625f;
		t->best_epoch = 2;
		t->nsnap = sym_model_nvalues(m);
		t->snap = malloc(t->nsnap * sizeof(float));
		for (size_t i = 0; i < t->nsnap; i++)
			t->snap[i] = (float)i;
	}
	return m;
}

/* Write, parse, compare every value, and write again byte for byte. */
static void
round_trip(const char *arch, int loss, int unshared, int train)
{
	struct sym_model *m = make(arch, loss, unshared, train), *m2;
	unsigned char *a, *b;
	size_t na, nb, nv;
	float *va, *vb;

	CHECK(m != NULL);
	if (!m)
		return;
	a = to_bytes(m, &na);
	CHECK(a && na > 84);
	CHECK(memcmp(a, SYM_MODEL_MAGIC, SYM_MODEL_MAGIC_LEN) == 0);
	m2 = sym_model_parse(a, na, "mem");
	CHECK(m2 != NULL);
	if (!m2) {
		fprintf(stderr, "%s\n", sym_strerror());
		free(a);
		sym_model_free(m);
		return;
	}
	CHECK(m2->loss == loss && m2->margin == 0.75f && m2->dim == m->dim);
	CHECK(m2->c == 1 && m2->h == 12 && m2->w == 10);
	CHECK(m2->unshared == unshared);
	CHECK(m2->scale == 1.0f / 255.0f && m2->offset == 0.0f);
	CHECK(strcmp(sym_net_spec(m2->tower[0]),
	    sym_net_spec(m->tower[0])) == 0);
	CHECK(strcmp(sym_model_get_meta(m2, "source"), "unit test") == 0);
	CHECK(m2->crc == m->crc);
	nv = sym_model_nvalues(m);
	CHECK(sym_model_nvalues(m2) == nv);
	va = malloc(nv * sizeof(float));
	vb = malloc(nv * sizeof(float));
	sym_model_get_values(m, va);
	sym_model_get_values(m2, vb);
	CHECK(memcmp(va, vb, nv * sizeof(float)) == 0);
	CHECK((m2->train != NULL) == train);
	if (train && m2->train) {
		struct sym_model_train *t = m->train, *t2 = m2->train;

		CHECK(t2->t == 1234 && t2->epoch == 3 && t2->step == 17);
		CHECK(t2->seed == 7 && t2->has_best && t2->best == 0.625f);
		CHECK(t2->best_epoch == 2 && t2->optimizer == SYM_ADAM);
		CHECK(memcmp(t->m, t2->m, t->n * sizeof(float)) == 0);
		CHECK(memcmp(t->v, t2->v, t->n * sizeof(float)) == 0);
		CHECK(t2->nsnap == nv);
		CHECK(memcmp(t->snap, t2->snap, nv * sizeof(float)) == 0);
	}
	b = to_bytes(m2, &nb);
	CHECK(nb == na && memcmp(a, b, na) == 0);
	free(va);
	free(vb);
	free(a);
	free(b);
	sym_model_free(m);
	sym_model_free(m2);
}

static void
damage(void)
{
	struct sym_model *m = make("mlp", SYM_LOSS_BCE, 0, 1), *m2;
	unsigned char *a;
	size_t n, cut[] = { 0, 3, 8, 40, 83, 200, 0, 0 };

	CHECK(m != NULL);
	if (!m)
		return;
	a = to_bytes(m, &n);

	/* one flipped bit in the parameters */
	a[n / 2] ^= 0x10;
	m2 = sym_model_parse(a, n, "M");
	CHECK(m2 == NULL);
	CHECK(has(sym_strerror(),
	    "M: checksum mismatch (file damaged)"));
	a[n / 2] ^= 0x10;

	/* cut anywhere: truncated */
	cut[6] = n / 2;
	cut[7] = n - 1;
	for (int i = 1; i < 8; i++) {
		m2 = sym_model_parse(a, cut[i], "M");
		CHECK(m2 == NULL);
		CHECK(has(sym_strerror(), "M: truncated model file"));
	}
	m2 = sym_model_parse(a, 0, "M");
	CHECK(m2 == NULL);
	CHECK(has(sym_strerror(), "M: not a sym model"));

	/* a stream, or text, is not a model */
	memcpy(a, "\223SYM\r\n\032\n", 8);
	CHECK(sym_model_parse(a, n, "M") == NULL);
	CHECK(has(sym_strerror(), "M: not a sym model"));
	memcpy(a, SYM_MODEL_MAGIC, 8);

	/* a newer major version is refused as such */
	sym_put_u16(a + 8, 2);
	sym_put_u16(a + 10, 0);
	CHECK(sym_model_parse(a, n, "M") == NULL);
	CHECK(has(sym_strerror(), "M: model version 2.0 is newer than this "
	    "program (1.x)"));

	/* a newer minor version is read */
	sym_put_u16(a + 8, 1);
	sym_put_u16(a + 10, 9);
	sym_put_u32(a + n - 4, sym_crc32(0, a, n - 4));
	m2 = sym_model_parse(a, n, "M");
	CHECK(m2 != NULL);
	sym_model_free(m2);

	/* a huge count with a valid checksum: refused before allocating */
	sym_put_u64(a + 48, (uint64_t)1 << 40);
	sym_put_u32(a + n - 4, sym_crc32(0, a, n - 4));
	CHECK(sym_model_parse(a, n, "M") == NULL);
	CHECK(has(sym_strerror(), "M: impossible sizes"));
	free(a);
	sym_model_free(m);
}

static void
saving(void)
{
	struct sym_model *m = make("mlp", SYM_LOSS_CONTRASTIVE, 0, 0), *m2;
	char path[] = "/tmp/sym-test-model-XXXXXX";
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && m);
	if (fd < 0 || !m)
		return;
	close(fd);
	CHECK(sym_model_save(m, path) == 0);
	m2 = sym_model_load(path);
	CHECK(m2 && m2->crc == m->crc);
	sym_model_free(m2);
	/* print_info has the fields sym-info shows */
	f = tmpfile();
	if (f) {
		char buf[4096];
		size_t k;

		CHECK(sym_model_print_info(f, m, path) == 0);
		rewind(f);
		k = fread(buf, 1, sizeof(buf) - 1, f);
		buf[k] = 0;
		CHECK(has(buf, "kind: model\n"));
		CHECK(has(buf, "loss: contrastive\n"));
		CHECK(has(buf, "input: 1x12x10 u8\n"));
		CHECK(has(buf, "meta: source=unit test\n"));
		fclose(f);
	}
	unlink(path);
	CHECK(sym_model_save(m, "/nonexistent-dir/x.model") < 0);
	CHECK(has(sym_strerror(), "/nonexistent-dir/x.model"));
	CHECK(sym_model_load("/nonexistent-dir/x.model") == NULL);
	sym_model_free(m);
}

/* Views: names, the flag bits in the file, and exact embeddings through
 * a tower that is the identity ("flatten": the embedding is the image). */
static void
views(void)
{
	/* 3 x 3 image 1..9; turned a quarter clockwise and mirrored */
	static const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const float turn1[9] = { 7, 4, 1, 8, 5, 2, 9, 6, 3 };
	static const float mirror[9] = { 3, 2, 1, 6, 5, 4, 9, 8, 7 };
	float tmp[9], out[9 * 8];
	struct sym_model *m, *m2;
	unsigned char *a;
	char name[64];
	size_t n;

	CHECK(sym_views_parse("turns,mirror,shifts") == SYM_VIEW_ALL);
	CHECK(sym_views_parse("shifts,turns") ==
	    (SYM_VIEW_SHIFTS | SYM_VIEW_TURNS));
	CHECK(sym_views_parse("none") == 0);
	CHECK(sym_views_parse("turn") < 0);
	CHECK(has(sym_strerror(), "unknown view 'turn' (turns, mirror, "
	    "shifts or none)"));
	CHECK(sym_views_parse("turns,") < 0);
	CHECK(sym_views_parse("") < 0);
	CHECK(strcmp(sym_views_name(SYM_VIEW_ALL, name, sizeof(name)),
	    "turns,mirror,shifts") == 0);
	CHECK(strcmp(sym_views_name(0, name, sizeof(name)), "none") == 0);
	CHECK(sym_views_count(SYM_VIEW_ALL) == 8);
	CHECK(sym_views_count(SYM_VIEW_SHIFTS) == 1);
	CHECK(sym_views_check(SYM_VIEW_TURNS, SYM_LOSS_BCE, 3, 3) < 0);
	CHECK(has(sym_strerror(), "views need a distance head"));
	CHECK(sym_views_check(SYM_VIEW_TURNS, SYM_LOSS_PROTO, 3, 4) < 0);
	CHECK(has(sym_strerror(), "turns need square images, not 4x3"));
	CHECK(sym_views_check(SYM_VIEW_MIRROR, SYM_LOSS_PROTO, 3, 4) == 0);

	m = sym_model_new("flatten", SYM_LOSS_PROTO, 1, 1, 3, 3, 0);
	CHECK(m && m->dim == 9);
	if (!m)
		return;
	/* proto: views side by side, unscaled */
	sym_model_embed(m, SYM_VIEW_TURNS | SYM_VIEW_MIRROR, x, 1, tmp, out);
	CHECK(memcmp(out, x, sizeof(x)) == 0);
	CHECK(memcmp(out + 9, turn1, sizeof(x)) == 0);
	CHECK(out[18] == 9 && out[26] == 1);	/* half a turn */
	CHECK(memcmp(out + 36, mirror, sizeof(x)) == 0);
	/* shifts: pixel (0, 0) is the mean of itself, the pixel below,
	 * the one to its right and two of background (offset 0) */
	sym_model_embed(m, SYM_VIEW_SHIFTS, x, 1, tmp, out);
	CHECK_NEAR(out[0], (1 + 4 + 2) / 5.0, 1e-6);
	CHECK_NEAR(out[4], (5 + 2 + 8 + 4 + 6) / 5.0, 1e-6);
	/* contrastive: each view scaled by 1 / sqrt(views) */
	m->loss = SYM_LOSS_CONTRASTIVE;
	sym_model_embed(m, SYM_VIEW_TURNS, x, 1, tmp, out);
	CHECK_NEAR(out[9], turn1[0] / 2.0, 1e-6);

	/* the bits go into the file and back; a pair head refuses them */
	m->loss = SYM_LOSS_PROTO;
	m->views = SYM_VIEW_TURNS | SYM_VIEW_SHIFTS;
	a = to_bytes(m, &n);
	CHECK(a && sym_get_u32(a + 12) == ((SYM_VIEW_TURNS |
	    SYM_VIEW_SHIFTS) << 2));
	m2 = a ? sym_model_parse(a, n, "M") : NULL;
	CHECK(m2 && m2->views == (SYM_VIEW_TURNS | SYM_VIEW_SHIFTS));
	sym_model_free(m2);
	if (a) {
		sym_put_u32(a + 16, SYM_LOSS_BCE);
		sym_put_u32(a + n - 4, sym_crc32(0, a, n - 4));
		CHECK(sym_model_parse(a, n, "M") == NULL);
		CHECK(has(sym_strerror(), "M: views need a distance head "
		    "(contrastive or proto), not bce (damaged model)"));
		sym_put_u32(a + 16, SYM_LOSS_PROTO);
		sym_put_u32(a + 12, 1u << 5);
		sym_put_u32(a + n - 4, sym_crc32(0, a, n - 4));
		CHECK(sym_model_parse(a, n, "M") == NULL);
		CHECK(has(sym_strerror(), "M: unknown flags"));
	}
	free(a);
	sym_model_free(m);
}

int
main(void)
{
	round_trip("mlp", SYM_LOSS_CONTRASTIVE, 0, 0);
	round_trip("mlp", SYM_LOSS_BCE, 0, 1);
	round_trip("mlp", SYM_LOSS_CONCAT, 1, 1);
	round_trip("conv:4:3,bn,relu,pool:2,flatten,dense:8",
	    SYM_LOSS_PROTO, 0, 0);
	damage();
	saving();
	views();
	return UNIT_END();
}
