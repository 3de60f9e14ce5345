/* emnist.c: EMNIST helpers: the label-to-character mapping files and the
 * transposed image layout. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

#define MAX_LABELS 4096		/* EMNIST has 62; anything more is junk */

int
sym_emnist_mapping(const char *path, char ***names, uint32_t *n)
{
	FILE *f;
	char line[256], **v = NULL;
	uint32_t nv = 0;
	long lineno = 0;

	*names = NULL;
	*n = 0;
	f = fopen(path, "r");
	if (!f)
		return sym_seterr("%s:", path);
	while (fgets(line, sizeof(line), f)) {
		long lab, code[3];
		int nc = 0;
		char *p = line, *end, name[2];

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			sym_seterr("%s:%ld: line too long", path, lineno);
			goto fail;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		errno = 0;
		lab = strtol(p, &end, 10);
		if (end == p || errno || lab < 0 || lab >= MAX_LABELS) {
			sym_seterr("%s:%ld: bad label", path, lineno);
			goto fail;
		}
		for (p = end; nc < 3; p = end) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p || *p == '\n' || *p == '\r')
				break;
			code[nc] = strtol(p, &end, 10);
			if (end == p || code[nc] < 33 || code[nc] > 126) {
				sym_seterr("%s:%ld: bad character code", path,
				    lineno);
				goto fail;
			}
			nc++;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (nc == 0 || nc > 2 || *p) {
			sym_seterr("%s:%ld: want \"label code [code2]\"",
			    path, lineno);
			goto fail;
		}
		/* letters: "1 65 97" is A and a in one class, named "a" */
		name[0] = (char)(nc == 2 ? tolower((int)code[1]) : code[0]);
		name[1] = '\0';
		if ((uint32_t)lab >= nv) {
			v = sym_erealloc(v, ((size_t)lab + 1) * sizeof(*v));
			memset(v + nv, 0, ((size_t)lab + 1 - nv) * sizeof(*v));
			nv = (uint32_t)lab + 1;
		}
		if (v[lab]) {
			sym_seterr("%s:%ld: label %ld mapped twice", path,
			    lineno, lab);
			goto fail;
		}
		for (uint32_t i = 0; i < nv; i++) {
			if (v[i] && strcmp(v[i], name) == 0) {
				sym_seterr("%s:%ld: class '%s' mapped twice",
				    path, lineno, name);
				goto fail;
			}
		}
		v[lab] = sym_estrdup(name);
	}
	if (ferror(f)) {
		sym_seterr("%s: read error:", path);
		goto fail;
	}
	fclose(f);
	if (nv == 0) {
		sym_seterr("%s: empty mapping file", path);
		return -1;
	}
	*names = v;
	*n = nv;
	return 0;
fail:
	fclose(f);
	sym_list_free(v, nv);
	return -1;
}

void
sym_transpose_u8(uint8_t *out, const uint8_t *in, int h, int w)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			out[(size_t)x * h + y] = in[(size_t)y * w + x];
}
