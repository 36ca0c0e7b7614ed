/* W = l2^-1 (cov1 - cov2) l2^-T into w (d x d, full), from the exact difference of the inputs'
 * lower triangles: its entries are O(cov1 - cov2), so its eigenvalues are accurate near q = p.
 * h: d x d scratch (l2^-1 (cov1 - cov2)), x: d doubles. */
static void ${internal}whitened_covariances(size_t d, const double *l2, const double *cov1, const double *cov2,
                                            double *w, double *h, double *x)
{
    size_t i, j;
    for (i = 0; i < d; ++i) {  /* the difference, symmetric, in w for now */
        for (j = 0; j <= i; ++j) {
            w[i*d + j] = w[j*d + i] = cov1[i*d + j] - cov2[i*d + j];
        }
    }
    for (j = 0; j < d; ++j) {  /* column j of h = l2^-1 (cov1 - cov2) */
        ${internal}solve_lower(d, l2, d, w + j, d, x);
        for (i = 0; i < d; ++i) {
            h[i*d + j] = x[i];
        }
    }
    for (j = 0; j < d; ++j) {  /* column j of w = l2^-1 h^T: row j of h solved */
        ${internal}solve_lower(d, l2, d, h + j*d, 1, x);
        for (i = 0; i < d; ++i) {
            w[i*d + j] = x[i];
        }
    }
}

/* W = D D^T + D + D^T with D = l2^-1 (l1 - l2) (lower triangular; A = l2^-1 l1 = I + D, W = A A^T - I),
 * from the factors' difference, exact when they are close; l1, l2 with positive diagonals.
 * h: d x d scratch (D), x: d doubles. */
static void ${internal}whitened_factors(size_t d, const double *l1, const double *l2, double *w, double *h,
                                        double *x)
{
    size_t i, j, k;
    for (j = 0; j < d; ++j) {  /* column j of D: (l1 - l2)'s column from row j down, zero above */
        for (i = j; i < d; ++i) {
            x[i] = l1[i*d + j] - l2[i*d + j];
        }
        ${internal}solve_lower(d - j, l2 + j*d + j, d, x + j, 1, h + j*d + j);  /* into h's row j, for now */
    }
    for (j = 0; j < d; ++j) {  /* h's row j holds column j of D from row j on: transpose into place */
        for (i = 0; i < j; ++i) {
            h[j*d + i] = 0.0;
        }
    }
    for (i = 0; i < d; ++i) {
        for (k = 0; k <= i; ++k) {
            double sum = 0.0;
            for (j = 0; j <= k; ++j) {  /* (D D^T)_ik = sum_j D_ij D_kj, j <= k <= i; D_ij = h[j*d + i] */
                sum += h[j*d + i]*h[j*d + k];
            }
            sum += h[k*d + i] + (i == k ? h[i*d + k] : 0.0);  /* + D_ik + D_ki: D_ki = 0 above the diagonal */
            w[i*d + k] = w[k*d + i] = sum;
        }
    }
}

/* W's eigen-decomposition (values ascending, vectors in w's columns), and with g = l2^-1 (mu1 - mu2),
 * *mahalanobis = g^T (I + weight W)^-1 g, +inf where I + weight W is not positive definite (the
 * integral diverges).  values: d doubles; x: 2d doubles of scratch.  Returns 0, or 1 if the eigen
 * iteration fails. */
static int ${internal}whitened_terms(size_t d, const double *mu1, const double *mu2, const double *l2, double *w,
                                     double weight, double *values, double *x, double *mahalanobis)
{
    double sum = 0.0;
    size_t i, k;
    int finite = 1;
    if (${internal}symmetric_eigen(d, w, values, x)) {
        return 1;
    }
    for (i = 0; i < d; ++i) {  /* g by forward substitution, into x + d */
        double s = mu1[i] - mu2[i];
        for (k = 0; k < i; ++k) {
            s -= l2[i*d + k]*x[d + k];
        }
        x[d + i] = s/l2[i*d + i];
    }
    for (k = 0; k < d; ++k) {
        double t = 0.0, scaled = 1.0 + weight*values[k];
        for (i = 0; i < d; ++i) {
            t += w[i*d + k]*x[d + i];
        }
        finite &= scaled > 0.0;
        sum += t*t/scaled;
    }
    *mahalanobis = finite ? sum : INFINITY;
    return 0;
}

/* The lower triangles of l1 and l2 into p1 and p2 (d x d), each column's sign made positive on
 * the diagonal (the covariance l l^T is the same; the flip is exact), zero above. */
