/*
 * modpatch: overwrite bytes of a model file and recompute its crc32
 * trailer (sym-model(5)), for tests of what the reader checks after the
 * checksum, such as a newer version.
 * usage: modpatch file offset byte...
 * Bytes are decimal 0..255; the file is patched in place.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sym.h"

int
main(int argc, char *argv[])
{
	unsigned char *buf;
	long n, off;
	FILE *f;

	sym_setprog(argv[0]);
	if (argc < 4)
		sym_usage_die("usage: modpatch file offset byte...");
	f = fopen(argv[1], "r+b");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		sym_die("%s:", argv[1]);
	off = sym_parse_long(argv[2], 0, n, "offset");
	if (n < 4 || off + (argc - 3) > n - 4)
		sym_die("%s: patch runs into the checksum trailer", argv[1]);
	buf = sym_emalloc((size_t)n);
	rewind(f);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		sym_die("%s: read error", argv[1]);
	for (int i = 3; i < argc; i++)
		buf[off + i - 3] = (unsigned char)sym_parse_long(argv[i], 0,
		    255, "byte");
	sym_put_u32(buf + n - 4, sym_crc32(0, buf, (size_t)n - 4));
	rewind(f);
	if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
		sym_die("%s: write error:", argv[1]);
	free(buf);
	return sym_fshut(f, argv[1]);
}
