/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations per term, checked step by step).
 * Terms are computed 16 at a time (a loop compilers vectorize) and summed with Neumaier's
 * compensation: the error of the sum does not grow with d. */
static inline double ${name}_term($parameters)
{
$body
}

double $name(size_t d, $arrays)
{
    double total = 0.0, compensation = 0.0, terms[16];
    size_t start, j;
    for (start = 0; start < d; start += 16) {
        const size_t count = d - start < 16 ? d - start : 16;
        for (j = 0; j < count; ++j) {
            const double value = ${name}_term($block_elements);
            terms[j] = ($valid_elements) ? value : NAN;
        }
        for (j = 0; j < count; ++j) {
            const double sum = total + terms[j];
            if (isfinite(sum)) {  /* an infinite term makes the sum infinite, not NaN */
                compensation += fabs(total) >= fabs(terms[j]) ? (total - sum) + terms[j] : (terms[j] - sum) + total;
            }
            total = sum;
        }
    }
    return total + compensation;
}

void ${name}_n(size_t n, size_t d, $arrays, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        out[i] = $name(d, $rows);
    }
}
