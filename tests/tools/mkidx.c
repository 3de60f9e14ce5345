/*
 * mkidx: write an IDX file for the tests. Reads the values (decimal,
 * whitespace separated, as many as the dims multiply to) from stdin and
 * writes OUT with the given dims, gzip-compressed with -z. -t sets the
 * type byte (the data is still one byte per value) to make bad files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sym.h"

static void
usage(void)
{
	fputs("usage: mkidx [-z] [-t type] out dim...\n", stderr);
	exit(2);
}

int
main(int argc, char *argv[])
{
	int z = 0, type = 8, nd, c;
	unsigned char hd[4 + 4 * 8];
	size_t total = 1;
	unsigned char *data;
	gzFile gz;
	FILE *f;

	sym_setprog(argv[0]);
	while ((c = getopt(argc, argv, "zt:")) != -1) {
		switch (c) {
		case 'z':
			z = 1;
			break;
		case 't':
			type = (int)sym_parse_long(optarg, 0, 255, "-t");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 9)
		usage();
	nd = argc - 1;
	hd[0] = hd[1] = 0;
	hd[2] = (unsigned char)type;
	hd[3] = (unsigned char)nd;
	for (int i = 0; i < nd; i++) {
		uint32_t d = (uint32_t)sym_parse_long(argv[1 + i], 0,
		    4294967295LL, "dim");
		hd[4 + 4 * i] = d >> 24;
		hd[5 + 4 * i] = d >> 16;
		hd[6 + 4 * i] = d >> 8;
		hd[7 + 4 * i] = d;
		total *= d;
	}
	data = sym_emalloc(total);
	for (size_t i = 0; i < total; i++) {
		long v;
		if (scanf("%ld", &v) != 1 || v < 0 || v > 255)
			sym_die("value %zu of %zu missing or not 0..255", i,
			    total);
		data[i] = (unsigned char)v;
	}
	if (z) {
		gz = gzopen(argv[0], "wb");
		if (!gz || gzwrite(gz, hd, 4 + 4 * nd) != 4 + 4 * nd ||
		    (total && gzwrite(gz, data, (unsigned)total) !=
		    (int)total) || gzclose(gz) != Z_OK)
			sym_die("%s: write error", argv[0]);
	} else {
		f = sym_efopen(argv[0], "wb");
		if (fwrite(hd, 1, 4 + 4 * nd, f) != (size_t)(4 + 4 * nd) ||
		    fwrite(data, 1, total, f) != total || fclose(f) != 0)
			sym_die("%s: write error:", argv[0]);
	}
	free(data);
	return 0;
}
