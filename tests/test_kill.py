"""``derive generate --out DIR`` killed with SIGKILL at seeded random moments, while it checks the
derivations and while it writes: every file in DIR is then the previous version, the complete new
one, or absent where one of them has no such file; no worker of the killed run survives it; and
the next complete run leaves no staging file and everything current.

The new version is the committed ``generated/`` and ``notebooks/`` (the golden tests hold them
current).  The checking kills run the real command.  The writing kills, and the complete run after
them, run the real command with its render replaced by those committed files, so that writing
starts within a second instead of after ~20 s of checking: what is under test, the writing and the
clean-up (derive.files, derive.generate.write), is the real code.  The staging-name pattern is
written out from its documentation, not imported.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import GENERATE_FROM_JSON, REPO, run_main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")

STAGING = re.compile(r"^\..+\.derive-(?P<pid>\d+)-[a-z0-9_]{8}\.(?:new|old)$", re.DOTALL)
"""``.NAME.derive-PID-XXXXXXXX.new`` (a staged file) or ``….old`` (a kept old one), as documented."""
MARK = "DERIVE_KILL_TEST"
"""An environment variable every process of one trial inherits (forked workers too): how its
survivors are found, whatever their parent or process group has become."""
SEED = 17
CHECKING_TRIALS = 3
WORKER_TIMEOUT = 10.0
"""Seconds a worker may take to notice its parent died (the fallback polls every 0.2 s)."""

def tree(root: Path) -> tuple[dict[str, bytes], list[Path]]:
    """The files under ``root``: ({relative path: bytes} of the others, [staging files])."""
    files, staging = {}, []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if ".derive-" in name and name.startswith("."):
                staging.append(path)
            else:
                files[str(path.relative_to(root))] = path.read_bytes()
    return files, sorted(staging)


def staging_names(root: Path) -> list[str]:
    """The names of the staging files under ``root`` (cheap enough to poll: no file is read)."""
    return [n for _, _, names in os.walk(root) for n in names if n.startswith(".") and ".derive-" in n]


def marked(mark: str) -> list[int]:
    """Running processes (zombies excluded) whose environment holds ``MARK=mark``."""
    needle, found = f"{MARK}={mark}\0".encode(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes() and \
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue  # ended meanwhile, or not ours to read
    return found


def start(argv: list[str], mark: str, err: Path) -> subprocess.Popen:
    """``python ARGV`` with its stderr in the file ``err`` (a pipe would be held open by a surviving
    worker, and reading it to its end would wait for that worker)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **{MARK: mark})
    with err.open("wb") as stderr:
        return subprocess.Popen([sys.executable, *argv], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def kill(process: subprocess.Popen, mark: str) -> None:
    """SIGKILL the command itself (not its group: its workers must end on their own), and fail if
    any process of its trial is still running ``WORKER_TIMEOUT`` seconds later."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    if not wait_for(lambda: not marked(mark), WORKER_TIMEOUT, every=0.05):
        survivors = marked(mark)
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        pytest.fail(f"processes {survivors} of the killed run outlived it by {WORKER_TIMEOUT} s")


class Versions:
    """The previous and the new version of DIR, and the check that DIR holds only whole files of them."""

    def __init__(self, previous: dict[str, bytes], new: dict[str, bytes]) -> None:
        self.previous, self.new = previous, new
        self.killed: list[int] = []

    def assert_whole(self, root: Path, when: str) -> list[Path]:
        """Every file the previous or the new version of itself; the staging files left (named as
        documented, by a killed run)."""
        files, staging = tree(root)
        for name, data in files.items():
            assert name in self.previous or name in self.new, f"{when}: {name} belongs to neither version"
            assert data in (self.previous.get(name), self.new.get(name)), \
                f"{when}: {name} is neither the previous nor the new version ({len(data)} bytes)"
        lost = sorted(set(self.previous) & set(self.new) - set(files))
        assert not lost, f"{when}: {lost} missing (an atomic replacement never leaves a gap)"
        for path in staging:
            match = STAGING.match(path.name)
            assert match and int(match["pid"]) in self.killed, f"{when}: {path.name} is no staging file of a killed run"
        return staging


def committed() -> dict[str, bytes]:
    """What ``derive generate`` writes, as committed: everything under generated/, the notebooks."""
    paths = [*(REPO / "generated").rglob("*"), *(REPO / "notebooks").glob("*.ipynb")]
    return {str(p.relative_to(REPO)): p.read_bytes() for p in sorted(paths) if p.is_file()}


def previous_version(root: Path, new: dict[str, bytes]) -> dict[str, bytes]:
    """DIR as a complete earlier run of an older derive left it: a third of the files differ, the C
    kernels do not exist yet (nor their folder), one generated file is no longer generated; a
    user's own file sits beside the notebooks."""
    restore(root, new)
    for index, relative in enumerate(sorted(map(Path, new))):
        if relative.parts[:2] == ("generated", "c"):
            (root / relative).unlink()
        elif index % 3 == 0:
            with (root / relative).open("ab") as handle:
                handle.write(b"an earlier version\n")
    (root / "generated" / "c").rmdir()
    (root / "generated" / "latex" / "retired.tex").write_text("% Generated by derive; retired since\n")
    (root / "notebooks" / "my-notes.md").write_text("mine, not derive's\n")
    return tree(root)[0]


def restore(root: Path, files: dict[str, bytes]) -> None:
    """``root`` holding exactly ``files``."""
    shutil.rmtree(root, ignore_errors=True)
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


WRITING_PHASES = ("an old file kept", "a file replaced", "a random moment", "the first file staged")
"""Where a writing run is killed: as each step of the write begins (staging comes first, but the
last trial must leave staging files for the final run to remove), and at a random moment."""


def began(phase: str, root: Path, first: Path, delay: float) -> Callable[[], bool]:
    """Whether ``phase`` of the write into ``root`` has begun; ``first`` is the first existing file
    the run replaces, ``delay`` how long after the first staging file "a random moment" comes."""
    inode = first.stat().st_ino
    seen: list[float] = []

    def staged(after: float) -> bool:
        if not seen and staging_names(root):
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() >= seen[0] + after
    return {"an old file kept": lambda: any(n.endswith(".old") for n in staging_names(root)),
            "a file replaced": lambda: first.stat().st_ino != inode,
            "a random moment": lambda: staged(delay),
            "the first file staged": lambda: staged(0.0)}[phase]


def test_generate_killed_at_random_moments(tmp_path, monkeypatch, capsys):
    rng = random.Random(SEED)
    root = tmp_path / "out"
    generated = committed()
    previous = previous_version(root, generated)
    new = generated | {"notebooks/my-notes.md": b"mine, not derive's\n"}
    assert "generated/latex/retired.tex" not in new and any(k not in previous for k in new), \
        "the run must create and remove files (else the test shows less)"
    versions = Versions(previous, new)

    # While checking: the real command, killed once early (starting up), then after its worker started.
    for trial in range(CHECKING_TRIALS):
        mark = uuid.uuid4().hex
        process = start(["-m", "derive", "generate", "--out", str(root)], mark, tmp_path / "err")
        versions.killed.append(process.pid)
        if trial == 0:
            time.sleep(rng.uniform(0.2, 1.5))
        else:
            assert wait_for(lambda: len(marked(mark)) > 1, 120, every=0.02), "no worker started within 120 s"
            time.sleep(rng.uniform(0.0, 4.0))
            assert len(marked(mark)) > 1, "the worker ended before the kill (the test would show nothing)"
        assert process.poll() is None, "the run ended before it was killed"
        kill(process, mark)
        versions.assert_whole(root, f"killed while checking (trial {trial})")

    # While writing: each run starts from the previous version and is killed in one step of its write.
    reference = tmp_path / "rendered.json"
    reference.write_text(json.dumps({k: v.decode("utf-8") for k, v in generated.items()}), encoding="utf-8")
    writing = ["-c", GENERATE_FROM_JSON, str(reference), "generate", "--out", str(root)]
    first = root / min(Path(k) for k in previous if k in new and previous[k] != new[k])
    left: list[Path] = []
    for phase in WRITING_PHASES:
        restore(root, previous)
        begun = began(phase, root, first, rng.uniform(0.0, 0.05))
        mark = uuid.uuid4().hex
        process = start(writing, mark, tmp_path / "err")
        versions.killed.append(process.pid)
        wait_for(lambda: begun() or process.poll() is not None, 60)
        kill(process, mark)
        left = versions.assert_whole(root, f"killed while writing ({phase})")
    assert left, "the last kill left no staging file: the clean-up below would show nothing"

    # The next complete run: no staging file is left, every file is the new version, --check agrees.
    process = start(writing, uuid.uuid4().hex, tmp_path / "err")
    assert process.wait(timeout=300) == 0, (tmp_path / "err").read_text()
    assert f"{len(left)} staging files of an interrupted run removed" in (tmp_path / "err").read_text()
    files, staging = tree(root)
    assert staging == [], f"staging files survived a complete run: {staging}"
    assert files == new
    from derive import generate
    rendered = {Path(k): v.decode("utf-8") for k, v in generated.items()}
    monkeypatch.setattr(generate, "render_all", lambda progress=None, loaded=False: dict(rendered))
    status, _, err = run_main(capsys, "generate", "--check", "--out", str(root))
    assert status == 0, err
