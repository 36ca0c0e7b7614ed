"""Writes refused by the system itself, not by an injected error: a full tmpfs (out of space, out
of inodes) and folders or files the user may not touch.  Each is exit 2 with one line, every file
that was there keeps its bytes, and no partial or staging file is left.

A tmpfs needs a mount (root in a container, usually); the permission tests need a user the
permissions apply to (not root: when run as root they run the command as ``nobody``).  Each is
skipped, with the reason, where the machine does not allow it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import GENERATE_FROM_JSON, GENERATED, REPO, assert_one_line_usage_error, run_main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs and setpriv are Linux's")

KERNEL = "kl_normal_normal"
"""One kernel: ``codegen c KERNEL`` writes derive_gaussian.h and .c in ~3 s instead of ~20 s for all."""
OLD = {name: (GENERATED / "c" / name).read_bytes() + b"/* an earlier version */\n"
       for name in ("derive_gaussian.h", "derive_gaussian.c")}
"""The files already in the output folder: every kernel's C, as an older derive wrote it."""
PAGE = 4096


def checksums(folder: Path) -> dict[str, str]:
    """Every entry of ``folder`` (hidden ones too) and its SHA-256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- a full tmpfs ------------------------------------------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Path]:
    """A 256 KiB tmpfs of at most 16 inodes, mounted for the test."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    point = tmp_path / "tmpfs"
    point.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=16,mode=0755", "tmpfs", str(point)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (uid {os.getuid()}): {mount.stderr.strip() or mount.returncode}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=True)


def fill_space(point: Path, free: int) -> None:
    """Fill the file system at ``point`` to ``free`` bytes short of full."""
    fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * PAGE)
    except OSError:
        pass
    finally:
        os.close(fd)
    os.truncate(point / "filler", max(0, (point / "filler").stat().st_size - free))


def fill_inodes(point: Path, free: int) -> None:
    """Use every inode of the file system at ``point`` but ``free``."""
    made = []
    try:
        while True:
            made.append(point / f"inode{len(made)}")
            made[-1].touch()
    except OSError:
        made.pop()
    for path in made[:free]:
        path.unlink()


FULL = {"no-space": (fill_space, 0), "space-for-the-header-only": (fill_space, PAGE),
        "no-inode": (fill_inodes, 0), "one-inode": (fill_inodes, 1)}
"""How full: the header (1.8 kB, 1 page) fits, the source (8 kB) does not; one free inode stages the
header and not the source.  Each refusal then comes after part of the write was done."""


@pytest.mark.parametrize("how", sorted(FULL))
def test_codegen_over_existing_files_on_a_full_tmpfs(capsys, tmpfs, how):
    out = tmpfs / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    before = checksums(out)
    fill, free = FULL[how]
    fill(tmpfs, free)
    status, _, err = run_main(capsys, "codegen", "c", KERNEL, "--out", str(out))
    assert_one_line_usage_error(status, err)
    assert "No space left on device" in err
    assert checksums(out) == before, "an existing file changed, or a partial or staging file was left"


def test_codegen_on_a_tmpfs_with_room_writes(capsys, tmpfs, tmp_path):
    """The route of the test above with room left: the write happens (the tmpfs is no obstacle of its own)."""
    (tmp_path / "reference").mkdir()
    assert run_main(capsys, "codegen", "c", KERNEL, "--out", str(tmp_path / "reference"))[0] == 0
    out = tmpfs / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    fill_space(tmpfs, 8 * PAGE)
    status, _, err = run_main(capsys, "codegen", "c", KERNEL, "--out", str(out))
    assert status == 0, err
    assert checksums(out) == checksums(tmp_path / "reference")


# --- permissions -------------------------------------------------------------------------------------

