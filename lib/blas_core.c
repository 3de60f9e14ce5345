/* blas_core.c: make Debian's DYNAMIC_ARCH OpenBLAS use the kernels this
 * CPU can run. OpenBLAS 0.3.21 takes some AVX-512 CPUs (e.g. AMD Zen 4)
 * for "Prescott" and runs SGEMM about 5x slower (OpenBLAS issue #4267).
 * It picks its core in a library constructor, before main(), so the only
 * fix from inside the program is OPENBLAS_CORETYPE plus a re-exec. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#include "sym.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SYM_X86 1
#endif

/* Set in the re-executed process to the core OpenBLAS first chose; it
 * also stops a second re-exec should OpenBLAS ignore OPENBLAS_CORETYPE. */
#define REEXEC_ENV "SYM_BLAS_REEXEC"

/* Vector level of an OpenBLAS core name: 3 AVX-512, 2 AVX2+FMA, 1 AVX,
 * 0 older. Names we do not know count as good enough (-1 = leave alone),
 * so a newer OpenBLAS with new core names is never second-guessed. */
static int
core_level(const char *name)
{
	static const char *const l0[] = { "prescott", "core2", "penryn",
	    "dunnington", "nehalem", "atom", "katmai", "coppermine",
	    "northwood", "banias", "opteron", "opteron_sse3", "barcelona",
	    "bobcat", "athlon", "generic", NULL };
	static const char *const l1[] = { "sandybridge", "bulldozer",
	    "piledriver", "steamroller", "excavator", NULL };
	static const char *const l2[] = { "haswell", "zen", NULL };
	static const char *const l3[] = { "skylakex", "cooperlake",
	    "sapphirerapids", NULL };
	static const char *const *const lv[] = { l0, l1, l2, l3 };
	int i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; lv[i][j]; j++)
			if (strcasecmp(name, lv[i][j]) == 0)
				return i;
	return -1;
}

#ifdef SYM_X86
/* What cpuid (and the OS, via XGETBV) says we may run. */
static int
cpu_level(void)
{
	unsigned a, b, c, d, xcr0;
	int avx, avx2, fma, avx512;

	if (!__get_cpuid_count(1, 0, &a, &b, &c, &d))
		return 0;
	fma = (c >> 12) & 1;
	avx = (c >> 28) & 1;
	/* AVX also needs the OS to save YMM state (OSXSAVE + XCR0). */
	if (!((c >> 27) & 1))
		return 0;
	__asm__ volatile ("xgetbv" : "=a"(xcr0), "=d"(d) : "c"(0));
	if ((xcr0 & 6) != 6)
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return avx ? 1 : 0;
	avx2 = (b >> 5) & 1;
	/* F (16), DQ (17), BW (30), VL (31); opmask and ZMM state (XCR0) */
	avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) &&
	    ((b >> 31) & 1) && (xcr0 & 0xe6) == 0xe6;
	if (avx512 && avx2 && fma)
		return 3;
	if (avx2 && fma)
		return 2;
	return avx ? 1 : 0;
}
#endif

/* OpenBLAS's idle workers spin for 2^28 cycles (about 0.1 s) after each
 * call before they sleep. Between GEMMs our own kernels run on both
 * cores, and a spinning worker takes one of them: a conv4 training step
 * ran 13 % faster with the spin cut to 2^4 cycles. The value is read in
 * the library's constructor too, so it also needs the re-exec. */
#define SPIN_ENV "OPENBLAS_THREAD_TIMEOUT"
#define SPIN_VALUE "4"

#ifdef SYM_X86
static const char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* 1 if running /proc/self/exe again with argv runs this program. Started
 * through the dynamic loader (`ld.so prog args`) /proc/self/exe is the
 * loader, which would take our options for its own; under valgrind it is
 * valgrind's tool, which refuses to run alone. Both keep the first core. */
static int
restartable(const char *argv0)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *pre = getenv("LD_PRELOAD");

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (pre && strstr(pre, "vgpreload"))
		return 0;
	return strcmp(base_name(exe), base_name(argv0)) == 0;
}
#endif

void
sym_blas_init(char **argv, int verbose)
{
#ifdef SYM_X86
	static const char *const want_name[] = { NULL, "Sandybridge",
	    "Haswell", "SkylakeX" };
	const char *core = sym_blas_core(), *was = getenv(REEXEC_ENV);
	int have, want, fixcore, fixspin;

	if (was) {
		/* we are the re-executed process */
		if (verbose && strcmp(was, core) != 0)
			sym_warn("blas: OpenBLAS core %s (it chose %s; "
			    "set OPENBLAS_CORETYPE)", core, was);
		else if (verbose)
			sym_warn("blas: OpenBLAS core %s", core);
		unsetenv(REEXEC_ENV);
		return;
	}
	have = core_level(core);
	want = cpu_level();
	/* a user's setting is never overridden */
	fixcore = !getenv("OPENBLAS_CORETYPE") && have >= 0 && want > have;
	/* one thread has no idle worker to spin */
	fixspin = !getenv(SPIN_ENV) && openblas_get_num_threads() > 1;
	if ((!fixcore && !fixspin) || !argv || !argv[0]) {
		if (verbose)
			sym_warn("blas: OpenBLAS core %s%s", core,
			    getenv("OPENBLAS_CORETYPE") ?
			    " (OPENBLAS_CORETYPE from the environment)" : "");
		return;
	}
	if (restartable(argv[0]) && (!fixcore ||
	    setenv("OPENBLAS_CORETYPE", want_name[want], 1) == 0) &&
	    (!fixspin || setenv(SPIN_ENV, SPIN_VALUE, 1) == 0) &&
	    setenv(REEXEC_ENV, core, 1) == 0) {
		fflush(NULL);
		execv("/proc/self/exe", argv);
	}
	/* no restart, or exec failed (no /proc, say): run on as we are */
	if (fixcore)
		unsetenv("OPENBLAS_CORETYPE");
	if (fixspin)
		unsetenv(SPIN_ENV);
	unsetenv(REEXEC_ENV);
	if (verbose)
		sym_warn("blas: OpenBLAS core %s (could not re-exec%s%s)",
		    core, fixcore ? " with " : "",
		    fixcore ? want_name[want] : "");
#else
	(void)argv;
	if (verbose)
		sym_warn("blas: OpenBLAS core %s", sym_blas_core());
#endif
}
