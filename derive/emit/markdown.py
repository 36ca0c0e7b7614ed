"""Markdown for the web: each step a ``$$`` block GitHub renders, with its rule and reason."""
from __future__ import annotations

from derive.emit.notation import where_sentence
from derive.emit.printing import latex
from derive.engine import Derivation
from derive.provenance import header, template


def render(derivation: Derivation) -> str:
    lhs = derivation.context.lhs
    steps = []
    for index, (expr, rule, why) in enumerate(derivation.lines):
        head = f"{lhs} = " if index == 0 and lhs else "= "
        steps.append(f"**({index}) {rule.name}.** {why}\n\n$$\n{head}{latex(expr)}\n$$")
    seen: dict[str, str] = {}
    for _, rule, _ in derivation.lines[1:]:
        seen.setdefault(rule.name, rule.statement)
    rules = "\n".join(f"- **{name}**: ${statement}$" for name, statement in seen.items())
    return template("derive.emit", "derivation.md").substitute(
        header=header(derivation.name), title=derivation.title, summary=derivation.summary, steps="\n\n".join(steps),
        where=where_sentence(derivation), rules=rules)


def index(derivations: list[Derivation]) -> str:
    """A landing page for ``generated/markdown/``: every derivation with its result."""
    rows = [f"- [{d.name}]({d.name}.md): {d.title}. ${d.context.lhs} = {latex(d.result)}$" for d in derivations]
    return "\n".join([
        f"<!-- {header([d.name for d in derivations])} -->",
        "# Derivations", "",
        "Every step of every derivation below was checked before it was written: numerically at seeded "
        "random points always, and symbolically where SymPy could decide the equality (each step's "
        "`check` in the JSON says which).", "",
        *rows, ""])
