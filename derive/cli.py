"""The ``derive`` command: a thin layer over derivations, emitters and ``generate``.

Exit status: 0 success, 1 a failed ``--check`` (or a notebook that raised under ``--execute``),
2 bad usage (one line on stderr).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from derive import derivations
from derive.derivations import registry
from derive.emit import json, latex, markdown, text
from derive.engine import StepRejected
from derive.files import OutputError, write_all_atomically

FORMATS = {"text": text.render, "latex": latex.standalone, "markdown": markdown.render, "json": json.render}


class UsageError(Exception):
    """Bad usage: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own two-line usage dump is replaced by one line
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derive", description="Checked derivations of Gaussian entropies and divergences.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    listing = commands.add_parser("list", help="one derivation a line: name, then title (and where it comes from, "
                                               "if not from derive)")
    _from_option(listing)
    show = commands.add_parser("show", help="print one derivation, every step")
    show.add_argument("name")
    show.add_argument("--format", choices=sorted(FORMATS), default="text")
    _from_option(show)
    check = commands.add_parser("check", help="build and check every derivation a file of yours publishes")
    check.add_argument("file", type=Path, help="a Python file that publishes derivations (see the README)")
    check.add_argument("names", nargs="*", metavar="NAME", help="only these derivations (default: all the file's)")
    generate = commands.add_parser("generate", help="regenerate every write-up, kernel and notebook")
    _from_option(generate)
    generate.add_argument("--out", type=Path, help="root folder for generated/ and notebooks/ "
                                                   "(default: the repository)")
    generate.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    notebooks = commands.add_parser("notebooks", help="write the teaching notebooks; --execute runs them for publishing")
    notebooks.add_argument("--out", type=Path, help="folder to write into (default: the repository's notebooks/; "
                                                    "required with --execute)")
    notebooks.add_argument("--execute", action="store_true",
                           help="run each notebook in a fresh kernel and keep its outputs (needs nbclient, ipykernel)")
    codegen = commands.add_parser("codegen", help="kernels for another project, with your prefix")
    codegen.add_argument("language", choices=["c", "numpy"])
    codegen.add_argument("names", nargs="*", metavar="NAME", help="only these kernels (default: all)")
    codegen.add_argument("--prefix", help="start of every function name (default: derive_ for C, none for numpy)")
    codegen.add_argument("--out", type=Path, default=Path("."), help="folder to write into (default: .)")
    _from_option(codegen)
    return parser


def _from_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="sources", type=Path, action="append", default=[], metavar="FILE.py",
                        help="also load the derivations this file publishes (repeatable)")


def _load(sources: list[Path], entry_points: bool = True) -> None:
    """Your files' derivations, and installed packages' (entry points), beside derive's own."""
    try:
        if entry_points:
            registry.load_entry_points()
        for source in sources:
            registry.load_file(source)
    except registry.LoadError as error:
        raise UsageError(str(error)) from None


def _list() -> int:
    width = max(len(e.name) for e in derivations.entries())
    for entry in derivations.entries():
        origin = "" if entry.origin == registry.BUILTIN else f"  [from {entry.origin}]"
        print(f"{entry.name:<{width}}  {entry.title}{origin}")
    return 0


def _check(file: Path, names: list[str]) -> int:
    """Build every derivation ``file`` publishes, one verdict a step; 1 at the first refused step."""
    try:
        published = registry.load_file(file)
    except registry.LoadError as error:
        raise UsageError(str(error)) from None
    unknown = [n for n in names if n not in {e.name for e in published}]
    if unknown:
        raise UsageError(f"{file} publishes no derivation {', '.join(map(repr, unknown))} "
                         f"(it publishes: {', '.join(e.name for e in published) or 'none'})")
    if not published:
        raise UsageError(f"{file} publishes no derivation (use derive.api.publish)")
    for entry in published:
        if names and entry.name not in names:
            continue
        try:
            derivation = entry.build()
        except StepRejected as error:
            print(f"REFUSED  {entry.name}: {error}")
            return 1
        print(f"ok       {entry.name}: {entry.title}")
        for index, step in enumerate(derivation.steps, 1):
            print(f"           step {index} ({step.rule.name}): {step.verdict.symbolic}, "
                  f"{step.verdict.points} seeded points agree")
    return 0


def _show(name: str, form: str) -> int:
    try:
        derivation = derivations.get(name)
    except derivations.UnknownDerivation:
        raise UsageError(f"unknown derivation {name!r} (see `derive list`)") from None
    sys.stdout.write(FORMATS[form](derivation).rstrip("\n") + "\n")
    return 0


