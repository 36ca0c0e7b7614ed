"""Every formula of every Markdown write-up renders in KaTeX (the npm package, run in node with
``throwOnError`` and ``strict``): a formula that a web renderer refuses shows as raw red source to
the reader. CI installs KaTeX (`.ci/run`: ``npm install --prefix .ci/node katex``) and sets
DERIVE_REQUIRE_KATEX=1, which turns a missing node or KaTeX into a failure instead of a skip."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.emit.test_markdown import MARKDOWN, math_blocks

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = Path(os.environ.get("DERIVE_KATEX_MODULES", ROOT / ".ci" / "node" / "node_modules"))
INLINE = re.compile(r"(?<![$\\])\$(?!\$)([^$\n]+?)(?<!\\)\$(?!\$)")


def _formulas() -> list[dict]:
    formulas = []
    for page in sorted(MARKDOWN.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        formulas += [{"tex": block, "display": True, "where": f"{page.name}, display block {i + 1}"}
                     for i, block in enumerate(math_blocks(text))]
        outside = re.sub(r"^\$\$\n.*?\n\$\$$", "", text, flags=re.S | re.M)
        formulas += [{"tex": m.group(1), "display": False, "where": f"{page.name}, inline ${m.group(1)[:40]}…$"}
                     for m in INLINE.finditer(outside)]
    return formulas


def _katex_available() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_MODULES / "katex").is_dir():
        return f"KaTeX is not installed in {NODE_MODULES} (npm install --prefix .ci/node katex)"
    return None


def test_every_formula_renders_in_katex():
    missing = _katex_available()
    if missing:
        if os.environ.get("DERIVE_REQUIRE_KATEX"):
            pytest.fail(missing)
        pytest.skip(missing)
    formulas = _formulas()
    assert len(formulas) > 200 and any(not f["display"] for f in formulas)
    run = subprocess.run(["node", str(Path(__file__).with_name("render_katex.js"))], input=json.dumps(formulas),
                         capture_output=True, text=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
                         timeout=120, check=True)
    failures = json.loads(run.stdout)
    assert not failures, "\n".join(f"{f['where']}: {f['error']}" for f in failures[:20])


def test_the_renderer_refuses_broken_tex():
    """The check can fail: an unbalanced brace and an unknown command are reported."""
    missing = _katex_available()
    if missing:
        pytest.skip(missing)
    broken = [{"tex": r"\frac{1}{2", "display": True, "where": "a"},
              {"tex": r"\notacommand x", "display": False, "where": "b"}]
    run = subprocess.run(["node", str(Path(__file__).with_name("render_katex.js"))], input=json.dumps(broken),
                         capture_output=True, text=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
                         timeout=60, check=True)
    assert [f["where"] for f in json.loads(run.stdout)] == ["a", "b"]
