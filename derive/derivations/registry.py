"""The published derivations by name; each is built, and so checked, once, on first use."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from derive.engine import Derivation


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    build: Callable[[], Derivation]


_ENTRIES: dict[str, Entry] = {}


class UnknownDerivation(KeyError):
    """A name that is not published."""


def publish(name: str, title: str) -> Callable[[Callable[[str, str], Derivation]], Callable[[], Derivation]]:
    """Register ``build(name, title)`` under ``name``; calling the result builds it once."""
    def register(build: Callable[[str, str], Derivation]) -> Callable[[], Derivation]:
        if name in _ENTRIES:
            raise ValueError(f"derivation {name!r} published twice")
        memo = cache(lambda: build(name, title))
        _ENTRIES[name] = Entry(name, title, memo)
        return memo
    return register


def entries() -> list[Entry]:
    return list(_ENTRIES.values())


def get(name: str) -> Derivation:
    try:
        entry = _ENTRIES[name]
    except KeyError:
        raise UnknownDerivation(name) from None
    return entry.build()
