/*
 * mkcorpus: write the seed corpus of the fuzz harnesses, small valid
 * inputs made with the library's own writers (and libpng, zlib), into
 * DIR/stream, DIR/idx, DIR/png, DIR/model and DIR/arch. Harnesses whose
 * first byte picks a mode get it prefixed here (see each harness).
 * usage: mkcorpus dir
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "sym.h"

static const char *dir;

/* Write mode byte (if >= 0) and n bytes to DIR/sub/name. */
static void
seed(const char *sub, const char *name, int mode, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	unsigned char m = (unsigned char)mode;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		sym_die("%s:", path);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = sym_efopen(path, "wb");
	if ((mode >= 0 && fwrite(&m, 1, 1, f) != 1) ||
	    (n && fwrite(p, 1, n, f) != n))
		sym_die("%s: write error:", path);
	if (sym_fshut(f, path) != 0)
		exit(1);
}

/* ---- streams ---- */

/* One segment of nitems items (u8 or f32 by kind) and, for pairs, pairs
 * (i, i + 1) appended to an open memstream. */
static void
segment(FILE *f, int kind, int dtype, uint32_t c, uint32_t h, uint32_t w,
    int nitems, int known, const char *cls)
{
	struct sym_header hd;
	struct sym_writer *wr;
	size_t n = (size_t)c * h * w;
	float *v = sym_ecalloc(n, sizeof(float));
	uint8_t *u = sym_ecalloc(n, 1);

	sym_header_init(&hd, kind, dtype, c, h, w);
	sym_header_add_class(&hd, cls);
	sym_header_add_class(&hd, "b");
	sym_header_set_meta(&hd, "source", "mkcorpus");
	if (known) {
		hd.nitems = (uint64_t)nitems;
		if (kind == SYM_PAIRS)
			hd.npairs = (uint64_t)nitems - 1;
	}
	wr = sym_ewriter_new(f, "mem", &hd);
	for (int i = 0; i < nitems; i++) {
		for (size_t k = 0; k < n; k++) {
			u[k] = (uint8_t)(17 * i + k);
			v[k] = (float)i - 0.5f * (float)k;
		}
		sym_ewrite_item(wr, i == 2 ? SYM_NOLABEL : (uint32_t)(i % 2),
		    dtype == SYM_F32 ? (const void *)v : (const void *)u);
	}
	if (kind == SYM_PAIRS)
		for (int i = 0; i + 1 < nitems; i++)
			sym_ewrite_pair(wr, (uint64_t)i, (uint64_t)i + 1,
			    i % 2);
	sym_ewriter_close(wr);
	sym_header_free(&hd);
	free(v);
	free(u);
}

static void
streams(void)
{
	static const struct {
		const char *name;
		int kind, dtype, c, h, w, n, known, twice;
	} s[] = {
		{ "images", SYM_IMAGES, SYM_U8, 1, 3, 2, 4, 1, 0 },
		{ "images-unknown", SYM_IMAGES, SYM_U8, 2, 2, 2, 3, 0, 0 },
		{ "images-cat", SYM_IMAGES, SYM_U8, 1, 2, 2, 3, 1, 1 },
		{ "emb", SYM_EMBEDDINGS, SYM_F32, 1, 1, 4, 3, 1, 0 },
		{ "emb-cat", SYM_EMBEDDINGS, SYM_F32, 1, 1, 3, 2, 0, 1 },
		{ "pairs-u8", SYM_PAIRS, SYM_U8, 1, 2, 2, 4, 1, 0 },
		{ "pairs-f32", SYM_PAIRS, SYM_F32, 1, 1, 3, 3, 0, 0 },
		{ "pairs-cat", SYM_PAIRS, SYM_U8, 1, 1, 2, 3, 1, 1 },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		char *buf;
		size_t len;
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			sym_die("open_memstream:");
		segment(f, s[i].kind, s[i].dtype, s[i].c, s[i].h, s[i].w,
		    s[i].n, s[i].known, "a");
		if (s[i].twice)
			segment(f, s[i].kind, s[i].dtype, s[i].c, s[i].h,
			    s[i].w, s[i].n, s[i].known, "c");
		fclose(f);
		seed("stream", s[i].name, -1, buf, len);
		free(buf);
	}
}

/* ---- IDX ---- */

