"""The published derivations by name; each is built, and so checked, once, on first use.

Derivations come from three places, and every entry says which (its ``origin``): the
package itself, a user's file (``derive check FILE.py``, ``--from FILE.py``), and installed
packages that register a module under the entry-point group ``derive.derivations``.  A
derivation may declare the kernels printed from it (``publish(..., kernels=...)``), next to
the derivation rather than in a table elsewhere.
"""
from __future__ import annotations

import importlib.util
import sys
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from derive.codegen.spec import KernelSpec
from derive.engine import Derivation

BUILTIN = "derive"
"""The origin of the package's own derivations."""
ENTRY_POINT_GROUP = "derive.derivations"


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    build: Callable[[], Derivation]
    family: str
    """The module that publishes it: derivations cite only within a family and the ones before it."""
    origin: str = BUILTIN
    """Where it comes from: ``derive``, a file's path, or ``entry point NAME (package)``."""


_ENTRIES: dict[str, Entry] = {}
_BUILT: dict[str, Derivation] = {}
_KERNELS: list[KernelSpec] = []
_ORIGIN = [BUILTIN]
"""The origin of what is being published now (a stack: a user file may import another)."""


class UnknownDerivation(KeyError):
    """A name that is not published."""


class LoadError(Exception):
    """A user's file or an installed package that could not be loaded: one line says why."""


class BuildError(Exception):
    """A user's derivation whose own code raised while building it (not a refused step): one line
    says which derivation, where, and what was raised."""


def _built_by_user(build: Callable[[str, str], Derivation], name: str, title: str, origin: str) -> Derivation:
    from derive.engine import StepRejected

    try:
        return build(name, title)
    except StepRejected:
        raise
    except Exception as error:  # noqa: BLE001 — the user's code may raise anything: one line, no traceback
        frames = traceback.extract_tb(error.__traceback__)
        theirs = [f for f in frames if f.filename == origin] or frames
        where = f" (line {theirs[-1].lineno})" if theirs else ""
        raise BuildError(f"{origin}: building {name!r} raised {type(error).__name__}: {error}{where}") from None


def publish(name: str, title: str, kernels: tuple[KernelSpec, ...] = ()
            ) -> Callable[[Callable[[str, str], Derivation]], Callable[[], Derivation]]:
    """Register ``build(name, title)`` under ``name``; calling the result builds it once.

    ``kernels`` are the kernels printed from this derivation; each spec's ``derivation`` must
    be ``name``.
    """
    for spec in kernels:
        if spec.derivation != name:
            raise ValueError(f"kernel {spec.name!r} is declared with {name!r} but prints {spec.derivation!r}")

    def register(build: Callable[[str, str], Derivation]) -> Callable[[], Derivation]:
        if name in _ENTRIES:
            raise ValueError(f"derivation {name!r} published twice ({_ENTRIES[name].origin} and {_ORIGIN[-1]})")
        taken = {s.name for s in _KERNELS} & {s.name for s in kernels}
        if taken:
            raise ValueError(f"kernel {', '.join(sorted(taken))} published twice")

        origin = _ORIGIN[-1]

        def memo() -> Derivation:
            if name not in _BUILT:
                _BUILT[name] = build(name, title) if origin == BUILTIN else _built_by_user(build, name, title, origin)
            return _BUILT[name]
        _ENTRIES[name] = Entry(name, title, memo, build.__module__.rsplit(".", 1)[-1], origin)
        _KERNELS.extend(kernels)
        return memo
    return register


def declare_kernels(*specs: KernelSpec) -> None:
    """Declare kernels printed from derivations already published (by the same module)."""
    for spec in specs:
        if spec.derivation not in _ENTRIES:
            raise ValueError(f"kernel {spec.name!r} prints {spec.derivation!r}, which is not published")
        if spec.name in {s.name for s in _KERNELS}:
            raise ValueError(f"kernel {spec.name!r} published twice")
        _KERNELS.append(spec)


def entries() -> list[Entry]:
    return list(_ENTRIES.values())


def kernel_specs() -> tuple[KernelSpec, ...]:
    """Every declared kernel, in publication order."""
    return tuple(_KERNELS)


def adopt(derivation: Derivation) -> None:
    """Take a derivation built (and so checked) in another process."""
    if derivation.name not in _ENTRIES:
        raise UnknownDerivation(derivation.name)
    _BUILT.setdefault(derivation.name, derivation)


def get_entry(name: str) -> Entry:
    try:
        return _ENTRIES[name]
    except KeyError:
        raise UnknownDerivation(name) from None


def get(name: str) -> Derivation:
    return get_entry(name).build()


def load_file(path: Path) -> list[Entry]:
    """Import a user's file of derivations; returns the entries it published, in order.

    Raises ``LoadError`` for a missing file or one that raises on import (nothing it had
    published stays registered).
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    module_name = _module_name(path)
    if module_name in sys.modules:
        return [e for e in entries() if e.origin == str(path)]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    return _publishing(str(path), lambda: (sys.modules.__setitem__(module_name, module),
                                            spec.loader.exec_module(module)), module_name)


def forget(origin: str) -> None:
    """Unregister everything ``origin`` published (a file loaded for one run, in tests)."""
    names = {name for name, e in _ENTRIES.items() if e.origin == origin}
    for name in names:
        del _ENTRIES[name]
        _BUILT.pop(name, None)
    _KERNELS[:] = [s for s in _KERNELS if s.derivation not in names]
    sys.modules.pop(_module_name(Path(origin)), None)


def _module_name(path: Path) -> str:
    return f"derive_user_{zlib.crc32(str(path.resolve()).encode())}"


def load_entry_points() -> None:
    """Import every module registered under ``derive.derivations`` by installed packages."""
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {point.name} ({point.value})"
        if any(e.origin == origin for e in entries()):
            continue
        _publishing(origin, point.load)


def _publishing(origin: str, load: Callable[[], object], module_name: str | None = None) -> list[Entry]:
    before, kernels_before = set(_ENTRIES), len(_KERNELS)
    _ORIGIN.append(origin)
    try:
        load()
    except Exception as error:  # noqa: BLE001 — the user's code may raise anything: one line, no traceback
        for name in set(_ENTRIES) - before:
            del _ENTRIES[name]
        del _KERNELS[kernels_before:]
        if module_name:
            sys.modules.pop(module_name, None)
        raise LoadError(f"{origin}: {type(error).__name__}: {error}") from None
    finally:
        _ORIGIN.pop()
    return [e for name, e in _ENTRIES.items() if name not in before]
