"""In-place evaluation for the numpy kernels.

Printed as plain expressions, every numpy operation allocates a fresh array for its result: a
kernel of twenty operations makes twenty temporaries per block, and glibc hands the larger ones
back to the system and faults them in again, block after block.  Here an expression becomes a
sequence of ufunc calls, each writing into ``out=`` one of a few scratch buffers ``_b[i]`` that
the caller allocates once, so each block reuses the same, cache-warm memory.  Buffers are
assigned statically, like registers: a local's buffer is reused after its last use.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from derive.codegen.numpy.printer import KernelNumPyPrinter
from derive.codegen.shapes import half_square

UFUNCS: dict[type, str] = {sp.log: "np.log", sp.exp: "np.exp", expm1: "np.expm1", log1p: "np.log1p",
                           sp.Abs: "np.abs"}
"""One-argument functions that are numpy ufuncs (and so take ``out=``)."""


@dataclass(frozen=True)
class Emitted:
    """Statements (without indentation) and how many scratch buffers they use."""

    lines: tuple[str, ...]
    buffers: int


@dataclass(frozen=True)
class Call:
    """How to call a helper in place: its name and how many scratch buffers it needs."""

    name: str
    buffers: int


@dataclass
class _Registers:
    live: set[int] = field(default_factory=set)
    used: int = 0

    def take(self) -> int:
        index = next(i for i in range(len(self.live) + 1) if i not in self.live)
        self.live.add(index)
        self.used = max(self.used, index + 1)
        return index

    def give_back(self, index: int | None) -> None:
        if index is not None:
            self.live.discard(index)


class InplaceEmitter:
    """Writes ``symbol = value`` assignments and a final value into buffers, in place."""

    def __init__(self, printer: KernelNumPyPrinter, calls: dict[type, Call], scratch: str = "_b") -> None:
        self.printer = printer
        self.calls = calls
        self.scratch = scratch

    def emit(self, assignments: Sequence[tuple[sp.Symbol, sp.Expr]], output: sp.Expr | None, out: str,
             keep: Iterable[sp.Symbol] = ()) -> tuple[Emitted, dict[sp.Symbol, str]]:
        """Statements computing each assignment, then ``output`` into the array named ``out``
        (if given).  Returns them with where each local ended up; locals in ``keep`` stay live
        (their buffers untouched) to the end."""
        self._lines: list[str] = []
        self._registers = _Registers()
        self._names: dict[sp.Symbol, str] = {}
        self._buffer_of: dict[sp.Symbol, int] = {}
        kept = set(keep)
        values = [value for _, value in assignments] + ([output] if output is not None else [])
        last_use = {symbol: max((i for i, v in enumerate(values) if v.has(symbol)), default=-1)
                    for symbol, _ in assignments}
        for i, (symbol, value) in enumerate(assignments):
            name = self.printer.doprint(symbol)
            if value.is_Atom:
                self._lines.append(f"{name} = {self._leaf(value)}")
                if value in self._buffer_of:  # another name for the same buffer
                    self._buffer_of[symbol] = self._buffer_of[value]
            else:
                index = self._registers.take()
                self._into(value, f"{self.scratch}[{index}]")
                self._lines.append(f"{name} = {self.scratch}[{index}]")
                self._buffer_of[symbol] = index
            self._names[symbol] = name
            self._release_after(i, last_use, kept)
        if output is not None:
            self._into(output, out)
        return Emitted(tuple(self._lines), self._registers.used), dict(self._names)

    # -- liveness

    def _release_after(self, position: int, last_use: dict[sp.Symbol, int], kept: set[sp.Symbol]) -> None:
        """Free the buffers of the locals last used at ``position``, unless another live local
        names the same buffer."""
        for symbol, last in last_use.items():
            if last == position and symbol not in kept and symbol in self._buffer_of:
                index = self._buffer_of.pop(symbol)
                if index not in self._buffer_of.values():
                    self._registers.give_back(index)

    # -- expressions

    def _leaf(self, expr: sp.Expr) -> str:
        if isinstance(expr, sp.Symbol) and expr in self._names:
            return self._names[expr]
        return self.printer.doprint(expr)

    def _operand(self, expr: sp.Expr) -> tuple[str, int | None]:
        """A string for ``expr``: itself if it is a leaf, else a scratch buffer it was computed into."""
        if expr.is_Atom:
            return self._leaf(expr), None
        index = self._registers.take()
        self._into(expr, f"{self.scratch}[{index}]")
        return f"{self.scratch}[{index}]", index

    def _unary(self, ufunc: str, argument: sp.Expr, target: str, extra: str = "") -> None:
        """target = ufunc(argument), computing the argument into target where it is not a leaf."""
        if argument.is_Atom:
            self._lines.append(f"{ufunc}({self._leaf(argument)}{extra}, out={target})")
        else:
            self._into(argument, target)
            self._lines.append(f"{ufunc}({target}{extra}, out={target})")

    def _binary(self, ufunc: str, first: sp.Expr, second: sp.Expr, target: str) -> None:
        """target = ufunc(first, second), computing first into target where it is not a leaf."""
        if first.is_Atom and not second.is_Atom:
            self._into(second, target)
            self._lines.append(f"{ufunc}({self._leaf(first)}, {target}, out={target})")
            return
        if first.is_Atom:
            left = self._leaf(first)
        else:
            self._into(first, target)
            left = target
        right, index = self._operand(second)
        self._lines.append(f"{ufunc}({left}, {right}, out={target})")
        self._registers.give_back(index)

    def _fold(self, ufunc_of, items: list[tuple[bool, sp.Expr]], target: str, first: sp.Expr) -> None:
        """target = first, then combined with each (inverse?, item) in turn."""
        (inverse, second), *rest = items
        self._binary(ufunc_of(inverse), first, second, target)
        for inverse, item in rest:
            right, index = self._operand(item)
            self._lines.append(f"{ufunc_of(inverse)}({target}, {right}, out={target})")
            self._registers.give_back(index)

    def _into(self, expr: sp.Expr, target: str) -> None:
        if expr.is_Atom:
            self._lines.append(f"np.copyto({target}, {self._leaf(expr)})")
        elif isinstance(expr, sp.Add):
            self._add(expr, target)
        elif isinstance(expr, sp.Mul):
            self._mul(expr, target)
        elif isinstance(expr, sp.Pow):
            self._pow(expr, target)
        elif isinstance(expr, sp.Piecewise):
            self._piecewise(expr, target)
        elif isinstance(expr, sp.Min) and len(expr.args) == 2:
            self._binary("np.minimum", *self._printed_order(expr.args), target)
        elif type(expr) in UFUNCS:
            self._unary(UFUNCS[type(expr)], expr.args[0], target)
        elif type(expr) in self.calls:
            self._call(expr, target)
        else:  # anything else allocates, as printed
            self._lines.append(f"np.copyto({target}, {self.printer.doprint(expr)})")

    def _printed_order(self, args: Sequence[sp.Expr]) -> list[sp.Expr]:
        return sorted(args, key=sp.default_sort_key)

    def _add(self, expr: sp.Add, target: str) -> None:
        terms = list(self.printer._as_ordered_terms(expr, order=None))
        signed = [(t.could_extract_minus_sign(), -t if t.could_extract_minus_sign() else t) for t in terms]
        if signed[0][0] and not signed[1][0]:  # -a + b is b - a, exactly
            signed[0], signed[1] = signed[1], signed[0]
        (negative, first), rest = signed[0], signed[1:]
        if negative:
            self._into(first, target)
            self._lines.append(f"np.negative({target}, out={target})")
            for inverse, item in rest:
                right, index = self._operand(item)
                self._lines.append(f"{'np.subtract' if inverse else 'np.add'}({target}, {right}, out={target})")
                self._registers.give_back(index)
            return
        self._fold(lambda inverse: "np.subtract" if inverse else "np.add", rest, target, first)

    def _mul(self, expr: sp.Mul, target: str) -> None:
        x = half_square(expr)
        if x is not None:
            base, index = self._operand(x)
            self._lines.append(f"np.multiply({base}, 0.5, out={target})")
            self._lines.append(f"np.multiply({target}, {base}, out={target})")
            self._registers.give_back(index)
            return
        coefficient, factors = expr.as_coeff_mul()
        numerator = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denominator = [sp.Pow(f.base, -f.exp) for f in factors if f.is_Pow and f.exp.is_negative]
        if coefficient == -1 and not denominator and len(numerator) == 1:
            self._into(numerator[0], target)
            self._lines.append(f"np.negative({target}, out={target})")
            return
        items = [(False, f) for f in numerator[1:]] + [(True, f) for f in denominator]
        first = numerator[0] if numerator else sp.Integer(1)
        if coefficient != 1:
            items.insert(0, (False, first))
            first = coefficient
        if not items:
            self._into(first, target)
            return
        self._fold(lambda inverse: "np.divide" if inverse else "np.multiply", items, target, first)

    def _pow(self, expr: sp.Pow, target: str) -> None:
        base, exponent = expr.args
        if exponent == -1:
            self._binary("np.divide", sp.Float(1.0), base, target)
            return
        ufunc = {2: "np.square", sp.Rational(1, 2): "np.sqrt"}.get(exponent)
        if ufunc:
            self._unary(ufunc, base, target)
        else:
            self._unary("np.power", base, target, extra=f", {self.printer.doprint(exponent)}")

    def _piecewise(self, expr: sp.Piecewise, target: str) -> None:
        """The last piece in place; the others, taken by few elements, where some element needs them."""
        *pieces, (otherwise, condition) = expr.args
        if condition != sp.true:
            raise ValueError(f"a Piecewise needs a final True branch: {expr}")
        self._into(otherwise, target)
        for value, condition in reversed(pieces):
            where = f"np.copyto({target}, {self.printer.doprint(value)}, where={self.printer.doprint(condition)})"
            self._lines.append(f"if {self._some(condition)}:")
            self._lines.append(f"    {where}")

    def _some(self, condition: sp.Basic) -> str:
        """Whether some element meets ``condition``; for x < c or x > c (and their Or) by a
        reduction that makes no array of booleans.  fmin/fmax skip NaN, and ``initial`` makes an
        empty x meet nothing."""
        if isinstance(condition, sp.Or):
            return " or ".join(f"({self._some(c)})" for c in condition.args)
        if isinstance(condition, (sp.StrictLessThan, sp.StrictGreaterThan)) and condition.rhs.is_Number \
                and condition.lhs.is_Atom:
            below = isinstance(condition, sp.StrictLessThan)
            reduce = "np.fmin.reduce" if below else "np.fmax.reduce"
            initial, operator = ("np.inf", "<") if below else ("-np.inf", ">")
            return (f"{reduce}({self._leaf(condition.lhs)}, axis=None, initial={initial}) {operator} "
                    f"{self.printer.doprint(condition.rhs)}")
        return f"np.any({self.printer.doprint(condition)})"

    def _call(self, expr: sp.Function, target: str) -> None:
        call = self.calls[type(expr)]
        operands = [self._operand(a) for a in expr.args]
        first_free = max(self._registers.live, default=-1) + 1
        self._registers.used = max(self._registers.used, first_free + call.buffers)
        arguments = ", ".join(text for text, _ in operands)
        self._lines.append(f"{call.name}({arguments}, {target}, {self.scratch}[{first_free}:])")
        for _, index in operands:
            self._registers.give_back(index)