def _generate(out: Path | None, check: bool) -> int:
    from derive import generate

    root = out or generate.repository_root()
    if root is None:
        raise UsageError("not running from a derive checkout: say where to write with --out DIR")
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    tty = sys.stderr.isatty()
    files = generate.render_all(progress=(lambda line: print(line, file=sys.stderr)) if tty else (lambda _: None),
                                loaded=out is not None)
    if check:
        stale = generate.stale(root, files)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        print(f"{len(files)} files, {len(stale)} stale", file=sys.stderr)
        return 1 if stale else 0
    try:
        updated = generate.write(root, files)
    except OutputError as error:
        raise UsageError(str(error)) from None
    print(f"{len(files)} files in {root}, {len(updated)} updated", file=sys.stderr)
    return 0


def _notebooks(out: Path | None, execute: bool) -> int:
    """Unexecuted notebooks (as ``generate`` writes them), or executed copies for publishing.

    Executed copies run with the repository's ``notebooks/`` as working folder, wherever they
    are written, so they load the repository's generated kernels.
    """
    from derive import generate

    if execute and out is None:
        raise UsageError("--execute needs --out DIR: the repository's notebooks/ are committed without outputs")
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    root = generate.repository_root()
    if root is None:
        raise UsageError("not running from a derive checkout: the notebooks load its generated/ kernels")
    if execute:
        _require_execution_tools(root)
    tty = sys.stderr.isatty()
    files = generate.render_notebooks(progress=(lambda line: print(line, file=sys.stderr)) if tty else (lambda _: None))
    texts = {relative.name: text for relative, text in files.items()}
    if execute:
        from derive import execute as runner
        from derive.emit import notebook

        if tty:
            print(f"executing {len(texts)} notebooks", file=sys.stderr)
        outcomes = runner.execute_all({name: notebook.reads(text) for name, text in texts.items()},
                                       root / generate.NOTEBOOKS)
        failed = [f"{name}: {outcome}" for name, outcome in outcomes.items() if isinstance(outcome, Exception)]
        if failed:
            print(f"derive: error: {'; '.join(failed)}", file=sys.stderr)
            return 1
        texts = {name: notebook.writes(executed) for name, executed in outcomes.items()}
    return _write_listed(out if out is not None else root / generate.NOTEBOOKS, texts)


def _write_listed(folder: Path, texts: dict[str, str]) -> int:
    """Write every file (all staged before any is replaced) and list what was written."""
    try:
        write_all_atomically({folder / name: text for name, text in texts.items()})
    except OutputError as error:
        raise UsageError(str(error)) from None
    for name in texts:
        print(folder / name)
    return 0


def _require_execution_tools(root: Path) -> None:
    from derive.emit.notebook import NUMPY_MODULE

    missing = [m for m in ("nbclient", "ipykernel", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"--execute needs {', '.join(missing)}: pip install -e '.[test]'")
    if not (root / NUMPY_MODULE).is_file():
        raise UsageError(f"--execute needs the repository's {NUMPY_MODULE} (none under {root}): "
                         "run it from a checkout")


def _codegen(language: str, names: list[str], prefix: str | None, out: Path) -> int:
    from derive import codegen

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    try:
        files = codegen.render(language, prefix, names or None)
    except codegen.kernels.UnknownKernel as error:
        known = ", ".join(s.name for s in codegen.kernels.specs())
        raise UsageError(f"unknown kernel {error.args[0]} (known: {known})") from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    return _write_listed(out, files)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = _parser()
        args, extra = parser.parse_known_args(argv)
        if args.command == "codegen" and not any(e.startswith("-") for e in extra):
            args.names += extra  # names after --prefix/--out: argparse leaves them over
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "check":
            return _check(args.file, args.names)
        if args.command == "generate" and args.sources and args.out is None:
            raise UsageError("--from needs --out DIR: the repository's generated/ holds derive's own derivations")
        if args.command in ("list", "show", "codegen", "generate"):
            _load(args.sources, entry_points=args.command != "generate" or args.out is not None)
        if args.command == "list":
            return _list()
        if args.command == "show":
            return _show(args.name, args.format)
        if args.command == "codegen":
            return _codegen(args.language, args.names, args.prefix, args.out)
        if args.command == "notebooks":
            return _notebooks(args.out, args.execute)
        return _generate(args.out, args.check)
    except UsageError as error:
        print(f"derive: error: {error}", file=sys.stderr)
        return 2
    except StepRejected as error:  # a derivation failed its check: nothing was written
        print(f"derive: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


def run() -> None:
    sys.exit(main())
