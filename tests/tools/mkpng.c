/*
 * mkpng: write a PNG for the tests. Reads W*H gray values (decimal, 0 =
 * black ink, 255 = white paper) from stdin and encodes them in the given
 * colour type so that each decodes to the same gray: gray1 (values 0 or
 * 255), gray8, gray16, ga and rgba (black ink with alpha 255 - v over
 * white), palette (gray entries), paltrns (black entries with tRNS
 * alpha), rgb. -i writes Adam7 interlace. -H writes only a signature, an
 * IHDR claiming W x H and IEND, for the absurd-size tests.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

static void
usage(void)
{
	fputs("usage: mkpng [-i] [-t type] out w h\n"
	    "       mkpng -H out w h\n", stderr);
	exit(2);
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* A PNG whose header claims any size, with no image data at all. */
static void
header_only(const char *out, uint32_t w, uint32_t h)
{
	unsigned char b[8 + 25 + 12] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	FILE *f;

	be32(b + 16, w);
	be32(b + 20, h);
	b[24] = 8;	/* 8-bit gray, no interlace */
	be32(b + 29, sym_crc32(0, b + 12, 17));
	memcpy(b + 33, "\0\0\0\0IEND", 8);
	be32(b + 41, sym_crc32(0, b + 37, 4));
	f = sym_efopen(out, "wb");
	if (fwrite(b, 1, sizeof(b), f) != sizeof(b) || fclose(f) != 0)
		sym_die("%s: write error:", out);
}

int
main(int argc, char *argv[])
{
	/* static: nothing libpng's longjmp could clobber */
	static const char *type = "gray8", *out;
	static int il, bd = 8, w, h, ct;
	int hdr = 0, c, passes;
	png_structp png;
	png_infop info;
	png_color pal[256];
	png_byte trns[256];
	uint8_t *g;
	png_bytep row;
	FILE *f;

	sym_setprog(argv[0]);
	while ((c = getopt(argc, argv, "it:H")) != -1) {
		switch (c) {
		case 'i':
			il = 1;
			break;
		case 't':
			type = optarg;
			break;
		case 'H':
			hdr = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	out = argv[0];
	if (hdr) {
		header_only(argv[0],
		    (uint32_t)sym_parse_long(argv[1], 0, 4294967295LL, "w"),
		    (uint32_t)sym_parse_long(argv[2], 0, 4294967295LL, "h"));
		return 0;
	}
	w = (int)sym_parse_long(argv[1], 1, 4096, "w");
	h = (int)sym_parse_long(argv[2], 1, 4096, "h");
	g = sym_emalloc((size_t)w * h);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		long v;
		if (scanf("%ld", &v) != 1 || v < 0 || v > 255)
			sym_die("value %zu missing or not 0..255", i);
		g[i] = (uint8_t)v;
	}
	if (!strcmp(type, "gray1")) {
		ct = PNG_COLOR_TYPE_GRAY;
		bd = 1;
	} else if (!strcmp(type, "gray8")) {
		ct = PNG_COLOR_TYPE_GRAY;
	} else if (!strcmp(type, "gray16")) {
		ct = PNG_COLOR_TYPE_GRAY;
		bd = 16;
	} else if (!strcmp(type, "ga")) {
		ct = PNG_COLOR_TYPE_GRAY_ALPHA;
	} else if (!strcmp(type, "rgb")) {
		ct = PNG_COLOR_TYPE_RGB;
	} else if (!strcmp(type, "rgba")) {
		ct = PNG_COLOR_TYPE_RGB_ALPHA;
	} else if (!strcmp(type, "palette") || !strcmp(type, "paltrns")) {
		ct = PNG_COLOR_TYPE_PALETTE;
	} else {
		sym_usage_die("unknown type %s", type);
	}

	f = sym_efopen(out, "wb");
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
	    NULL);
	info = png ? png_create_info_struct(png) : NULL;
	row = sym_ecalloc((size_t)w, 8);
	if (!info || setjmp(png_jmpbuf(png)))
		sym_die("%s: cannot write PNG", out);
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bd, ct,
	    il ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ct == PNG_COLOR_TYPE_PALETTE) {
		int t = !strcmp(type, "paltrns");
		for (int i = 0; i < 256; i++) {
			pal[i].red = pal[i].green = pal[i].blue =
			    t ? 0 : (png_byte)i;
			trns[i] = (png_byte)(255 - i);
		}
		png_set_PLTE(png, info, pal, 256);
		if (t)
			png_set_tRNS(png, info, trns, 256, NULL);
	}
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	for (int p = 0; p < passes; p++) {
		for (int y = 0; y < h; y++) {
			const uint8_t *s = g + (size_t)y * w;
			memset(row, 0, (size_t)w * 8);
			for (int x = 0; x < w; x++) {
				uint8_t v = s[x];
				if (bd == 1) {
					if (v >= 128)
						row[x / 8] |= 0x80 >> (x % 8);
				} else if (bd == 16) {
					row[2 * x] = row[2 * x + 1] = v;
				} else if (ct == PNG_COLOR_TYPE_GRAY_ALPHA) {
					row[2 * x + 1] = 255 - v;
				} else if (ct == PNG_COLOR_TYPE_RGB) {
					row[3 * x] = row[3 * x + 1] =
					    row[3 * x + 2] = v;
				} else if (ct == PNG_COLOR_TYPE_RGB_ALPHA) {
					row[4 * x + 3] = 255 - v;
				} else {
					row[x] = v;
				}
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0)
		sym_die("%s: write error:", out);
	free(row);
	free(g);
	return 0;
}
