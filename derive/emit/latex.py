"""LaTeX documents: one standalone ``align*`` document per derivation, and one with them all."""
from __future__ import annotations

from derive.emit.notation import where_sentence
from derive.emit.printing import latex
from derive.emit.prose import escape, unicode_declarations
from derive.engine import Derivation
from derive.provenance import header, template



def _template(name: str):
    return template("derive.emit", name)


def section(derivation: Derivation, numbered: bool = False) -> str:
    """The derivation as a section: the chain of equalities, each with its rule, then the reasons."""
    lhs = derivation.context.lhs
    lines = []
    for index, (expr, rule, _) in enumerate(derivation.lines):
        head = lhs if index == 0 else ""
        lines.append(rf"{head} &= {latex(expr)} && \text{{({index}) {escape(rule.name)}}}")
    reasons = [rf"\item[({i})] \textbf{{{escape(rule.name)}}}: {escape(why)}"
               for i, (_, rule, why) in enumerate(derivation.lines)]
    return _template("derivation.tex").substitute(
        star="" if numbered else "*", title=escape(derivation.title), summary=escape(derivation.summary),
        lines=" \\\\\n".join(lines), where=where_sentence(derivation),
        reasons="\n".join(reasons)).rstrip("\n")


def document(body: str, header: str) -> str:
    return _template("document.tex").substitute(header=header, unicode=unicode_declarations(body), body=body)


def standalone(derivation: Derivation) -> str:
    return document(section(derivation), header(derivation.name))


def combined(derivations: list[Derivation]) -> str:
    body = "\n\n".join(section(d, numbered=True) for d in derivations)
    return document(body, header([d.name for d in derivations]))
