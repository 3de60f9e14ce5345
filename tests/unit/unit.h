/*
 * unit.h: the smallest test harness that can fail. CHECK records a failure
 * with file and line and goes on; UNIT_END prints "N passed, N failed" and
 * gives the exit status. Include it once per test program.
 */
#ifndef UNIT_H
#define UNIT_H
#include <math.h>
#include <stdio.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do { \
	if (cond) { \
		unit_pass++; \
	} else { \
		unit_fail++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
	} \
} while (0)

/* |a - b| <= tol, with the values in the message */
#define CHECK_NEAR(a, b, tol) do { \
	double ua_ = (a), ub_ = (b); \
	if (fabs(ua_ - ub_) <= (tol)) { \
		unit_pass++; \
	} else { \
		unit_fail++; \
		fprintf(stderr, "%s:%d: %s = %g, %s = %g, tolerance %g\n", \
		    __FILE__, __LINE__, #a, ua_, #b, ub_, (double)(tol)); \
	} \
} while (0)

#define UNIT_END() (printf("%s: %d passed, %d failed\n", __FILE__, \
	unit_pass, unit_fail), unit_fail ? 1 : 0)

#endif