static void
idx(void)
{
	/* labels: 5 of them */
	static const uint8_t labels[] = { 0, 0, 8, 1, 0, 0, 0, 5,
	    1, 2, 3, 4, 5 };
	/* 2 images of 3 x 2 */
	static const uint8_t images[] = { 0, 0, 8, 3, 0, 0, 0, 2,
	    0, 0, 0, 3, 0, 0, 0, 2,
	    0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110 };
	/* 1 item of 2 x 1 x 2 */
	static const uint8_t four[] = { 0, 0, 8, 4, 0, 0, 0, 1,
	    0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4 };
	static const struct {
		const char *name;
		const uint8_t *p;
		size_t n;
	} f[] = {
		{ "labels", labels, sizeof(labels) },
		{ "images", images, sizeof(images) },
		{ "four", four, sizeof(four) },
	};
	char name[64];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint8_t gz[256];
		z_stream z;

		/* mode 0: raw IDX; mode 1: the harness gzips it */
		snprintf(name, sizeof(name), "%s-raw", f[i].name);
		seed("idx", name, 0, f[i].p, f[i].n);
		snprintf(name, sizeof(name), "%s-gz", f[i].name);
		seed("idx", name, 1, f[i].p, f[i].n);
		/* mode 0 with a gzip file: mutations hit zlib's checks */
		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			sym_die("deflateInit2 failed");
		z.next_in = (Bytef *)f[i].p;
		z.avail_in = (uInt)f[i].n;
		z.next_out = gz;
		z.avail_out = sizeof(gz);
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			sym_die("deflate failed");
		snprintf(name, sizeof(name), "%s-gzfile", f[i].name);
		seed("idx", name, 0, gz, z.total_out);
		deflateEnd(&z);
	}
}

/* ---- PNG ---- */

struct membuf {
	unsigned char *p;
	size_t n, cap;
};

static void
png_mem_write(png_structp png, png_bytep p, png_size_t n)
{
	struct membuf *m = png_get_io_ptr(png);

	if (m->n + n > m->cap) {
		m->cap = 2 * (m->n + n);
		m->p = sym_erealloc(m->p, m->cap);
	}
	memcpy(m->p + m->n, p, n);
	m->n += n;
}

static void
png_mem_flush(png_structp png)
{
	(void)png;
}

/* A w x h PNG of colour type ct and depth bd with a simple pattern;
 * trns adds a tRNS chunk (palette: alpha per entry; gray: one value). */
