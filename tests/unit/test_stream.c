/* test_stream.c: the sym stream byte for byte, its reader's checks, and
 * the pair/episode sampler. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"
#include "unit.h"

/* Write a stream into a malloc'd buffer with open_memstream. */
static unsigned char *
make_images(size_t *len, uint64_t announce, int nitems)
{
	char *buf;
	FILE *f = open_memstream(&buf, len);
	struct sym_header h;
	struct sym_writer *w;
	uint8_t px[4];

	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 2, 2);
	h.nitems = announce;
	sym_header_add_class(&h, "a");
	sym_header_add_class(&h, "b");
	sym_header_set_meta(&h, "source", "test");
	w = sym_writer_new(f, "mem", &h);
	for (int i = 0; i < nitems; i++) {
		for (int k = 0; k < 4; k++)
			px[k] = (uint8_t)(10 * i + k);
		sym_write_item(w, (uint32_t)(i % 2), px);
	}
	sym_writer_close(w);
	sym_header_free(&h);
	fclose(f);
	return (unsigned char *)buf;
}

/* Read a whole buffer; returns records read, or -1 on error. */
static long
read_all(const unsigned char *buf, size_t len, char *err, size_t errn)
{
	FILE *f = fmemopen((void *)buf, len ? len : 1, "rb");
	struct sym_reader *r;
	struct sym_record rec;
	long n = 0;
	int rc;

	if (len == 0) {
		/* fmemopen of size 0 is not portable: read an empty file */
		fclose(f);
		f = tmpfile();
	}
	r = sym_reader_open(f, "mem");
	if (!r) {
		snprintf(err, errn, "%s", sym_strerror());
		fclose(f);
		return -1;
	}
	while ((rc = sym_read(r, &rec)) > 0)
		n++;
	if (rc < 0) {
		snprintf(err, errn, "%s", sym_strerror());
		n = -1;
	}
	sym_reader_close(r);
	fclose(f);
	return n;
}

static void
test_exact_bytes(void)
{
	size_t len;
	unsigned char *b = make_images(&len, 1, 1);
	static const unsigned char want[] = {
		0x93, 'S', 'Y', 'M', '\r', '\n', 0x1a, '\n',
		1, 0, 0, 0,			/* version 1.0 */
		1, 1, 0, 0,			/* images, u8, reserved */
		1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0,	/* 1x2x2 */
		1, 0, 0, 0, 0, 0, 0, 0,		/* 1 item */
		0, 0, 0, 0, 0, 0, 0, 0,		/* 0 pairs */
		2, 0, 0, 0, 1, 0, 0, 0,		/* 2 classes, 1 meta */
		22, 0, 0, 0,			/* strings bytes */
		1, 0, 'a', 1, 0, 'b',
		6, 0, 's', 'o', 'u', 'r', 'c', 'e', 4, 0, 0, 0,
		't', 'e', 's', 't',
		0x01, 0, 0, 0, 0, 0, 1, 2, 3	/* item: label 0, pixels */
	};

	CHECK(len == sizeof(want));
	CHECK(len == sizeof(want) && memcmp(b, want, len) == 0);
	free(b);
}

