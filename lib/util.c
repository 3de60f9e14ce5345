/* util.c: messages, checked allocation and parsing, stdio endings,
 * atomic output files, byte order, RNG, crc32. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sym.h"

static const char *progname = "sym";
static char errbuf[1024];

void
sym_setprog(const char *argv0)
{
	const char *p;

	if (!argv0 || !*argv0)
		return;
	p = strrchr(argv0, '/');
	progname = p ? p + 1 : argv0;
}

const char *
sym_prog(void)
{
	return progname;
}

/* Format into buf; a fmt ending in ':' gets ": strerror(errno)". */
static void
vfmt(char *buf, size_t n, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len;

	vsnprintf(buf, n, fmt, ap);
	len = strlen(fmt);
	if (len && fmt[len - 1] == ':') {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, " %s", strerror(saved));
	}
}

static void
vmsg(const char *fmt, va_list ap)
{
	char buf[1024];

	vfmt(buf, sizeof(buf), fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", progname, buf);
}

static void (*die_hook)(void);

/* Leave after an error: flush what stdio holds, then _exit, skipping
 * atexit handlers. An error can strike anywhere, with buffers still
 * owned by callers; freeing them all first would be code for nothing,
 * and LeakSanitizer's exit-time check would call them leaks. */
SYM_NORETURN static void
quit(int status)
{
	fflush(NULL);
	_exit(status);
}

void
sym_on_die(void (*fn)(void))
{
	die_hook = fn;
}

void
sym_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	if (die_hook)
		die_hook();
	quit(1);
}

void
sym_usage_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	quit(2);
}

void
sym_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

const char *
sym_strerror(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

int
sym_seterr(const char *fmt, ...)
{
	va_list ap;
	char tmp[sizeof(errbuf)];

	/* fmt's arguments may point into errbuf itself */
	va_start(ap, fmt);
	vfmt(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(errbuf, tmp, sizeof(errbuf));
	return -1;
}

void *
sym_emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sym_die("out of memory (%zu bytes)", n);
	return p;
}

void *
sym_ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		sym_die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
sym_erealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		sym_die("out of memory (%zu bytes)", n);
	return p;
}

char *
sym_estrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(sym_emalloc(n), s, n);
}

int
sym_mul_size(size_t *r, size_t a, size_t b)
{
	if (a && b > SIZE_MAX / a)
		return sym_seterr("size overflow (%zu x %zu)", a, b);
	*r = a * b;
	return 0;
}

long long
sym_parse_long(const char *s, long long min, long long max, const char *opt)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end)
		sym_usage_die("%s: '%s' is not a whole number", opt, s);
	/* too large even for a long long: out of any range given */
	if (errno == ERANGE || v < min || v > max)
		sym_usage_die("%s: %s is out of range %lld..%lld", opt, s,
		    min, max);
	return v;
}

double
sym_parse_double(const char *s, double min, double max, const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(v))
		sym_usage_die("%s: '%s' is not a number", opt, s);
	if (v < min || v > max)
		sym_usage_die("%s: %s is out of range %g..%g", opt, s, min, max);
	return v;
}

void
sym_parse_size(const char *s, int max, int *w, int *h, const char *opt)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (end == s || errno)
		goto bad;
	if (*end == 'x' || *end == 'X') {
		const char *s2 = end + 1;
		b = strtol(s2, &end, 10);
		if (end == s2 || errno)
			goto bad;
	} else {
		b = a;
	}
	if (*end)
		goto bad;
	if (a < 1 || b < 1 || a > max || b > max)
		sym_usage_die("%s: %s: each side must be in 1..%d", opt, s, max);
	*w = (int)a;
	*h = (int)b;
	return;
bad:
	sym_usage_die("%s: '%s' is not N or WxH", opt, s);
}

void
sym_epipe_exit(void)
{
	/* The reader went away: stop quietly, as Unix filters do. */
	_exit(1);
}

int
sym_fshut(FILE *f, const char *name)
{
	int bad = fflush(f) != 0 || ferror(f);

	if (bad && errno == EPIPE)
		sym_epipe_exit();
	if (fclose(f) != 0 && !bad) {
		if (errno == EPIPE)
			sym_epipe_exit();
		bad = 1;
	}
	if (bad) {
		sym_warn("%s: write error:", name);
		return 1;
	}
	return 0;
}

FILE *
sym_efopen(const char *path, const char *mode)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return mode[0] == 'r' ? stdin : stdout;
	f = fopen(path, mode);
	if (!f)
		sym_die("%s:", path);
	return f;
}

FILE *
sym_open_input(const char *path, const char **name)
{
	if (!path || strcmp(path, "-") == 0) {
		*name = "stdin";
		return stdin;
	}
	*name = path;
	return sym_efopen(path, "rb");
}

