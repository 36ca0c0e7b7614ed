"""Teaching notebooks (Jupyter, nbformat 4.5), written from the same checked derivations as the write-ups.

Each notebook is a template under ``templates/notebook/`` (prose and code, one cell after another)
into which the derivations are poured: every step a Markdown cell (its LaTeX, the rule and the
reason), followed by a code cell that checks that step again, live, with ``derive``'s checker.

Template format, read top to bottom (text before the first ``%%`` line is a note to editors):

- ``%% markdown [TAG …]`` / ``%% code [TAG …]``: the lines up to the next ``%%`` line are one
  cell; TAGs go to the cell's ``metadata.tags``: ``exercise`` (sets a problem up), ``answer`` (the
  cell a student edits), ``check`` (judges the answer), ``solution`` (its ``python`` block is the answer).
- ``%% derivation NAME [as=VARIABLE] [from=LINE]``: the derivation's heading, one cell per line
  and a check cell under each step, bound to ``VARIABLE`` (default: NAME with ``_`` for ``-``);
  ``from`` starts at that line (negative: counted from the end), for steps already shown.
- ``%% setup``: the code cell every notebook starts with (``templates/notebook/setup.py``).
- ``if-published=NAME[,NAME…]`` and ``if-kernel=NAME`` on any header keep that cell only when
  one of the derivations is published, or the generated numpy module defines the kernel, at
  generation time: notebooks fill in as derivations and kernels land.
- ``{{ KEY }}`` in a cell is replaced by a value computed from the derivations (see ``_values``).

Output is byte-deterministic: fixed metadata, cell ids hashed from notebook, position and source,
no outputs, and nbformat's sorted-key JSON with a final newline.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import nbformat
import sympy as sp
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from derive.emit.notation import where_sentence
from derive.emit.printing import latex
from derive.engine import Derivation

NOTEBOOKS = ("entropy", "cross-entropy", "kl-divergence", "multivariate", "numerical-accuracy")
"""The notebooks, in reading order; each is ``templates/notebook/<name>.txt``."""
NUMPY_MODULE = Path("generated/numpy/derive_gaussian.py")
"""The kernels the notebooks load, relative to the repository root (notebooks sit in ``notebooks/``)."""
CHECK_SEED = "notebook"
"""Seed of the live checks: other points than the ones the derivation was built with."""
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

_TEMPLATES = files("derive.emit") / "templates" / "notebook"
_HEADER = re.compile(r"^%%\s*(\S+)(.*)$")
_PLACEHOLDER = re.compile(r"\{\{\s*([\w:.-]+)\s*\}\}")
_PUBLIC_FUNCTION = re.compile(r"^def ([A-Za-z]\w*)\(", re.MULTILINE)


@dataclass(frozen=True)
class Sources:
    """What a notebook is built from: the built derivations and the kernels the numpy module defines."""

    derivations: dict[str, Derivation]
    kernels: frozenset[str]

    @classmethod
    def of(cls, built: list[Derivation], numpy_module: str) -> Sources:
        return cls({d.name: d for d in built}, kernel_names(numpy_module))


@dataclass(frozen=True)
class _Block:
    """One ``%%`` section of a template: its kind, the words after it, and its text."""

    kind: str
    words: tuple[str, ...]
    text: str

    @property
    def options(self) -> dict[str, str]:
        return dict(w.split("=", 1) for w in self.words if "=" in w)

    @property
    def plain_words(self) -> list[str]:
        return [w for w in self.words if "=" not in w]


def kernel_names(numpy_module: str) -> frozenset[str]:
    """The public functions the generated numpy module defines: ``def name(`` at the start of a
    line in its text (read, not imported: rendering must not execute generated code)."""
    return frozenset(_PUBLIC_FUNCTION.findall(numpy_module))


def render_all(built: list[Derivation], numpy_module: str) -> dict[str, str]:
    """``{"<name>.ipynb": text}`` for every notebook, unexecuted."""
    sources = Sources.of(built, numpy_module)
    return {f"{name}.ipynb": writes(build(name, sources)) for name in NOTEBOOKS}


def build(name: str, sources: Sources) -> NotebookNode:
    """The notebook ``name`` as nbformat cells, with stable ids and fixed metadata."""
    template = (_TEMPLATES / f"{name}.txt").read_text(encoding="utf-8")
    values = _values(sources)
    cells = [cell for block in _blocks(template) if _wanted(block, sources)
             for cell in _cells(block, sources, values)]
    for index, cell in enumerate(cells):
        cell.id = hashlib.sha256(f"{name}\0{index}\0{cell.source}".encode()).hexdigest()[:16]
    shown = sorted({cell.metadata["derive"]["derivation"] for cell in cells if "derive" in cell.metadata})
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
        "derive": {"notebook": name, "derivations": shown,
                   "generated": "Generated by derive. Do not edit: run `derive generate` instead."},
    })
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def writes(notebook: NotebookNode) -> str:
    """nbformat's JSON (sorted keys, one-space indent) with a final newline."""
    return nbformat.writes(notebook, version=4) + "\n"


def reads(text: str) -> NotebookNode:
    return nbformat.reads(text, as_version=4)


class NotebookFailed(RuntimeError):
    """A cell raised while the notebook was executed: the message names the cell and the error."""


def execute(notebook: NotebookNode, working_dir: Path, timeout: int = 300) -> NotebookNode:
    """A copy of ``notebook`` run top to bottom in a fresh ``python3`` kernel started in ``working_dir``.

    Raises ``NotebookFailed`` on the first cell that raises.
    """
    outcome = execute_all({"notebook": notebook}, working_dir, timeout)["notebook"]
    if isinstance(outcome, NotebookFailed):
        raise outcome
    return outcome


def execute_all(notebooks: dict[str, NotebookNode], working_dir: Path, timeout: int = 300,
                at_once: int | None = None) -> dict[str, NotebookNode | NotebookFailed]:
    """Run each notebook in a fresh kernel of its own (nothing shared), ``at_once`` at a time
    (default: one per CPU), each started in ``working_dir``; returns each executed copy, or
    the ``NotebookFailed`` that stopped it.

    Kernels draw with Agg (no display needed) and import the same ``derive`` as this process,
    installed or not.
    """
    return asyncio.run(_execute_all(notebooks, working_dir, timeout, at_once or os.cpu_count() or 1))


async def _execute_all(notebooks: dict[str, NotebookNode], working_dir: Path, timeout: int,
                       at_once: int) -> dict[str, NotebookNode | NotebookFailed]:
    slots = asyncio.Semaphore(at_once)

    async def one(notebook: NotebookNode) -> NotebookNode | NotebookFailed:
        async with slots:
            return await _execute_one(notebook, working_dir, timeout)
    longest_first = sorted(notebooks, key=lambda name: -len(notebooks[name].cells))  # keeps every slot busy
    outcomes = dict(zip(longest_first, await asyncio.gather(*(one(notebooks[name]) for name in longest_first))))
    return {name: outcomes[name] for name in notebooks}


async def _execute_one(notebook: NotebookNode, working_dir: Path, timeout: int) -> NotebookNode | NotebookFailed:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    executed = copy.deepcopy(notebook)
    package_parent = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": python_path}
    client = NotebookClient(executed, timeout=timeout, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(working_dir)}})
    try:
        await client.async_execute(env=env)
    except CellExecutionError as error:
        failed = next((i for i, cell in enumerate(executed.cells)
                       if any(o.get("output_type") == "error" for o in cell.get("outputs", []))), "?")
        return NotebookFailed(f"cell {failed}: {error.ename}: {error.evalue}")
    except (CellTimeoutError, DeadKernelError) as error:
        return NotebookFailed(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
    return executed


# ---- templates → cells ----

def _blocks(template: str) -> Iterator[_Block]:
    kind, words, lines = None, (), []
    for line in template.splitlines() + ["%% end"]:
        header = _HEADER.match(line)
        if not header:
            lines.append(line)
            continue
        if kind is not None:
            yield _Block(kind, words, "\n".join(lines).strip("\n"))
        kind, words, lines = header.group(1), tuple(header.group(2).split()), []


def _wanted(block: _Block, sources: Sources) -> bool:
    options = block.options
    if "if-published" in options and not set(options["if-published"].split(",")) & set(sources.derivations):
        return False
    return "if-kernel" not in options or options["if-kernel"] in sources.kernels


def _cells(block: _Block, sources: Sources, values: dict[str, str]) -> list[NotebookNode]:
    tags = block.plain_words
    metadata = {"tags": tags} if tags else {}
    if block.kind == "markdown":
        return [new_markdown_cell(_fill(block.text, values), metadata=metadata)]
    if block.kind == "code":
        return [new_code_cell(_fill(block.text, values), metadata=metadata)]
    if block.kind == "setup":
        setup = (_TEMPLATES / "setup.py").read_text(encoding="utf-8").strip("\n")
        return [new_code_cell(setup, metadata={"tags": ["setup"]})]
    if block.kind == "derivation":
        (name,) = block.plain_words
        variable = block.options.get("as", name.replace("-", "_"))
        return derivation_cells(sources.derivations[name], variable, int(block.options.get("from", 0)))
    raise ValueError(f"unknown notebook block %% {block.kind}")


def _fill(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"notebook template: no value for {{{{ {key} }}}}")
        return values[key]
    return _PLACEHOLDER.sub(value, text)


def derivation_cells(derivation: Derivation, variable: str, first_line: int = 0) -> list[NotebookNode]:
    """Heading, then each line of the derivation as Markdown, each step followed by its live check.

    ``first_line`` (negative: from the end) leaves out the lines before it, named in one
    sentence, when they repeat a derivation the notebook has already shown.
    """
    name = derivation.name
    first_line = first_line % len(derivation.lines)
    cells = [
        new_markdown_cell(f"### {derivation.title}\n\n{derivation.summary.rstrip('.')}."),
        new_code_cell(f'{variable} = derive.get("{name}")  # built on first use: each step is checked as it is made\n'
                      f'print(f"{{{variable}.title}}: {{len({variable}.steps)}} checked steps")'),
    ]
    if first_line:
        left_out = "; ".join(rule.name for _, rule, _ in derivation.lines[:first_line])
        cells.append(new_markdown_cell(
            f"Lines (0) to ({first_line - 1}) are left out here ({left_out}): `derive.get` built and "
            f"checked them all the same, and `{variable}.lines` has them. From line ({first_line}) on:"))
    lhs = derivation.context.lhs
    for index, (expr, rule, why) in enumerate(derivation.lines[first_line:], first_line):
        label, head = ("definition", f"{lhs} = ") if index == 0 else (rule.name, "= ")
        law = "" if index == 0 else f"\n\nRule: ${rule.statement}$"
        cells.append(new_markdown_cell(f"**({index}) {label}.** {why}\n\n$$\n{head}{latex(expr)}\n$${law}",
                                       metadata={"derive": {"derivation": name, "line": index}}))
        if index:
            cells.append(new_code_cell(
                f"step = {variable}.steps[{index - 1}]  # ({index - 1}) → ({index}): {rule.name}\n"
                f'check_step(step.before, step.after, {variable}.context, seed="{CHECK_SEED}")',
                metadata={"derive": {"derivation": name, "checks": index}}))
    where = where_sentence(derivation)
    if where:
        cells.append(new_markdown_cell(where[0].upper() + where[1:]))
    return cells


# ---- values for {{ KEY }} ----

def _values(sources: Sources) -> dict[str, str]:
    """For every published derivation NAME: ``NAME:title``, ``NAME:lhs``, ``NAME:closed_form`` and
    ``NAME:result`` (LaTeX), ``NAME:closed_form_line`` and ``NAME:result_line`` (their numbers, as
    "(5)", so prose never hard-codes a step number); and ``vae_sum``, the univariate VAE result
    summed over D dimensions."""
    values: dict[str, str] = {}
    for name, d in sources.derivations.items():
        closed_form_line = max(i for i, (expr, _, _) in enumerate(d.lines) if expr == d.closed_form)
        values.update({f"{name}:title": d.title, f"{name}:lhs": d.context.lhs,
                       f"{name}:closed_form": latex(d.closed_form), f"{name}:result": latex(d.result),
                       f"{name}:closed_form_line": f"({closed_form_line})",
                       f"{name}:result_line": f"({len(d.lines) - 1})"})
    if "kl-normal-std-normal" in sources.derivations:
        values["vae_sum"] = latex(summed_over_dimensions(sources.derivations["kl-normal-std-normal"]))
    return values


def summed_over_dimensions(univariate: Derivation) -> sp.Expr:
    """c · Σ_{d=1}^{D} f(μ_d, σ_d) from a univariate closed form c · f(μ, σ), in its written order.

    A diagonal Gaussian against N(0, I) factorises, so its KL is this sum; each dimension
    keeps its own μ_d and σ_d (the classic write-up drops the index on σ²).
    """
    from derive.models import mu, sigma

    index, dimensions = sp.Symbol("d", integer=True, positive=True), sp.Symbol("D", integer=True, positive=True)
    per_dimension = {mu: sp.Symbol("mu_d", real=True), sigma: sp.Symbol("sigma_d", positive=True)}
    coefficient, body = univariate.closed_form.as_coeff_Mul()
    terms = sp.Add(*(t.xreplace(per_dimension) for t in sp.Add.make_args(body)), evaluate=False)
    return sp.Mul(coefficient, sp.Sum(terms, (index, 1, dimensions)), evaluate=False)
