"""Session-wide fixtures.

Building every derivation (each step checked) takes a while; ``derive.get`` memoises, so each is
built once per session, on first use.  The golden-file tests need renders made in *fresh*
interpreters (as ``derive generate`` runs), so those are started in the background as soon as
collection shows they are needed, and run beside the in-process tests on the other core.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REPO, UNIVARIATE

SCRIPTS = {
    # generate.render_all() as `derive generate` runs it, with each univariate JSON printed first thing
    # (before anything else) and again at the end (after the kernels were printed).
    "fresh": """
import json, sys
import derive
from derive import generate
from derive.emit import json as emit_json
names = sys.argv[2:]
alone = {name: emit_json.render(derive.get(name)) for name in names}
files = generate.render_all()
after = {name: emit_json.render(derive.get(name)) for name in names}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"files": {str(k): v for k, v in files.items()}, "alone": alone, "after": after}, out)
""",
    # The kernels printed first (as `derive codegen` or a notebook would), the univariate JSON after.
    "kernels_first": """
import json, sys
import derive
from derive import generate
from derive.emit import json as emit_json
generate.kernels()
after = {name: emit_json.render(derive.get(name)) for name in sys.argv[2:]}
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"json": after}, out)
""",
}
FIXTURES = {"fresh_render": "fresh", "kernels_first_render": "kernels_first"}
_background: dict[str, tuple[subprocess.Popen, Path]] = {}


def _start(key: str) -> None:
    """Run SCRIPTS[key] in a fresh interpreter, in the background (once per session)."""
    if key in _background:
        return
    handle, path = tempfile.mkstemp(prefix=f"derive-{key}-", suffix=".json")
    os.close(handle)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-c", SCRIPTS[key], path, *UNIVARIATE], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _background[key] = (process, Path(path))


def _result(key: str) -> dict:
    _start(key)
    process, path = _background[key]
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, f"the fresh interpreter ({key}) failed:\n{err}"
    return json.loads(path.read_text(encoding="utf-8"))


def pytest_collection_modifyitems(session, config, items):
    """Start the fresh-interpreter renders the selected tests need, so they run beside the others."""
    for fixture, key in FIXTURES.items():
        if any(fixture in getattr(item, "fixturenames", ()) for item in items):
            _start(key)


def pytest_sessionfinish(session, exitstatus):
    for process, path in _background.values():
        if process.poll() is None:
            process.kill()
            process.communicate()
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def fresh_render() -> dict:
    """``generate.render_all()`` in a fresh interpreter: {"files": {Path: text}, "alone": {name: json},
    "after": {name: json}}, the JSON of each univariate derivation printed first thing in that process
    and again after everything (the kernels included) was rendered."""
    data = _result("fresh")
    data["files"] = {Path(k): v for k, v in data["files"].items()}
    return data


@pytest.fixture(scope="session")
def kernels_first_render() -> dict[str, str]:
    """{name: json} of each univariate derivation, in a fresh interpreter that printed the kernels first."""
    return _result("kernels_first")["json"]


@pytest.fixture(scope="session")
def rendered():
    """Every generated file, rendered in memory in this process, once: {relative path: text}."""
    from derive import generate

    return generate.render_all()
