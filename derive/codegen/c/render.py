"""C99 backend: a header and a source file from kernels."""
from __future__ import annotations

import re
import textwrap

import sympy as sp

from derive.codegen.c.printer import KernelC99Printer
from derive.codegen.spec import Kernel
from derive.provenance import header, template
from derive.engine.special import (BINARY_FUNCTIONS, SPECIAL_FUNCTIONS, BinaryExponent, PowerOfTwo, RoundToInteger,
                                   Significand, SpecialFunction)

RECOMMENDED_FLAGS = "-O3 -march=native -fno-math-errno -fno-trapping-math -ffp-contract=off"
VECTOR_MATH = ("log", "expm1")
"""libm functions the kernels call that glibc ≥ 2.35 also provides as vector variants."""
C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "_Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local".split())
INTERNAL = "derive_"
"""The start of the source's static helpers, whatever the prefix: a prefix cannot make them clash
with the kernels' locals (``exponent``) or with libc (glibc's ``significand``)."""
MAX_PREFIX = 63
"""C99's guaranteed significant length of an internal identifier; a file name
(``<prefix>gaussian.h`` and the temporary written beside it) stays far inside 255 bytes."""


def _template(name: str):
    return template("derive.codegen.c", name)


def check_prefix(prefix: str) -> None:
    """A prefix must start a valid, unreserved C identifier (the source compiles as C++ too)."""
    if not prefix:
        raise ValueError("an empty prefix is refused for C: C has one namespace for functions, and "
                         "unprefixed names (entropy_normal, ...) would meet your project's and libraries' own")
    if len(prefix) > MAX_PREFIX:
        raise ValueError(f"prefix is {len(prefix)} characters; at most {MAX_PREFIX}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prefix, flags=re.ASCII):
        raise ValueError(f"prefix {prefix!r} is not the start of a C identifier")
    if prefix.rstrip("_") in C_KEYWORDS or prefix in C_KEYWORDS:
        raise ValueError(f"prefix {prefix!r} is a C keyword")
    if prefix.startswith("_") or "__" in prefix:
        raise ValueError(f"prefix {prefix!r} makes reserved identifiers (C reserves a leading _ at file scope, "
                         "C++ any __)")


def _array_parameters(kernel: Kernel) -> str:
    """The ``_n`` form's parameters: an array for each per-element parameter, a scalar otherwise."""
    return ", ".join(f"const double *{p.name}" if p.per_element else f"double {p.name}"
                     for p in kernel.spec.parameters)


def _elements(kernel: Kernel, index: str) -> str:
    """The ``_n`` form's arguments for one element: ``x[index]``, or the scalar itself."""
    return ", ".join(f"{p.name}[{index}]" if p.per_element else p.name for p in kernel.spec.parameters)


def _valid(kernel: Kernel, index: str | None = None) -> str:
    """The test that every scale (and order) is > 0: false for NaN too."""
    return " & ".join(f"({p.name}[{index}] > 0.0)" if index is not None and p.per_element else f"({p.name} > 0.0)"
                      for p in kernel.scales) or "1"


def _signature(kernel: Kernel, prefix: str) -> str:
    params = ", ".join(f"double {p.name}" for p in kernel.spec.parameters)
    arrays = _array_parameters(kernel)
    name = prefix + kernel.spec.name
    if kernel.spec.reduction == "cholesky":
        return _template(f"{kernel.spec.template_name}.h").substitute(name=name, summary=kernel.spec.summary).rstrip("\n")
    if kernel.spec.reduction:
        return (f"/* {kernel.spec.summary}\n * mu, logvar: d values; the _n form takes n rows of d (row-major). */\n"
                f"double {name}(size_t d, {arrays});\n"
                f"void {name}_n(size_t n, size_t d, {arrays}, double *out);")
    return (f"/* {kernel.spec.summary} */\ndouble {name}({params});\n"
            f"void {name}_n(size_t n, {arrays}, double *out);")


def _assignments(pairs: tuple, printer: KernelC99Printer) -> str:
    return "".join(f"    const double {printer.doprint(s)} = {printer.doprint(e)};\n" for s, e in pairs)


def _helper(function: type[SpecialFunction], printer: KernelC99Printer) -> str:
    parameters = ", ".join(f"const double {printer.doprint(p)}" for p in function.parameters)
    text = _template("helper.c").substitute(
        summary=function.summary, name=INTERNAL + function.helper_name, parameters=parameters,
        far_locals=_assignments(function.far_locals, printer), far=printer.doprint(function.far),
        near_locals=_assignments(function.near_locals, printer), near=printer.doprint(function.near),
        selector=printer.doprint(function.selector), bound=printer.doprint(sp.Float(function.bound.evalf(30), 30))
    ).rstrip("\n")
    if function.fast is None:
        return text
    return text + "\n\n" + _template("helper_fast.c").substitute(
        name=INTERNAL + function.helper_name, parameters=parameters,
        domain="\n".join(" * " + line for line in textwrap.wrap(
            f"{function.fast_domain}; the loops recompute those elements with {INTERNAL + function.helper_name}.",
            92)),
        locals=_assignments(function.fast_locals, printer), value=printer.doprint(function.fast)).rstrip("\n")


def _body(kernel: Kernel, printer: KernelC99Printer) -> str:
    return _assignments(kernel.temporaries, printer) + f"    return {printer.doprint(kernel.output)};"


def _function(kernel: Kernel, prefix: str, printer: KernelC99Printer, fast_printer: KernelC99Printer) -> str:
    if kernel.spec.reduction == "cholesky":
        return _template(f"{kernel.spec.template_name}.c").substitute(
            name=prefix + kernel.spec.name, internal=INTERNAL, summary=kernel.spec.summary, formula=kernel.formula,
            derivation=kernel.spec.derivation, output=printer.doprint(kernel.output)).rstrip("\n")
    names = [p.name for p in kernel.spec.parameters]
    if not all(p.per_element for p in kernel.spec.parameters) and kernel.spec.reduction:
        raise ValueError(f"kernel {kernel.spec.name}: a per-batch parameter in a reduction is not supported")
    arrays = _array_parameters(kernel)
    block_elements = _elements(kernel, "start + j")
    block_valid = _valid(kernel, "start + i")
    finite = " & ".join(f"({n}[start + j] - {n}[start + j] == 0.0)" for n in names)  # NaN, ±inf fail
    fast = _uses_fast_helpers(kernel)
    skeleton = f"function{'_sum' if kernel.spec.reduction else ''}{'_fast' if fast else ''}.c"
    row_function = _template("neumaier_row.c").substitute(
        linkage="static " if fast else "", row=prefix + kernel.spec.name + ("_exact" if fast else ""),
        name=prefix + kernel.spec.name, arrays=arrays, block_elements=block_elements, valid_elements=finite
    ).rstrip("\n") if kernel.spec.reduction == "sum" else ""
    return _template(skeleton).substitute(
        rows=", ".join(f"{n} + i*d" for n in names), block_valid=block_valid,
        block_elements=block_elements if kernel.spec.reduction else _elements(kernel, "start + i"),
        flat_elements=", ".join(f"{n}[i*d + k]" for n in names),
        flat_valid=" & ".join(f"({n}[i*d + k] - {n}[i*d + k] == 0.0)" for n in names),
        chunk_rows=", ".join(f"{n} + (i + r)*d" for n in names),
        name=prefix + kernel.spec.name, internal=INTERNAL, summary=kernel.spec.summary, formula=kernel.formula,
        derivation=kernel.spec.derivation, ops=kernel.ops,
        parameters=", ".join(f"const double {n}" for n in names), body=_body(kernel, printer),
        fast_body=_body(kernel, fast_printer) if fast else "",
        valid=_valid(kernel), row_function=row_function,
        valid_elements=finite if kernel.spec.reduction else _valid(kernel, "i"),
        arguments=", ".join(names), arrays=arrays, elements=_elements(kernel, "i")).rstrip("\n")


def _uses_fast_helpers(kernel: Kernel) -> bool:
    return kernel.spec.reduction != "cholesky" and any(h.fast is not None for h in kernel.helpers)


def _calls_libm(kernel: Kernel) -> bool:
    """Whether the loop of ``kernel``'s ``_n`` form calls a libm function: its body (the
    branch-free one, if it has one) calls a function that is not a special function's
    branch-free helper (those are arithmetic only)."""
    fast = _uses_fast_helpers(kernel)
    exprs = [value for _, value in kernel.temporaries] + [kernel.output]
    calls = {type(f) for e in exprs for f in e.atoms(sp.Function)} - {sp.Piecewise}  # a select
    return any(not (fast and issubclass(f, SpecialFunction) and f.fast is not None) for f in calls)


def _equality_note(kernels: list[Kernel], prefix: str) -> str:
    """For the header: which ``_n`` loops give the scalar function's bits, and how close the
    others are (what tests/codegen/test_c_kernels.py::test_batched_equals_scalar asserts)."""
    batched = [k for k in kernels if k.spec.reduction != "cholesky"]
    exact = [f"{prefix}{k.spec.name}_n" for k in batched if not _calls_libm(k)]
    others = [f"{prefix}{k.spec.name}_n" for k in batched if _calls_libm(k)]
    text = ["With -ffp-contract=off (the default of the ISO modes such as -std=c99; GNU C's default fuses "
            "a*b + c into FMAs on targets that have them, differently in a scalar function and its loop):"]
    if exact:
        text.append(f"the loops of {', '.join(exact)} call no libm function: they vectorize on any C library, "
                    "with or without a vector math library, and give each element the scalar function's bits "
                    "at any optimisation level.")
    if others:
        text.append(f"The loops of {', '.join(others)} call libm: they give the scalar function's bits where they "
                    "do not vectorize (-O0).  Vectorized, as with the recommended flags on x86-64 glibc >= 2.35, "
                    f"they call glibc's vector {' and '.join(VECTOR_MATH)} (libmvec), whose last bit may differ "
                    "from the scalar libm's: an element then differs from the scalar function by what one ulp of "
                    "that call's result makes (for the entropy and cross-entropy, where log sigma enters once, at "
                    "most 1e-15 (1 + |value|)), and is NaN exactly where the scalar function's is.")
    return "".join(f"\n * {line}" for line in textwrap.wrap(" ".join(text), 92))


def _printer(fast: bool = False) -> KernelC99Printer:
    """The kernels' printer; with ``fast``, special functions that have a branch-free recipe
    print as calls to it."""
    helpers = {f.__name__: INTERNAL + f.helper_name + ("_fast" if fast and f.fast is not None else "")
               for f in SPECIAL_FUNCTIONS}
    bits = {BinaryExponent.__name__: INTERNAL + "exponent", Significand.__name__: INTERNAL + "significand",
            RoundToInteger.__name__: INTERNAL + "round_to_integer", PowerOfTwo.__name__: INTERNAL + "power_of_two"}
    return KernelC99Printer({"user_functions": helpers | bits}, overflow_nan=fast)


def render(kernels: list[Kernel], prefix: str = "derive_") -> dict[str, str]:
    """``{file name: text}`` for ``<prefix>gaussian.h`` and ``<prefix>gaussian.c``."""
    check_prefix(prefix)
    stem = f"{prefix}gaussian"
    header_text = header([k.spec.derivation for k in kernels], "regenerate with `derive codegen` or `derive generate`")
    printer, fast_printer = _printer(), _printer(fast=True)
    helpers = sorted({h for k in kernels for h in k.helpers}, key=lambda h: h.__name__)
    reads_bits = any(e.has(*BINARY_FUNCTIONS) for h in helpers if h.fast is not None
                     for e in (h.fast, *(value for _, value in h.fast_locals)))
    declarations = "\n".join(f'__attribute__((__simd__("notinbranch"))) double {f}(double);' for f in VECTOR_MATH)
    return {
        f"{stem}.h": _template("header.h").substitute(
            header=header_text, title="Entropies and divergences of Gaussians (double precision).",
            flags=RECOMMENDED_FLAGS, guard=f"{stem.upper()}_H", equality=_equality_note(kernels, prefix),
            declarations="\n\n".join(_signature(k, prefix) for k in kernels)),
        f"{stem}.c": _template("source.c").substitute(
            header=header_text, include=f"{stem}.h",
            vector_math=_template("vector_math.c").substitute(declarations=declarations).rstrip("\n"),
            helpers="\n\n".join(
                [_template("binary.c").substitute(internal=INTERNAL).rstrip("\n")] * reads_bits
                + [_helper(h, printer) for h in helpers] + [
                _template(name).substitute(internal=INTERNAL).rstrip("\n") for name, needed in (
                    ("two_sum.c", any(k.spec.reduction == "sum" and _uses_fast_helpers(k) for k in kernels)),
                    ("linalg.c", any(k.spec.reduction == "cholesky" for k in kernels)),
                    ("solve_lower.c", any(k.spec.solves or k.spec.whitens for k in kernels)),
                    ("difference_cholesky.c", any(k.spec.solves for k in kernels)),
                    ("symmetric_eigen.c", any(k.spec.whitens for k in kernels)),
                    ("whitened.c", any(k.spec.whitens for k in kernels))) if needed]),
            definitions="\n\n".join(_function(k, prefix, printer, fast_printer) for k in kernels)),
    }
