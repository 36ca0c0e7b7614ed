/* Eigenvalues and eigenvectors of a symmetric d x d matrix a (row-major; only its lower triangle
 * is read, the whole of a is overwritten): on success a holds the eigenvectors, column k (the
 * entries a[i*d + k], i = 0 .. d-1) the unit eigenvector of values[k], the columns orthonormal,
 * and values the eigenvalues in ascending order.  work is d doubles of scratch (not read, left
 * unspecified); a, values and work must not overlap.  d = 0 is allowed (nothing is touched).
 * Returns 0, or 1 if the lower triangle holds a NaN or an infinity, or the iteration does not
 * converge, or a result overflows (eigenvalues beyond DBL_MAX); values and a are then
 * unspecified.
 *
 * Householder reduction to tridiagonal form and the implicit QL iteration with Wilkinson's shift
 * (Bowdler, Martin, Reinsch and Wilkinson's tred2 and tql2, Handbook for Automatic Computation
 * II/2 and II/3, in JAMA's arrangement), about 9 d^3 flops.  Both are backward stable: the
 * eigenvalues come out within a few n u ||a||_2 of those of a itself (n = max(d, 8), u = 2^-53),
 * the vectors orthonormal to a few n u and the residual ||a V - V diag(values)|| a few n u ||a||,
 * whatever the spread or clustering of the eigenvalues and at any scale (measured: at most 0.85
 * of those units against 40-digit references, 2.2 over 3000 fuzzed matrices; a W of size 1e-12
 * gets errors 1e-12 times as large).  Cyclic Jacobi, measured against it, came out 2 to 4 times more accurate in those units
 * and relatively accurate on graded positive definite matrices (which the whitened differences
 * are not: they are indefinite), but 2 to 9 times slower from d = 8 on (slower than LAPACK's
 * eigh from d = 16, 3.9 ms against 0.4 ms at d = 64), and it needs a second d x d array.
 *
 * Storage: the iteration wants the columns of its working matrix v contiguous (the Householder
 * updates and the rotations run down columns), so v is kept transposed in a, v[r][c] at
 * a[c*d + r], and a is transposed back at the end.  a is symmetric, so after its upper triangle
 * is filled from the lower one, a already is v. */
