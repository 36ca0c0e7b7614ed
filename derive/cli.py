"""The ``derive`` command: a thin layer over derivations, emitters and ``generate``.

Exit status: 0 success, 1 a failed ``--check`` (or a notebook that raised under ``--execute``),
2 bad usage (one line on stderr).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from derive import __version__, derivations
from derive.derivations import registry
from derive.emit import json, latex, markdown, text
from derive.engine import StepRejected
from derive.files import OutputError, is_staging, write_all_atomically

FORMATS = {"text": text.render, "latex": latex.standalone, "markdown": markdown.render, "json": json.render}


class UsageError(Exception):
    """Bad usage: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own two-line usage dump is replaced by one line
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derive", description="Checked derivations of Gaussian entropies and divergences.")
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
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
    generate.add_argument("--out", type=_folder, help="root folder for generated/ and notebooks/ "
                                                   "(default: the repository)")
    generate.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    _quiet_option(generate)
    notebooks = commands.add_parser("notebooks", help="write the teaching notebooks; --execute runs them for publishing")
    notebooks.add_argument("--out", type=_folder, help="folder to write into (default: the repository's notebooks/; "
                                                    "required with --execute)")
    notebooks.add_argument("names", nargs="*", metavar="NAME",
                           help="only these notebooks, e.g. entropy or entropy.ipynb (default: all)")
    notebooks.add_argument("--execute", action="store_true",
                           help="run each notebook in a fresh kernel and keep its outputs (needs nbclient, ipykernel)")
    _quiet_option(notebooks)
    codegen = commands.add_parser("codegen", help="kernels for another project, with your prefix",
                                  formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_known_kernels())
    codegen.add_argument("language", choices=["c", "numpy"])
    codegen.add_argument("names", nargs="*", metavar="NAME",
                         help="only these kernels, or the kernels of these derivations (default: all)")
    codegen.add_argument("--prefix", help="start of every function name (default: derive_ for C, none for numpy)")
    codegen.add_argument("--out", type=_folder, default=".", help="folder to write into (default: .)")
    _from_option(codegen)
    _quiet_option(codegen)
    return parser


def _known_kernels() -> str:
    names = ", ".join(spec.name for spec in registry.kernel_specs())
    return "kernels (derive's own; --from adds yours):\n" + textwrap.fill(names, 78, initial_indent="  ",
                                                                           subsequent_indent="  ")


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress or summary lines on stderr")


def _progress(quiet: bool):
    """Progress lines for a person at a terminal; nothing in a pipe, a log or with --quiet."""
    if quiet or not sys.stderr.isatty():
        return lambda _: None
    return lambda line: print(line, file=sys.stderr, flush=True)


def _summary(quiet: bool):
    return (lambda _: None) if quiet else (lambda line: print(line, file=sys.stderr))


