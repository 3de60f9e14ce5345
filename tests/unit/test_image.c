/*
 * test_image.c: the image side of libsym: IDX parsing (raw, gzip, bad
 * magic, truncation, corrupt gzip), PNG decoding of every colour type
 * (fixtures written with libpng here), resizing, moment normalisation,
 * quarter turns, affine augmentation, folder listings and EMNIST
 * mappings.
 */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sym.h"
#include "unit.h"

static char dir[] = "/tmp/test_image.XXXXXX";

static char *
tpath(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void
write_file(const char *name, const void *p, size_t n)
{
	FILE *f = fopen(tpath(name), "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static void
write_gz(const char *name, const void *p, size_t n)
{
	gzFile gz = gzopen(tpath(name), "wb");

	if (!gz || gzwrite(gz, p, (unsigned)n) != (int)n ||
	    gzclose(gz) != Z_OK) {
		perror(name);
		exit(1);
	}
}

/* An IDX file of n images h x w with pixel (i, k) = i * 10 + k. */
static size_t
make_idx(unsigned char *buf, int n, int h, int w)
{
	unsigned char *p = buf;

	*p++ = 0;
	*p++ = 0;
	*p++ = 8;
	*p++ = 3;
	for (int d = 0; d < 3; d++) {
		uint32_t v = d == 0 ? (uint32_t)n : d == 1 ? (uint32_t)h :
		    (uint32_t)w;
		*p++ = v >> 24;
		*p++ = v >> 16;
		*p++ = v >> 8;
		*p++ = v;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < h * w; k++)
			*p++ = (unsigned char)(i * 10 + k);
	return (size_t)(p - buf);
}

static void
test_idx(void)
{
	unsigned char buf[4096], item[6];
	size_t n = make_idx(buf, 5, 2, 3);
	struct sym_idx *x;
	uint8_t *lab;
	uint32_t nl;
	int r;

	write_file("a.idx", buf, n);
	write_gz("a.idx.gz", buf, n);
	for (int z = 0; z < 2; z++) {
		x = sym_idx_open(tpath(z ? "a.idx.gz" : "a.idx"));
		CHECK(x != NULL);
		if (!x)
			continue;
		CHECK(x->ndims == 3 && x->count == 5 && x->dims[1] == 2 &&
		    x->dims[2] == 3 && x->item_bytes == 6);
		for (int i = 0; i < 5; i++) {
			CHECK(sym_idx_read(x, item) == 1);
			CHECK(item[0] == i * 10 && item[5] == i * 10 + 5);
		}
		CHECK(sym_idx_read(x, item) == 0);
		sym_idx_close(x);
	}

	/* truncated: 3 whole images and part of the 4th */
	write_file("t.idx", buf, 16 + 3 * 6 + 2);
	x = sym_idx_open(tpath("t.idx"));
	CHECK(x != NULL);
	if (x) {
		while ((r = sym_idx_read(x, item)) == 1)
			;
		CHECK(r == -1);
		CHECK(strstr(sym_strerror(), "t.idx: truncated after 3 of 5 "
		    "images") != NULL);
		sym_idx_close(x);
	}
	/* a gzip file cut short is truncation too */
	{
		unsigned char big[16 + 4000];
		FILE *f;
		size_t gn;
		unsigned char *gz = malloc(1 << 16);
		uLongf zn = 1 << 16;

		/* 200 items of 4 x 5: dims are big-endian at 4, 8, 12 */
		memcpy(big, buf, 16);
		big[7] = 200;
		big[11] = 4;
		big[15] = 5;
		for (int i = 0; i < 4000; i++)
			big[16 + i] = (unsigned char)(i * 7 % 251);
		write_gz("big.gz", big, sizeof(big));
		f = fopen(tpath("big.gz"), "rb");
		gn = fread(gz, 1, zn, f);
		fclose(f);
		write_file("cut.gz", gz, gn / 2);
		x = sym_idx_open(tpath("cut.gz"));
		CHECK(x != NULL);
		if (x) {
			uint8_t it[20];
			while ((r = sym_idx_read(x, it)) == 1)
				;
			CHECK(r == -1);
			CHECK(strstr(sym_strerror(), "truncated after") !=
			    NULL);
			sym_idx_close(x);
		}
		/* corrupt the deflate data in the middle */
		for (size_t i = gn / 3; i < gn / 3 + 16; i++)
			gz[i] ^= 0x5a;
		write_file("bad.gz", gz, gn);
		x = sym_idx_open(tpath("bad.gz"));
		if (x) {
			uint8_t it[20];
			while ((r = sym_idx_read(x, it)) == 1)
				;
			CHECK(r == -1);
			sym_idx_close(x);
		}
		CHECK(strstr(sym_strerror(), "bad.gz: corrupt gzip data") !=
		    NULL || strstr(sym_strerror(), "bad.gz: truncated") !=
		    NULL);
		free(gz);
	}

	/* bad magic, unsupported type, absurd dims, empty, missing */
	write_file("m.idx", "P5\n28 28\n", 9);
	CHECK(sym_idx_open(tpath("m.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "m.idx: not an IDX file (magic "
	    "50350a32)") != NULL);
	write_file("ty.idx", "\0\0\x0d\x01\0\0\0\1abcd", 12);
	CHECK(sym_idx_open(tpath("ty.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "unsupported IDX data type 0x0d") !=
	    NULL);
	write_file("huge.idx", "\0\0\x08\x03\0\0\0\1\0\1\0\0\0\1\0\0", 16);
	CHECK(sym_idx_open(tpath("huge.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "absurd") != NULL);
	write_file("hd.idx", "\0\0\x08\x03\0\0\0\1", 8);
	CHECK(sym_idx_open(tpath("hd.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "hd.idx: truncated header") != NULL);
	write_file("e.idx", "", 0);
	CHECK(sym_idx_open(tpath("e.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "not an IDX file (empty)") != NULL);
	CHECK(sym_idx_open(tpath("none.idx")) == NULL);
	CHECK(strstr(sym_strerror(), "none.idx: No such file") != NULL);

	/* labels */
	write_file("l.idx", "\0\0\x08\x01\0\0\0\4\3\1\4\1", 12);
	CHECK(sym_idx_read_labels(tpath("l.idx"), &lab, &nl) == 0);
	CHECK(nl == 4 && lab[0] == 3 && lab[1] == 1 && lab[2] == 4 &&
	    lab[3] == 1);
	free(lab);
	write_file("l2.idx", "\0\0\x08\x01\0\0\0\6\3\1\4", 11);
	CHECK(sym_idx_read_labels(tpath("l2.idx"), &lab, &nl) == -1);
	CHECK(strstr(sym_strerror(), "truncated after 3 of 6 labels") !=
	    NULL);
	CHECK(sym_idx_read_labels(tpath("a.idx"), &lab, &nl) == -1);
	CHECK(strstr(sym_strerror(), "not a label file") != NULL);
}

/* Write a w x h PNG with libpng whose pixels decode to gray g[]: each
 * colour type encodes the same picture its own way. */
enum { G1, G8, G16, GA, PAL, RGB, RGBA, PAL_TRNS };

static void
write_png(const char *name, int type, int w, int h, const uint8_t *g,
    int interlace)
{
	FILE *f = fopen(tpath(name), "wb");
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING,
	    NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int ct, bd = 8, ch;
	png_bytep row = malloc((size_t)w * 8);
	png_color pal[256];
	png_byte trns[256];

	if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
		fprintf(stderr, "cannot write %s\n", name);
		exit(1);
	}
	png_init_io(png, f);
	switch (type) {
	case G1: ct = PNG_COLOR_TYPE_GRAY; bd = 1; ch = 1; break;
	case G8: ct = PNG_COLOR_TYPE_GRAY; ch = 1; break;
	case G16: ct = PNG_COLOR_TYPE_GRAY; bd = 16; ch = 1; break;
	case GA: ct = PNG_COLOR_TYPE_GRAY_ALPHA; ch = 2; break;
	case RGB: ct = PNG_COLOR_TYPE_RGB; ch = 3; break;
	case RGBA: ct = PNG_COLOR_TYPE_RGB_ALPHA; ch = 4; break;
	default: ct = PNG_COLOR_TYPE_PALETTE; ch = 1; break;
	}
	png_set_IHDR(png, info, w, h, bd, ct, interlace ?
	    PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (type == PAL || type == PAL_TRNS) {
		/* entry v is red v: luma .299 v; PAL_TRNS makes entry v
		 * black with alpha 255 - v so it shows as v over white */
		for (int i = 0; i < 256; i++) {
			pal[i].red = (png_byte)i;
			pal[i].green = type == PAL ? (png_byte)i : 0;
			pal[i].blue = type == PAL ? (png_byte)i : 0;
			if (type == PAL_TRNS)
				pal[i].red = 0;
			trns[i] = (png_byte)(255 - i);
		}
		png_set_PLTE(png, info, pal, 256);
		if (type == PAL_TRNS)
			png_set_tRNS(png, info, trns, 256, NULL);
	}
	png_write_info(png, info);
	{
		int passes = png_set_interlace_handling(png);
		for (int p = 0; p < passes; p++)
		for (int y = 0; y < h; y++) {
			const uint8_t *s = g + (size_t)y * w;
			memset(row, 0, (size_t)w * 8);
			for (int x = 0; x < w; x++) {
				uint8_t v = s[x];
				switch (type) {
				case G1:
					if (v)
						row[x / 8] |= 0x80 >> (x % 8);
					break;
				case G16:
					row[2 * x] = v;
					row[2 * x + 1] = v;
					break;
				case GA:
					/* black ink of opacity 255 - v */
					row[2 * x] = 0;
					row[2 * x + 1] = 255 - v;
					break;
				case RGB:
					row[3 * x] = row[3 * x + 1] =
					    row[3 * x + 2] = v;
					break;
				case RGBA:
					row[4 * x] = row[4 * x + 1] =
					    row[4 * x + 2] = 0;
					row[4 * x + 3] = 255 - v;
					break;
				default:
					row[x] = v;
					break;
				}
			}
			png_write_row(png, row);
		}
	}
	(void)ch;
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	free(row);
}

static void
test_png(void)
{
	/* 11 x 3: wider than a byte for the 1-bit rows */
	enum { W = 11, H = 3 };
	uint8_t g[W * H], b[W * H], *pix;
	int w, h;
	static const char *names[] = { "g1", "g8", "g16", "ga", "pal", "rgb",
	    "rgba", "paltrns" };

	for (int i = 0; i < W * H; i++) {
		g[i] = (uint8_t)(i * 7 + 3);
		b[i] = (i * 5 % 3) ? 255 : 0;
	}
	for (int t = G1; t <= PAL_TRNS; t++) {
		for (int il = 0; il < 2; il++) {
			const uint8_t *want = t == G1 ? b : g;
			char name[32];
			int same = 1;

			snprintf(name, sizeof(name), "%s%d.png", names[t], il);
			write_png(name, t, W, H, want, il);
			w = h = 0;
			CHECK(sym_png_info(tpath(name), &w, &h) == 0);
			CHECK(w == W && h == H);
			CHECK(sym_png_read(tpath(name), &pix, &w, &h) == 0);
			CHECK(w == W && h == H);
			for (int i = 0; pix && i < W * H; i++)
				if (pix[i] != want[i]) {
					fprintf(stderr, "%s: pixel %d: %d, "
					    "want %d\n", name, i, pix[i],
					    want[i]);
					same = 0;
					break;
				}
			CHECK(same);
			free(pix);
		}
	}
	/* truncated: every prefix fails cleanly, never crashes */
	{
		FILE *f = fopen(tpath("g80.png"), "rb");
		unsigned char data[4096];
		size_t n = fread(data, 1, sizeof(data), f);
		int bad = 0;

		fclose(f);
		for (size_t k = 0; k < n; k += 3) {
			write_file("cut.png", data, k);
			if (sym_png_read(tpath("cut.png"), &pix, &w, &h) == 0) {
				free(pix);
				/* only the IEND chunk may go missing */
				if (k < n - 12)
					bad++;
			} else if (!strstr(sym_strerror(), "cut.png: ")) {
				bad++;
			}
		}
		CHECK(bad == 0);
		write_file("cut.png", data, n / 2);
		CHECK(sym_png_read(tpath("cut.png"), &pix, &w, &h) == -1);
		CHECK(strstr(sym_strerror(), "cut.png: bad PNG") != NULL);
	}
	/* absurd size in the header: refused before any allocation */
	{
		unsigned char hd[33] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
		    '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 1, 0x86, 0xa0,
		    0, 1, 0x86, 0xa0, 8, 0, 0, 0, 0 };
		uint32_t crc = sym_crc32(0, hd + 12, 17);

		hd[29] = crc >> 24;
		hd[30] = crc >> 16;
		hd[31] = crc >> 8;
		hd[32] = crc;
		write_file("huge.png", hd, sizeof(hd));
		CHECK(sym_png_read(tpath("huge.png"), &pix, &w, &h) == -1);
		CHECK(strstr(sym_strerror(), "huge.png: absurd PNG size "
		    "100000x100000") != NULL);
		CHECK(sym_png_info(tpath("huge.png"), &w, &h) == -1);
	}
	write_file("text.png", "hello, world\n", 13);
	CHECK(sym_png_read(tpath("text.png"), &pix, &w, &h) == -1);
	CHECK(strstr(sym_strerror(), "text.png: not a PNG file") != NULL);
	CHECK(sym_png_read(tpath("none.png"), &pix, &w, &h) == -1);
	CHECK(strstr(sym_strerror(), "none.png: No such file") != NULL);
}

static void
test_resize(void)
{
	uint8_t in[16], out[64];
	/* 3 -> 2 across: each output covers 1.5 source pixels */
	uint8_t row[3] = { 0, 90, 180 };
	/* 2 -> 4 across: bilinear, centres aligned: x = -0.25, 0.25, 0.75,
	 * 1.25 -> clamp, 0.25, 0.75, clamp */
	uint8_t two[2] = { 0, 200 };

	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(i * 17);
	sym_resize_u8(out, 4, 4, in, 4, 4);
	CHECK(memcmp(out, in, 16) == 0);

	sym_resize_u8(out, 2, 1, row, 3, 1);
	CHECK(out[0] == 30 && out[1] == 150);

	/* 4x4 -> 2x2 is the mean of each 2x2 block */
	sym_resize_u8(out, 2, 2, in, 4, 4);
	/* block (0,0): 0, 17, 68, 85 -> 42.5 -> 43 */
	CHECK(out[0] == 43);
	CHECK(out[3] == (uint8_t)((10 + 11 + 14 + 15) * 17 / 4.0 + 0.5));

	sym_resize_u8(out, 4, 1, two, 2, 1);
	CHECK(out[0] == 0 && out[1] == 50 && out[2] == 150 && out[3] == 200);

	/* shrink across, enlarge down: 3x1 -> 2x2 */
	sym_resize_u8(out, 2, 2, row, 3, 1);
	CHECK(out[0] == 30 && out[1] == 150 && out[2] == 30 && out[3] == 150);

	/* 105 -> 28 keeps a constant image constant and totals the mass */
	{
		static uint8_t big[105 * 105], sm[28 * 28];
		double s1 = 0, s2 = 0;
		int flat = 1;

		memset(big, 77, sizeof(big));
		sym_resize_u8(sm, 28, 28, big, 105, 105);
		for (int i = 0; i < 28 * 28; i++)
			flat &= sm[i] == 77;
		CHECK(flat);
		/* a vertical stroke 3.75 px wide maps to exactly one column */
		memset(big, 0, sizeof(big));
		for (int y = 0; y < 105; y++)
			for (int x = 15; x < 30; x++)
				big[y * 105 + x] = 255;
		sym_resize_u8(sm, 28, 28, big, 105, 105);
		for (int i = 0; i < 105 * 105; i++)
			s1 += big[i];
		for (int i = 0; i < 28 * 28; i++)
			s2 += sm[i];
		/* x in [15, 30) is output columns 4..7, 3.75 px each */
		CHECK(sm[3] == 0 && sm[4] == 255 && sm[5] == 255 &&
		    sm[6] == 255 && sm[7] == 255 && sm[8] == 0);
		CHECK_NEAR(s1 / (105.0 * 105), s2 / (28.0 * 28), 1.0);
	}
}

/* Centre of mass and RMS radius of a w x h image, as ink.c defines them. */
static void
moments(const uint8_t *img, int w, int h, double *mx, double *my,
    double *rms)
{
	double m = 0, sx = 0, sy = 0, v2 = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double v = img[y * w + x];
			m += v;
			sx += v * x;
			sy += v * y;
		}
	*mx = sx / m;
	*my = sy / m;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double v = img[y * w + x];
			v2 += v * ((x - *mx) * (x - *mx) +
			    (y - *my) * (y - *my));
		}
	*rms = sqrt(v2 / m);
}

static void
test_ink(void)
{
	static uint8_t in[60 * 40], out[60 * 40], blank[60 * 40];
	double mx, my, r;
	int moved = 1;

	/* centring moves by whole pixels, so nothing blurs: a 3x3 patch at
	 * the top left of a 7 x 5 image, its centre of mass at (1.04, 1),
	 * lands two pixels right and one down, around the image centre
	 * (3, 2) */
	memset(in, 0, sizeof(in));
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 3; x++)
			in[y * 7 + x] = (uint8_t)(200 - 50 * (abs(x - 1) +
			    abs(y - 1)) + (x == 2 ? 20 : 0));
	sym_ink_normalize(out, in, 7, 5, 0);
	for (int y = 0; y < 5; y++)
		for (int x = 0; x < 7; x++) {
			int sx = x - 2, sy = y - 1;
			uint8_t want = sx >= 0 && sx < 3 && sy >= 0 && sy < 3 ?
			    in[sy * 7 + sx] : 0;
			moved &= out[y * 7 + x] == want;
		}
	CHECK(moved);

	/* an image without ink is copied */
	sym_ink_normalize(out, blank, 60, 40, 0.2);
	CHECK(memcmp(out, blank, 60 * 40) == 0);

	/* scaling: a small off-centre ring grows to RMS radius 0.2 x 40 =
	 * 8 px about the centre (29.5, 19.5) of a 60 x 40 image; a large
	 * one shrinks to it (through the averaged sub-samples) */
	for (int big = 0; big < 2; big++) {
		double rr = big ? 17 : 3;

		memset(in, 0, sizeof(in));
		for (int y = 0; y < 40; y++)
			for (int x = 0; x < 60; x++) {
				double d = sqrt((x - 20.0) * (x - 20.0) +
				    (y - 19.0) * (y - 19.0));
				if (d > rr - 1 && d < rr + 1)
					in[y * 60 + x] = 255;
			}
		sym_ink_normalize(out, in, 60, 40, 0.2);
		moments(out, 60, 40, &mx, &my, &r);
		CHECK_NEAR(mx, 29.5, 0.1);
		CHECK_NEAR(my, 19.5, 0.1);
		CHECK_NEAR(r, 8.0, 0.25);
	}

	/* a dot's spread counts as one pixel: it is scaled up 4 times (to
	 * 0.1 x 40), not without bound */
	memset(in, 0, sizeof(in));
	in[10 * 60 + 10] = 255;
	sym_ink_normalize(out, in, 60, 40, 0.1);
	moments(out, 60, 40, &mx, &my, &r);
	CHECK_NEAR(mx, 29.5, 0.1);
	CHECK_NEAR(my, 19.5, 0.1);
	CHECK(r > 1 && r < 4);
}

static void
test_rotate(void)
{
	/* 2x2: a b / c d turns to b d / a c */
	uint8_t in[4] = { 1, 2, 3, 4 }, out[4], back[4];
	uint8_t r3[6] = { 1, 2, 3, 4, 5, 6 }, o3[6];

	sym_rotate90_u8(out, in, 1, 2, 2, 1);
	CHECK(out[0] == 2 && out[1] == 4 && out[2] == 1 && out[3] == 3);
	sym_rotate90_u8(out, in, 1, 2, 2, 2);
	CHECK(out[0] == 4 && out[1] == 3 && out[2] == 2 && out[3] == 1);
	sym_rotate90_u8(out, in, 1, 2, 2, 3);
	CHECK(out[0] == 3 && out[1] == 1 && out[2] == 4 && out[3] == 2);
	sym_rotate90_u8(out, in, 1, 2, 2, -1);
	CHECK(out[0] == 3 && out[1] == 1 && out[2] == 4 && out[3] == 2);
	sym_rotate90_u8(back, out, 1, 2, 2, 1);
	CHECK(memcmp(back, in, 4) == 0);
	sym_rotate90_u8(out, in, 1, 2, 2, 4);
	CHECK(memcmp(out, in, 4) == 0);
	/* 2 rows x 3: 1 2 3 / 4 5 6 turns to 3 6 / 2 5 / 1 4 */
	sym_rotate90_u8(o3, r3, 1, 2, 3, 1);
	CHECK(o3[0] == 3 && o3[1] == 6 && o3[2] == 2 && o3[3] == 5 &&
	    o3[4] == 1 && o3[5] == 4);
	/* mirror in place, per row and channel: 1 2 3 / 4 5 6 -> 3 2 1 / 6 5 4;
	 * an even width swaps every pixel, twice is the identity */
	memcpy(o3, r3, 6);
	sym_mirror_u8(o3, 1, 2, 3);
	CHECK(o3[0] == 3 && o3[1] == 2 && o3[2] == 1 && o3[3] == 6 &&
	    o3[4] == 5 && o3[5] == 4);
	memcpy(out, in, 4);
	sym_mirror_u8(out, 2, 1, 2);
	CHECK(out[0] == 2 && out[1] == 1 && out[2] == 4 && out[3] == 3);
	sym_mirror_u8(out, 1, 2, 2);
	sym_mirror_u8(out, 1, 2, 2);
	CHECK(out[0] == 2 && out[1] == 1 && out[2] == 4 && out[3] == 3);
	/* transpose: out[y][x] = in[x][y] */
	sym_transpose_u8(o3, r3, 2, 3);
	CHECK(o3[0] == 1 && o3[1] == 4 && o3[2] == 2 && o3[3] == 5 &&
	    o3[4] == 3 && o3[5] == 6);
}

static void
test_augment(void)
{
	enum { C = 2, H = 9, W = 7 };
	float in[C * H * W], a[C * H * W], b[C * H * W];
	double id[6] = { 1, 0, 0, 0, 1, 0 }, sh[6] = { 1, 0, 1, 0, 1, 0 };
	struct sym_rng r1, r2;
	int same = 1, differs = 0, changed = 0;

	for (int i = 0; i < C * H * W; i++)
		in[i] = (float)(i % 13) + 1;
	sym_affine_warp(a, in, C, H, W, id);
	CHECK(memcmp(a, in, sizeof(in)) == 0);
	/* reading one pixel to the right: out[x] = in[x + 1], last col 0 */
	sym_affine_warp(a, in, C, H, W, sh);
	CHECK(a[0] == in[1] && a[W - 2] == in[W - 1] && a[W - 1] == 0);
	CHECK(a[H * W + 3 * W + 2] == in[H * W + 3 * W + 3]);
	/* half a pixel: the mean of neighbours */
	sh[2] = 0.5;
	sym_affine_warp(a, in, C, H, W, sh);
	CHECK_NEAR(a[W + 1], (in[W + 1] + in[W + 2]) / 2, 1e-5);

	sym_rng_seed(&r1, 42);
	sym_rng_seed(&r2, 42);
	for (int k = 0; k < 20; k++) {
		sym_augment_affine(a, in, C, H, W, &r1);
		sym_augment_affine(b, in, C, H, W, &r2);
		same &= memcmp(a, b, sizeof(a)) == 0;
		for (int i = 0; i < C * H * W; i++) {
			differs |= a[i] != in[i];
			/* values stay within the input's range */
			if (a[i] < -1e-4 || a[i] > 13 + 1e-4)
				changed++;
		}
	}
	CHECK(same);
	CHECK(differs);
	CHECK(changed == 0);
	/* each call draws exactly 11 numbers */
	sym_rng_seed(&r1, 7);
	sym_rng_seed(&r2, 7);
	sym_augment_affine(a, in, C, H, W, &r1);
	for (int i = 0; i < 11; i++)
		sym_rng_uniform(&r2);
	CHECK(sym_rng_u64(&r1) == sym_rng_u64(&r2));
}

static void
test_listing(void)
{
	char **v;
	size_t n;
	char d[300];
	static const char *files[] = { "b.png", "a.png", "B.png", ".hid",
	    "c.txt" };

	snprintf(d, sizeof(d), "%s/ls", dir);
	mkdir(d, 0755);
	for (size_t i = 0; i < 5; i++) {
		char p[64];
		snprintf(p, sizeof(p), "ls/%s", files[i]);
		write_file(p, "x", 1);
	}
	snprintf(d, sizeof(d), "%s/ls/sub2", dir);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/ls/sub1", dir);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/ls", dir);
	CHECK(sym_list_dir(d, SYM_LIST_FILES, &v, &n) == 0);
	CHECK(n == 4 && strcmp(v[0], "B.png") == 0 &&
	    strcmp(v[1], "a.png") == 0 && strcmp(v[2], "b.png") == 0 &&
	    strcmp(v[3], "c.txt") == 0);
	sym_list_free(v, n);
	CHECK(sym_list_dir(d, SYM_LIST_DIRS, &v, &n) == 0);
	CHECK(n == 2 && strcmp(v[0], "sub1") == 0 &&
	    strcmp(v[1], "sub2") == 0);
	sym_list_free(v, n);
	CHECK(sym_list_dir(d, SYM_LIST_DIRS | SYM_LIST_FILES, &v, &n) == 0);
	CHECK(n == 6);
	sym_list_free(v, n);
	CHECK(sym_list_dir(tpath("nothere"), SYM_LIST_DIRS, &v, &n) == -1);
	CHECK(strstr(sym_strerror(), "nothere: No such file") != NULL);
	sym_list_free(NULL, 0);
}

static void
test_emnist(void)
{
	char **v;
	uint32_t n;
	const char *letters = "1 65 97\n2 66 98\n26 90 122\n";
	const char *bal = "0 48\n10 65\n36 97\n";

	write_file("let.txt", letters, strlen(letters));
	CHECK(sym_emnist_mapping(tpath("let.txt"), &v, &n) == 0);
	CHECK(n == 27 && v[0] == NULL && strcmp(v[1], "a") == 0 &&
	    strcmp(v[2], "b") == 0 && strcmp(v[26], "z") == 0 &&
	    v[3] == NULL);
	sym_list_free(v, n);
	write_file("bal.txt", bal, strlen(bal));
	CHECK(sym_emnist_mapping(tpath("bal.txt"), &v, &n) == 0);
	CHECK(n == 37 && strcmp(v[0], "0") == 0 &&
	    strcmp(v[10], "A") == 0 && strcmp(v[36], "a") == 0);
	sym_list_free(v, n);
	write_file("bad.txt", "0 48\n1 x\n", 9);
	CHECK(sym_emnist_mapping(tpath("bad.txt"), &v, &n) == -1);
	CHECK(strstr(sym_strerror(), "bad.txt:2: bad character code") !=
	    NULL);
	write_file("dup.txt", "0 48\n0 49\n", 10);
	CHECK(sym_emnist_mapping(tpath("dup.txt"), &v, &n) == -1);
	CHECK(strstr(sym_strerror(), "label 0 mapped twice") != NULL);
	write_file("emp.txt", "\n", 1);
	CHECK(sym_emnist_mapping(tpath("emp.txt"), &v, &n) == -1);
	CHECK(strstr(sym_strerror(), "empty mapping file") != NULL);
}

int
main(void)
{
	char cmd[512];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_idx();
	test_png();
	test_resize();
	test_ink();
	test_rotate();
	test_augment();
	test_listing();
	test_emnist();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return UNIT_END();
}
