"""Regenerating everything under ``generated/`` (and ``notebooks/``) from the derivations."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from derive import codegen, derivations
from derive.emit import json, latex, markdown
from derive.engine import Derivation
from derive.files import changed, orphans, write_atomically

OWNED = ("generated",)
"""Folders whose every file is produced by ``derive generate``."""

Progress = Callable[[str], None]


def build_all(progress: Progress = lambda _: None) -> list[Derivation]:
    """Every published derivation, built and checked (raises ``StepRejected`` on a wrong step)."""
    entries = derivations.entries()
    built = []
    for index, entry in enumerate(entries, 1):
        progress(f"[{index}/{len(entries)}] deriving {entry.name}")
        built.append(entry.build())
    return built


def writeups(built: list[Derivation]) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for d in built:
        out[Path("generated/latex", f"{d.name}.tex")] = latex.standalone(d)
        out[Path("generated/markdown", f"{d.name}.md")] = markdown.render(d)
        out[Path("generated/json", f"{d.name}.json")] = json.render(d)
    out[Path("generated/latex/all-derivations.tex")] = latex.combined(built)
    out[Path("generated/markdown/README.md")] = markdown.index(built)
    return out


def kernels(progress: Progress = lambda _: None) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for language in codegen.LANGUAGES:
        progress(f"printing {language} kernels")
        out.update({Path("generated", language, name): text for name, text in codegen.render(language).items()})
    return out


def render_all(progress: Progress = lambda _: None) -> dict[Path, str]:
    """Every generated file's relative path and content; nothing is written."""
    built = build_all(progress)
    return dict(sorted({**writeups(built), **kernels(progress)}.items()))


def stale(root: Path, files: dict[Path, str]) -> list[Path]:
    """Files that ``write`` would create, change or remove."""
    return sorted(changed(root, files) + orphans(root, files, OWNED))


def write(root: Path, files: dict[Path, str]) -> list[Path]:
    """Bring ``root`` up to date; returns what changed.  Stale generated files are removed."""
    updated = changed(root, files)
    for relative in updated:
        write_atomically(root / relative, files[relative])
    removed = orphans(root, files, OWNED)
    for relative in removed:
        (root / relative).unlink()
    return sorted(updated + removed)


def repository_root() -> Path:
    """The checkout this package runs from, else the current directory."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "generated").is_dir():
        return checkout
    return Path.cwd()
