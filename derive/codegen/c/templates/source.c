/* $header */
#include "$include"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "compile these kernels without -ffast-math or -ffinite-math-only: they rely on NaN and infinity"
#endif

$vector_math
$helpers

$definitions
