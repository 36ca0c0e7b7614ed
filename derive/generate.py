"""Regenerating everything under ``generated/`` (and ``notebooks/``) from the derivations."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from multiprocessing import get_all_start_methods
from pathlib import Path

from derive import codegen, derivations, workers
from derive.derivations import registry
from derive.emit import json, latex, markdown, notebook
from derive.engine import Derivation
from derive.files import changed, discard, is_generated, leftovers, orphans, write_all_atomically

OWNED = ("generated",)
"""Folders whose every file is produced by ``derive generate``."""
NOTEBOOKS = Path("notebooks")
"""Where the notebooks go.  Only its top-level ``*.ipynb`` files are ours: notes beside them, and
Jupyter's ``.ipynb_checkpoints/``, are never flagged or removed."""

Progress = Callable[[str], None]


PARALLEL_FAMILIES = ("mvn", "renyi")
"""Built in a second process while this one builds the rest (about half of the checking each);
neither cites outside its own family and the lemmas, which are built there again."""


def _build_families(families: tuple[str, ...], write_up: bool) -> tuple[list[Derivation], dict[Path, str]]:
    """The worker's share: its families built, checked and (with ``write_up``) written up."""
    built = [entry.build() for entry in derivations.entries() if entry.family in families]
    return [d.portable() for d in built], writeups(built) if write_up else {}


def _entries(loaded: bool) -> list[derivations.Entry]:
    """derive's own derivations, and with ``loaded`` those of users' files and packages too."""
    return [e for e in derivations.entries() if loaded or e.origin == registry.BUILTIN]


def build_and_write_up(progress: Progress = lambda _: None, parallel: bool = True, loaded: bool = False,
                       write_up: bool = True) -> tuple[list[Derivation], dict[Path, str]]:
    """Every published derivation, built and checked (raises ``StepRejected`` on a wrong step),
    with its write-ups (LaTeX, Markdown, JSON) and the pages that list them all; without
    ``write_up`` (``derive notebooks``) the derivations only.

    The full-covariance and Rényi families are checked and written up in a second process at the
    same time: the work is CPU-bound, and the machines we run on have two cores.
    """
    entries = _entries(loaded)
    parallel = parallel and "fork" in get_all_start_methods()  # elsewhere: one process, the same files
    files: dict[Path, str] = {}
    with workers.forked_pool(1) if parallel else nullcontext() as pool:
        remote = pool.submit(_build_families, PARALLEL_FAMILIES, write_up) if pool else None
        local = [e for e in entries if remote is None or e.family not in PARALLEL_FAMILIES]
        for index, entry in enumerate(local, 1):
            progress(f"[{index}/{len(local)}] deriving {entry.name}")
            entry.build()
        if write_up:
            files.update(writeups([entry.build() for entry in local]))
        if remote is not None:
            progress(f"waiting for the {' and '.join(PARALLEL_FAMILIES)} derivations")
            theirs, their_files = remote.result()
            for derivation in theirs:
                derivations.adopt(derivation)
            files.update(their_files)
    built = [entry.build() for entry in entries]
    if write_up:
        files[Path("generated/latex/all-derivations.tex")] = latex.combined(built)
        files[Path("generated/markdown/README.md")] = markdown.index(built)
    return built, files


def writeups(built: list[Derivation]) -> dict[Path, str]:
    """Each derivation's own LaTeX, Markdown and JSON files."""
    out: dict[Path, str] = {}
    for d in built:
        out[Path("generated/latex", f"{d.name}.tex")] = latex.standalone(d)
        out[Path("generated/markdown", f"{d.name}.md")] = markdown.render(d)
        out[Path("generated/json", f"{d.name}.json")] = json.render(d)
    return out


def kernels(progress: Progress = lambda _: None, loaded: bool = False) -> dict[Path, str]:
    out: dict[Path, str] = {}
    names = [s.name for s in (codegen.kernels.specs() if loaded else codegen.kernels.SPECS)]
    for language in codegen.LANGUAGES:
        progress(f"printing {language} kernels")
        out.update({Path("generated", language, name): text for name, text in codegen.render(language, None, names).items()})
    return out


def notebooks(built: list[Derivation], progress: Progress = lambda _: None) -> dict[Path, str]:
    """The teaching notebooks, unexecuted; the published kernels decide the kernel cells they get."""
    progress("writing notebooks")
    return {NOTEBOOKS / name: text for name, text in notebook.render_all(built, codegen.kernel_names()).items()}


def render_all(progress: Progress = lambda _: None, loaded: bool = False) -> dict[Path, str]:
    """Every generated file's relative path and content; nothing is written.  With ``loaded``,
    users' derivations (``--from``, entry points) are written up and printed beside derive's."""
    built, files = build_and_write_up(progress, loaded=loaded)
    files.update(kernels(progress, loaded))
    files.update(notebooks(built, progress))
    return dict(sorted(files.items()))


def render_notebooks(progress: Progress = lambda _: None) -> dict[Path, str]:
    """Only the notebooks (``derive notebooks``): the same bytes ``render_all`` gives them."""
    return notebooks(build_and_write_up(progress, write_up=False)[0], progress)


def _orphans(root: Path, files: dict[Path, str]) -> list[Path]:
    """Files generation no longer produces: generated ones under ``OWNED``, and top-level notebooks
    in ``NOTEBOOKS`` that carry the marker (a notebook of the user's, beside ours, is never one)."""
    folder = root / NOTEBOOKS
    ours = sorted(p.relative_to(root) for p in folder.glob("*.ipynb")
                  if p.is_file() and is_generated(p)) if folder.is_dir() else []
    return orphans(root, files, OWNED) + [p for p in ours if p not in files]


def _leftovers(root: Path) -> list[Path]:
    """Staging files an interrupted run left in the folders ``write`` writes (relative to ``root``)."""
    found = [p for folder in OWNED for p in leftovers(root / folder, recursive=True)] + leftovers(root / NOTEBOOKS)
    return [p.relative_to(root) for p in found]


def stale(root: Path, files: dict[Path, str]) -> list[Path]:
    """Files that ``write`` would create, change or remove (staging files left by a killed run among them)."""
    return sorted(changed(root, files) + _orphans(root, files) + _leftovers(root))


def write(root: Path, files: dict[Path, str]) -> list[Path]:
    """Bring ``root`` up to date; returns what changed.  Stale generated files, and staging files a
    killed run left, are removed; on an error nothing is changed (``OutputError``)."""
    left = _leftovers(root)
    discard(root / relative for relative in left)
    updated, removed = changed(root, files), _orphans(root, files)
    write_all_atomically({root / relative: files[relative] for relative in updated},
                         remove=[root / relative for relative in removed])
    return sorted(updated + removed + left)


def repository_root() -> Path | None:
    """The checkout this package runs from; None for an installed copy, where there is no
    repository to regenerate and the caller must say where to write."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "generated").is_dir():
        return checkout
    return None
