"""Kernel specifications in, printed kernels out: the codegen pipeline's two dataclasses."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Parameter:
    """One argument: its name in code, the derivation's symbol (or indexed element) it stands for,
    whether it must be > 0 (a scale, an order), and whether batches give one per element."""

    name: str
    symbol: sp.Expr
    positive: bool = False
    per_element: bool = True
    """False for a parameter that is one value for a whole batch (the Rényi order α): C's ``_n``
    form takes it as a scalar; numpy broadcasts it like any other."""


@dataclass(frozen=True)
class KernelSpec:
    """What to print: which derivation's result, with which arguments, documented how."""

    name: str
    derivation: str
    parameters: tuple[Parameter, ...]
    summary: str
    reduction: str = ""
    """"sum": the derivation's result is Σ_d of a term; kernels sum over the last axis.
    "cholesky": a full-covariance result; the linear algebra comes from the template and
    ``terms`` names the scalars it computes for the printed combination."""
    terms: tuple[tuple[str, sp.Expr], ...] = ()
    """(name, subexpression of the derivation's result) for each scalar the template computes."""
    diverges: bool = False
    """Whether +inf is one of the kernel's values (Rényi-α for α > 1 where σ_α² ≤ 0): not an overflow,
    so the numpy kernel does not warn of one."""
    template: str = ""
    """The template a full-covariance kernel is printed into: its own name's by default; kernels
    that compute the same terms and differ in their printed combination share one."""
    whitens: bool = False
    """Whether the template needs the eigen-decomposition of a symmetric matrix (full-covariance
    forms in W = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ)."""
    solves: bool = False
    """Whether the C needs the triangular solver and the difference Cholesky (printed only when
    some kernel does)."""

    @property
    def template_name(self) -> str:
        return self.template or self.name


@dataclass(frozen=True)
class Kernel:
    """A printed-ready kernel: temporaries from common-subexpression elimination, then the output."""

    spec: KernelSpec
    formula: str
    formula_latex: str
    temporaries: tuple[tuple[sp.Symbol, sp.Expr], ...]
    output: sp.Expr

    @property
    def ops(self) -> int:
        """Arithmetic operations and calls, as SymPy counts them."""
        return int(sp.count_ops([e for _, e in self.temporaries] + [self.output]))

    @property
    def scales(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.spec.parameters if p.positive)

    @property
    def helpers(self) -> tuple[type, ...]:
        """The special functions this kernel calls, each printed once as a helper (the terms a
        template computes count: it calls their helpers)."""
        from derive.engine.special import SpecialFunction
        exprs = [e for _, e in self.temporaries] + [self.output] + [e for _, e in self.spec.terms]
        used = {type(f) for e in exprs for f in e.atoms(SpecialFunction)}
        return tuple(sorted(used, key=lambda f: f.__name__))
