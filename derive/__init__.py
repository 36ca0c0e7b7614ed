"""derive: checked, step-by-step derivations of Gaussian entropies and divergences, and the
write-ups, kernels and notebooks printed from them.

Data flows one way: ``models`` → ``derivations`` (built with ``engine``, every step
checked) → ``emit`` (LaTeX, Markdown, JSON, text, code) → files (``generate``).
"""
from importlib.metadata import PackageNotFoundError, version

from derive.derivations import entries, get
from derive.engine import Derivation, StepRejected

DISTRIBUTION = "derive-gaussian"
"""The name on PyPI (``derive`` there is another project's); the import package is ``derive``."""
try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Derivation", "StepRejected", "__version__", "entries", "get"]