static void
test_roundtrip_kinds(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct sym_header h;
	struct sym_writer *w;
	struct sym_reader *r;
	struct sym_record rec;
	float v[3] = { 1.5f, -2.25f, 1e-30f }, v2[3] = { 0, 3, 4 };

	/* embeddings */
	sym_header_init(&h, SYM_EMBEDDINGS, SYM_F32, 1, 1, 3);
	h.nitems = 2;
	sym_header_add_class(&h, "x");
	w = sym_writer_new(f, "mem", &h);
	CHECK(sym_write_item(w, 0, v) == 0);
	CHECK(sym_write_item(w, SYM_NOLABEL, v2) == 0);
	CHECK(sym_write_item(w, 0, v2) < 0);	/* over the promise */
	CHECK(sym_writer_close(w) == 0);
	sym_header_free(&h);
	fclose(f);
	f = fmemopen(buf, len, "rb");
	r = sym_reader_open(f, "mem");
	CHECK(r != NULL);
	CHECK(sym_read(r, &rec) == 1 && rec.label == 0 &&
	    memcmp(rec.f32, v, 12) == 0);
	CHECK(sym_read(r, &rec) == 1 && rec.label == SYM_NOLABEL &&
	    rec.f32[2] == 4);
	CHECK(sym_read(r, &rec) == 0);
	sym_reader_close(r);
	fclose(f);
	free(buf);

	/* pairs: items then (a, b, same) */
	f = open_memstream(&buf, &len);
	sym_header_init(&h, SYM_PAIRS, SYM_U8, 1, 1, 2);
	h.nitems = 2;
	h.npairs = 2;
	sym_header_add_class(&h, "p");
	sym_header_add_class(&h, "q");
	w = sym_writer_new(f, "mem", &h);
	CHECK(sym_write_pair(w, 0, 0, 1) < 0);	/* no item yet */
	CHECK(sym_write_item(w, 0, "\1\2") == 0);
	CHECK(sym_write_item(w, 1, "\3\4") == 0);
	CHECK(sym_write_pair(w, 0, 1, 0) == 0);
	CHECK(sym_write_pair(w, 1, 1, 1) == 0);
	CHECK(sym_write_item(w, 1, "\3\4") < 0);	/* items before pairs */
	CHECK(sym_writer_close(w) == 0);
	sym_header_free(&h);
	fclose(f);
	/* cat p p: the second segment's pairs index its own items */
	buf = realloc(buf, 2 * len);
	memcpy(buf + len, buf, len);
	f = fmemopen(buf, 2 * len, "rb");
	r = sym_reader_open(f, "mem");
	{
		struct sym_dataset d;
		int rc_ = sym_dataset_read(&d, r, 0);
		if (rc_) fprintf(stderr, "%s\n", sym_strerror());
		CHECK(rc_ == 0);
		CHECK(d.n == 4 && d.npairs == 4);
		CHECK(d.pa[2] == 2 && d.pb[2] == 3 && d.psame[2] == 0);
		CHECK(d.pa[3] == 3 && d.pb[3] == 3 && d.psame[3] == 1);
		CHECK(d.hdr.nclasses == 2 && d.u8[6] == 3);
		sym_dataset_free(&d);
	}
	CHECK(sym_reader_segments(r) == 2);
	sym_reader_close(r);
	fclose(f);
	free(buf);
}

static void
test_concat_merge(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct sym_header h;
	struct sym_writer *w;
	struct sym_reader *r;
	struct sym_record rec;
	const char *names[2][2] = { { "x", "y" }, { "z", "y" } };

	for (int s = 0; s < 2; s++) {
		sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 1, 1);
		sym_header_add_class(&h, names[s][0]);
		sym_header_add_class(&h, names[s][1]);
		w = sym_writer_new(f, "mem", &h);	/* count unknown */
		sym_write_item(w, 0, "\0");
		sym_write_item(w, 1, "\1");
		sym_writer_close(w);
		sym_header_free(&h);
	}
	fclose(f);
	f = fmemopen(buf, len, "rb");
	r = sym_reader_open(f, "mem");
	uint32_t labels[4];
	for (int i = 0; i < 4; i++) {
		CHECK(sym_read(r, &rec) == 1);
		labels[i] = rec.label;
	}
	CHECK(sym_read(r, &rec) == 0);
	const struct sym_header *m = sym_reader_header(r);
	CHECK(m->nclasses == 3);
	CHECK(strcmp(m->classes[2], "z") == 0);
	CHECK(labels[0] == 0 && labels[1] == 1 && labels[2] == 2 &&
	    labels[3] == 1);
	sym_reader_close(r);
	fclose(f);
	free(buf);
}

static void
test_truncation_everywhere(void)
{
	size_t len;
	unsigned char *b = make_images(&len, 3, 3);
	char err[512];
	int bad = 0;

	CHECK(read_all(b, len, err, sizeof(err)) == 3);
	for (size_t cut = 0; cut < len; cut++)
		if (read_all(b, cut, err, sizeof(err)) != -1)
			bad++;
	CHECK(bad == 0);
	CHECK(read_all(b, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "empty input") != NULL);
	CHECK(read_all(b, len - 1, err, sizeof(err)) == -1 &&
	    strcmp(err, "mem: truncated stream after 2 of 3 records") == 0);
	/* a header that promises 3 but the stream ends on a boundary */
	CHECK(read_all(b, len - 9, err, sizeof(err)) == -1 &&
	    strcmp(err, "mem: truncated stream after 2 of 3 records") == 0);
	free(b);
}

