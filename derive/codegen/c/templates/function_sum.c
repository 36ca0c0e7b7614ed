/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations per term, checked step by step).
 * Terms are computed 16 at a time (a loop compilers vectorize) and summed with Neumaier's
 * compensation: the error of the sum does not grow with d. */
static inline double ${name}_term($parameters)
{
$body
}

$row_function

void ${name}_n(size_t n, size_t d, $arrays, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        out[i] = $name(d, $rows);
    }
}
