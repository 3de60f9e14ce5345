/*
 * fuzz_png: the PNG loader (sym_png_info, sym_png_read). The first input
 * byte picks the mode: odd, the CRC of every chunk is recomputed first,
 * so mutations reach libpng's decoding and our conversion instead of
 * stopping at a checksum; even, the rest is the file as is.
 */
#include <zlib.h>

#include "fuzz.h"

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Walk the chunks after the 8-byte signature, fixing each CRC. */
static void
fix_crcs(uint8_t *p, size_t n)
{
	size_t off = 8;

	while (off + 12 <= n) {
		uint32_t len = be32(p + off);
		uint32_t crc;

		if (len > n - off - 12)
			break;
		crc = (uint32_t)crc32(0, p + off + 4, len + 4);
		p[off + 8 + len] = (uint8_t)(crc >> 24);
		p[off + 9 + len] = (uint8_t)(crc >> 16);
		p[off + 10 + len] = (uint8_t)(crc >> 8);
		p[off + 11 + len] = (uint8_t)crc;
		off += 12 + (size_t)len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *buf;
	static size_t cap;
	const char *path;
	uint8_t *pix;
	int w, h, iw, ih, rc;

	if (size < 1 || size > 1 << 20)
		return 0;
	if (cap < size) {
		buf = realloc(buf, size);
		FUZZ_ASSERT(buf);
		cap = size;
	}
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fix_crcs(buf, size - 1);
	path = fuzz_file(buf, size - 1);

	rc = sym_png_info(path, &iw, &ih);
	if (rc == 0)
		FUZZ_ASSERT(iw >= 1 && ih >= 1 && iw <= SYM_PNG_MAX_SIDE &&
		    ih <= SYM_PNG_MAX_SIDE &&
		    (uint64_t)iw * ih <= SYM_PNG_MAX_PIXELS);
	else
		FUZZ_ASSERT(sym_strerror()[0]);
	if (sym_png_read(path, &pix, &w, &h) == 0) {
		unsigned long long sum = 0;

		/* what decodes has the size the header promised */
		FUZZ_ASSERT(rc == 0 && w == iw && h == ih);
		for (size_t i = 0; i < (size_t)w * h; i++)
			sum += pix[i];
		FUZZ_ASSERT(sum <= 255ull * w * h);
		free(pix);
	} else {
		FUZZ_ASSERT(pix == NULL);
		FUZZ_ASSERT(sym_strerror()[0]);
	}
	return 0;
}
