"""The committed generated/c and generated/numpy files: golden (byte for byte against the
renderer), provenance headers, no dates or versions, and every C function documented with its
derivation and formula."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy
import pytest
import sympy as sp

import derive
from derive import codegen, models
from derive.engine.special import SPECIAL_FUNCTIONS, elementary

REPO = Path(__file__).resolve().parents[2]
FILES = {"c": [REPO / "generated" / "c" / "derive_gaussian.h", REPO / "generated" / "c" / "derive_gaussian.c"],
         "numpy": [REPO / "generated" / "numpy" / "derive_gaussian.py"]}
ALL_FILES = [p for paths in FILES.values() for p in paths]


@pytest.fixture(scope="module")
def rendered_kernels() -> dict[str, dict[str, str]]:
    return {language: codegen.render(language) for language in FILES}


# ---------------------------------------------------------------- golden

@pytest.mark.parametrize("language", list(FILES))
def test_render_equals_committed_files_byte_for_byte(rendered_kernels, language):
    files = rendered_kernels[language]
    assert sorted(files) == sorted(p.name for p in FILES[language])
    for path in FILES[language]:
        assert files[path.name].encode("utf-8") == path.read_bytes(), (
            f"{path.relative_to(REPO)} differs from derive.codegen.render({language!r}): regenerate it")


def test_render_is_deterministic(rendered_kernels):
    assert codegen.render("c") == rendered_kernels["c"]


# ---------------------------------------------------------------- provenance

@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_starts_by_saying_generated_do_not_edit(path):
    opening = "\n".join(path.read_text(encoding="utf-8").splitlines()[:3]).lower()
    assert "generated" in opening and "do not edit" in opening, opening


_DATE = re.compile(
    r"\b(19|20)\d\d([-/.])(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])\b"          # 2024-06-01
    r"|\b\d{1,2}([-/.])\d{1,2}\5(19|20)\d\d\b"                              # 01/06/2024
    r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? +\d{1,2}\b"  # June 1
    r"|\b\d\d:\d\d(:\d\d)?\b"                                               # 12:34:56
    r"|\bgenerated (on|at)\b|\bcopyright\b|\(c\) *(19|20)\d\d",
    re.IGNORECASE)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_date_or_version(path):
    text = path.read_text(encoding="utf-8")
    assert not _DATE.search(text), _DATE.search(text).group(0)
    assert not re.search(r"\bv?\d+\.\d+\.\d+", text), re.search(r"\bv?\d+\.\d+\.\d+", text).group(0)
    assert not re.search(r"\bversion\b", text, re.IGNORECASE)
    project_version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for version in (project_version, sp.__version__, numpy.__version__):
        assert version not in text, version


# ---------------------------------------------------------------- C function comments

_DEFINITION = re.compile(r"^(static )?(?:double|void|int) (\w+)\(", re.MULTILINE)
_COMMENT = re.compile(r"^/\*.*?\*/", re.MULTILINE | re.DOTALL)


def _comment_over(text: str, start: int) -> str | None:
    """The last comment opening at the start of a line before ``start``: the comment heading
    the group of definitions that ``start`` belongs to (function bodies hold no such comment)."""
    comments = [m for m in _COMMENT.finditer(text) if m.end() <= start]
    return comments[-1].group(0) if comments else None


def _specs():
    from derive.codegen.kernels import SPECS
    return {s.name: s for s in SPECS}


def test_specs_publish_what_the_contract_names(exports):
    """Every kernel CONTRACT.md lists is in SPECS, printed from the derivation the contract names."""
    specs = _specs()
    for kernel, derivation in exports.ALL_DERIVATION.items():
        assert kernel in specs, kernel
        assert specs[kernel].derivation == derivation, (kernel, specs[kernel].derivation)
    assert exports.CONTRACT_C <= exports.names("c")
    assert exports.CONTRACT_NUMPY <= exports.names("numpy")


def test_every_c_function_names_its_derivation_and_formula(kernels, exports):
    """Each kernel's functions (the exported forms and any static part of them) sit under one
    comment naming the derivation, with a formula that is the derivation's result (checked
    symbolically, or numerically for the full-covariance formulas); a full-covariance kernel's
    comment also defines each term its printed combination uses.  Any other static helper sits
    under a comment of its own."""
    text = FILES["c"][1].read_text(encoding="utf-8")
    specs = _specs()
    definitions = list(_DEFINITION.finditer(text))
    exported = [m.group(2) for m in definitions if not m.group(1)]
    assert sorted(exported) == sorted(exports.names("c"))
    assert {f"derive_{k}" for k in kernels} | {f"derive_{k}_n" for k in kernels} <= set(exported)
    derivation_names = {e.name for e in derive.entries()}
    special_helpers = {f.helper_name for f in SPECIAL_FUNCTIONS}
    documented = set()
    checked = {}
    for match in definitions:
        name = match.group(2)
        comment = _comment_over(text, match.start())
        assert comment is not None, f"{name} has no comment"
        kernel = next((k for k in sorted(specs, key=len, reverse=True) if name.startswith(f"derive_{k}")), None)
        if kernel is None:
            assert match.group(1), f"{name} is exported but is not a kernel"
            assert text[:match.start()].rstrip("\n").endswith(comment), f"helper {name} has no comment of its own"
            if name.removeprefix("derive_") in special_helpers:
                assert "=" in comment, f"helper {name}: its comment gives no formula:\n{comment}"
            continue
        derivation = re.search(r"Derivation: ([a-z0-9-]+)", comment)
        formula = re.search(r"Formula: (.+)", comment)
        assert derivation and formula, f"{name}:\n{comment}"
        assert derivation.group(1) in derivation_names
        assert derivation.group(1) == exports.ALL_DERIVATION.get(kernel, specs[kernel].derivation), (name, comment)
        for term, _ in specs[kernel].terms:
            assert re.search(rf"\b{term} =", comment), f"{name}: the comment does not say what {term} is:\n{comment}"
        if checked.get(kernel) != formula.group(1):   # each group's comment once
            _assert_formula_is_result(kernel, derivation.group(1), formula.group(1), kernels)
            checked[kernel] = formula.group(1)
        documented.add(name)
    assert set(exported) <= documented
    assert set(checked) == set(specs), set(specs) - set(checked)


_SYMBOLS = {"mu": models.mu, "sigma": models.sigma, "mu1": models.mu1, "sigma1": models.sigma1,
            "mu2": models.mu2, "sigma2": models.sigma2}


def _assert_formula_is_result(kernel: str, derivation: str, formula: str, kernels):
    from derive.derivations.renyi import alpha
    from derive.models import diagonal, mvn

    from tests.codegen.conftest import ALL_DERIVATION

    assert derivation == ALL_DERIVATION.get(kernel, derivation)  # the contract's pairs; new kernels: their spec
    result = elementary(derive.get(derivation).explicit_result)  # hypot(x, y) as √(x² + y²)
    if result.has(sp.Piecewise):  # a stable form with branches: the printed formula is the closed form before it
        built = derive.get(derivation)
        result = built.context.realise(built.closed_form)
    if kernel in kernels:
        # the formula is printed in the derivation's symbols (sigma_2) or in argument names (sigma2)
        symbols = {p: _SYMBOLS[p] for p in kernels[kernel]}
        parsed = sp.sympify(formula, locals={**symbols, **{str(v): v for v in symbols.values()}})
        assert parsed.free_symbols <= set(symbols.values()), (formula, parsed.free_symbols)
        assert sp.simplify(sp.expand_log(parsed - result, force=True)) == 0, (formula, result)
    elif not (spec := next(s for s in codegen.kernels.specs() if s.name == kernel)).reduction:
        # a kernel beyond the contract's table: its formula in its spec's symbols
        symbols = {str(p.symbol): p.symbol for p in spec.parameters} | {p.name: p.symbol for p in spec.parameters}
        parsed = sp.sympify(formula, locals=symbols)
        assert sp.simplify(sp.expand_log(parsed - result, force=True)) == 0, (formula, result)
    elif kernel == "kl_diag_std_normal_logvar":
        # a sum over d = 1..D of indexed mu[d], ell[d] (ell = logvar): equal term by term at D = 4
        parsed = sp.sympify(formula, locals={"mu": diagonal.mu_d, "ell": diagonal.logvar_d, "d": diagonal.d,
                                             "D": diagonal.D})
        assert parsed.free_symbols <= result.free_symbols | {diagonal.D}, (parsed, result)
        difference = (parsed - result).subs(diagonal.D, 4).doit()
        assert sp.simplify(difference) == 0, (formula, result)
    else:
        # matrix formulas in Sigma, mu (the derivation's result is in the Cholesky factors L):
        # both evaluated exactly at n = 3 for rational factors L1, L2 and Sigma_i = L_i L_i^T
        locals_ = {k: sp.MatrixSymbol(k, mvn.n, mvn.n) for k in ("Sigma", "Sigma_1", "Sigma_2")}
        locals_.update({k: sp.MatrixSymbol(k, mvn.n, 1) for k in ("mu", "mu_1", "mu_2")})
        locals_["n"] = mvn.n
        parsed = sp.sympify(formula, locals=locals_)
        l1 = sp.Matrix([[2, 0, 0], [sp.Rational(1, 3), 1, 0], [-1, sp.Rational(1, 2), sp.Rational(3, 2)]])
        l2 = sp.Matrix([[1, 0, 0], [sp.Rational(-2, 5), sp.Rational(3, 4), 0], [sp.Rational(1, 7), 1, 2]])
        mu1, mu2 = sp.Matrix([sp.Rational(1, 2), -1, 2]), sp.Matrix([0, sp.Rational(1, 3), -1])
        values = {"Sigma": l1 * l1.T, "Sigma_1": l1 * l1.T, "Sigma_2": l2 * l2.T, "L": l1, "L_1": l1, "L_2": l2,
                  "mu": mu1, "mu_1": mu1, "mu_2": mu2}

        def at_n3(expr):
            from derive.engine.numeric import expand_finite
            expr = expand_finite(expr.subs(mvn.n, 3))  # Σ_i Σ_{j<i}: doit cannot index an explicit matrix by j < i
            expr = expr.subs({s: sp.Rational(3, 5) for s in expr.free_symbols if s.name == alpha.name})  # the order
            expr = expr.xreplace({sp.MatrixSymbol(k, *v.shape): sp.ImmutableMatrix(v) for k, v in values.items()})
            expr = expr.replace(lambda e: isinstance(e, sp.Determinant), lambda e: sp.Matrix(e.arg.doit()).det())
            return sp.N(expr.doit(), 30)

        left, right = at_n3(parsed), at_n3(result)
        assert left.is_number and right.is_number, (left, right)
        assert abs(left - right) <= 1e-25 * (1 + abs(right)), (formula, left, result, right)


def test_header_declarations_are_commented(kernels, exports):
    """Each kernel's declarations form one group under a comment: its first declaration follows
    a comment directly, the others follow it line by line."""
    text = FILES["c"][0].read_text(encoding="utf-8")
    for k in kernels:
        declaration = re.search(rf"^double derive_{k}\(", text, re.MULTILINE)
        assert declaration, k
        assert text[:declaration.start()].rstrip("\n").endswith("*/"), f"derive_{k} has no comment in the header"
    declared = {m.group(1): m for m in re.finditer(r"^(?:double|void|int) (\w+)\(", text, re.MULTILINE)}
    assert set(declared) == exports.names("c"), set(declared) ^ exports.names("c")
    for kernel in _specs():
        group = sorted((m for name, m in declared.items() if name in exports.names("c", names=[kernel])),
                       key=lambda m: m.start())
        first = group[0]
        assert text[:first.start()].rstrip("\n").endswith("*/"), f"{first.group(1)} has no comment in the header"
        lines = text[first.start():].splitlines()[:len(group)]
        assert [ln.split("(")[0].split()[-1] for ln in lines] == [m.group(1) for m in group], lines
