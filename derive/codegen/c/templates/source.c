/* $header */
#include "$include"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__) || defined(__ASSOCIATIVE_MATH__) \
    || defined(__RECIPROCAL_MATH__)
#error "compile these kernels without -ffast-math (-ffinite-math-only, -fassociative-math, -freciprocal-math, -funsafe-math-optimizations): they rely on NaN and infinity and on the order of their operations"
#endif

$vector_math
$helpers

$definitions
