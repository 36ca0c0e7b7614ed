"""A derivation of your own, by the Gaussian-integral rules: the Bhattacharyya distance.

D_B(q, p) = −log ∫ √(q p) for two normals.  The densities are written out, the exponentials
combined, the square completed and the Gaussian integral taken, each step by a rule of
derive's library and checked; then logarithm algebra, and a stable last form in which
log(1 + (σ₁ − σ₂)²/(2σ₁σ₂)) is a log1p of a quantity formed without cancellation.

    derive check examples/bhattacharyya.py
"""
import sympy as sp

from derive.api import (COMBINE_EXPONENTIALS, COMPLETE_THE_SQUARE, GAUSSIAN_INTEGRAL, LOG_ALGEBRA, STABLE_FORM,
                        WRITE_OUT_DENSITIES, Definition, KernelSpec, Parameter, begin, integral, mu1, mu2, normal_1,
                        normal_2, publish, sigma1, sigma2)
from sympy.codegen.cfunctions import log1p

KERNEL = KernelSpec(
    "example_bhattacharyya_normal_normal", "example-bhattacharyya-normal-normal",
    (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
     Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True)),
    "Bhattacharyya distance -log int sqrt(q p) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2).")


@publish("example-bhattacharyya-normal-normal", "Bhattacharyya distance between two normals (example)",
         kernels=(KERNEL,))
def bhattacharyya(name: str, title: str):
    q, p = normal_1(), normal_2()
    definition = Definition(-sp.log(integral(sp.sqrt(q.at() * p.at()), q)), (q, p), r"D_B(q, p)",
                            "D_B(q, p) = −log ∫ √(q p): minus the log of the Bhattacharyya coefficient")
    step = begin(name, title, definition, summary="D_B(q, p) for two normals, by completing the square")
    step.apply(WRITE_OUT_DENSITIES, "q and p written out")
    step.apply(COMBINE_EXPONENTIALS, "one exponential, the constants in front")
    step.apply(COMPLETE_THE_SQUARE, "the exponent is a quadratic in z")
    step.apply(GAUSSIAN_INTEGRAL, "∫ exp(−a(z − m)²) dz = √(π/a) with a = (σ₁² + σ₂²)/(4σ₁²σ₂²) > 0")
    step.to((mu1 - mu2) ** 2 / (4 * (sigma1**2 + sigma2**2)) + sp.log((sigma1**2 + sigma2**2) / (2 * sigma1 * sigma2)) / 2,
            LOG_ALGEBRA, "−log of a product is the sum of −logs; the constants cancel")
    step.to((mu1 - mu2) ** 2 / (4 * (sigma1**2 + sigma2**2)) + log1p((sigma1 - sigma2) ** 2 / (2 * sigma1 * sigma2)) / 2,
            STABLE_FORM, "(σ₁² + σ₂²)/(2σ₁σ₂) = 1 + (σ₁ − σ₂)²/(2σ₁σ₂): a log1p, zero exactly at q = p")
    return step.build()
