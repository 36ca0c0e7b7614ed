"""``derive show NAME --format json``: the contract's schema, and every step re-checked from the outside.

The re-check reads only the JSON: it sympifies each step's srepr and integrates with mpmath's own
quadrature (not the package's checker), so a step the engine wrongly accepted would show here.
"""
from __future__ import annotations

import json
import random

import mpmath as mp
import pytest
import sympy as sp
from sympy.core.function import UndefinedFunction

import derive
from tests.helpers import GENERATED, LEMMAS, PUBLISHED, UNIVARIATE, mp_value, sample, show

ALL = UNIVARIATE + LEMMAS

STEP_TOLERANCE = mp.mpf(10) ** -18
"""Relative agreement between consecutive steps. mp_value integrates at 30 digits and is good to ~25
(its own error check demands 10⁻²⁵); 10⁻¹⁸ leaves margin, while a wrong step is off by O(1)."""


@pytest.fixture(params=ALL)
def document(request):
    return request.param, json.loads(show(request.param))


class TestSchema:
    def test_top_level_keys(self, document):
        name, doc = document
        assert {"name", "title", "steps", "result"} <= set(doc)
        assert doc["name"] == name
        assert isinstance(doc["title"], str) and doc["title"].strip()
        assert isinstance(doc["result"], str)

    def test_every_step_has_expr_rule_why_latex(self, document):
        _, doc = document
        assert isinstance(doc["steps"], list) and len(doc["steps"]) >= 2
        for step in doc["steps"]:
            assert {"expr", "rule", "why", "latex"} <= set(step)
            assert all(isinstance(step[k], str) and step[k].strip() for k in ("expr", "rule", "why", "latex"))

    def test_one_step_per_line_of_the_derivation(self, document):
        name, doc = document
        derivation = derive.get(name)
        assert len(doc["steps"]) == len(derivation.lines)
        assert [s["rule"] for s in doc["steps"]] == [rule.name for _, rule, _ in derivation.lines]

    def test_step_zero_is_the_definition_integral(self, document):
        _, doc = document
        first = doc["steps"][0]
        assert first["rule"] == "definition"
        assert sp.sympify(first["expr"]).has(sp.Integral)

    def test_latex_is_the_latex_of_expr_and_display_is_defined(self, document):
        """Issue 14: ``latex`` shows ``expr`` itself (read back from its srepr and printed by SymPy's own
        LaTeX printer, the same symbols appear); the line in auxiliary symbols is ``display``, and each of
        its auxiliary symbols and helpers has a ``where`` entry."""
        _, doc = document
        for step in doc["steps"]:
            expr = sp.sympify(step["expr"])
            names = {sp.latex(symbol) for symbol in expr.free_symbols}
            assert all(name in step["latex"] for name in names), (step["latex"], names)
            assert r"\psi" not in step["latex"] and "placeholder" not in step["latex"]
            if "display" in step:
                defined = {entry["symbol"] for entry in step["where"]}
                assert all(entry["definition"] for entry in step["where"])
                if r"\psi" in step["display"]:
                    assert any(symbol.startswith(r"\psi") for symbol in defined), step["where"]

    def test_expressions_are_explicit(self, document):
        # srepr of explicit densities: no placeholder q(z) / p(z) left for the reader to guess.
        _, doc = document
        for step in doc["steps"]:
            expr = sp.sympify(step["expr"])
            assert not any(isinstance(f.func, UndefinedFunction) for f in expr.atoms(sp.Function)), step["expr"]

    def test_symbols_carry_their_assumptions(self, document):
        _, doc = document
        symbols = set().union(*(sp.sympify(s["expr"]).free_symbols for s in doc["steps"]))
        for s in symbols:
            if s.name.startswith("sigma"):
                assert s.is_positive, s
            else:
                assert s.is_real, s

    def test_result_is_the_last_step(self, document):
        _, doc = document
        assert sp.sympify(doc["result"]) == sp.sympify(doc["steps"][-1]["expr"])
        assert not sp.sympify(doc["result"]).has(sp.Integral)

    def test_committed_json_is_the_same_document(self, document):
        # The same steps, rules and reasons, and expressions equal as SymPy expressions (byte equality
        # of the committed files is the golden tests' job, in test_generate.py).
        name, doc = document
        committed = json.loads((GENERATED / "json" / f"{name}.json").read_text(encoding="utf-8"))
        assert {k: v for k, v in committed.items() if k not in ("steps", "result")} == \
            {k: v for k, v in doc.items() if k not in ("steps", "result")}
        assert len(committed["steps"]) == len(doc["steps"])
        for ours, theirs in zip(doc["steps"], committed["steps"]):
            assert {k: v for k, v in ours.items() if k != "expr"} == {k: v for k, v in theirs.items() if k != "expr"}
            assert sp.sympify(ours["expr"]) == sp.sympify(theirs["expr"])
        assert sp.sympify(doc["result"]) == sp.sympify(committed["result"])


@pytest.mark.parametrize("name", ALL)
def test_every_step_equals_the_previous_one(name):
    """From the outside: each step's value equals the one before, step 0 (the unevaluated integral)
    included, at a seeded random point (σ log-uniform in [¼, 4], means and a in [−2, 2])."""
    doc = json.loads(show(name))
    exprs = [sp.sympify(step["expr"]) for step in doc["steps"]] + [sp.sympify(doc["result"])]
    symbols = set().union(*(e.free_symbols for e in exprs))  # integration variables are bound, not free
    point = sample(random.Random(f"json:{name}"), symbols, sigma_range=(0.25, 4), mean_range=(-2, 2))
    values = [mp_value(e, point) for e in exprs]
    labels = [f"step {i} ({s['rule']})" for i, s in enumerate(doc["steps"])] + ["result"]
    for i in range(1, len(values)):
        assert abs(values[i] - values[i - 1]) <= STEP_TOLERANCE * (1 + abs(values[i - 1])), \
            f"{name}: {labels[i]} = {mp.nstr(values[i], 25)} but {labels[i - 1]} = {mp.nstr(values[i - 1], 25)} " \
            f"at {point}"
    if name in PUBLISHED:
        expected = mp_value(PUBLISHED[name], point)
        assert abs(values[0] - expected) <= STEP_TOLERANCE * (1 + abs(expected)), \
            f"{name}: the definition is {values[0]}, the published closed form {expected}"