@functools.cache
def _as_user() -> list[str]:
    """The prefix that runs a command as a user the permission bits apply to."""
    if os.geteuid() != 0:
        return []
    reasons = []
    for prefix in (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
                   ["runuser", "-u", "nobody", "--"]):
        if shutil.which(prefix[0]) is None:
            reasons.append(f"no {prefix[0]}")
            continue
        probe = subprocess.run([*prefix, sys.executable, "-c", "import derive"], cwd=REPO, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
        if probe.returncode == 0:
            return prefix
        reasons.append(f"{prefix[0]}: {probe.stderr.strip().splitlines()[-1:] or probe.returncode}")
    pytest.skip(f"running as root, and derive cannot be run as nobody ({'; '.join(map(str, reasons))})")


@pytest.fixture
def shared() -> Iterator[Path]:
    """A temporary folder the other user owns (pytest's own are private to us); removed after."""
    folder = Path(tempfile.mkdtemp(prefix="derive-permissions-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def give(root: Path) -> None:
    """``root`` and everything under it owned by the user of ``_as_user`` (when we are root)."""
    if os.geteuid() == 0:
        for path in [root, *root.rglob("*")]:
            os.chown(path, 65534, 65534)


def run_as_user(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME="/nonexistent")
    return subprocess.run([*_as_user(), sys.executable, *argv], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_codegen_into_a_folder_it_may_not_write(shared):
    out = shared / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    give(out)
    out.chmod(0o555)
    result = run_as_user("-m", "derive", "codegen", "c", KERNEL, "--out", str(out))
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert "Permission denied" in result.stderr and str(out) in result.stderr
    assert snapshot(out) == OLD and sorted(p.name for p in out.iterdir()) == sorted(OLD)


@pytest.fixture
def older_generation(shared) -> tuple[Path, Path]:
    """(DIR, FILES.json): DIR as an older derive wrote it (every fourth file differs, in every folder),
    owned by the other user; FILES.json what derive writes now (the committed files)."""
    paths = [*(REPO / "generated").rglob("*"), *(REPO / "notebooks").glob("*.ipynb")]
    new = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in sorted(paths) if p.is_file()}
    root = shared / "out"
    for index, (name, text) in enumerate(new.items()):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + ("an earlier version\n" if index % 4 == 0 else ""), encoding="utf-8")
    give(root)
    files = shared / "files.json"
    files.write_text(json.dumps(new), encoding="utf-8")
    return root, files


def test_generate_with_an_unreadable_file(older_generation):
    root, files = older_generation
    before = snapshot(root)
    locked = root / "generated" / "json" / "kl-normal-normal.json"
    locked.chmod(0)
    result = run_as_user("-c", GENERATE_FROM_JSON, str(files), "generate", "--out", str(root))
    locked.chmod(0o644)
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert "Permission denied" in result.stderr and str(locked) in result.stderr
    assert snapshot(root) == before


def test_generate_with_a_read_only_folder(older_generation):
    """The folder comes after others in the write: what was staged there is removed again."""
    root, files = older_generation
    before = snapshot(root)
    locked = root / "generated" / "markdown"
    older = [name for name, data in before.items() if data.endswith(b"an earlier version\n")]
    assert any(n.startswith("generated/c/") for n in older) and any(n.startswith("generated/markdown/") for n in older)
    locked.chmod(0o555)
    result = run_as_user("-c", GENERATE_FROM_JSON, str(files), "generate", "--out", str(root))
    locked.chmod(0o755)
    assert_one_line_usage_error(result.returncode, result.stderr)
    assert "Permission denied" in result.stderr and str(locked) in result.stderr
    assert snapshot(root) == before, "a file changed, or a partial or staging file was left"


def test_generate_as_the_user_writes(older_generation):
    """The route of the two tests above without the lock: the other user can write DIR."""
    root, files = older_generation
    result = run_as_user("-c", GENERATE_FROM_JSON, str(files), "generate", "--out", str(root))
    assert result.returncode == 0, result.stderr
    assert snapshot(root) == {name: text.encode("utf-8") for name, text in json.loads(files.read_text()).items()}
