"""Every published derivation: the Gaussian moment lemmas, then the results built on them."""
from derive.derivations import diagonal, jeffreys, laplace, lemmas, mvn, renyi, renyi_mvn, univariate, wasserstein  # noqa: F401  (importing publishes them)
from derive.derivations.registry import Entry, UnknownDerivation, adopt, entries, get

__all__ = ["Entry", "UnknownDerivation", "adopt", "entries", "get"]
