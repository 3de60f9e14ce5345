/*
 * fuzz_stream: the sym stream reader. Reads the input record by record
 * (sym_reader_open, sym_read to the end or an error), checking what the
 * reader promises about each record, then again whole with
 * sym_dataset_read under a memory cap.
 */
#include "fuzz.h"

/* What sym_dataset_read may hold: enough for every small stream, and a
 * check that the cap is honoured before allocating. */
#define MAX_BYTES ((size_t)16 << 20)

static FILE *
open_mem(const uint8_t *data, size_t size)
{
	/* fmemopen of size 0 is not portable: an empty file instead */
	if (size == 0)
		return tmpfile();
	return fmemopen((void *)data, size, "rb");
}

static void
records(const uint8_t *data, size_t size)
{
	FILE *f = open_mem(data, size);
	struct sym_reader *r;
	struct sym_record rec;
	const struct sym_header *h;
	uint64_t items = 0;
	int rc;

	FUZZ_ASSERT(f);
	r = sym_reader_open(f, "fuzz");
	if (!r) {
		FUZZ_ASSERT(sym_strerror()[0]);
		fclose(f);
		return;
	}
	h = sym_reader_header(r);
	FUZZ_ASSERT(h->kind >= SYM_IMAGES && h->kind <= SYM_PAIRS);
	FUZZ_ASSERT(sym_header_item_bytes(h) <= SYM_MAX_ITEM_BYTES);
	while ((rc = sym_read(r, &rec)) > 0) {
		/* the header grows as segments arrive: read it again */
		h = sym_reader_header(r);
		if (rec.is_pair) {
			FUZZ_ASSERT(h->kind == SYM_PAIRS);
			FUZZ_ASSERT(rec.a < items && rec.b < items);
			FUZZ_ASSERT(rec.same == 0 || rec.same == 1);
			continue;
		}
		FUZZ_ASSERT(rec.index == items);
		FUZZ_ASSERT(rec.label == SYM_NOLABEL ||
		    rec.label < h->nclasses);
		FUZZ_ASSERT((h->dtype == SYM_U8) == (rec.u8 != NULL));
		FUZZ_ASSERT((h->dtype == SYM_F32) == (rec.f32 != NULL));
		items++;
	}
	if (rc < 0)
		FUZZ_ASSERT(sym_strerror()[0]);
	else
		FUZZ_ASSERT(sym_read(r, &rec) == 0);
	FUZZ_ASSERT(sym_reader_segments(r) >= 1);
	sym_reader_close(r);
	fclose(f);
}

static void
dataset(const uint8_t *data, size_t size)
{
	FILE *f = open_mem(data, size);
	struct sym_reader *r;
	struct sym_dataset d;

	FUZZ_ASSERT(f);
	r = sym_reader_open(f, "fuzz");
	if (r) {
		if (sym_dataset_read(&d, r, MAX_BYTES) == 0) {
			size_t ib = sym_header_item_bytes(&d.hdr);

			FUZZ_ASSERT(d.hdr.nitems == d.n);
			FUZZ_ASSERT(d.n * (4 + ib) <= MAX_BYTES);
			for (uint64_t i = 0; i < d.n; i++)
				FUZZ_ASSERT(d.labels[i] == SYM_NOLABEL ||
				    d.labels[i] < d.hdr.nclasses);
			for (uint64_t i = 0; i < d.npairs; i++)
				FUZZ_ASSERT(d.pa[i] < d.n && d.pb[i] < d.n);
			sym_dataset_free(&d);
		}
		sym_reader_close(r);
	}
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	records(data, size);
	dataset(data, size);
	return 0;
}
