/* $summary
 * Formula: $formula
 * Derivation: $derivation ($ops operations per term, checked step by step).
 * The terms go into 16 running sums, one per lane of a loop compilers vectorize, each
 * compensated for its rounding errors (TwoSum), and the 16 into one the same way: the error of
 * the sum does not grow with d.  The loop uses the branch-free helpers, NaN where they are not
 * exact; a row with such a term (rare) is recomputed by ${name}_exact, with the helpers
 * that call libm and Neumaier's compensation. */
static inline double ${name}_term($parameters)
{
$body
}

static inline double ${name}_fast_term($parameters)
{
$fast_body
}

$row_function

double $name(size_t d, $arrays)
{
    double totals[16] = {0.0}, errors[16] = {0.0}, total = 0.0, error = 0.0;
    size_t start = 0, j;
    int missed = 0;
    for (; start + 16 <= d; start += 16) {
        for (j = 0; j < 16; ++j) {
            const double value = ${name}_fast_term($block_elements);
            const double term = ($valid_elements) ? value : NAN;
            missed |= term != term;
            ${internal}two_sum(&totals[j], &errors[j], term);
        }
    }
    if (start > 0) {
        for (j = 0; j < 16; ++j) {
            ${internal}two_sum(&total, &error, totals[j]);
            error += errors[j];
        }
    }
    if (start < d) {  /* the last d mod 16 terms: computed together, added one by one */
        double terms[16];
        const size_t count = d - start;
        for (j = 0; j < count; ++j) {
            const double value = ${name}_fast_term($block_elements);
            terms[j] = ($valid_elements) ? value : NAN;
            missed |= terms[j] != terms[j];
        }
        for (j = 0; j < count; ++j) {
            ${internal}two_sum(&total, &error, terms[j]);
        }
    }
    if (missed) {
        return ${name}_exact(d, $arguments);
    }
    return total + error;
}

static void ${name}_short_rows(size_t n, size_t d, $arrays, double *out)
{
    /* Rows shorter than the 16 lanes: the terms of a chunk of rows in one loop, which
     * vectorizes across rows, then each row's sum, added in the order of the function for one
     * row (so with the same bits). */
    double terms[512];
    const size_t rows = 512 / d;
    size_t i, k, r;
    for (i = 0; i < n; i += rows) {
        const size_t count = (n - i < rows ? n - i : rows) * d;
        for (k = 0; k < count; ++k) {
            const double value = ${name}_fast_term($flat_elements);
            terms[k] = ($flat_valid) ? value : NAN;
        }
        for (r = 0; r < count / d; ++r) {
            double total = 0.0, error = 0.0;
            int missed = 0;
            for (k = r*d; k < (r + 1)*d; ++k) {
                missed |= terms[k] != terms[k];
                ${internal}two_sum(&total, &error, terms[k]);
            }
            out[i + r] = missed ? ${name}_exact(d, $chunk_rows) : total + error;
        }
    }
}

void ${name}_n(size_t n, size_t d, $arrays, double *out)
{
    size_t i;
    if (d > 0 && d < 16) {
        ${name}_short_rows(n, d, $arguments, out);
        return;
    }
    for (i = 0; i < n; ++i) {
        out[i] = $name(d, $rows);
    }
}
