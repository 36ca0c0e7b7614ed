"""Derivations: a definition followed by checked steps, and the builder that checks them."""
from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from derive.engine.check import Refutation, StepRejected, Verdict, check_step
from derive.engine.context import Context
from derive.engine.rules import DEFINITION, STABLE_FORM, Rule


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``before`` becomes ``after`` by ``rule``, for the reason ``why``."""

    before: sp.Expr
    after: sp.Expr
    rule: Rule
    why: str
    verdict: Verdict


@dataclass(frozen=True)
class Derivation:
    """A titled chain ``definition = step₁ = … = result``; every link was checked on creation."""

    name: str
    title: str
    context: Context
    definition: sp.Expr
    definition_why: str
    steps: tuple[Step, ...]
    summary: str = ""

    def portable(self) -> Derivation:
        """The same derivation with its rules reduced to name and statement: picklable, for
        handing a checked derivation from one process to another."""
        steps = tuple(replace(s, rule=Rule(s.rule.name, s.rule.statement)) for s in self.steps)
        return replace(self, steps=steps)

    @property
    def result(self) -> sp.Expr:
        return self.steps[-1].after if self.steps else self.definition

    @property
    def closed_form(self) -> sp.Expr:
        """The result as people recognise it: the last step before a numerically stable form."""
        plain = [s for s in self.steps if s.rule.name != STABLE_FORM.name]
        return plain[-1].after if plain else self.definition

    @property
    def explicit_result(self) -> sp.Expr:
        return self.context.realise(self.result)

    @property
    def lines(self) -> list[tuple[sp.Expr, Rule, str]]:
        """Every expression in order with the rule that produced it (the definition first)."""
        return [(self.definition, DEFINITION, self.definition_why)] + [(s.after, s.rule, s.why) for s in self.steps]


class DerivationBuilder:
    """Builds a derivation one checked step at a time; a wrong step raises ``StepRejected``."""

    def __init__(self, name: str, title: str, context: Context, definition: sp.Expr, why: str,
                 summary: str = "") -> None:
        self._name, self._title, self._context, self._summary = name, title, context, summary
        self._definition, self._why = definition, why
        self._steps: list[Step] = []

    @property
    def current(self) -> sp.Expr:
        return self._steps[-1].after if self._steps else self._definition

    def apply(self, rule: Rule, why: str, *, optional: bool = False) -> DerivationBuilder:
        """Let ``rule`` compute the next expression; ``optional`` skips a rule with nothing to do."""
        if rule.apply is None:
            raise TypeError(f"rule {rule.name!r} needs the next expression written out: use to()")
        try:
            after = rule(self.current, self._context)
        except Exception as error:  # noqa: BLE001 — a rule that cannot act refuses its step, by name
            raise StepRejected(f"derivation {self._name!r}, step {len(self._steps) + 1} ({rule.name}): the rule "
                               f"cannot be applied: {type(error).__name__}: {error}") from error
        if optional and after == self.current:
            return self
        return self.to(after, rule, why)

    def to(self, after: sp.Expr, rule: Rule, why: str,
           where: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()) -> DerivationBuilder:
        """Write the next expression out by hand; the checker decides whether ``rule`` allows it.

        ``where`` defines auxiliary symbols ``after`` introduces (they hold from here on).
        """
        if where:
            self._context = replace(self._context, definitions=self._context.definitions + tuple(where))
        before = self.current
        if after == before:
            raise StepRejected(f"derivation {self._name!r}, step {len(self._steps) + 1} ({rule.name}): "
                               "leaves the expression unchanged")
        index = len(self._steps) + 1
        outcome = check_step(before, after, self._context, seed=self._name)
        if isinstance(outcome, Refutation):
            raise StepRejected(
                f"derivation {self._name!r}, step {index} ({rule.name}): rejected by the {outcome.route} "
                f"check: {outcome.detail}")
        self._steps.append(Step(before, after, rule.stated_for(before, self._context), why, outcome))
        return self

    def build(self) -> Derivation:
        return Derivation(self._name, self._title, self._context, self._definition, self._why,
                          tuple(self._steps), self._summary)
