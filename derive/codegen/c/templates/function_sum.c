/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations per term, checked step by step).
 * The d terms are summed with Neumaier's compensation: error independent of d. */
static inline double ${name}_term($parameters)
{
$body
}

double $name(size_t d, $arrays)
{
    double total = 0.0, compensation = 0.0;
    size_t j;
    for (j = 0; j < d; ++j) {
        const double term = ($valid_elements) ? ${name}_term($elements) : NAN;
        const double sum = total + term;
        compensation += fabs(total) >= fabs(term) ? (total - sum) + term : (term - sum) + total;
        total = sum;
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
