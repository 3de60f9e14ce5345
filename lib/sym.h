/*
 * sym.h: the one public header of libsym, the library behind every sym-*
 * command. Utilities and the RNG here; topics in sym_*.h, included below.
 *
 * Conventions: functions that parse untrusted input return 0 (or a count)
 * on success and -1 on error, leaving a message for sym_strerror().
 * Functions named sym_eNAME() die with a message instead. Objects that
 * NAME_new, NAME_open and NAME_read return are released with the matching
 * NAME_free or NAME_close; passing NULL to those is a no-op.
 */
#ifndef SYM_H
#define SYM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef SYM_VERSION
#define SYM_VERSION "0.0.0"
#endif

#if defined(__GNUC__)
#define SYM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SYM_NORETURN __attribute__((noreturn))
#else
#define SYM_PRINTF(a, b)
#define SYM_NORETURN
#endif

/* ---- program name, errors ---------------------------------------------- */

/* Remember the program name (basename of argv0) for messages. Commands
 * then point argv[0] at sym_prog(), so getopt's own messages (a missing
 * argument, an unknown option) name the program the same way. */
void sym_setprog(const char *argv0);
const char *sym_prog(void);

/* "prog: msg" on stderr and exit(1). A fmt ending in ':' appends
 * ": strerror(errno)". */
SYM_NORETURN void sym_die(const char *fmt, ...) SYM_PRINTF(1, 2);
/* Run fn in sym_die before exiting (one hook; the stream writer uses it
 * to mark output it leaves unfinished). */
void sym_on_die(void (*fn)(void));
/* Same as sym_die but exit status 2 (usage errors). */
SYM_NORETURN void sym_usage_die(const char *fmt, ...) SYM_PRINTF(1, 2);
/* "prog: msg" on stderr, no exit. */
void sym_warn(const char *fmt, ...) SYM_PRINTF(1, 2);

/* The message left by the last failing library call. */
const char *sym_strerror(void);
/* Set that message (printf-like, ':' at the end appends strerror(errno)).
 * Always returns -1 so parsers can `return sym_seterr(...)`. */
int sym_seterr(const char *fmt, ...) SYM_PRINTF(1, 2);

/* ---- memory -------------------------------------------------------------- */

void *sym_emalloc(size_t n);
void *sym_ecalloc(size_t n, size_t size);
void *sym_erealloc(void *p, size_t n);
char *sym_estrdup(const char *s);
/* *r = a * b; returns -1 (and sets the error) on overflow. */
int sym_mul_size(size_t *r, size_t a, size_t b);

/* ---- option parsing ------------------------------------------------------ */

/* Parse a whole decimal integer in [min, max]; on failure die with status 2
 * naming the option: "sym-train: --epochs: -1 is out of range 1..100000". */
long long sym_parse_long(const char *s, long long min, long long max,
    const char *opt);
/* Parse a finite floating point number in [min, max], same failure rules. */
double sym_parse_double(const char *s, double min, double max,
    const char *opt);
/* Parse "N" (square) or "WxH", each in 1..max. */
void sym_parse_size(const char *s, int max, int *w, int *h, const char *opt);

/* ---- stdio --------------------------------------------------------------- */

/* Flush and check a stream; returns exit status 0, or 1 after a message.
 * Commands end with `return sym_fshut(stdout, "<stdout>");`. Writing into
 * a closed pipe (EPIPE) ends quietly with status 1, as Unix tools do. */
int sym_fshut(FILE *f, const char *name);
/* fopen that dies with "prog: name: strerror" on failure; "-" is stdin. */
FILE *sym_efopen(const char *path, const char *mode);
/* An input operand: path, or stdin for NULL or "-"; *name is what
 * messages call it ("stdin" or path). Dies if path cannot be opened. */
FILE *sym_open_input(const char *path, const char **name);
/* Close what sym_open_input opened (never stdin). */
void sym_close_input(FILE *f);
/* Ignore SIGPIPE so write errors reach us as EPIPE; all commands call it. */
void sym_init_io(void);
/* Called on EPIPE writing stdout: exit quietly (status 1). */
SYM_NORETURN void sym_epipe_exit(void);

/* An output file written to "path.XXXXXX" in the same folder and renamed
 * over path only on commit, so a failed or killed write never destroys an
 * existing file. A symbolic link keeps pointing where it did: the file
 * it points to is the one replaced. A path that exists and is not a
 * regular file (a device, a FIFO), or is the file our stdout or stderr
 * writes to (/dev/stdout redirected to a file), is written in place, a
 * regular file after what it holds. */
struct sym_atomic {
	FILE *f;
	char *path;	/* as given, for messages */
	char *tmp;	/* NULL when written in place */
	char *dest;	/* what the rename replaces, when not path */
};
/* Open; -1 with sym_strerror() on failure (e.g. the folder is missing). */
int sym_atomic_open(struct sym_atomic *a, const char *path);
/* 0 if sym_atomic_open(path) would succeed (the folder exists and is
 * writable), else -1 with the reason; leaves nothing behind. Commands
 * call it before long work, so a bad output path fails up front. */
int sym_atomic_check(const char *path);
/* Flush, fsync, close and rename; -1 on any error (the temp is removed). */
int sym_atomic_commit(struct sym_atomic *a);
/* Close and remove the temporary file; the old file stays. */
void sym_atomic_abort(struct sym_atomic *a);

/* ---- little-endian byte helpers ----------------------------------------- */

void sym_put_u16(unsigned char *p, uint16_t v);
void sym_put_u32(unsigned char *p, uint32_t v);
void sym_put_u64(unsigned char *p, uint64_t v);
void sym_put_f32(unsigned char *p, float v);
uint16_t sym_get_u16(const unsigned char *p);
uint32_t sym_get_u32(const unsigned char *p);
uint64_t sym_get_u64(const unsigned char *p);
float sym_get_f32(const unsigned char *p);

/* ---- random numbers (xoshiro256**, state passed explicitly) -------------- */

struct sym_rng {
	uint64_t s[4];
};
/* Seed from a 64-bit value (splitmix64 expands it). */
void sym_rng_seed(struct sym_rng *r, uint64_t seed);
uint64_t sym_rng_u64(struct sym_rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t sym_rng_below(struct sym_rng *r, uint64_t n);
/* Uniform float in [0, 1). */
double sym_rng_uniform(struct sym_rng *r);
/* Standard normal (Box-Muller). */
double sym_rng_normal(struct sym_rng *r);
/* Fisher-Yates shuffle of n uint32 values. */
void sym_rng_shuffle_u32(struct sym_rng *r, uint32_t *v, size_t n);

/* ---- checksums ----------------------------------------------------------- */

/* zlib crc32, continuing from crc (start with 0). */
uint32_t sym_crc32(uint32_t crc, const void *p, size_t n);

#include "sym_stream.h"
#include "sym_nn.h"
#include "sym_image.h"
#include "sym_source.h"
#include "sym_sample.h"
#include "sym_match.h"
#include "sym_model.h"

#endif
