/* gemm.c: the one door to BLAS (row-major sgemm through cblas) and the
 * naive reference the unit tests compare it with. */
#include <cblas.h>

#include "sym.h"

void
sym_gemm(int ta, int tb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
	    tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
	    beta, C, ldc);
}

/* Straight triple loop, accumulated in double so it is a fair reference.
 * beta == 0 overwrites C (NaN in C must not leak through, as in BLAS). */
void
sym_gemm_naive(int ta, int tb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc)
{
	int i, j, k;

	for (i = 0; i < M; i++) {
		for (j = 0; j < N; j++) {
			double s = 0;
			float a, b;

			for (k = 0; k < K; k++) {
				a = ta ? A[(size_t)k * lda + i] :
				    A[(size_t)i * lda + k];
				b = tb ? B[(size_t)j * ldb + k] :
				    B[(size_t)k * ldb + j];
				s += (double)a * b;
			}
			s *= alpha;
			if (beta != 0)
				s += (double)beta * C[(size_t)i * ldc + j];
			C[(size_t)i * ldc + j] = (float)s;
		}
	}
}

void
sym_blas_threads(int n)
{
	if (n < 1)
		n = 1;
	if (n > 64)
		n = 64;
	openblas_set_num_threads(n);
}

const char *
sym_blas_core(void)
{
	const char *s = openblas_get_corename();

	return s ? s : "unknown";
}