static void
test_bad_headers(void)
{
	size_t len;
	unsigned char *b = make_images(&len, 1, 1), *c;
	char err[512];

	c = malloc(len);
#define MUTATE(off, val) (memcpy(c, b, len), c[off] = (val), \
	read_all(c, len, err, sizeof(err)))
	CHECK(MUTATE(0, 'X') == -1 && strstr(err, "bad magic"));
	CHECK(MUTATE(8, 2) == -1 && strstr(err, "version 2.0"));
	CHECK(MUTATE(12, 9) == -1 && strstr(err, "unknown stream kind"));
	CHECK(MUTATE(13, 2) == -1 && strstr(err, "images must be u8"));
	CHECK(MUTATE(19, 0x7f) == -1 && strstr(err, "impossible shape"));
	/* 40000 x 40000: each side legal, the record too large */
	memcpy(c, b, len);
	sym_put_u32(c + 20, 40000);
	sym_put_u32(c + 24, 40000);
	CHECK(read_all(c, len, err, sizeof(err)) == -1 &&
	    strstr(err, "too large"));
	/* a class count no strings section can hold: refused before
	 * allocating */
	memcpy(c, b, len);
	sym_put_u32(c + 44, 0xfffffff0u);
	CHECK(read_all(c, len, err, sizeof(err)) == -1 &&
	    strstr(err, "classes"));
	/* label 7 with 2 classes */
	CHECK(MUTATE(len - 8, 7) == -1 && strstr(err, "label 7 out of range"));
	CHECK(MUTATE(len - 9, 0x55) == -1 && strstr(err, "bad record tag"));
	/* duplicate class names: "a" twice */
	CHECK(MUTATE(61, 'a') == -1 && strstr(err, "named twice"));
	/* control characters in names: they would break sym-match's TSV */
	CHECK(MUTATE(61, '\t') == -1 && strcmp(err, "mem: bad header: class "
	    "1: a class name with a control character (0x09)") == 0);
	CHECK(MUTATE(58, 0x7f) == -1 && strstr(err, "class 0: a class name "
	    "with a control character (0x7f)"));
	/* a lone continuation byte is no UTF-8 */
	CHECK(MUTATE(58, 0x80) == -1 && strcmp(err, "mem: bad header: class "
	    "0: a class name that is not UTF-8") == 0);
#undef MUTATE
	free(c);
	free(b);
}

/* The writer refuses the names a reader would. */
static void
test_name_control(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sym_header h;

	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 1, 1);
	sym_header_add_class(&h, "ok");
	sym_header_add_class(&h, "a\nb");
	CHECK(sym_writer_new(f, "mem", &h) == NULL &&
	    strcmp(sym_strerror(), "mem: a class name with a control "
	    "character (0x0a)") == 0);
	sym_header_free(&h);
	fclose(f);
	CHECK(len == 0);
	free(buf);
	/* UTF-8: well-formed sequences of 1 to 4 bytes pass, the rest not */
	CHECK(sym_class_name_check("caf\xc3\xa9") == 0);
	CHECK(sym_class_name_check("\xe2\x82\xac 5") == 0);
	CHECK(sym_class_name_check("\xf0\x9f\x98\x80") == 0);
	CHECK(sym_class_name_check("\xf4\x8f\xbf\xbf") == 0);
	CHECK(sym_class_name_check("\xc3") < 0);		/* cut short */
	CHECK(sym_class_name_check("\xe2\x82") < 0);
	CHECK(sym_class_name_check("\xc0\xaf") < 0);	/* overlong */
	CHECK(sym_class_name_check("\xe0\x80\xaf") < 0);
	CHECK(sym_class_name_check("\xe0\x9f\xbf") < 0);	/* U+07FF in 3 */
	CHECK(sym_class_name_check("\xf0\x8f\xbf\xbf") < 0); /* U+FFFF in 4 */
	CHECK(sym_class_name_check("\xf7\xbf\xbf\xbf") < 0);
	CHECK(sym_class_name_check("\xc2\x80 \xdf\xbf \xe0\xa0\x80 "
	    "\xef\xbf\xbf \xf0\x90\x80\x80") == 0);	/* the boundaries */
	CHECK(sym_class_name_check("\xed\xa0\x80") < 0);	/* surrogate */
	CHECK(sym_class_name_check("\xf4\x90\x80\x80") < 0); /* > U+10FFFF */
	CHECK(sym_class_name_check("\xff\xfe") < 0);
	CHECK(sym_class_name_check("a\xc3(") < 0);
	CHECK(strcmp(sym_strerror(), "a class name that is not UTF-8") == 0);
}

