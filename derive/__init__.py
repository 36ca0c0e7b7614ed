"""derive: checked, step-by-step derivations of Gaussian entropies and divergences, and the
write-ups, kernels and notebooks printed from them.

Data flows one way: ``models`` → ``derivations`` (built with ``engine``, every step
checked) → ``emit`` (LaTeX, Markdown, JSON, text, code) → files (``generate``).
"""
from derive.derivations import entries, get
from derive.engine import Derivation, StepRejected

__all__ = ["Derivation", "StepRejected", "entries", "get"]
