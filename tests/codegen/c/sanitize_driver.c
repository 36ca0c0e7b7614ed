/* Every kind of call the kernels take, for a build under -fsanitize=address,undefined: the issue's
 * reproducers (out aliasing an input, sizes whose bytes overflow size_t, a factor with NaN below
 * its diagonal) and ordinary calls of every function, batched ones longer than one block. */
#include "derive_gaussian.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 300

int main(void)
{
    static double a[N], b[N], c[N], e[N], out[N];
    const double eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, cov[9] = {2, 0.5, 0, 0.5, 1, 0.25, 0, 0.25, 3};
    const double mu[3] = {0.5, -1, 2}, nan_factor[4] = {1, 0, NAN, 1};
    const size_t sizes[4] = {(size_t)1 << 30, (size_t)1 << 31, (size_t)1 << 32, SIZE_MAX};
    double value = 0.0;
    size_t i;
    int failures = 0;
    for (i = 0; i < N; ++i) {
        a[i] = (double)i / 7.0 - 20.0;
        b[i] = i % 3 ? 1e-300 * (double)(i + 1) : 0.5 + (double)i;
        c[i] = 1.0 - (double)i / 50.0;
        e[i] = i % 5 ? 1e10 : 0.25 + (double)i / 100.0;
    }
    derive_entropy_normal_n(N, b, out);
    derive_entropy_normal_n(N, b, b);
    derive_kl_normal_std_normal_n(N, a, b, a);
    derive_cross_entropy_normal_normal_n(N, a, b, c, e, c);
    derive_kl_normal_normal_n(N, a, b, c, e, e);
    derive_entropy_laplace_n(N, e, out);
    derive_kl_normal_laplace_n(N, a, e, c, e, out);
    derive_kl_diag_std_normal_logvar_n(N / 20, 20, a, c, out);  /* rows of 16 lanes and more */
    derive_kl_diag_std_normal_logvar_n(N / 5, 5, a, c, a);      /* short rows, out == mu */
    failures += derive_entropy_mvn(3, cov, &value) != 0;
    failures += derive_kl_mvn_mvn(3, mu, cov, mu, eye, &value) != 0;
    failures += derive_kl_mvn_mvn_tril(3, mu, eye, mu, eye, &value) != 0 || value != 0.0;
    failures += derive_entropy_mvn_tril(2, nan_factor, &value) != 1;
    failures += derive_kl_mvn_mvn_tril(2, mu, nan_factor, mu, eye, &value) != 1;
    for (i = 0; i < 4; ++i) {
        failures += derive_entropy_mvn(sizes[i], eye, &value) != 2;
        failures += derive_entropy_mvn_tril(sizes[i], eye, &value) != 2;
        failures += derive_kl_mvn_mvn(sizes[i], mu, eye, mu, eye, &value) != 2;
        failures += derive_kl_mvn_mvn_tril(sizes[i], mu, eye, mu, eye, &value) != 2;
    }
    printf("%d failures\n", failures);
    return failures != 0;
}
