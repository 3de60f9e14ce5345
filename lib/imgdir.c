/* imgdir.c: sorted folder listings, so data sets load in the same order
 * on every machine whatever readdir returns. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sym.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
sym_list_dir(const char *dir, int kinds, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *e;
	char **v = NULL, *path;
	size_t nv = 0, cap = 0, dl = strlen(dir);

	*names = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return sym_seterr("%s:", dir);
	path = sym_emalloc(dl + 258);
	for (;;) {
		struct stat st;
		size_t el;

		errno = 0;
		e = readdir(d);
		if (!e)
			break;
		if (e->d_name[0] == '.')
			continue;
		el = strlen(e->d_name);
		path = sym_erealloc(path, dl + el + 2);
		memcpy(path, dir, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, e->d_name, el + 1);
		/* stat, not d_type: follows symlinks and works on every file
		 * system. What cannot be stat'ed (a dangling link) is listed
		 * with the files, so that opening it says what is wrong
		 * rather than the file being lost without a word. */
		if (stat(path, &st) != 0) {
			if (!(kinds & SYM_LIST_FILES))
				continue;
		} else if (!((kinds & SYM_LIST_FILES) &&
		    S_ISREG(st.st_mode)) && !((kinds & SYM_LIST_DIRS) &&
		    S_ISDIR(st.st_mode))) {
			continue;
		}
		if (nv == cap) {
			cap = cap ? 2 * cap : 64;
			v = sym_erealloc(v, cap * sizeof(*v));
		}
		v[nv++] = sym_estrdup(e->d_name);
	}
	if (errno) {
		sym_seterr("%s:", dir);
		closedir(d);
		free(path);
		sym_list_free(v, nv);
		return -1;
	}
	closedir(d);
	free(path);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_names);
	*names = v;
	*n = nv;
	return 0;
}

void
sym_list_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
