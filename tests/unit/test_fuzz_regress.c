/* test_fuzz_regress.c: inputs that once crashed, hung or exhausted a
 * parser (found by the tests/fuzz harnesses or while writing them), each
 * fed to the library, which must give a clean error (or the right
 * answer) in bounded time and memory. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sym.h"
#include "unit.h"

/* Address-space limits do not mix with ASan's shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Run fn in a child whose address space may grow by only extra bytes
 * beyond what it uses now; the child's fn returns 0 for a pass. Returns
 * the child's exit status (a sym_die, e.g. "out of memory", gives 1),
 * or -1 when the test cannot run here. */
static int
limited(int (*fn)(void), size_t extra)
{
#ifdef UNDER_ASAN
	(void)fn;
	(void)extra;
	fprintf(stderr, "%s: address-space test skipped under ASan\n",
	    __FILE__);
	return -1;
#else
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		struct rlimit rl;

		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(4);
		fclose(f);
		rl.rlim_cur = rl.rlim_max = (rlim_t)pages *
		    (rlim_t)sysconf(_SC_PAGESIZE) + extra;
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(4);
		_exit(fn() ? 3 : 0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
#endif
}

/* ---- streams ---- */

/* A header with n classes named prefix0, prefix1, ... (made directly:
 * sym_header_add_class searches the list for every name). */
static void
many_classes(struct sym_header *h, uint32_t n, uint32_t first, int reverse)
{
	char name[32];

	sym_header_init(h, SYM_IMAGES, SYM_U8, 1, 1, 1);
	h->classes = malloc((n ? n : 1) * sizeof(char *));
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%lu", (unsigned long)(first +
		    (reverse ? n - 1 - i : i)));
		h->classes[i] = strdup(name);
	}
	h->nclasses = n;
}

/* One segment of h with nitems items labelled 0, 1, ... into f. */
static void
write_segment(FILE *f, struct sym_header *h, uint32_t nitems)
{
	struct sym_writer *w = sym_writer_new(f, "mem", h);
	uint8_t px = 0;

	for (uint32_t i = 0; i < nitems; i++)
		sym_write_item(w, i, &px);
	sym_writer_close(w);
	sym_header_free(h);
}

/* A header naming 100000 classes (about 700 KB) took a minute to read,
 * comparing every name with every other; two segments of 50000 classes
 * that share half of them must also merge fast, and right. */
static void
test_many_classes(void)
{
	struct sym_header h;
	struct sym_reader *r;
	struct sym_record rec;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len), *in;
	clock_t t;
	int ok = 1;

	many_classes(&h, 100000, 0, 0);
	write_segment(f, &h, 3);
	fclose(f);
	t = clock();
	in = fmemopen(buf, len, "rb");
	r = sym_reader_open(in, "mem");
	CHECK(r && sym_reader_header(r)->nclasses == 100000);
	sym_reader_close(r);
	fclose(in);
	free(buf);

	/* c0..c49999, then c74999 down to c25000 */
	f = open_memstream(&buf, &len);
	many_classes(&h, 50000, 0, 0);
	write_segment(f, &h, 2);
	many_classes(&h, 50000, 25000, 1);
	write_segment(f, &h, 50000);
	fclose(f);
	in = fmemopen(buf, len, "rb");
	r = sym_reader_open(in, "mem");
	CHECK(r != NULL);
	for (uint32_t i = 0; r && sym_read(r, &rec) > 0; i++) {
		const struct sym_header *m = sym_reader_header(r);
		char want[32];

		/* item i of segment 2 is labelled c(74999 - i) */
		snprintf(want, sizeof(want), "c%lu", i < 2 ?
		    (unsigned long)i : (unsigned long)(74999 - (i - 2)));
		if (rec.label >= m->nclasses ||
		    strcmp(m->classes[rec.label], want) != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK(r && sym_reader_header(r)->nclasses == 75000);
	CHECK(r && strcmp(sym_reader_header(r)->classes[50000], "c74999")
	    == 0);
	sym_reader_close(r);
	fclose(in);
	free(buf);
	/* was about 60 s; now some milliseconds (seconds under ASan) */
	CHECK((double)(clock() - t) / CLOCKS_PER_SEC < 5.0);
}

/* A duplicate far apart in a long list is still found. */
static void
test_duplicate_class(void)
{
	struct sym_header h;
	struct sym_reader *r;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len), *in;

	many_classes(&h, 1000, 0, 0);
	free(h.classes[999]);
	h.classes[999] = strdup("c3");
	/* the writer does not check for duplicates: the reader must */
	write_segment(f, &h, 0);
	fclose(f);
	in = fmemopen(buf, len, "rb");
	r = sym_reader_open(in, "mem");
	CHECK(r == NULL && strstr(sym_strerror(), "class 'c3' named twice"));
	sym_reader_close(r);
	fclose(in);
	free(buf);
}

/* One image of 2 MB read whole with no memory cap (sym-match and
 * sym-show pass 0): the dataset asked for room for 1024 such images,
 * 2 GB, at once, and died "out of memory" where memory is limited. */