void
sym_close_input(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

void
sym_init_io(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/* 1 when st is the file our stdout or stderr writes to (/dev/stdout,
 * /dev/fd/1, or the same file by name, with stdout redirected to it). */
static int
is_std_output(const struct stat *st)
{
	struct stat o;

	for (int fd = 1; fd <= 2; fd++)
		if (fstat(fd, &o) == 0 && o.st_dev == st->st_dev &&
		    o.st_ino == st->st_ino)
			return 1;
	return 0;
}

/* The file a symbolic link that points to no file yet would create: its
 * target, taken from the link's folder when relative (a missing folder
 * then fails in mkstemp, as `>` would). NULL when it cannot be read. */
static char *
link_target(const char *path)
{
	char buf[PATH_MAX], *t;
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *slash = strrchr(path, '/');
	size_t k;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (buf[0] == '/' || !slash)
		return sym_estrdup(buf);
	k = (size_t)(slash - path) + 1;
	t = sym_emalloc(k + (size_t)n + 1);
	memcpy(t, path, k);
	memcpy(t + k, buf, (size_t)n + 1);
	return t;
}

/* Free the names an atomic output holds (not its stream). */
static void
atomic_free_names(struct sym_atomic *a)
{
	free(a->path);
	free(a->tmp);
	free(a->dest);
	a->path = a->tmp = a->dest = NULL;
}

int
sym_atomic_open(struct sym_atomic *a, const char *path)
{
	struct stat st, lst;
	char *real = NULL;
	const char *dest = path;
	size_t n;
	mode_t um;
	int fd, have = stat(path, &st) == 0;

	memset(a, 0, sizeof(*a));
	a->path = sym_estrdup(path);
	/* a device or FIFO (/dev/stdout on a pipe, /dev/full) cannot be
	 * replaced by a rename, nor the file our stdout writes to (a rename
	 * would leave what was written to stdout in a file without a name):
	 * write it in place, after what is there */
	if (have && (!S_ISREG(st.st_mode) || is_std_output(&st))) {
		a->f = fopen(path, S_ISREG(st.st_mode) ? "ab" : "wb");
		if (!a->f) {
			sym_seterr("%s:", path);
			atomic_free_names(a);
			return -1;
		}
		return 0;
	}
	/* a symbolic link to a file: replace the file it points to, not
	 * the link (renaming onto the link would turn it into a file) */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		real = have ? realpath(path, NULL) : link_target(path);
		if (!real) {
			sym_seterr("%s:", path);
			atomic_free_names(a);
			return -1;
		}
		a->dest = real;
		dest = real;
	}
	n = strlen(dest);
	a->tmp = sym_emalloc(n + 8);
	memcpy(a->tmp, dest, n);
	memcpy(a->tmp + n, ".XXXXXX", 8);
	fd = mkstemp(a->tmp);
	if (fd < 0) {
		sym_seterr("%s:", path);
		atomic_free_names(a);
		return -1;
	}
	/* mkstemp makes 0600: give the mode fopen would, 0666 less the
	 * umask (read by setting it) */
	um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	a->f = fdopen(fd, "wb");
	if (!a->f) {
		sym_seterr("%s:", path);
		close(fd);
		unlink(a->tmp);
		atomic_free_names(a);
		return -1;
	}
	return 0;
}

int
sym_atomic_check(const char *path)
{
	struct sym_atomic a;
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return sym_seterr("%s:", path);
		}
		/* a device or FIFO is written in place: opening one to
		 * try it could block (a FIFO without reader) */
		if (!S_ISREG(st.st_mode))
			return 0;
	}
	if (sym_atomic_open(&a, path) < 0)
		return -1;
	sym_atomic_abort(&a);
	return 0;
}

int
sym_atomic_commit(struct sym_atomic *a)
{
	int bad;

	bad = fflush(a->f) != 0 || ferror(a->f) ||
	    (a->tmp && fsync(fileno(a->f)) != 0);
	if (bad)
		sym_seterr("%s: write error:", a->path);
	if (fclose(a->f) != 0 && !bad) {
		sym_seterr("%s: write error:", a->path);
		bad = 1;
	}
	a->f = NULL;
	if (!bad && a->tmp && rename(a->tmp, a->dest ? a->dest : a->path)
	    != 0) {
		sym_seterr("%s: rename:", a->path);
		bad = 1;
	}
	if (bad && a->tmp)
		unlink(a->tmp);
	atomic_free_names(a);
	return bad ? -1 : 0;
}

void
sym_atomic_abort(struct sym_atomic *a)
{
	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	atomic_free_names(a);
	a->f = NULL;
}

void
sym_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

void
sym_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

void
sym_put_u64(unsigned char *p, uint64_t v)
{
	sym_put_u32(p, (uint32_t)v);
	sym_put_u32(p + 4, (uint32_t)(v >> 32));
}

void
sym_put_f32(unsigned char *p, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	sym_put_u32(p, u);
}

uint16_t
sym_get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
sym_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
sym_get_u64(const unsigned char *p)
{
	return (uint64_t)sym_get_u32(p) | (uint64_t)sym_get_u32(p + 4) << 32;
}

float
sym_get_f32(const unsigned char *p)
{
	uint32_t u = sym_get_u32(p);
	float v;

	memcpy(&v, &u, 4);
	return v;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
sym_rng_seed(struct sym_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sym_rng_u64(struct sym_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t
sym_rng_below(struct sym_rng *r, uint64_t n)
{
	/* reject the short top range so every value is equally likely */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = sym_rng_u64(r);
	while (x >= lim);
	return x % n;
}

double
sym_rng_uniform(struct sym_rng *r)
{
	return (sym_rng_u64(r) >> 11) * 0x1.0p-53;
}

double
sym_rng_normal(struct sym_rng *r)
{
	double u = 1.0 - sym_rng_uniform(r), v = sym_rng_uniform(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void
sym_rng_shuffle_u32(struct sym_rng *r, uint32_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = sym_rng_below(r, i);
		uint32_t t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

uint32_t
sym_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	/* zlib's crc32 takes a uInt length: feed large buffers in pieces */
	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, b, k);
		b += k;
		n -= k;
	}
	return crc;
}