static void ${internal}positive_factors(size_t d, const double *l1, const double *l2, double *p1, double *p2)
{
    size_t i, j;
    for (i = 0; i < d; ++i) {
        for (j = 0; j < d; ++j) {
            p1[i*d + j] = j > i ? 0.0 : l1[j*d + j] < 0.0 ? -l1[i*d + j] : l1[i*d + j];
            p2[i*d + j] = j > i ? 0.0 : l2[j*d + j] < 0.0 ? -l2[i*d + j] : l2[i*d + j];
        }
    }
}

/* 1 if q may be near p: |cov1_ij - cov2_ij| <= sqrt(cov2_ii cov2_jj)/2 for every i >= j, and
 * 1/2 <= (l1_ii/l2_ii)^2 <= 3/2 for every i.  Failing either implies ||W||_2 > 1/2 (the first as
 * |(l2 W l2^T)_ij| <= ||W||_2 sqrt(cov2_ii cov2_jj); the second as l1_ii/l2_ii is a diagonal entry
 * of the triangular l2^-1 l1, which lies between its extreme singular values), so far pairs have
 * an eigenvalue of W beyond 1/2 and a divergence that the closed form's log-determinants give
 * without cancelling by more than a bounded factor; the others take W's eigenvalues. */
static int ${internal}near_pair(size_t d, const double *cov1, const double *cov2, const double *l1, const double *l2)
{
    size_t i, j;
    for (i = 0; i < d; ++i) {
        const double ratio = l1[i*d + i]/l2[i*d + i];
        if (!(ratio*ratio >= 0.5 && ratio*ratio <= 1.5)) {
            return 0;
        }
    }
    for (i = 0; i < d; ++i) {
        for (j = 0; j <= i; ++j) {
            if (!(fabs(cov1[i*d + j] - cov2[i*d + j]) <= 0.5*sqrt(cov2[i*d + i]*cov2[j*d + j]))) {
                return 0;
            }
        }
    }
    return 1;
}

/* The closed form's terms far from p, from Cholesky factors: lc = chol(w2 cov2 + w1 cov1) (the
 * combined covariance, formed in ``combined`` from the lower triangles), *mahalanobis =
 * ||lc^-1 (mu1 - mu2)||^2, *log_ratio_c = 2 sum_i log(lc_ii/l2_ii) = log det(combined)/det(cov2),
 * *log_ratio_1 = 2 sum_i log(l1_ii/l2_ii): ratios, so the covariances' scale cancels exactly.
 * lc, combined: d x d; x: d doubles.  Returns 1 if the combined covariance is not positive definite. */
static int ${internal}combined_terms(size_t d, const double *mu1, const double *cov1, const double *mu2,
                                     const double *cov2, const double *l1, const double *l2, double w1, double w2,
                                     double *lc, double *combined, double *x, double *mahalanobis,
                                     double *log_ratio_c, double *log_ratio_1)
{
    double sum = 0.0, ratio_c = 0.0, ratio_1 = 0.0;
    size_t i, k;
    for (i = 0; i < d; ++i) {  /* both triangles: the factorisation's symmetry test reads both */
        for (k = 0; k <= i; ++k) {
            combined[i*d + k] = combined[k*d + i] = w2*cov2[i*d + k] + w1*cov1[i*d + k];
        }
    }
    if (${internal}cholesky(d, combined, lc)) {
        return 1;
    }
    for (i = 0; i < d; ++i) {
        double s = mu1[i] - mu2[i];
        for (k = 0; k < i; ++k) {
            s -= lc[i*d + k]*x[k];
        }
        x[i] = s/lc[i*d + i];
        sum += x[i]*x[i];
        ratio_c += log(lc[i*d + i]/l2[i*d + i]);
        ratio_1 += log(l1[i*d + i]/l2[i*d + i]);
    }
    *mahalanobis = sum;
    *log_ratio_c = 2.0*ratio_c;
    *log_ratio_1 = 2.0*ratio_1;
    return 0;
}

/* cov = l l^T (d x d, both triangles) from a factor's lower triangle (positive diagonal). */
static void ${internal}covariance_of(size_t d, const double *l, double *cov)
{
    size_t i, k, m;
    for (i = 0; i < d; ++i) {
        for (k = 0; k <= i; ++k) {
            double s = 0.0;
            for (m = 0; m <= k; ++m) {
                s += l[i*d + m]*l[k*d + m];
            }
            cov[i*d + k] = cov[k*d + i] = s;
        }
    }
}