def _folder(text: str) -> Path:
    """An ``--out`` folder; an empty name (a shell variable that was not set) is refused, not
    taken to mean the current folder."""
    if not text:
        raise argparse.ArgumentTypeError("an empty name (to write into the current folder, say --out .)")
    return Path(text)


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be a folder; say where one that goes through a link leads."""
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out}: not a directory")
    except OSError as error:  # a name too long, a folder we may not look into
        raise UsageError(f"--out {out}: {error.strerror or error}") from None
    real = os.path.realpath(out)
    if real != os.path.abspath(out):
        print(f"derive: --out {out} leads through a symbolic link to {real}", file=sys.stderr)


@contextmanager
def _stdout_errors() -> Iterator[None]:
    """A failed write to stdout (a full disk, /dev/full) is reported like any other write error."""
    try:
        yield
    except BrokenPipeError:
        raise  # the reader stopped reading (``| head``): not an error
    except OSError as error:
        raise OutputError(f"cannot write to standard output: {error.strerror or error}") from None


def _say(text: str) -> None:
    with _stdout_errors():
        sys.stdout.write(text)


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
        _say(f"{entry.name:<{width}}  {entry.title}{origin}\n")
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
        except (StepRejected, registry.BuildError) as error:
            _say(f"REFUSED  {entry.name}: {error}\n")
            return 1
        _say(f"ok       {entry.name}: {entry.title}\n")
        for index, step in enumerate(derivation.steps, 1):
            _say(f"           step {index} ({step.rule.name}): {step.verdict.symbolic}, "
                 f"{step.verdict.points} seeded points agree\n")
    return 0


def _show(name: str, form: str) -> int:
    try:
        derivation = derivations.get(name)
    except derivations.UnknownDerivation:
        raise UsageError(f"unknown derivation {name!r} (see `derive list`)") from None
    _say(FORMATS[form](derivation).rstrip("\n") + "\n")
    return 0


def _generate(out: Path | None, check: bool, quiet: bool = False) -> int:
    from derive import generate

    root = out or generate.repository_root()
    if root is None:
        raise UsageError("not running from a derive checkout: say where to write with --out DIR")
    if out is not None:
        _check_out(out)
    files = generate.render_all(progress=_progress(quiet), loaded=out is not None)
    if check:
        stale = generate.stale(root, files)
        for path in stale:
            label = "left by an interrupted run" if is_staging(path) else "stale"
            print(f"{label}: {path}", file=sys.stderr)
        _summary(quiet)(f"{len(files)} files, {len(stale)} stale")
        return 1 if stale else 0
    updated = generate.write(root, files)
    left = sum(is_staging(path) for path in updated)
    removed = f", {left} staging files of an interrupted run removed" if left else ""
    _summary(quiet)(f"{len(files)} files in {root}, {len(updated) - left} updated{removed}")
    return 0


def _notebooks(out: Path | None, execute: bool, quiet: bool = False, names: Sequence[str] = ()) -> int:
    """Unexecuted notebooks (as ``generate`` writes them), or executed copies for publishing.

    Executed copies run with the repository's ``notebooks/`` as working folder, wherever they
    are written, so they load the repository's generated kernels; a copy of those kernels is
    written beside them, so that they run again where they are.
    """
    from derive import generate

    if execute and out is None:
        raise UsageError("--execute needs --out DIR: the repository's notebooks/ are committed without outputs")
    if out is not None:
        _check_out(out)
    root = generate.repository_root()
    if root is None:
        raise UsageError("not running from a derive checkout: the notebooks load its generated/ kernels")
    if execute:
        _require_execution_tools(root)
    progress = _progress(quiet)
    files = generate.render_notebooks(progress=progress)
    texts = {relative.name: text for relative, text in files.items()}
    if names:
        wanted = {name if name.endswith(".ipynb") else f"{name}.ipynb" for name in names}
        unknown = sorted(wanted - set(texts))
        if unknown:
            raise UsageError(f"unknown notebook {', '.join(unknown)} (known: "
                             f"{', '.join(n.removesuffix('.ipynb') for n in texts)})")
        texts = {name: text for name, text in texts.items() if name in wanted}
    if execute:
        from derive import execute as runner
        from derive.emit import notebook

        progress(f"executing {len(texts)} notebooks")
        outcomes = runner.execute_all({name: notebook.reads(text) for name, text in texts.items()},
                                       root / generate.NOTEBOOKS)
        failed = [f"{name}: {outcome}" for name, outcome in outcomes.items() if isinstance(outcome, Exception)]
        if failed:
            print(f"derive: error: {'; '.join(failed)}", file=sys.stderr)
            return 1
        texts = {name: notebook.writes(executed) for name, executed in outcomes.items()}
        texts[notebook.NUMPY_MODULE.name] = (root / notebook.NUMPY_MODULE).read_text(encoding="utf-8")
    return _write_listed(out if out is not None else root / generate.NOTEBOOKS, texts)


def _write_listed(folder: Path, texts: dict[str, str]) -> int:
    """Write every file (all staged before any is replaced) and list what was written."""
    write_all_atomically({folder / name: text for name, text in texts.items()})
    for name in texts:
        _say(f"{folder / name}\n")
    return 0


def _require_execution_tools(root: Path) -> None:
    from derive.emit.notebook import NUMPY_MODULE

    missing = [m for m in ("nbclient", "ipykernel", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"--execute needs {', '.join(missing)}: pip install -e '.[test]'")
    if not (root / NUMPY_MODULE).is_file():
        raise UsageError(f"--execute needs the repository's {NUMPY_MODULE} (none under {root}): "
                         "run it from a checkout")


def _codegen(language: str, names: list[str], prefix: str | None, out: Path, quiet: bool = False) -> int:
    from derive import codegen

    _check_out(out)
    try:
        files = codegen.render(language, prefix, names or None, progress=_progress(quiet))
    except codegen.kernels.UnknownKernel as error:
        known = ", ".join(s.name for s in codegen.kernels.specs())
        raise UsageError(f"unknown kernel {error.args[0]} (known: {known})") from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    return _write_listed(out, files)


def _dispatch(argv: Sequence[str] | None) -> int:
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
        return _codegen(args.language, args.names, args.prefix, args.out, args.quiet)
    if args.command == "notebooks":
        return _notebooks(args.out, args.execute, args.quiet, args.names)
    return _generate(args.out, args.check, args.quiet)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _dispatch(argv)
        with _stdout_errors():
            sys.stdout.flush()  # what is buffered reaches its file while an error can still be reported
        return status
    except (UsageError, OutputError, registry.BuildError) as error:
        print(f"derive: error: {error}", file=sys.stderr)
        return 2
    except StepRejected as error:  # a derivation failed its check: nothing was written
        print(f"derive: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as error:  # the last resort: an unforeseen error is still one line, and no traceback
        print(f"derive: error: {error.strerror or error}" + (f": {error.filename}" if error.filename else ""),
              file=sys.stderr)
        return 2


def run() -> None:
    status = main()
    try:
        sys.stdout.flush()
    except OSError:  # already reported: what is still buffered goes nowhere, not to a traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(status)
