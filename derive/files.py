"""Writing outputs: everything is rendered first, then written in one step that is undone if any
part of it fails, so that a full disk or a read-only folder leaves every file as it was.

Each new file is staged beside its target as ``.NAME.derive-PID-XXXXXXXX.new``, and the target's
old bytes are kept as ``…​.old`` (a hard link: it costs no space) until every file is in place.
A run killed half-way leaves only such staging files, with every target whole (old or new); the
next write into the same folder removes them, and ``derive generate --check`` names them.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


class OutputError(OSError):
    """An output location that cannot be written (or read to compare)."""


NAME_MAX = 255
"""Bytes in one file name on the file systems we know; a staging name is shortened to fit."""
STAGING = re.compile(r"^\..*\.derive-(?P<pid>\d+)-[a-z0-9_]{8}\.(?:new|old)$", re.DOTALL)
"""A staging file's name: the target's name, the writing process, a random part, its role."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def is_staging(path: Path) -> bool:
    """Whether ``path`` is named like one of our staging files."""
    return STAGING.match(path.name) is not None


def _running(pid: int) -> bool:
    """Whether another process ``pid`` exists (it may still be writing its staging files)."""
    if pid == os.getpid():
        return False  # one write at a time in a process: ours are left over from an earlier one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def leftovers(folder: Path, recursive: bool = False) -> list[Path]:
    """Staging files in ``folder`` whose writer is no longer running: what a killed run left.

    A process id can be reused; a leftover whose id now names another process stays until that
    process ends (a concurrent run's staging files must not be taken from under it)."""
    try:
        candidates = folder.rglob(".*.derive-*") if recursive else folder.glob(".*.derive-*")
        found = sorted(p for p in candidates if is_staging(p) and not p.is_dir())
    except OSError:
        return []  # a folder we cannot list holds nothing we wrote
    return [p for p in found if not _running(int(STAGING.match(p.name)["pid"]))]


def discard(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise OutputError(f"cannot remove {path} (left by an interrupted run): {_reason(error)}") from None


def _staging_prefix(path: Path) -> str:
    """``.NAME.derive-PID-``, NAME shortened so that the whole name stays within ``NAME_MAX``."""
    tail = f".derive-{os.getpid()}-"
    room = NAME_MAX - len(tail.encode()) - len("XXXXXXXX.new") - 1
    name = path.name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f".{name}{tail}"


def _make_folder(folder: Path, created: list[Path]) -> None:
    """``folder`` and its missing parents, each recorded in ``created`` so a failure can remove it."""
    missing = []
    for parent in (folder, *folder.parents):
        if os.path.lexists(parent):
            break
        missing.append(parent)
    for parent in reversed(missing):
        os.mkdir(parent)
        created.append(parent)


def _stage(path: Path, data: bytes, created: list[Path]) -> Path:
    """``data`` in a staging file beside ``path``, flushed to the disk, ready to be renamed over it."""
    _make_folder(path.parent, created)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_staging_prefix(path), suffix=".new")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, 0o644)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    os.close(fd)
    return Path(temp)


def _keep(path: Path, backup: Path) -> Path | None:
    """The existing ``path`` kept as ``backup`` until the write is done (None: there is no file)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    try:
        os.link(path, backup, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK) or not stat.S_ISREG(mode):
            raise
        try:  # refused (another user's file under protected_hardlinks) or no links on this file system
            shutil.copyfile(path, backup)
        except BaseException:
            _quietly(os.unlink, backup)  # a copy cut short (a full disk) is not left behind
            raise
    return backup


def _backup_name(path: Path, staged: Path | None) -> Path:
    """Where the old ``path`` is kept: beside its staged successor, or (a removal) a name of its own."""
    if staged is not None:
        return staged.with_suffix(".old")
    return path.parent / f"{_staging_prefix(path)}{os.urandom(4).hex()}.old"


def _undo(done: list[Path], kept: dict[Path, Path | None]) -> list[Path]:
    """Put back the old file (or no file) at every path already changed; the paths that could not be."""
    failed = []
    for path in reversed(done):
        try:
            if kept[path] is None:
                os.unlink(path)
            else:
                os.replace(kept[path], path)
        except OSError:
            failed.append(path)
    return failed


def _sync(folders: Iterable[Path]) -> None:
    """Flush each folder's new entries (the renames) to the disk, where the platform allows."""
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass  # not every file system syncs a folder; the files themselves were synced
        finally:
            os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """Write via a staging file in the same folder and rename: readers never see half a file."""
    write_all_atomically({path: text})


def write_all_atomically(files: Mapping[Path, str], remove: Iterable[Path] = ()) -> None:
    """Write every file of ``files`` and remove every path of ``remove``, or, on any error, none.

    Every new file is staged first, every old one kept; only then is each renamed into place (a
    rename needs no space).  If any step fails, the paths already changed get their old files
    back and ``OutputError`` names the path and the reason."""
    removals = [p for p in remove if p not in files]
    targets = [*files, *removals]
    discard(p for folder in sorted({t.parent for t in targets}) for p in leftovers(folder))
    created: list[Path] = []
    staged: dict[Path, Path] = {}
    kept: dict[Path, Path | None] = {}
    done: list[Path] = []
    verb, current = "write", None
    try:
        for current, text in files.items():
            staged[current] = _stage(current, text.encode("utf-8"), created)
        for current in targets:
            verb = "write" if current in files else "remove"
            kept[current] = _keep(current, _backup_name(current, staged.get(current)))
        for current in targets:
            verb = "write" if current in files else "remove"
            if current in files:
                os.replace(staged[current], current)
            else:
                os.unlink(current)
            done.append(current)
        _sync(sorted({t.parent for t in targets}))
    except BaseException as error:  # a signal's exception (Ctrl-C) too: no half-done write stays
        failed = _undo(done, kept)
        _discard_staging(staged, kept)
        for folder in reversed(created):
            _quietly(os.rmdir, folder)
        if not isinstance(error, OSError):
            raise
        message = f"cannot {verb} {current}: {_reason(error)}"
        if failed:
            message += f" (and could not put back the old {', '.join(map(str, failed))})"
        raise OutputError(message) from None
    _discard_staging(staged, kept)


def _discard_staging(staged: dict[Path, Path], kept: dict[Path, Path | None]) -> None:
    for temp in [*staged.values(), *(k for k in kept.values() if k is not None)]:
        _quietly(os.unlink, temp)


def _quietly(action: Callable[[Path], object], path: Path) -> None:
    try:
        action(path)
    except OSError:
        pass


def changed(root: Path, files: dict[Path, str]) -> list[Path]:
    """The relative paths whose content on disk differs from ``files`` (missing counts)."""
    stale = []
    for relative, text in files.items():
        target = root / relative
        try:
            current = target.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            current = None
        except OSError as error:
            raise OutputError(f"cannot read {target}: {_reason(error)}") from None
        if current != text.encode("utf-8"):
            stale.append(relative)
    return stale


MARKER = "Generated by derive"
"""Every generated file says so near its top; only such files are ever removed."""


def is_generated(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return MARKER in handle.read(1024)
    except OSError:
        return False


def orphans(root: Path, files: dict[Path, str], owned: tuple[str, ...]) -> list[Path]:
    """Generated files under the folders we own (``owned``) that generation no longer produces;
    a file we did not write (it lacks ``MARKER``) is never an orphan."""
    found = []
    for folder in owned:
        base = root / folder
        if base.is_dir():
            found += [p.relative_to(root) for p in sorted(base.rglob("*"))
                      if p.is_file() and not is_staging(p) and is_generated(p)]
    return [p for p in found if p not in files]