static void
test_segment_mismatch(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct sym_header h;
	struct sym_writer *w;
	char err[512];

	for (int s = 0; s < 2; s++) {
		sym_header_init(&h, SYM_EMBEDDINGS, SYM_F32, 1, 1, 2);
		sym_header_add_class(&h, "k");
		sym_header_set_meta(&h, "model-id", s ? "bbbbbbbb" : "aaaaaaaa");
		w = sym_writer_new(f, "mem", &h);
		sym_write_item(w, 0, (float[2]){ 1, 2 });
		sym_writer_close(w);
		sym_header_free(&h);
	}
	fclose(f);
	CHECK(read_all((unsigned char *)buf, len, err, sizeof(err)) == -1 &&
	    strstr(err, "segment 2 was embedded by model bbbbbbbb"));
	free(buf);

	f = open_memstream(&buf, &len);
	for (int s = 0; s < 2; s++) {
		sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 1, s + 1);
		w = sym_writer_new(f, "mem", &h);
		sym_writer_close(w);
		sym_header_free(&h);
	}
	fclose(f);
	CHECK(read_all((unsigned char *)buf, len, err, sizeof(err)) == -1 &&
	    strstr(err, "segment 2 is images u8 1x1x2"));
	free(buf);
}

static void
test_memory_limit(void)
{
	size_t len;
	unsigned char *b = make_images(&len, 3, 3);
	FILE *f = fmemopen(b, len, "rb");
	struct sym_reader *r = sym_reader_open(f, "mem");
	struct sym_dataset d;

	CHECK(sym_dataset_read(&d, r, 10) == -1 &&
	    strstr(sym_strerror(), "needs") && strstr(sym_strerror(), "limit"));
	sym_reader_close(r);
	fclose(f);
	free(b);
}

static void
test_sampler(void)
{
	/* classes: A/1 (3 items), A/2 (2), B/1 (1), C (0) */
	uint32_t labels[] = { 0, 0, 0, 1, 1, 2, SYM_NOLABEL };
	struct sym_header h;
	struct sym_sampler *s;
	struct sym_rng rng;
	uint64_t a, b, idx[4];
	uint32_t cls[2];
	int selfpair = 0, wrong = 0, hardok = 0, ndiff = 0;

	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 1, 1);
	sym_header_add_class(&h, "A/1");
	sym_header_add_class(&h, "A/2");
	sym_header_add_class(&h, "B/1");
	sym_header_add_class(&h, "C");
	s = sym_sampler_new(labels, 7, &h);
	sym_rng_seed(&rng, 5);
	CHECK(sym_sampler_check_pairs(s, 1, 1) == 0);
	CHECK(sym_sampler_classes_with(s, 2) == 2);
	CHECK(sym_sampler_has_group_pairs(s) == 1);	/* A/1 and A/2 */
	for (int i = 0; i < 2000; i++) {
		int same = i % 2;
		sym_sample_pair(s, &rng, same, 1.0, &a, &b);
		selfpair += a == b;
		wrong += (labels[a] == labels[b]) != same;
		if (!same) {
			ndiff++;
			/* with hard = 1, A/1 and A/2 pair with each other */
			hardok += labels[a] == 2 ||
			    (labels[a] < 2 && labels[b] < 2);
		}
	}
	CHECK(selfpair == 0);
	CHECK(wrong == 0);
	CHECK(hardok == ndiff);
	CHECK(sym_sample_episode(s, &rng, 2, 1, 1, 0, idx, cls) == 0);
	CHECK(labels[idx[0]] == cls[0] && labels[idx[1]] == cls[0] &&
	    idx[0] != idx[1] && labels[idx[2]] == cls[1] && cls[0] != cls[1]);
	CHECK(sym_sample_episode(s, &rng, 2, 1, 1, 1, idx, cls) == 0);
	CHECK(cls[0] < 2 && cls[1] < 2);	/* only group A has 2 */
	CHECK(sym_sample_episode(s, &rng, 3, 1, 1, 0, idx, cls) == -1);
	sym_sampler_free(s);

	/* one class only */
	uint32_t one[] = { 0, 0 };
	s = sym_sampler_new(one, 2, &h);
	CHECK(sym_sampler_check_pairs(s, 1, 1) == -1 &&
	    strstr(sym_strerror(), "at least 2 classes"));
	/* enough for same-class pairs alone */
	CHECK(sym_sampler_check_pairs(s, 1, 0) == 0);
	sym_sampler_free(s);
	/* one image per class: different-class pairs only; A/1 and A/2
	 * share their group even so (classes need no 2 items for that) */
	uint32_t two[] = { 0, 1 };
	s = sym_sampler_new(two, 2, &h);
	CHECK(sym_sampler_has_group_pairs(s) == 1);
	sym_sampler_free(s);
	uint32_t apart[] = { 0, 2 };	/* A/1 and B/1: no group of 2 */
	s = sym_sampler_new(apart, 2, &h);
	CHECK(sym_sampler_has_group_pairs(s) == 0);
	sym_sampler_free(s);
	s = sym_sampler_new(two, 2, &h);
	CHECK(sym_sampler_check_pairs(s, 1, 1) == -1 &&
	    strstr(sym_strerror(), "no class has 2 images"));
	CHECK(sym_sampler_check_pairs(s, 0, 1) == 0);
	sym_sampler_free(s);
	sym_header_free(&h);
}

