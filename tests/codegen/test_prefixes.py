"""Issue 18, prefixes: what cannot work is refused up front (a ValueError from ``codegen.render``,
which the CLI reports in one line), and the source's internal helpers keep their names whatever
the prefix, so a prefix cannot make them clash with a local (``exponent``) or with glibc
(``significand``)."""
from __future__ import annotations

import re
import subprocess

import pytest

from derive import codegen


@pytest.mark.parametrize("prefix", ["", "_a", "_", "a__b", "x" * 64], ids=["empty", "_a", "_", "a__b", "64 chars"])
def test_c_refuses(prefix):
    with pytest.raises(ValueError, match="prefix"):
        codegen.render("c", prefix, ["entropy_normal"])


@pytest.mark.parametrize("prefix", ["ﬁ_", "x" * 65, "ｘ_"], ids=["ligature", "65 chars", "fullwidth"])
def test_numpy_refuses(prefix):
    with pytest.raises(ValueError, match="prefix"):
        codegen.render("numpy", prefix, ["entropy_normal"])


def test_numpy_accepts_a_normalised_non_ascii_prefix(load_python_module, tmp_path):
    """é_ is NFKC-stable: every name in __all__ is defined."""
    (tmp_path / "m.py").write_text(codegen.render("numpy", "é_", ["entropy_normal"])["é_gaussian.py"])
    module = load_python_module(tmp_path / "m.py", "prefixed_e")
    assert module.__all__ == ["é_entropy_normal"] and callable(getattr(module, "é_entropy_normal"))


@pytest.mark.parametrize("prefix", ["s", "p_", "x" * 63])
def test_helpers_do_not_take_the_prefix(prefix):
    files = codegen.render("c", prefix)
    source = files[f"{prefix}gaussian.c"]
    helpers = set(re.findall(r"^static (?:inline )?\w+ \*?(\w+)\(", source, flags=re.M))
    public = {name for name in helpers if any(name.startswith(prefix + s.name) for s in codegen.kernels.specs())
              or name.startswith(prefix + "kl_") or name.startswith(prefix + "entropy_")
              or name.startswith(prefix + "cross_")}
    internal = helpers - public
    assert internal and all(name.startswith("derive_") for name in internal), internal
    assert "derive_significand" in internal and "derive_exponent" in internal


@pytest.mark.parametrize("std", ["-std=gnu99", "-std=c99"])
def test_short_prefix_compiles_in_gnu_c_and_cxx(cc, cxx, tmp_path, std):
    """glibc declares significand() under gnu99: the helpers' fixed names do not meet it."""
    for name, text in codegen.render("c", "s").items():
        (tmp_path / name).write_text(text)
    for command in ([cc, std, "-Wall", "-Wextra", "-Werror", "-c", str(tmp_path / "sgaussian.c")],
                    [cxx, "-x", "c++", "-Wall", "-Wextra", "-Werror", "-c", str(tmp_path / "sgaussian.c")]):
        result = subprocess.run([*command, "-o", str(tmp_path / "s.o")], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_guard_is_not_reserved():
    header = codegen.render("c", "a_", ["entropy_normal"])["a_gaussian.h"]
    assert "#ifndef A_GAUSSIAN_H" in header
