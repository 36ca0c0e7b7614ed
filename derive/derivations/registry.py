"""The published derivations by name; each is built, and so checked, once, on first use."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from derive.engine import Derivation


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    build: Callable[[], Derivation]
    family: str
    """The module that publishes it: derivations cite only within a family and the ones before it."""


_ENTRIES: dict[str, Entry] = {}
_BUILT: dict[str, Derivation] = {}


class UnknownDerivation(KeyError):
    """A name that is not published."""


def publish(name: str, title: str) -> Callable[[Callable[[str, str], Derivation]], Callable[[], Derivation]]:
    """Register ``build(name, title)`` under ``name``; calling the result builds it once."""
    def register(build: Callable[[str, str], Derivation]) -> Callable[[], Derivation]:
        if name in _ENTRIES:
            raise ValueError(f"derivation {name!r} published twice")
        def memo() -> Derivation:
            if name not in _BUILT:
                _BUILT[name] = build(name, title)
            return _BUILT[name]
        _ENTRIES[name] = Entry(name, title, memo, build.__module__.rsplit(".", 1)[-1])
        return memo
    return register


def entries() -> list[Entry]:
    return list(_ENTRIES.values())


def adopt(derivation: Derivation) -> None:
    """Take a derivation built (and so checked) in another process."""
    if derivation.name not in _ENTRIES:
        raise UnknownDerivation(derivation.name)
    _BUILT.setdefault(derivation.name, derivation)


def get(name: str) -> Derivation:
    try:
        entry = _ENTRIES[name]
    except KeyError:
        raise UnknownDerivation(name) from None
    return entry.build()
