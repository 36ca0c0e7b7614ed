/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations as printed, checked step by step).
 * ${name}_fast_value is the same with the branch-free helpers, NaN where they are not exact:
 * the loop vectorizes with it and recomputes those (rare) elements by ${name}_value. */
static inline double ${name}_value($parameters)
{
$body
}

static inline double ${name}_fast_value($parameters)
{
$fast_body
}

double $name($parameters)
{
    double value = ${name}_fast_value($arguments);
    if (value != value) {
        value = ${name}_value($arguments);
    }
    return ($valid) ? value : NAN;
}

void ${name}_n(size_t n, $arrays, double *out)
{
    size_t i;
    int missed = 0;
    for (i = 0; i < n; ++i) {
        const double value = ${name}_fast_value($elements);
        missed |= value != value;
        out[i] = ($valid_elements) ? value : NAN;
    }
    if (missed) {  /* rare: elements the branch-free helpers are not exact for, recomputed */
        for (i = 0; i < n; ++i) {
            if (out[i] != out[i]) {
                out[i] = $name($elements);
            }
        }
    }
}
