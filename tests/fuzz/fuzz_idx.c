/*
 * fuzz_idx: the IDX reader, raw and gzip. The first input byte picks the
 * mode: odd, the rest is gzip-compressed first, so the fuzzer explores
 * the IDX layout behind zlib; even, the rest is the file as is (raw IDX,
 * or a damaged gzip stream). Items are read to the end, then the file
 * again as labels.
 */
#include <zlib.h>

#include "fuzz.h"

/* Items larger than this are not read (the header checks still run). */
#define MAX_ITEM ((size_t)1 << 20)

static uint8_t *gzbuf;
static size_t gzcap;

/* gzip (header, deflate, trailer) of p[0..n) into gzbuf. */
static size_t
gzip(const uint8_t *p, size_t n)
{
	z_stream z;
	size_t need = compressBound((uLong)n) + 64;

	if (gzcap < need) {
		gzbuf = realloc(gzbuf, need);
		FUZZ_ASSERT(gzbuf);
		gzcap = need;
	}
	memset(&z, 0, sizeof(z));
	/* 15 + 16: gzip wrapper */
	FUZZ_ASSERT(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = gzbuf;
	z.avail_out = (uInt)gzcap;
	FUZZ_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END);
	n = z.total_out;
	deflateEnd(&z);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	struct sym_idx *x;
	uint8_t *labels;
	uint32_t nl, got = 0;
	int rc = 0;

	if (size < 1 || size > 1 << 20)
		return 0;
	if (data[0] & 1) {
		size_t n = gzip(data + 1, size - 1);

		path = fuzz_file(gzbuf, n);
	} else {
		path = fuzz_file(data + 1, size - 1);
	}

	x = sym_idx_open(path);
	if (x) {
		FUZZ_ASSERT(x->ndims >= 1 && x->ndims <= SYM_IDX_MAXDIMS);
		FUZZ_ASSERT(x->count <= SYM_IDX_MAX_ITEMS);
		FUZZ_ASSERT(x->item_bytes >= 1 &&
		    x->item_bytes <= SYM_MAX_ITEM_BYTES);
		if (x->item_bytes <= MAX_ITEM) {
			uint8_t *buf = malloc(x->item_bytes);

			FUZZ_ASSERT(buf);
			while ((rc = sym_idx_read(x, buf)) > 0)
				got++;
			FUZZ_ASSERT(got <= x->count);
			FUZZ_ASSERT(rc < 0 || got == x->count);
			if (rc < 0)
				FUZZ_ASSERT(sym_strerror()[0]);
			/* the end stays the end */
			if (rc == 0)
				FUZZ_ASSERT(sym_idx_read(x, buf) == 0);
			free(buf);
		}
		sym_idx_close(x);
	}
	if (sym_idx_read_labels(path, &labels, &nl) == 0) {
		unsigned long long sum = 0;

		FUZZ_ASSERT(labels);
		/* every label readable (ASan checks the bounds) */
		for (uint32_t i = 0; i < nl; i++)
			sum += labels[i];
		FUZZ_ASSERT(sum <= 255ull * nl);
		free(labels);
	} else {
		FUZZ_ASSERT(sym_strerror()[0]);
	}
	return 0;
}
