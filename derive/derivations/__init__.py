"""Every published derivation: the Gaussian moment lemmas, then the results built on them."""
from derive.derivations import diagonal, lemmas, mvn, univariate  # noqa: F401  (importing publishes them)
from derive.derivations.registry import Entry, UnknownDerivation, entries, get

__all__ = ["Entry", "UnknownDerivation", "entries", "get"]
