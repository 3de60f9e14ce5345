/* idx.c: streaming reader of IDX files (MNIST and friends), raw or gzip.
 * Format: 0x00 0x00 type ndims, ndims big-endian uint32 dims, then the
 * items, dims[0] of them, row-major. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sym.h"

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The noun used in truncation messages: what a person calls the items. */
static const char *
noun(const struct sym_idx *x)
{
	return x->ndims == 1 ? "labels" : "images";
}

/* zlib's message for x, without the "path: " that gzerror puts first
 * (the caller names the file already). */
static const char *
zmsg(const struct sym_idx *x, const char *m)
{
	size_t n = strlen(x->path);

	if (strncmp(m, x->path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
		return m + n + 2;
	return m;
}

/* Read up to n bytes into buf, *got of them. 0 when all n came or the
 * data ended cleanly short; -1 on a read error or corrupt gzip data
 * (message set). A gzip stream cut short leaves Z_BUF_ERROR, which the
 * caller reports as truncation from the byte count. */
static int
gz_read(struct sym_idx *x, void *buf, size_t n, size_t *got)
{
	gzFile gz = x->gz;
	unsigned char *p = buf;
	int zerr;

	*got = 0;
	while (*got < n) {
		/* gzread takes an unsigned length: large items go in pieces */
		unsigned k = n - *got > (1u << 30) ? (1u << 30) :
		    (unsigned)(n - *got);
		int r = gzread(gz, p + *got, k);

		if (r < 0) {
			const char *m = gzerror(gz, &zerr);
			if (zerr == Z_ERRNO)
				return sym_seterr("%s: read error: %s",
				    x->path, strerror(errno));
			if (zerr == Z_BUF_ERROR)
				return 0;
			return sym_seterr("%s: corrupt gzip data (%s)",
			    x->path, zmsg(x, m));
		}
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	if (*got < n) {
		const char *m = gzerror(gz, &zerr);
		if (zerr != Z_OK && zerr != Z_BUF_ERROR)
			return sym_seterr("%s: corrupt gzip data (%s)",
			    x->path, zmsg(x, m));
	}
	return 0;
}

/* "path: truncated after 12 of 100 images" */
static int
truncated(const struct sym_idx *x, uint32_t done)
{
	return sym_seterr("%s: truncated after %lu of %lu %s", x->path,
	    (unsigned long)done, (unsigned long)x->count, noun(x));
}

/* After the last item: reading on to the end makes zlib check the gzip
 * trailer's CRC, which catches corruption that still inflated. Bytes
 * after the last item are allowed; a gzip file cut inside its last
 * block or trailer is not (its data cannot be checked: a download that
 * stopped short). */
static int
check_end(struct sym_idx *x)
{
	unsigned char b;
	const char *m;
	int zerr;

	/* zlib may have met the early end already, while inflating the
	 * last item, and keeps the error: ask for it either way */
	gzread(x->gz, &b, 1);
	m = gzerror(x->gz, &zerr);
	if (zerr == Z_BUF_ERROR)
		return sym_seterr("%s: truncated gzip data (its end and "
		    "checksum are missing)", x->path);
	if (zerr != Z_OK)
		return sym_seterr("%s: corrupt gzip data (%s)", x->path,
		    zmsg(x, m));
	return 0;
}

struct sym_idx *
sym_idx_open(const char *path)
{
	struct sym_idx *x;
	unsigned char hd[4 + 4 * SYM_IDX_MAXDIMS];
	size_t bytes = 1, got;
	gzFile gz;

	errno = 0;
	gz = gzopen(path, "rb");
	if (!gz) {
		if (errno)
			sym_seterr("%s:", path);
		else
			sym_seterr("%s: out of memory", path);
		return NULL;
	}
	gzbuffer(gz, 1u << 16);
	x = sym_ecalloc(1, sizeof(*x));
	x->gz = gz;
	x->path = sym_estrdup(path);
	if (gz_read(x, hd, 4, &got) < 0)
		goto fail;
	if (got < 4) {
		sym_seterr("%s: not an IDX file (%s)", path,
		    got ? "too short" : "empty");
		goto fail;
	}
	if (hd[0] != 0 || hd[1] != 0 || hd[3] == 0) {
		sym_seterr("%s: not an IDX file (magic %02x%02x%02x%02x)",
		    path, hd[0], hd[1], hd[2], hd[3]);
		goto fail;
	}
	if (hd[2] != 0x08) {
		sym_seterr("%s: unsupported IDX data type 0x%02x "
		    "(only 0x08, unsigned byte)", path, hd[2]);
		goto fail;
	}
	if (hd[3] > SYM_IDX_MAXDIMS) {
		sym_seterr("%s: %d dimensions, at most %d supported", path,
		    hd[3], SYM_IDX_MAXDIMS);
		goto fail;
	}
	x->ndims = hd[3];
	if (gz_read(x, hd + 4, 4 * (size_t)x->ndims, &got) < 0)
		goto fail;
	if (got < 4 * (size_t)x->ndims) {
		sym_seterr("%s: truncated header", path);
		goto fail;
	}
	for (int i = 0; i < x->ndims; i++)
		x->dims[i] = get_be32(hd + 4 + 4 * i);
	x->count = x->dims[0];
	if (x->count > SYM_IDX_MAX_ITEMS) {
		sym_seterr("%s: absurd item count %lu", path,
		    (unsigned long)x->count);
		goto fail;
	}
	/* dims checked before anyone allocates item_bytes */
	for (int i = 1; i < x->ndims; i++) {
		if (x->dims[i] == 0 || x->dims[i] > SYM_MAX_DIM) {
			sym_seterr("%s: absurd dimension %lu", path,
			    (unsigned long)x->dims[i]);
			goto fail;
		}
		bytes *= x->dims[i];
		if (bytes > SYM_MAX_ITEM_BYTES) {
			sym_seterr("%s: absurd item size (over %u bytes)",
			    path, SYM_MAX_ITEM_BYTES);
			goto fail;
		}
	}
	x->item_bytes = bytes;
	return x;
fail:
	sym_idx_close(x);
	return NULL;
}

int
sym_idx_read(struct sym_idx *x, uint8_t *buf)
{
	size_t got;

	if (x->next >= x->count)
		return 0;
	if (gz_read(x, buf, x->item_bytes, &got) < 0)
		return -1;
	if (got < x->item_bytes)
		return truncated(x, x->next);
	x->next++;
	if (x->next == x->count && check_end(x) < 0)
		return -1;
	return 1;
}

void
sym_idx_close(struct sym_idx *x)
{
	if (!x)
		return;
	if (x->gz)
		gzclose(x->gz);
	free(x->path);
	free(x);
}

int
sym_idx_read_labels(const char *path, uint8_t **labels, uint32_t *n)
{
	struct sym_idx *x = sym_idx_open(path);
	uint8_t *l = NULL;
	size_t cap = 0, got;

	*labels = NULL;
	*n = 0;
	if (!x)
		return -1;
	if (x->ndims != 1) {
		sym_seterr("%s: not a label file (%d dimensions, want 1)",
		    path, x->ndims);
		goto fail;
	}
	/* One byte per label; grow by chunks as the data arrives rather than
	 * trust the header's count with one big allocation. */
	while (x->next < x->count) {
		size_t chunk = x->count - x->next;
		if (chunk > (1u << 20))
			chunk = 1u << 20;
		if (cap < x->next + chunk) {
			cap = x->next + chunk;
			l = sym_erealloc(l, cap);
		}
		if (gz_read(x, l + x->next, chunk, &got) < 0)
			goto fail;
		if (got < chunk) {
			truncated(x, x->next + (uint32_t)got);
			goto fail;
		}
		x->next += (uint32_t)chunk;
	}
	if (check_end(x) < 0)
		goto fail;
	*labels = l ? l : sym_emalloc(1);
	*n = x->count;
	sym_idx_close(x);
	return 0;
fail:
	free(l);
	sym_idx_close(x);
	return -1;
}
