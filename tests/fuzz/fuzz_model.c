/*
 * fuzz_model: the model-file loader (sym_model_parse, sym_model_read).
 * The first input byte picks the mode: bit 0 set, the rest gets a
 * correct crc32 trailer, so mutations reach the parser behind the
 * checksum (else the rest is the file as is); bit 1 set, the file is
 * read from a FILE rather than parsed from memory. A model that loads is
 * described (sym_model_print_info) and written; that writing must load
 * and write back to the same bytes. Files whose architecture would build
 * a large net are skipped (fuzz_arch_small).
 */
#include <math.h>

#include "fuzz.h"

#define MAX_NET ((double)(1 << 22))
#define ARCH_OFF 80	/* man/sym-model.5: arch string after 80 bytes */

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

/* 0 if the architecture, at the input shape the header claims, is
 * small enough to build (twice, for unshared towers). */
static int
small(const uint8_t *p, size_t n)
{
	char arch[1024];
	uint32_t alen;

	if (n < ARCH_OFF)
		return 1;
	alen = sym_get_u32(p + 72);
	if (alen >= sizeof(arch) || alen > n - ARCH_OFF)
		return alen < sizeof(arch);
	memcpy(arch, p + ARCH_OFF, alen);
	arch[alen] = 0;
	/* parsing builds parameters, not activations */
	return fuzz_arch_small(arch, sym_get_u32(p + 28),
	    sym_get_u32(p + 32), sym_get_u32(p + 36), MAX_NET, HUGE_VAL);
}

static char *
write_mem(struct sym_model *m, size_t *n)
{
	char *p = NULL;
	FILE *f = open_memstream(&p, n);

	FUZZ_ASSERT(f);
	FUZZ_ASSERT(sym_model_write(m, f, "mem") == 0);
	FUZZ_ASSERT(fclose(f) == 0);
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *buf;
	static size_t cap;
	struct sym_model *m, *again;
	char *out, *out2;
	size_t n = size - 1, outn, out2n;

	if (size < 1 || size > 1 << 22)
		return 0;
	if (cap < size) {
		buf = realloc(buf, size);
		FUZZ_ASSERT(buf);
		cap = size;
	}
	memcpy(buf, data + 1, n);
	if ((data[0] & 1) && n >= 4)
		sym_put_u32(buf + n - 4, sym_crc32(0, buf, n - 4));
	if (!small(buf, n))
		return 0;

	if ((data[0] & 2) && n > 0) {
		/* through sym_model_read's reading loop */
		FILE *f = fmemopen(buf, n, "rb");

		FUZZ_ASSERT(f);
		m = sym_model_read(f, "fuzz");
		fclose(f);
	} else {
		m = sym_model_parse(buf, n, "fuzz");
	}
	if (!m) {
		FUZZ_ASSERT(sym_strerror()[0]);
		return 0;
	}
	FUZZ_ASSERT(m->tower[0] && m->dim >= 1);
	FUZZ_ASSERT((m->tower[1] != NULL) == (m->unshared != 0));
	FUZZ_ASSERT(m->crc == sym_get_u32(buf + n - 4));
	FUZZ_ASSERT(sym_model_print_info(devnull, m, "fuzz") == 0);
	/* writing is a fixed point after one round (the file's own arch
	 * string may not be canonical, so compare the second writing) */
	out = write_mem(m, &outn);
	again = sym_model_parse((unsigned char *)out, outn, "mem");
	FUZZ_ASSERT(again);
	out2 = write_mem(again, &out2n);
	FUZZ_ASSERT(outn == out2n && memcmp(out, out2, outn) == 0);
	sym_model_free(again);
	free(out);
	free(out2);
	sym_model_free(m);
	return 0;
}
