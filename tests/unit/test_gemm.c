/* test_gemm.c: sym_gemm (cblas) against the naive reference for every
 * transpose combination, odd sizes, leading dimensions wider than the
 * matrix, alpha and beta, under the OpenBLAS core sym_blas_init picks. */
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "unit.h"

static struct sym_rng rng;

static void
one(int ta, int tb, int M, int N, int K, float alpha, float beta)
{
	/* stored shapes: A is M x K (K x M if ta), B is K x N (N x K) */
	int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K,
	    bc = tb ? K : N, lda = ac + 3, ldb = bc + 1, ldc = N + 2, i;
	size_t na = (size_t)ar * lda, nb = (size_t)br * ldb,
	    nc = (size_t)M * ldc;
	float *A = malloc(na * 4), *B = malloc(nb * 4), *C1 = malloc(nc * 4),
	    *C2 = malloc(nc * 4);
	double worst = 0;

	for (i = 0; i < (int)na; i++)
		A[i] = (float)sym_rng_normal(&rng);
	for (i = 0; i < (int)nb; i++)
		B[i] = (float)sym_rng_normal(&rng);
	for (i = 0; i < (int)nc; i++)
		C1[i] = C2[i] = (float)sym_rng_normal(&rng);
	sym_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
	sym_gemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
	for (i = 0; i < (int)nc; i++) {
		double e = fabs(C1[i] - C2[i]) / (1 + fabs(C2[i]));

		/* the padding between rows must be left alone */
		if (i % ldc >= N && C1[i] != C2[i])
			e = 1;
		if (e > worst)
			worst = e;
	}
	if (worst > 1e-4)
		fprintf(stderr, "gemm ta=%d tb=%d %dx%dx%d alpha %g beta %g: "
		    "error %g\n", ta, tb, M, N, K, alpha, beta, worst);
	CHECK(worst <= 1e-4);
	free(A);
	free(B);
	free(C1);
	free(C2);
}

int
main(int argc, char **argv)
{
	static const int sz[][3] = { { 1, 1, 1 }, { 3, 5, 7 }, { 17, 1, 33 },
	    { 1, 29, 4 }, { 65, 63, 31 }, { 127, 130, 257 } };
	float C = 5, A = 2, B = 3;
	int ta, tb, s;

	(void)argc;
	sym_setprog(argv[0]);
	/* may re-exec this test with a better OpenBLAS core */
	sym_blas_init(argv, 1);
	sym_rng_seed(&rng, 7);
	CHECK(sym_blas_core() != NULL && *sym_blas_core());
	for (ta = 0; ta < 2; ta++)
		for (tb = 0; tb < 2; tb++)
			for (s = 0; s < 6; s++) {
				one(ta, tb, sz[s][0], sz[s][1], sz[s][2], 1, 0);
				one(ta, tb, sz[s][0], sz[s][1], sz[s][2],
				    -0.5f, 1.5f);
			}
	/* beta = 0 must ignore (not multiply) what C held */
	C = NAN;
	sym_gemm(0, 0, 1, 1, 1, 1, &A, 1, &B, 1, 0, &C, 1);
	CHECK(C == 6);
	sym_blas_threads(1);
	one(1, 0, 70, 90, 50, 1, 0);
	sym_blas_threads(2);
	one(0, 1, 70, 90, 50, 1, 0);
	return UNIT_END();
}
