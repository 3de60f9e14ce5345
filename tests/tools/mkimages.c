/*
 * mkimages: write a labelled-images sym stream from text, for tests.
 * usage: mkimages W H [count|-] < lines
 * Each input line is "CLASS v1 v2 ... v(W*H)" (CLASS "-" = no label).
 * count "-" leaves the header's record count unknown; default: exact.
 */
#include <stdlib.h>
#include <string.h>

#include "sym.h"

int
main(int argc, char *argv[])
{
	struct sym_header h;
	struct sym_writer *w;
	char line[65536], *tok, *save;
	char **names = NULL;
	uint8_t *px = NULL;
	size_t n = 0, cap = 0;
	int wd, ht, known = 1;

	sym_setprog(argv[0]);
	if (argc < 3)
		sym_usage_die("usage: mkimages W H [count|-] < lines");
	wd = (int)sym_parse_long(argv[1], 1, 4096, "W");
	ht = (int)sym_parse_long(argv[2], 1, 4096, "H");
	if (argc > 3 && strcmp(argv[3], "-") == 0)
		known = 0;
	while (fgets(line, sizeof(line), stdin)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = sym_erealloc(names, cap * sizeof(char *));
			px = sym_erealloc(px, cap * wd * ht);
		}
		tok = strtok_r(line, " \t\n", &save);
		if (!tok)
			continue;
		names[n] = sym_estrdup(tok);
		for (int i = 0; i < wd * ht; i++) {
			tok = strtok_r(NULL, " \t\n", &save);
			px[n * wd * ht + i] = tok ? (uint8_t)atoi(tok) : 0;
		}
		n++;
	}
	sym_header_init(&h, SYM_IMAGES, SYM_U8, 1, ht, wd);
	if (known)
		h.nitems = n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], "-") != 0)
			sym_header_add_class(&h, names[i]);
	sym_header_set_meta(&h, "source", "mkimages");
	w = sym_ewriter_new(stdout, "<stdout>", &h);
	for (size_t i = 0; i < n; i++) {
		uint32_t label = strcmp(names[i], "-") == 0 ? SYM_NOLABEL :
		    (uint32_t)sym_header_find_class(&h, names[i]);
		sym_ewrite_item(w, label, px + i * wd * ht);
		free(names[i]);
	}
	sym_ewriter_close(w);
	sym_header_free(&h);
	free(names);
	free(px);
	return sym_fshut(stdout, "<stdout>");
}
