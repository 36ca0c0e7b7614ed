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
    /* 256 elements at a time into a buffer in cache, the rare elements the branch-free helpers
     * are not exact for recomputed from the inputs, then copied out: out may be an input. */
    double values[256];
    size_t start, i, count;
    for (start = 0; start < n; start += count) {
        int missed = 0;
        count = n - start < 256 ? n - start : 256;
        for (i = 0; i < count; ++i) {
            const double value = ${name}_fast_value($block_elements);
            missed |= value != value;
            values[i] = ($block_valid) ? value : NAN;
        }
        if (missed) {
            for (i = 0; i < count; ++i) {
                if (values[i] != values[i]) {
                    values[i] = $name($block_elements);
                }
            }
        }
        memcpy(out + start, values, count*sizeof *out);
    }
}
