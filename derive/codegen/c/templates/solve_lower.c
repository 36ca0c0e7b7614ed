/* x = l^-1 b for an n x n lower-triangular l stored with row stride ``stride`` (only its lower
 * triangle is read), b read at step ``step``, x contiguous: forward substitution. */
static void ${internal}solve_lower(size_t n, const double *l, size_t stride, const double *b, size_t step, double *x)
{
    size_t i, k;
    for (i = 0; i < n; ++i) {
        double sum = b[i*step];
        for (k = 0; k < i; ++k) {
            sum -= l[i*stride + k]*x[k];
        }
        x[i] = sum/l[i*stride + i];
    }
}
