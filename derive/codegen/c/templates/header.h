/* $header
 *
 * $title
 * Every function below is printed from a derivation whose steps were all checked
 * (numerically always, symbolically where SymPy could decide); its comment names it.
 *
 * Recommended flags: $flags
 * The kernels are correct with any standard-conforming flags, -O0 included; the source
 * refuses -ffast-math and its parts, which would drop its NaN tests and reorder its sums.
 * Batched against scalar:$equality
 * Invalid parameters (a scale that is not > 0, NaN) give NaN.
 * The _n forms' out may be one of their inputs (the same pointer: each result overwrites the
 * inputs it came from), not a partial overlap of one.  Every pointer must point to the values
 * the function reads or writes: a NULL pointer is undefined behaviour unless n (or d) is 0.
 */
#ifndef $guard
#define $guard

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

$declarations

#ifdef __cplusplus
}
#endif

#endif /* $guard */