static int
big_item_child(void)
{
	enum { H = 1024, W = 2048 };
	struct sym_header h;
	struct sym_writer *w;
	struct sym_reader *r;
	struct sym_dataset d;
	uint8_t *px = calloc(H, W);
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len), *in;
	int rc;

	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, H, W);
	w = sym_writer_new(f, "mem", &h);
	px[(size_t)H * W - 1] = 7;
	if (!w || sym_write_item(w, SYM_NOLABEL, px) < 0)
		return 2;
	sym_writer_close(w);
	sym_header_free(&h);
	fclose(f);
	in = fmemopen(buf, len, "rb");
	r = sym_reader_open(in, "mem");
	rc = r && sym_dataset_read(&d, r, 0) == 0 && d.n == 1 &&
	    d.u8[(size_t)H * W - 1] == 7 ? 0 : 1;
	if (rc == 0)
		sym_dataset_free(&d);
	sym_reader_close(r);
	fclose(in);
	free(buf);
	free(px);
	return rc;
}

static void
test_dataset_big_item(void)
{
	int st = limited(big_item_child, (size_t)512 << 20);

	CHECK(st == 0 || st == -1);
}

/* ---- architectures ---- */

/* fuzz_arch, mode 1: shape 2828 x 11363 x 28205, spec "flatten,dense".
 * net.c computed the flattened size c * h * w in int: signed overflow
 * (UBSan: lib/net.c:218 "32134564 * 28205 cannot be represented in type
 * 'int'"). The same on 2 x 65536 x 32769 wraps to 131072, and a net
 * whose output should have 4.3e9 values (far over the engine's 2^28
 * per input) built with dimension 131072; on 1 x 65536 x 65536 it wraps
 * to 0, an output of no values. */
static const uint8_t crash_arch_flatten[] = {
	0x01, 0x0b, 0x0b, 0x2c, 0x62, 0x6e, 0x2c,	/* mode, shape */
	'f', 'l', 'a', 't', 't', 'e', 'n', ',', 'd', 'e', 'n', 's', 'e', 0
};

static void
test_arch_flatten_overflow(void)
{
	const uint8_t *d = crash_arch_flatten;
	int c = 1 + (d[1] << 8 | d[2]) % 4096, h = 1 + (d[3] << 8 | d[4]),
	    w = 1 + (d[5] << 8 | d[6]);
	struct sym_net *n = sym_net_new((const char *)d + 7, c, h, w);

	CHECK(c == 2828 && h == 11363 && w == 28205);
	CHECK(n == NULL && sym_strerror()[0]);
	sym_net_free(n);
	n = sym_net_new("flatten", 2, 65536, 32769);
	CHECK(n == NULL);
	sym_net_free(n);
	n = sym_net_new("flatten", 1, 65536, 65536);
	CHECK(n == NULL);
	sym_net_free(n);
	n = sym_net_new("relu,dense:3", 1, 65536, 65536);
	CHECK(n == NULL);
	sym_net_free(n);
}

/* ---- models ---- */

/* A model file of no values: header, arch, checksum (n bytes into b). */
static size_t
model_file(unsigned char *b, const char *arch, uint32_t flags, uint32_t D,
    uint32_t C, uint32_t H, uint32_t W)
{
	size_t alen = strlen(arch), n = 80 + alen + 4;

	memset(b, 0, n);
	memcpy(b, SYM_MODEL_MAGIC, SYM_MODEL_MAGIC_LEN);
	sym_put_u16(b + 8, SYM_MODEL_MAJOR);
	sym_put_u32(b + 12, flags);
	sym_put_u32(b + 16, SYM_LOSS_CONTRASTIVE);	/* no head */
	sym_put_f32(b + 20, 1.0f);	/* margin */
	sym_put_u32(b + 24, D);
	sym_put_u32(b + 28, C);
	sym_put_u32(b + 32, H);
	sym_put_u32(b + 36, W);
	sym_put_f32(b + 40, 1.0f);	/* scale; offset, P, S, NH 0 */
	sym_put_u32(b + 72, (uint32_t)alen);
	memcpy(b + 80, arch, alen);
	sym_put_u32(b + n - 4, sym_crc32(0, b, n - 4));
	return n;
}

/* A 100-byte model file whose header says the input is 1x128x128 and
 * whose arch is "dense:65000": about 1.07e9 parameters, while P (0)
 * says there are none. sym_model_parse built the towers first, asking
 * for 8.5 GB (17 with the unshared flag), and only then compared the
 * sizes: under a memory limit sym-info and sym-embed died "out of
 * memory" (under ASan, libFuzzer reports a malloc of 4 GB). */
static int
model_arch_child(void)
{
	unsigned char b[128];
	size_t n = model_file(b, "dense:65000", 1, 65000, 1, 128, 128);
	struct sym_model *m = sym_model_parse(b, n, "mem");

	if (m) {
		sym_model_free(m);
		return 1;
	}
	return strstr(sym_strerror(), "out of memory") ? 1 : 0;
}

static void
test_model_arch_before_sizes(void)
{
	int st = limited(model_arch_child, (size_t)512 << 20);

	CHECK(st == 0 || st == -1);
}

/* The flatten overflow through a model file: arch "flatten" on
 * 2 x 65536 x 32769 loaded as a model of embedding size 131072. */
static void
test_model_flatten_overflow(void)
{
	unsigned char b[128];
	size_t n = model_file(b, "flatten", 0, 131072, 2, 65536, 32769);
	struct sym_model *m = sym_model_parse(b, n, "mem");

	CHECK(m == NULL);
	sym_model_free(m);
}

int
main(void)
{
	sym_setprog("test_fuzz_regress");
	test_many_classes();
	test_duplicate_class();
	test_dataset_big_item();
	test_arch_flatten_overflow();
	test_model_arch_before_sizes();
	test_model_flatten_overflow();
	return UNIT_END();
}