static void
png_seed(const char *name, int ct, int bd, int interlace, int trns)
{
	enum { W = 5, H = 4 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING,
	    NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	struct membuf m = { NULL, 0, 0 };
	png_color pal[4];
	png_byte alpha[4] = { 0, 85, 170, 255 };
	png_color_16 tc;
	int ch = ct == PNG_COLOR_TYPE_RGB ? 3 : ct == PNG_COLOR_TYPE_RGBA ?
	    4 : ct == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
	size_t rowbytes = ((size_t)W * ch * bd + 7) / 8;
	png_byte rows[H][4 * W * 2];
	png_bytep rp[H];

	if (!info)
		sym_die("png: out of memory");
	if (setjmp(png_jmpbuf(png)))
		sym_die("png: cannot write %s", name);
	png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
	png_set_IHDR(png, info, W, H, bd, ct, interlace ?
	    PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (ct == PNG_COLOR_TYPE_PALETTE) {
		for (int i = 0; i < 4; i++)
			pal[i].red = pal[i].green = pal[i].blue =
			    (png_byte)(85 * i);
		png_set_PLTE(png, info, pal, 4);
		if (trns)
			png_set_tRNS(png, info, alpha, 4, NULL);
	} else if (trns) {
		memset(&tc, 0, sizeof(tc));
		png_set_tRNS(png, info, NULL, 0, &tc);
	}
	for (int y = 0; y < H; y++) {
		for (size_t x = 0; x < rowbytes; x++)
			rows[y][x] = (png_byte)(ct == PNG_COLOR_TYPE_PALETTE ?
			    (bd == 8 ? (x + y) % 4 : 0x1b * (x + y)) :
			    37 * x + 91 * y);
		rp[y] = rows[y];
	}
	png_write_info(png, info);
	png_write_image(png, rp);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	/* mode 1: the harness fixes chunk CRCs after mutation */
	seed("png", name, 1, m.p, m.n);
	free(m.p);
}

static void
pngs(void)
{
	png_seed("gray1", PNG_COLOR_TYPE_GRAY, 1, 0, 0);
	png_seed("gray4", PNG_COLOR_TYPE_GRAY, 4, 0, 0);
	png_seed("gray8", PNG_COLOR_TYPE_GRAY, 8, 0, 0);
	png_seed("gray8-trns", PNG_COLOR_TYPE_GRAY, 8, 0, 1);
	png_seed("gray16", PNG_COLOR_TYPE_GRAY, 16, 0, 0);
	png_seed("ga8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0);
	png_seed("rgb8", PNG_COLOR_TYPE_RGB, 8, 0, 0);
	png_seed("rgb16", PNG_COLOR_TYPE_RGB, 16, 0, 0);
	png_seed("rgba8", PNG_COLOR_TYPE_RGBA, 8, 0, 0);
	png_seed("pal2", PNG_COLOR_TYPE_PALETTE, 2, 0, 0);
	png_seed("pal8-trns", PNG_COLOR_TYPE_PALETTE, 8, 0, 1);
	png_seed("gray8-adam7", PNG_COLOR_TYPE_GRAY, 8, 1, 0);
	png_seed("rgba8-adam7", PNG_COLOR_TYPE_RGBA, 8, 1, 0);
}

/* ---- models ---- */

static void
model_seed(const char *name, const char *arch, int loss, int c, int h,
    int w, int unshared, int checkpoint)
{
	struct sym_model *m = sym_model_new(arch, loss, 1.0f, c, h, w,
	    unshared);
	struct sym_rng rng;
	char *buf, fname[64];
	size_t len;
	FILE *f;

	if (!m)
		sym_die("%s: %s", name, sym_strerror());
	sym_rng_seed(&rng, 1);
	sym_model_init(m, &rng);
	sym_model_set_meta(m, "source", "mkcorpus");
	if (checkpoint) {
		struct sym_model_train *tr = sym_model_train_attach(m);

		tr->optimizer = SYM_ADAM;
		tr->t = 3;
		tr->epoch = 1;
		tr->seed = 7;
		tr->has_best = 1;
		tr->best_epoch = 1;
		tr->best = 0.5f;
		tr->nsnap = sym_model_nvalues(m);
		tr->snap = sym_ecalloc(tr->nsnap + 1, sizeof(float));
		sym_model_get_values(m, tr->snap);
	}
	f = open_memstream(&buf, &len);
	if (!f || sym_model_write(m, f, name) < 0)
		sym_die("%s: %s", name, sym_strerror());
	fclose(f);
	/* mode 1: the harness fixes the checksum after mutation; 3: and
	 * reads the file through a FILE */
	seed("model", name, 1, buf, len);
	snprintf(fname, sizeof(fname), "%s-file", name);
	seed("model", fname, 3, buf, len);
	free(buf);
	sym_model_free(m);
}

static void
models(void)
{
	model_seed("mlp-contrastive", "mlp", SYM_LOSS_CONTRASTIVE, 1, 4, 4,
	    0, 0);
	model_seed("conv-bce", "conv:2:3,bn,relu,pool:2,dense:4",
	    SYM_LOSS_BCE, 1, 6, 6, 0, 0);
	model_seed("concat-unshared", "dense:3,sigmoid", SYM_LOSS_CONCAT,
	    2, 2, 2, 1, 0);
	model_seed("proto-checkpoint", "conv:2:3:1,bn,relu,flatten",
	    SYM_LOSS_PROTO, 1, 3, 3, 0, 1);
}

/* ---- architecture specs ---- */

static void
archs(void)
{
	/* mode 0: shape bytes 1 + c % 3, 1 + h % 32, 1 + w % 32; mode 1:
	 * big-endian u16 c - 1, h - 1, w - 1 */
	static const struct {
		const char *name;
		uint8_t mode, shape[6];
		const char *spec;
	} a[] = {
		{ "mlp", 0, { 0, 7, 7 }, "mlp" },
		{ "conv4", 0, { 0, 27, 27 }, "conv4" },
		{ "koch", 0, { 0, 31, 31 }, "koch" },
		{ "small", 0, { 1, 11, 11 }, "conv:4:3:1,bn,relu,pool:2,"
		    "flatten,dense:8" },
		{ "dense", 0, { 2, 3, 5 }, "dense:4,sigmoid,dense:2" },
		{ "relu-flat", 0, { 0, 4, 4 }, "flatten,relu,relu,sigmoid,bn" },
		{ "pool", 0, { 2, 9, 6 }, "pool:3,conv:2:2,relu" },
		{ "koch-105", 1, { 0, 0, 0, 104, 0, 104 }, "koch" },
		{ "big-pool", 1, { 0, 2, 255, 255, 255, 255 },
		    "pool:64,pool:64,conv:2:3,dense:3" },
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		uint8_t buf[300];
		size_t n = strlen(a[i].spec), hd = a[i].mode ? 7 : 4;

		buf[0] = a[i].mode;
		memcpy(buf + 1, a[i].shape, hd - 1);
		memcpy(buf + hd, a[i].spec, n);
		seed("arch", a[i].name, -1, buf, hd + n);
	}
}

int
main(int argc, char **argv)
{
	sym_setprog(argv[0]);
	if (argc != 2) {
		fputs("usage: mkcorpus dir\n", stderr);
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		sym_die("%s:", dir);
	streams();
	idx();
	pngs();
	models();
	archs();
	return 0;
}
