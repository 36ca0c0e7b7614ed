${linkage}double ${row}(size_t d, $arrays)
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
