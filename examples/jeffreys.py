"""A derivation of your own: the Jeffreys divergence between two normals.

J(q, p) = KL(q ‖ p) + KL(p ‖ q).  Both halves are cited from derive's `kl-normal-normal`,
the second with q and p swapped; the log terms cancel; the last step is a form that does not
cancel as q → p, and a kernel is printed from it.

    derive check examples/jeffreys.py
    derive show example-jeffreys-normal-normal --from examples/jeffreys.py
    derive codegen c --from examples/jeffreys.py example_jeffreys_normal_normal
"""
import sympy as sp

from derive.api import (ALGEBRA, STABLE_FORM, KernelSpec, Parameter, begin, cite, get, kl, mu1, mu2, normal_1,
                        normal_2, publish, sigma1, sigma2, swap)

KERNEL = KernelSpec(
    "example_jeffreys_normal_normal", "example-jeffreys-normal-normal",
    (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
     Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True)),
    "Jeffreys divergence J(q, p) = KL(q || p) + KL(p || q) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2).")


@publish("example-jeffreys-normal-normal", "Jeffreys divergence between two normals (example)", kernels=(KERNEL,))
def jeffreys(name: str, title: str):
    q, p = normal_1(), normal_2()
    step = begin(name, title, kl(q, p) + kl(p, q), summary="J(q, p), the symmetrised KL divergence")
    kl_normal_normal = get("kl-normal-normal")
    step.apply(cite(kl_normal_normal), "the first term is KL(q ‖ p), derived in kl-normal-normal")
    step.apply(cite(kl_normal_normal, swap((mu1, mu2), (sigma1, sigma2))),
               "the second is the same result with q and p exchanged")
    gap = (mu1 - mu2) ** 2
    step.to((sigma1**2 + gap) / (2 * sigma2**2) + (sigma2**2 + gap) / (2 * sigma1**2) - 1, ALGEBRA,
            "log(σ₂/σ₁) + log(σ₁/σ₂) = 0: the log terms cancel")
    step.to(((sigma1 - sigma2) / sigma1 * ((sigma1 + sigma2) / sigma2)) ** 2 / 2
            + (((mu1 - mu2) / sigma1) ** 2 + ((mu1 - mu2) / sigma2) ** 2) / 2, STABLE_FORM,
            "σ₁²/σ₂² + σ₂²/σ₁² − 2 = ((σ₁ − σ₂)(σ₁ + σ₂)/(σ₁σ₂))²: σ₁ − σ₂ is exact for close σ, nothing cancels")
    return step.build()
