/*
 * mkemb: write an embeddings sym stream (or pairs of embeddings) from
 * text, for tests.
 * usage: mkemb [-u] [-m key=value]... < lines
 * A line "CLASS v1 ... vD" is one vector (CLASS "-": no label; "nan" and
 * "inf" are accepted, to test that readers refuse them). A line
 * "pair A B SAME" makes a pairs stream: items A and B (0-based), SAME 1 or
 * 0. Blank lines and lines starting with '#' are skipped. -m sets header
 * metadata (model-id, loss, ...); -u leaves the record counts unknown.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

int
main(int argc, char *argv[])
{
	struct sym_header h;
	struct sym_writer *w;
	char line[1 << 16], *tok, *save, *end, **names = NULL;
	char *mk[64], *mv[64];
	float *v = NULL;
	uint64_t *pr = NULL;
	size_t n = 0, cap = 0, np = 0, pcap = 0, i;
	long D = -1, k, lineno = 0;
	int c, nm = 0, unknown = 0;

	sym_setprog(argv[0]);
	while ((c = getopt(argc, argv, "um:")) != -1) {
		if (c == 'u') {
			unknown = 1;
		} else if (c == 'm' && nm < 64 && strchr(optarg, '=')) {
			mk[nm] = optarg;
			mv[nm] = strchr(optarg, '=') + 1;
			mv[nm][-1] = '\0';
			nm++;
		} else {
			sym_usage_die("usage: mkemb [-u] [-m key=value]... "
			    "< lines");
		}
	}
	while (fgets(line, sizeof line, stdin)) {
		lineno++;
		if (!(tok = strtok_r(line, " \t\r\n", &save)) || *tok == '#')
			continue;
		if (strcmp(tok, "pair") == 0) {
			if (np == pcap) {
				pcap = pcap ? 2 * pcap : 16;
				pr = sym_erealloc(pr, pcap * 3 * sizeof *pr);
			}
			for (k = 0; k < 3; k++) {
				if (!(tok = strtok_r(NULL, " \t\r\n", &save)))
					sym_die("line %ld: short pair", lineno);
				pr[np * 3 + k] = strtoull(tok, NULL, 10);
			}
			np++;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = sym_erealloc(names, cap * sizeof *names);
		}
		names[n] = sym_estrdup(tok);
		for (k = 0; (tok = strtok_r(NULL, " \t\r\n", &save)); k++) {
			if (D >= 0 && k >= D)
				sym_die("line %ld: more than %ld values",
				    lineno, D);
			if (D < 0)
				v = sym_erealloc(v, (n + 1) * (k + 1) *
				    sizeof *v);
			v[n * (D < 0 ? 0 : D) + k] = strtof(tok, &end);
			if (*end)
				sym_die("line %ld: bad number %s", lineno, tok);
		}
		if (D < 0) {
			if (k == 0)
				sym_die("line %ld: no values", lineno);
			D = k;
		} else if (k != D) {
			sym_die("line %ld: %ld values, expected %ld", lineno,
			    k, D);
		}
		n++;
		v = sym_erealloc(v, (n + 1) * D * sizeof *v);
	}
	if (D < 0)
		sym_die("no vectors");
	sym_header_init(&h, np ? SYM_PAIRS : SYM_EMBEDDINGS, SYM_F32, 1, 1,
	    (uint32_t)D);
	if (!unknown) {
		h.nitems = n;
		if (np)
			h.npairs = np;
	}
	for (i = 0; i < n; i++)
		if (strcmp(names[i], "-") != 0)
			sym_header_add_class(&h, names[i]);
	for (k = 0; k < nm; k++)
		sym_header_set_meta(&h, mk[k], mv[k]);
	w = sym_ewriter_new(stdout, "<stdout>", &h);
	for (i = 0; i < n; i++)
		sym_ewrite_item(w, strcmp(names[i], "-") == 0 ? SYM_NOLABEL :
		    (uint32_t)sym_header_find_class(&h, names[i]),
		    v + i * D);
	for (i = 0; i < np; i++)
		sym_ewrite_pair(w, pr[i * 3], pr[i * 3 + 1],
		    (int)pr[i * 3 + 2]);
	sym_ewriter_close(w);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(v);
	free(pr);
	sym_header_free(&h);
	return sym_fshut(stdout, "<stdout>");
}