static void
test_header_copy_grows(void)
{
	struct sym_header h, c;

	/* a copy must take new classes like the original (ASan watches) */
	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, 1, 1);
	for (int i = 0; i < 3; i++) {
		char n[8];
		snprintf(n, sizeof(n), "c%d", i);
		sym_header_add_class(&h, n);
	}
	sym_header_copy(&c, &h);
	CHECK(sym_header_add_class(&c, "new1") == 3);
	CHECK(sym_header_add_class(&c, "new2") == 4);
	CHECK(sym_header_add_class(&c, "c1") == 1);
	CHECK(c.nclasses == 5 && strcmp(c.classes[4], "new2") == 0);
	sym_header_free(&c);
	sym_header_free(&h);
}

static void
test_atomic(void)
{
	struct sym_atomic a;
	char path[] = "/tmp/sym-test-atomic-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	char buf[16] = { 0 };

	/* a regular file is replaced only on commit */
	CHECK(fd >= 0 && write(fd, "old", 3) == 3);
	close(fd);
	CHECK(sym_atomic_open(&a, path) == 0);
	fputs("new", a.f);
	sym_atomic_abort(&a);
	f = fopen(path, "rb");
	CHECK(f && fread(buf, 1, 15, f) == 3 && strcmp(buf, "old") == 0);
	fclose(f);
	CHECK(sym_atomic_open(&a, path) == 0);
	fputs("new", a.f);
	CHECK(sym_atomic_commit(&a) == 0);
	f = fopen(path, "rb");
	memset(buf, 0, sizeof(buf));
	CHECK(f && fread(buf, 1, 15, f) == 3 && strcmp(buf, "new") == 0);
	fclose(f);
	unlink(path);
	/* a device is written in place, never renamed over */
	CHECK(sym_atomic_open(&a, "/dev/null") == 0 && a.tmp == NULL);
	CHECK(sym_atomic_commit(&a) == 0);
	CHECK(access("/dev/null", W_OK) == 0);
	/* a missing folder fails up front */
	CHECK(sym_atomic_open(&a, "/nonexistent-dir/x") == -1 &&
	    strstr(sym_strerror(), "/nonexistent-dir/x"));
}

/* A writer that dies mid-stream marks its output unfinished. */
static void
test_abort_mark(void)
{
	size_t len;
	unsigned char *b = make_images(&len, SYM_COUNT_UNKNOWN, 2);
	char err[512];

	CHECK(read_all(b, len, err, sizeof(err)) == 2);
	b = realloc(b, len + 1);
	b[len] = 0xee;
	CHECK(read_all(b, len + 1, err, sizeof(err)) == -1 &&
	    strcmp(err, "mem: unfinished stream: the program that wrote it "
	    "failed after 2 records") == 0);
	free(b);
}

int
main(void)
{
	test_abort_mark();
	test_header_copy_grows();
	test_atomic();
	test_exact_bytes();
	test_roundtrip_kinds();
	test_concat_merge();
	test_truncation_everywhere();
	test_bad_headers();
	test_name_control();
	test_segment_mismatch();
	test_memory_limit();
	test_sampler();
	return UNIT_END();
}
