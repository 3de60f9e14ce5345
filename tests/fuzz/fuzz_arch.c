/*
 * fuzz_arch: the architecture spec parser (sym_net_new). Input: a mode
 * byte, then the input shape, then the spec (up to a NUL). Mode even:
 * three bytes pick a small shape (1..3 x 1..32 x 1..32) and small nets
 * also run forward and backward on a batch of 2; mode odd: three
 * big-endian u16 pick any shape the engine takes (1..4096 x 1..65536 x
 * 1..65536), build only. Specs whose net would have many parameters are
 * skipped before building (fuzz_arch_small). A net that builds must
 * build again, the same, from its canonical spec.
 */
#include <math.h>

#include "fuzz.h"

#define MAX_SPEC 256
#define MAX_BUILD ((double)(1 << 22))	/* parameters */
#define MAX_RUN ((double)(1 << 15))	/* ... to run forward/backward */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sym_blas_threads(1);
	return 0;
}

static void
run(struct sym_net *net, int c, int h, int w)
{
	size_t in = (size_t)c * h * w, d = (size_t)sym_net_out_dim(net);
	float *x = malloc(2 * in * sizeof(float));
	float *dout = malloc(2 * d * sizeof(float));
	float *din = malloc(2 * in * sizeof(float));
	struct sym_rng rng;

	FUZZ_ASSERT(x && dout && din);
	sym_rng_seed(&rng, 1);
	sym_net_init(net, &rng);
	for (size_t i = 0; i < 2 * in; i++)
		x[i] = (float)sym_rng_uniform(&rng);
	for (size_t i = 0; i < 2 * d; i++)
		dout[i] = 1;
	sym_net_forward(net, x, 2, 1);
	sym_net_backward(net, dout, din);
	sym_net_forward(net, x, 1, 0);
	free(x);
	free(dout);
	free(din);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[MAX_SPEC + 1];
	struct sym_net *net, *again;
	int c, h, w;
	size_t n, hd;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (size < 7)
			return 0;
		c = 1 + (data[1] << 8 | data[2]) % 4096;
		h = 1 + (data[3] << 8 | data[4]);
		w = 1 + (data[5] << 8 | data[6]);
		hd = 7;
	} else {
		if (size < 4)
			return 0;
		c = 1 + data[1] % 3;
		h = 1 + data[2] % 32;
		w = 1 + data[3] % 32;
		hd = 4;
	}
	if (size - hd > MAX_SPEC)
		return 0;
	n = strnlen((const char *)data + hd, size - hd);
	memcpy(spec, data + hd, n);
	spec[n] = 0;
	/* building allocates parameters, not activations */
	if (!fuzz_arch_small(spec, c, h, w, MAX_BUILD, HUGE_VAL))
		return 0;

	net = sym_net_new(spec, c, h, w);
	if (!net) {
		FUZZ_ASSERT(sym_strerror()[0]);
		return 0;
	}
	FUZZ_ASSERT(sym_net_out_dim(net) >= 1);
	FUZZ_ASSERT(sym_net_nparams(net) <= MAX_BUILD);
	/* the canonical spec is a fixed point */
	again = sym_net_new(sym_net_spec(net), c, h, w);
	FUZZ_ASSERT(again);
	FUZZ_ASSERT(strcmp(sym_net_spec(net), sym_net_spec(again)) == 0);
	FUZZ_ASSERT(sym_net_nparams(net) == sym_net_nparams(again));
	FUZZ_ASSERT(sym_net_nstate(net) == sym_net_nstate(again));
	FUZZ_ASSERT(sym_net_out_dim(net) == sym_net_out_dim(again));
	sym_net_free(again);
	if (!(data[0] & 1) && fuzz_arch_small(spec, c, h, w, MAX_RUN, MAX_RUN))
		run(net, c, h, w);
	sym_net_free(net);
	return 0;
}
