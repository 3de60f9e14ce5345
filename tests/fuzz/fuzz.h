/*
 * fuzz.h: helpers shared by the libFuzzer harnesses (build with `make
 * fuzz`). FUZZ_ASSERT turns a broken invariant into a crash libFuzzer
 * reports; the size bound keeps harnesses from building nets that would
 * allocate gigabytes, which is a cap of the harness, not of the library.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym.h"

#define FUZZ_ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* ASan's default 256 MB quarantine of freed blocks made the loaders that
 * allocate zlib and libpng buffers per input several times slower; 16 MB
 * still catches a use after free within one input. ASAN_OPTIONS wins. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

/* Write n bytes to a private file and return a path to it; the loaders
 * under test take paths. The file is unlinked as soon as it is made (we
 * keep its descriptor and name it /proc/self/fd/N), so no run, crashed
 * or not, leaves one behind. */
static inline const char *
fuzz_file(const void *p, size_t n)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		/* tmpfs if there is one: no disk I/O per input */
		char shm[] = "/dev/shm/symfuzz.XXXXXX";
		char other[] = "/tmp/symfuzz.XXXXXX", *tmp = shm;

		fd = mkstemp(shm);
		if (fd < 0) {
			tmp = other;
			fd = mkstemp(other);
		}
		if (fd < 0) {
			perror(tmp);
			abort();
		}
		unlink(tmp);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (n && pwrite(fd, p, n, 0) !=
	    (ssize_t)n)) {
		perror(path);
		abort();
	}
	return path;
}

/* Numbers of one layer token "name:a:b:c", as strtol reads them (like
 * lib/net.c), out-of-range ones as huge; missing ones are 0. */
static inline void
fuzz_nums(const char *tok, size_t len, double v[3])
{
	const char *p = memchr(tok, ':', len), *end = tok + len;
	char buf[32];

	v[0] = v[1] = v[2] = 0;
	for (int i = 0; i < 3 && p; i++) {
		const char *q = memchr(p + 1, ':', (size_t)(end - p - 1));
		size_t k = (size_t)((q ? q : end) - p - 1);

		if (k >= sizeof(buf)) {
			v[i] = 1e18;
		} else {
			memcpy(buf, p + 1, k);
			buf[k] = 0;
			v[i] = strtod(buf, NULL);
			if (!(v[i] >= 0))
				v[i] = 0;
		}
		p = q;
	}
}

/* 1 if the net spec (or named arch) builds at most maxparams parameters
 * and maxact values per input at any layer for c x h x w inputs: an upper
 * bound, computed without building anything. */
static inline int
fuzz_arch_small(const char *spec, double c, double h, double w,
    double maxparams, double maxact)
{
	static const char *const named[][2] = {
		{ "mlp", "flatten,dense:128,relu" },
		{ "conv4", "conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,relu,"
		    "pool:2,conv:64:3:1,bn,relu,pool:2,conv:64:3:1,bn,relu,"
		    "pool:2,flatten" },
		{ "koch", "conv:64:10,relu,pool:2,conv:128:7,relu,pool:2,"
		    "conv:128:4,relu,pool:2,conv:256:4,relu,flatten,"
		    "dense:4096,sigmoid" },
	};
	double np = 0, act = c * h * w, v[3];
	const char *p = spec;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(spec, named[i][0]) == 0)
			p = named[i][1];
	while (*p) {
		size_t len = strcspn(p, ","), nl = strcspn(p, ":,");

		fuzz_nums(p, len, v);
		if (nl == 4 && strncmp(p, "conv", 4) == 0) {
			np += v[0] * c * v[1] * v[1] + v[0];
			c = v[0];
			h = h + 2 * v[2] - v[1] + 1;
			w = w + 2 * v[2] - v[1] + 1;
		} else if (nl == 4 && strncmp(p, "pool", 4) == 0) {
			if (v[0] >= 1) {
				h = floor(h / v[0]);
				w = floor(w / v[0]);
			}
		} else if (nl == 5 && strncmp(p, "dense", 5) == 0) {
			np += v[0] * c * h * w + v[0];
			c = v[0];
			h = w = 1;
		} else if (nl == 7 && strncmp(p, "flatten", 7) == 0) {
			c = c * h * w;
			h = w = 1;
		} else if (nl == 2 && strncmp(p, "bn", 2) == 0) {
			np += 2 * c;
		}
		if (h < 1)
			h = 1;
		if (w < 1)
			w = 1;
		if (c * h * w > act)
			act = c * h * w;
		if (np > maxparams || act > maxact)
			return 0;
		p += len;
		if (*p == ',')
			p++;
	}
	return 1;
}

#endif
