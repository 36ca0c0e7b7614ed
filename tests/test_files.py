"""Writing outputs (derive.files): atomic replacement, no leftovers on failure, change detection."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from derive.files import OutputError, changed, orphans, write_atomically


def test_writes_exact_bytes_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    write_atomically(target, "line one\nσ² line two\n")
    assert target.read_bytes() == "line one\nσ² line two\n".encode("utf-8")  # \n kept, UTF-8 on every platform
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["c.txt"], "no temporary file left"


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "c.txt"
    target.write_text("old\n")
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"


def test_parent_is_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomically(tmp_path / "afile" / "sub" / "c.txt", "text")
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_target_is_a_folder_leaves_no_temporary_file(tmp_path):
    (tmp_path / "c.txt").mkdir()
    with pytest.raises(OutputError, match="c.txt"):
        write_atomically(tmp_path / "c.txt", "text")
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]
    assert (tmp_path / "c.txt").is_dir()


def test_output_error_is_an_os_error():
    assert issubclass(OutputError, OSError)


def test_changed(tmp_path):
    files = {Path("same.txt"): "a\n", Path("different.txt"): "b\n", Path("missing.txt"): "c\n"}
    (tmp_path / "same.txt").write_text("a\n")
    (tmp_path / "different.txt").write_text("b\r\n")  # only the line ending differs: still a change
    assert changed(tmp_path, files) == [Path("different.txt"), Path("missing.txt")]


def test_orphans_only_under_owned_folders(tmp_path):
    (tmp_path / "generated" / "x").mkdir(parents=True)
    (tmp_path / "generated" / "x" / "keep.txt").write_text("")
    (tmp_path / "generated" / "x" / "orphan.txt").write_text("")
    (tmp_path / "other.txt").write_text("")
    files = {Path("generated/x/keep.txt"): ""}
    assert orphans(tmp_path, files, ("generated",)) == [Path("generated/x/orphan.txt")]
    assert orphans(tmp_path, files, ("absent",)) == []
