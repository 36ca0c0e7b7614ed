/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations as printed, checked step by step). */
static inline double ${name}_value($parameters)
{
$body
}

double $name($parameters)
{
    const double value = ${name}_value($arguments);
    return ($valid) ? value : NAN;
}

void ${name}_n(size_t n, $arrays, double *out)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        const double value = ${name}_value($elements);
        out[i] = ($valid_elements) ? value : NAN;
    }
}
