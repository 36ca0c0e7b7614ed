"""The kernels we publish: each is declared next to the derivation it prints (CONTRACT.md names).

The package's own are in ``SPECS``; ``specs()`` adds those of derivations loaded since (a
user's file, an installed package).
"""
from __future__ import annotations

from derive.codegen.spec import KernelSpec


def specs() -> tuple[KernelSpec, ...]:
    """Every declared kernel, the package's and those loaded since, in publication order."""
    from derive.derivations import registry
    return registry.kernel_specs()


class UnknownKernel(KeyError):
    """A kernel name that no spec has (a KeyError, so that a bug elsewhere is not taken for one)."""


def select(names: list[str] | None = None) -> tuple[KernelSpec, ...]:
    """The named specs in publication order (all of them for ``None``); unknown names raise
    UnknownKernel.  A derivation's name selects the kernels printed from it."""
    every = specs()
    if not names:
        return every
    known = {s.name for s in every} | {s.derivation for s in every}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownKernel(", ".join(unknown))
    return tuple(s for s in every if s.name in names or s.derivation in names)


def __getattr__(name: str):
    if name == "SPECS":  # the package's own kernels (derivations import this module's package)
        from derive.derivations import registry
        return tuple(s for s in registry.kernel_specs() if registry.get_entry(s.derivation).origin == registry.BUILTIN)
    raise AttributeError(name)
