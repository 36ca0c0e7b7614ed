"""Writing outputs: all content is rendered first, then each file is replaced atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(OSError):
    """An output location that cannot be written."""


def _stage(path: Path, text: str) -> Path:
    """``text`` in a temporary file beside ``path``, ready to be renamed over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    return Path(temp)


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    write_all_atomically({path: text})


def write_all_atomically(files: dict[Path, str]) -> None:
    """Stage every file first, then rename each into place: a failure while writing (a full
    disk, a read-only folder) leaves every existing file as it was."""
    staged: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            staged[path] = _stage(path, text)
    except OutputError:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
        raise
    for path, temp in staged.items():
        try:
            os.replace(temp, path)
        except OSError as error:
            for left in staged.values():
                left.unlink(missing_ok=True)
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def changed(root: Path, files: dict[Path, str]) -> list[Path]:
    """The relative paths whose content on disk differs from ``files`` (missing counts)."""
    stale = []
    for relative, text in files.items():
        target = root / relative
        if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
            stale.append(relative)
    return stale


def orphans(root: Path, files: dict[Path, str], owned: tuple[str, ...]) -> list[Path]:
    """Files under the folders we own (``owned``) that generation no longer produces."""
    found = []
    for folder in owned:
        base = root / folder
        if base.is_dir():
            found += [p.relative_to(root) for p in sorted(base.rglob("*")) if p.is_file()]
    return [p for p in found if p not in files]