static int ${internal}symmetric_eigen(size_t d, double *a, double *values, double *work)
{
    double *vd = values, *e = work;   /* the diagonal and the off-diagonal of the tridiagonal */
    double f, g, h, hh, scale, tst1;
    size_t i, j, k, l, m;
    for (i = 0; i < d; ++i) {
        for (j = 0; j <= i; ++j) {
            if (!isfinite(a[i*d + j])) {
                return 1;
            }
            a[j*d + i] = a[i*d + j];
        }
    }
    if (d == 0) {
        return 0;
    }

    /* tred2: Householder reduction, row i = d-1 down to 1 (v[r][c] is a[c*d + r]).  The row is
     * scaled by the sum of its magnitudes before its norm is formed, so neither tiny (1e-300)
     * nor huge entries underflow or overflow in the squares. */
    for (j = 0; j < d; ++j) {
        vd[j] = a[j*d + d - 1];
    }
    for (i = d - 1; i > 0; --i) {
        scale = 0.0;
        h = 0.0;
        for (k = 0; k < i; ++k) {
            scale += fabs(vd[k]);
        }
        if (scale == 0.0) {
            e[i] = vd[i - 1];
            for (j = 0; j < i; ++j) {
                vd[j] = a[j*d + i - 1];
                a[j*d + i] = 0.0;
                a[i*d + j] = 0.0;
            }
        } else {
            for (k = 0; k < i; ++k) {
                vd[k] /= scale;
                h += vd[k]*vd[k];
            }
            f = vd[i - 1];
            g = sqrt(h);
            if (f > 0.0) {
                g = -g;      /* the sign that adds magnitudes in f - g: no cancellation */
            }
            e[i] = scale*g;
            h -= f*g;
            vd[i - 1] = f - g;
            for (j = 0; j < i; ++j) {
                e[j] = 0.0;
            }
            /* e = (lower part of v) times the Householder vector in vd, over rows 0 .. i-1. */
            for (j = 0; j < i; ++j) {
                double *column = a + j*d;
                f = vd[j];
                a[i*d + j] = f;       /* v[j][i]: the vector is kept for the accumulation */
                g = e[j] + column[j]*f;
                for (k = j + 1; k < i; ++k) {
                    g += column[k]*vd[k];
                    e[k] += column[k]*f;
                }
                e[j] = g;
            }
            f = 0.0;
            for (j = 0; j < i; ++j) {
                e[j] /= h;
                f += e[j]*vd[j];
            }
            hh = f/(h + h);
            for (j = 0; j < i; ++j) {
                e[j] -= hh*vd[j];
            }
            for (j = 0; j < i; ++j) {
                double *column = a + j*d;
                f = vd[j];
                g = e[j];
                for (k = j; k < i; ++k) {
                    column[k] -= f*e[k] + g*vd[k];
                }
                vd[j] = column[i - 1];
                column[i] = 0.0;
            }
        }
        vd[i] = h;
    }

    /* The product of the Householder reflections, built in place of the vectors kept in v. */
    for (i = 0; i + 1 < d; ++i) {
        double *next = a + (i + 1)*d;    /* v's column i+1: the vector of reflection i+1 */
        a[i*d + d - 1] = a[i*d + i];
        a[i*d + i] = 1.0;
        h = vd[i + 1];
        if (h != 0.0) {
            for (k = 0; k <= i; ++k) {
                vd[k] = next[k]/h;
            }
            for (j = 0; j <= i; ++j) {
                double *column = a + j*d;
                g = 0.0;
                for (k = 0; k <= i; ++k) {
                    g += next[k]*column[k];
                }
                for (k = 0; k <= i; ++k) {
                    column[k] -= g*vd[k];
                }
            }
        }
        for (k = 0; k <= i; ++k) {
            next[k] = 0.0;
        }
    }
    for (j = 0; j < d; ++j) {
        vd[j] = a[j*d + d - 1];
        a[j*d + d - 1] = 0.0;
    }
    a[(d - 1)*d + d - 1] = 1.0;
    e[0] = 0.0;
    for (i = 0; i < d; ++i) {
        if (!isfinite(vd[i]) || !isfinite(e[i])) {
            return 1;    /* overflow from entries near DBL_MAX; a NaN would also stop the
                          * search for m below from finding the zero e[d-1] */
        }
    }

    /* tql2: implicit QL with Wilkinson's shift on the tridiagonal (vd, e), rotating v's columns.
     * An off-diagonal entry is dropped once it is under u times the largest |vd| + |e| seen so
     * far: an absolute criterion, what backward stability asks, and what lets a tiny eigenvalue
     * (1e-12 of ||a||) converge at all.  30 iterations per eigenvalue are far more than the two
     * or three it takes (convergence is cubic); more means the input was not what it seemed. */
    for (i = 1; i < d; ++i) {
        e[i - 1] = e[i];
    }
    e[d - 1] = 0.0;
    f = 0.0;
    tst1 = 0.0;
    for (l = 0; l < d; ++l) {
        int iterations = 0;
        tst1 = fmax(tst1, fabs(vd[l]) + fabs(e[l]));
        for (m = l; m < d; ++m) {
            if (fabs(e[m]) <= 2.220446049250313e-16*tst1) {
                break;     /* e[d-1] is 0: m stops at d-1 at the latest */
            }
        }
        if (m > l) {
            do {
                double c = 1.0, c2 = 1.0, c3 = 1.0, s = 0.0, s2 = 0.0, el1, dl1, p, r;
                if (++iterations > 30) {
                    return 1;
                }
                /* The shift: the eigenvalue of the leading 2 x 2 nearer vd[l]. */
                g = vd[l];
                p = (vd[l + 1] - g)/(2.0*e[l]);
                r = hypot(p, 1.0);
                if (p < 0.0) {
                    r = -r;
                }
                vd[l] = e[l]/(p + r);
                vd[l + 1] = e[l]*(p + r);
                dl1 = vd[l + 1];
                h = g - vd[l];
                for (i = l + 2; i < d; ++i) {
                    vd[i] -= h;
                }
                f += h;
                /* The implicit QL step: plane rotations from row m-1 up to row l. */
                p = vd[m];
                el1 = e[l + 1];
                for (i = m; i-- > l;) {
                    double *left = a + i*d, *right = a + (i + 1)*d;
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    g = c*e[i];
                    h = c*p;
                    r = hypot(p, e[i]);
                    e[i + 1] = s*r;
                    s = e[i]/r;
                    c = p/r;
                    p = c*vd[i] - s*g;
                    vd[i + 1] = h + s*(c*g + s*vd[i]);
                    for (k = 0; k < d; ++k) {
                        double t = right[k];
                        right[k] = s*left[k] + c*t;
                        left[k] = c*left[k] - s*t;
                    }
                }
                /* e[l]/dl1 = 1/(p + r) first: the product el1*e[l] is of the size of
                 * ||a||^2 and would underflow or overflow for entries below ~1e-154 or above
                 * ~1e154 (JAMA multiplies in that order). */
                p = -s*s2*c3*el1*(e[l]/dl1);
                e[l] = s*p;
                vd[l] = c*p;
            } while (fabs(e[l]) > 2.220446049250313e-16*tst1);
        }
        vd[l] += f;
        e[l] = 0.0;
    }

    /* Ascending order (selection sort: d swaps of contiguous columns of v at most), then v
     * transposed back so that column k of a is the eigenvector of values[k]. */
    for (i = 0; i + 1 < d; ++i) {
        size_t smallest = i;
        for (j = i + 1; j < d; ++j) {
            if (vd[j] < vd[smallest]) {
                smallest = j;
            }
        }
        if (smallest != i) {
            double t = vd[i];
            vd[i] = vd[smallest];
            vd[smallest] = t;
            for (k = 0; k < d; ++k) {
                t = a[i*d + k];
                a[i*d + k] = a[smallest*d + k];
                a[smallest*d + k] = t;
            }
        }
    }
    for (i = 0; i < d; ++i) {
        if (!isfinite(vd[i])) {
            return 1;
        }
        for (j = 0; j < i; ++j) {
            double t = a[i*d + j];
            a[i*d + j] = a[j*d + i];
            a[j*d + i] = t;
        }
    }
    return 0;
}
