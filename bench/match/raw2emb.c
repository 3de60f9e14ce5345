/*
 * raw2emb: raw little-endian float32 vectors (N x D, as numpy's tofile
 * writes them on x86) to an embeddings sym stream without classes, so
 * sym-match treats each support vector as its own "#row" class: plain
 * k-NN, the same search FAISS does.
 * usage: raw2emb D N < vectors.f32 > vectors.emb
 */
#include <stdlib.h>

#include "sym.h"

int
main(int argc, char *argv[])
{
	struct sym_header h;
	struct sym_writer *w;
	unsigned char *buf;
	float *v;
	long D, N, i, k;

	sym_setprog(argv[0]);
	if (argc != 3)
		sym_usage_die("usage: raw2emb D N < vectors.f32");
	D = (long)sym_parse_long(argv[1], 1, 65536, "D");
	N = (long)sym_parse_long(argv[2], 1, 100000000, "N");
	buf = sym_emalloc((size_t)D * 4);
	v = sym_emalloc((size_t)D * sizeof *v);
	sym_header_init(&h, SYM_EMBEDDINGS, SYM_F32, 1, 1, (uint32_t)D);
	h.nitems = (uint64_t)N;
	sym_header_set_meta(&h, "source", "bench/match random vectors");
	w = sym_ewriter_new(stdout, "<stdout>", &h);
	for (i = 0; i < N; i++) {
		if (fread(buf, 4, (size_t)D, stdin) != (size_t)D)
			sym_die("<stdin>: short read at vector %ld", i);
		for (k = 0; k < D; k++)
			v[k] = sym_get_f32(buf + 4 * k);
		sym_ewrite_item(w, SYM_NOLABEL, v);
	}
	sym_ewriter_close(w);
	sym_header_free(&h);
	free(buf);
	free(v);
	return sym_fshut(stdout, "<stdout>");
}
