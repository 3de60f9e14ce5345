/*
 * simd.h: 4-float vectors for the engine's hot loops (internal to lib/).
 * gcc -O2 does not vectorise these loops (a float reduction may not be
 * reordered, a ternary becomes a branch, sqrtf may set errno), so they
 * use GNU vector extensions, which gcc and clang map onto whatever SIMD
 * the target has. Loads and stores go through memcpy: no alignment is
 * assumed.
 */
#ifndef SYM_SIMD_H
#define SYM_SIMD_H

#include <string.h>

typedef float vf4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));

static inline vf4
ld(const float *p)
{
	vf4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
st(float *p, vf4 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline vf4
splat(float k)
{
	vf4 v = { k, k, k, k };

	return v;
}

#endif
