"""The kernels we publish: which derivation each prints, and its argument names (CONTRACT.md)."""
from __future__ import annotations

from derive.codegen.spec import KernelSpec, Parameter
from derive.models import mu, mu1, mu2, sigma, sigma1, sigma2
from derive.derivations.mvn import entropy_terms, kl_terms
from derive.models.diagonal import d, logvar_d, mu_d
from derive.models.mvn import mvn_1, mvn_2, mvn_single

_PAIR = (Parameter("mu1", mu1), Parameter("sigma1", sigma1, positive=True),
         Parameter("mu2", mu2), Parameter("sigma2", sigma2, positive=True))

SPECS = (
    KernelSpec("entropy_normal", "entropy-normal", (Parameter("sigma", sigma, positive=True),),
               "Entropy H(q) of q = N(mu, sigma^2), in nats (it does not depend on mu)."),
    KernelSpec("cross_entropy_normal_normal", "cross-entropy-normal-normal", _PAIR,
               "Cross-entropy H(q, p) = -E_q[log p] for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2)."),
    KernelSpec("kl_normal_normal", "kl-normal-normal", _PAIR,
               "KL divergence KL(q || p) for q = N(mu1, sigma1^2), p = N(mu2, sigma2^2)."),
    KernelSpec("kl_normal_std_normal", "kl-normal-std-normal",
               (Parameter("mu", mu), Parameter("sigma", sigma, positive=True)),
               "KL divergence KL(q || N(0, 1)) for q = N(mu, sigma^2): the VAE regulariser."),
    KernelSpec("kl_diag_std_normal_logvar", "kl-diag-normal-std-normal-logvar",
               (Parameter("mu", mu_d[d]), Parameter("logvar", logvar_d[d])),
               "The VAE loss term KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over the last axis (d).",
               reduction="sum"),
    KernelSpec("entropy_mvn", "entropy-mvn", (), "Entropy H(q) of q = N(mu, cov), in nats.",
               reduction="cholesky", terms=tuple(entropy_terms(mvn_single()).items())),
    KernelSpec("kl_mvn_mvn", "kl-mvn-mvn", (),
               "KL divergence KL(q || p) for q = N(mu1, cov1), p = N(mu2, cov2).",
               reduction="cholesky",
               terms=tuple(kl_terms(mvn_1(), mvn_2()).items()),
               solves=True),
)


class UnknownKernel(KeyError):
    """A kernel name that no spec has (a KeyError, so that a bug elsewhere is not taken for one)."""


def select(names: list[str] | None = None) -> tuple[KernelSpec, ...]:
    """The named specs in publication order (all of them for ``None``); unknown names raise
    UnknownKernel."""
    if not names:
        return SPECS
    known = {s.name for s in SPECS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownKernel(", ".join(unknown))
    return tuple(s for s in SPECS if s.name in names)
