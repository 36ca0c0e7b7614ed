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

REPO = Path(__file__).resolve().parents[2]
FILES = {"c": [REPO / "generated" / "c" / "derive_gaussian.h", REPO / "generated" / "c" / "derive_gaussian.c"],
         "numpy": [REPO / "generated" / "numpy" / "derive_gaussian.py"]}
ALL_FILES = [p for paths in FILES.values() for p in paths]


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, str]]:
    return {language: codegen.render(language) for language in FILES}


# ---------------------------------------------------------------- golden

@pytest.mark.parametrize("language", list(FILES))
def test_render_equals_committed_files_byte_for_byte(rendered, language):
    files = rendered[language]
    assert sorted(files) == sorted(p.name for p in FILES[language])
    for path in FILES[language]:
        assert files[path.name].encode("utf-8") == path.read_bytes(), (
            f"{path.relative_to(REPO)} differs from derive.codegen.render({language!r}): regenerate it")


def test_render_is_deterministic(rendered):
    assert codegen.render("c") == rendered["c"]


# ---------------------------------------------------------------- provenance

@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_starts_by_saying_generated_do_not_edit(path):
    opening = "\n".join(path.read_text(encoding="utf-8").splitlines()[:3]).lower()
    assert "generated" in opening and "do not edit" in opening, opening


_DATE = re.compile(
    r"\b(19|20)\d\d[-/.](0?[1-9]|1[0-2])[-/.]\d\d?\b"                      # 2024-06-01
    r"|\b\d\d?[-/.]\d\d?[-/.](19|20)?\d\d\b"                                # 01/06/2024
    r"|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? +\d"  # June 1
    r"|\b\d\d?:\d\d(:\d\d)?\b"                                              # 12:34:56
    r"|\b(19|20)\d\d\b",                                                    # a bare year
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

_DEFINITION = re.compile(r"^(?:double|void|int) (\w+)\(", re.MULTILINE)


def _preceding_comment(text: str, start: int) -> str | None:
    """The /* ... */ comment ending on the line just above ``start``, if any."""
    before = text[:start].rstrip("\n")
    if not before.endswith("*/"):
        return None
    return before[before.rindex("/*"):]


def test_every_c_function_names_its_derivation_and_formula(kernels):
    """Every scalar kernel's comment names the derivation and gives a formula that is the
    derivation's result; each ``_n`` form follows its scalar kernel directly, under that comment
    (the header likewise declares each pair under one comment)."""
    text = FILES["c"][1].read_text(encoding="utf-8")
    definitions = list(_DEFINITION.finditer(text))
    names = [m.group(1) for m in definitions]
    assert sorted(names) == sorted([f"derive_{k}" for k in kernels] + [f"derive_{k}_n" for k in kernels])
    derivation_names = {e.name for e in derive.entries()}
    for i, match in enumerate(definitions):
        name = match.group(1)
        if name.endswith("_n") and name[:-2] in {f"derive_{k}" for k in kernels}:
            assert names[i - 1] == name[:-2], f"{name} does not follow {name[:-2]}"
            continue
        comment = _preceding_comment(text, match.start())
        assert comment is not None, f"{name} has no comment"
        derivation = re.search(r"Derivation: ([a-z0-9-]+)", comment)
        formula = re.search(r"Formula: (.+)", comment)
        assert derivation and formula, comment
        assert derivation.group(1) in derivation_names
        _assert_formula_is_result(name.removeprefix("derive_"), derivation.group(1), formula.group(1), kernels)


_SYMBOLS = {"mu": models.mu, "sigma": models.sigma, "mu1": models.mu1, "sigma1": models.sigma1,
            "mu2": models.mu2, "sigma2": models.sigma2}


def _assert_formula_is_result(kernel: str, derivation: str, formula: str, kernels):
    assert derivation == {"entropy_normal": "entropy-normal",
                          "cross_entropy_normal_normal": "cross-entropy-normal-normal",
                          "kl_normal_normal": "kl-normal-normal",
                          "kl_normal_std_normal": "kl-normal-std-normal"}[kernel]
    parsed = sp.sympify(formula, locals={p: _SYMBOLS[p] for p in kernels[kernel]})
    result = derive.get(derivation).explicit_result
    assert sp.simplify(sp.expand_log(parsed - result, force=True)) == 0, (formula, result)


def test_header_declarations_are_commented(kernels):
    text = FILES["c"][0].read_text(encoding="utf-8")
    for k in kernels:
        declaration = re.search(rf"^double derive_{k}\(", text, re.MULTILINE)
        assert declaration, k
        assert _preceding_comment(text, declaration.start()) is not None, k
