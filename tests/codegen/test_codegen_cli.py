"""``derive codegen {c,numpy} [--prefix PREFIX] [--out DIR] [NAME ...]``: kernels for another project.

Run in-process through ``derive.cli.main`` (fast, stdout/stderr captured), and as a real
``python -m derive`` process where the absence of a traceback is the point.
Every ``--out`` is a pytest temporary folder.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from derive.cli import main

REPO = Path(__file__).resolve().parents[2]


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, cwd=REPO, env=env)


def defined_functions(library: Path) -> set[str]:
    """Exported function names (``nm -D --defined-only``, type T)."""
    result = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True, check=True)
    return {ln.split()[-1] for ln in result.stdout.splitlines() if ln.split()[1:2] == ["T"]}


def needed_libraries(library: Path) -> set[str]:
    dynamic = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    return {ln.split("[", 1)[1].split("]", 1)[0] for ln in dynamic.splitlines() if "(NEEDED)" in ln}


def assert_one_line_error(code: int, err: str):
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), err
    assert "Traceback" not in err


ALL = ["entropy_normal", "cross_entropy_normal_normal", "kl_normal_normal", "kl_normal_std_normal"]
"""The four elementwise kernels (each exported as name and name_n); ``exports.names`` has every kernel's forms."""


# ---------------------------------------------------------------- C with a prefix

def test_c_with_prefix_compiles_links_with_libm_only_and_exports(capsys, tmp_path, build_c, c_tools, exports):
    out = tmp_path / "kernels"
    code, stdout, err = run_main(capsys, "codegen", "c", "--prefix", "vae_", "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["vae_gaussian.c", "vae_gaussian.h"]
    assert sorted(Path(ln).name for ln in stdout.splitlines()) == ["vae_gaussian.c", "vae_gaussian.h"]
    header = (out / "vae_gaussian.h").read_text()
    for flags in (["-O0"], c_tools.recommended_flags(header)):
        library = tmp_path / f"libvae{len(flags)}.so"
        result = build_c([out / "vae_gaussian.c"], library, flags, [out])   # strict flags, -lm only
        assert result.stderr == ""
        exported = defined_functions(library)
        assert "vae_kl_normal_normal" in exported
        assert {f"vae_{k}" for k in ALL} | {f"vae_{k}_n" for k in ALL} <= exported
        assert exported == exports.names("c", "vae_"), exported ^ exports.names("c", "vae_")
        assert {"vae_" + f.removeprefix("derive_") for f in exports.CONTRACT_C} <= exported
        assert needed_libraries(library) <= c_tools.LIBM_AND_LIBC
    assert "derive_" not in header.replace("derive from", "")  # no function kept the default prefix

    import cffi
    ffi = cffi.FFI()
    ffi.cdef(c_tools.header_cdef(header))
    lib = ffi.dlopen(str(library))
    # KL(N(1, 1) || N(0, 1)) = 1/2, typed in from the textbook formula
    assert lib.vae_kl_normal_normal(1.0, 1.0, 0.0, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert math.isnan(lib.vae_kl_normal_normal(1.0, -1.0, 0.0, 1.0))


@pytest.mark.parametrize("order", ["names last", "names first"])
def test_c_selected_kernel_only(capsys, tmp_path, build_c, order):
    out = tmp_path / "kernels"
    options = ["--prefix", "vae_", "--out", str(out)]
    args = ["codegen", "c", *options, "kl_normal_normal"] if order == "names last" else \
        ["codegen", "c", "kl_normal_normal", *options]
    code, _, err = run_main(capsys, *args)
    assert code == 0, err
    library = tmp_path / "libvae.so"
    build_c([out / "vae_gaussian.c"], library, ["-O2"], [out])
    assert defined_functions(library) == {"vae_kl_normal_normal", "vae_kl_normal_normal_n"}
    header = (out / "vae_gaussian.h").read_text()
    assert "entropy_normal" not in header and "kl_normal_std_normal" not in header


def test_c_two_selected_kernels(capsys, tmp_path, build_c):
    out = tmp_path / "kernels"
    code, _, err = run_main(capsys, "codegen", "c", "--prefix", "vae_", "--out", str(out),
                            "kl_normal_std_normal", "entropy_normal")
    assert code == 0, err
    library = tmp_path / "libvae.so"
    build_c([out / "vae_gaussian.c"], library, ["-O2"], [out])
    assert defined_functions(library) == {"vae_kl_normal_std_normal", "vae_kl_normal_std_normal_n",
                                          "vae_entropy_normal", "vae_entropy_normal_n"}


def _kernel_names():
    from derive.codegen.kernels import SPECS
    return [s.name for s in SPECS]


@pytest.mark.parametrize("name", _kernel_names())
def test_c_each_kernel_alone_compiles_strictly_and_exports_its_forms(capsys, tmp_path, build_c, exports, name):
    """Each kernel on its own: the strict flags (-Werror) also reject helpers left unused (a static
    Cholesky without a full-covariance kernel, say); the library exports that kernel's forms only."""
    out = tmp_path / "kernels"
    code, _, err = run_main(capsys, "codegen", "c", "--prefix", "one_", "--out", str(out), name)
    assert code == 0, err
    library = tmp_path / "libone.so"
    result = build_c([out / "one_gaussian.c"], library, ["-O2"], [out])
    assert result.stderr == ""
    assert defined_functions(library) == exports.names("c", "one_", [name])


def test_c_default_prefix_is_derive(capsys, tmp_path):
    code, _, err = run_main(capsys, "codegen", "c", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derive_gaussian.c", "derive_gaussian.h"]
    assert "double derive_kl_normal_normal(" in (tmp_path / "derive_gaussian.h").read_text()


# ---------------------------------------------------------------- bad usage: exit 2, one line, no traceback

BAD_C_PREFIXES = ["9x", "int", "a-b", "__x", "_X"]


@pytest.mark.parametrize("prefix", BAD_C_PREFIXES)
def test_bad_c_prefix_in_process(capsys, tmp_path, prefix):
    out = tmp_path / "kernels"
    code, stdout, err = run_main(capsys, "codegen", "c", "--prefix", prefix, "--out", str(out))
    assert_one_line_error(code, err)
    assert stdout == ""
    assert not out.exists() or not any(out.iterdir()), "nothing is written on bad usage"


@pytest.mark.parametrize("prefix", BAD_C_PREFIXES)
def test_bad_c_prefix_process(tmp_path, prefix):
    result = run_process("codegen", "c", f"--prefix={prefix}", "--out", str(tmp_path / "kernels"))
    assert_one_line_error(result.returncode, result.stderr)


@pytest.mark.parametrize("prefix", ["9x", "a-b", "x y"])
def test_bad_numpy_prefix(capsys, tmp_path, prefix):
    code, _, err = run_main(capsys, "codegen", "numpy", f"--prefix={prefix}", "--out", str(tmp_path / "k"))
    assert_one_line_error(code, err)


def test_unknown_kernel_in_process(capsys, tmp_path):
    code, _, err = run_main(capsys, "codegen", "c", "--prefix", "vae_", "--out", str(tmp_path / "k"),
                            "kl_normal_normal", "kl_nromal_normal")
    assert_one_line_error(code, err)
    assert "kl_nromal_normal" in err
    assert not (tmp_path / "k").exists() or not any((tmp_path / "k").iterdir())


def test_unknown_kernel_process(tmp_path):
    result = run_process("codegen", "c", "--out", str(tmp_path / "k"), "no_such_kernel")
    assert_one_line_error(result.returncode, result.stderr)
    assert "no_such_kernel" in result.stderr


def test_unknown_language(capsys, tmp_path):
    code, _, err = run_main(capsys, "codegen", "fortran", "--out", str(tmp_path))
    assert_one_line_error(code, err)


def test_out_is_a_file(capsys, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("x")
    code, _, err = run_main(capsys, "codegen", "c", "--out", str(target))
    assert_one_line_error(code, err)
    assert target.read_text() == "x"


# ---------------------------------------------------------------- numpy with a prefix

def test_numpy_with_prefix_is_importable(capsys, tmp_path, load_python_module, np_kernels, exports):
    code, stdout, err = run_main(capsys, "codegen", "numpy", "--prefix", "my_", "--out", str(tmp_path))
    assert code == 0, err
    files = list(tmp_path.glob("*.py"))
    assert [f.name for f in files] == ["my_gaussian.py"], "named after its prefix, as the C's my_gaussian.h"
    assert stdout == f"{files[0]}\n"
    module = load_python_module(files[0], "_codegen_test_my_kernels")
    assert {f"my_{k}" for k in ALL} <= set(module.__all__)
    assert {f"my_{k}" for k in exports.CONTRACT_NUMPY} <= set(module.__all__)
    assert sorted(module.__all__) == sorted(exports.names("numpy", "my_"))
    assert all(hasattr(module, name) for name in module.__all__)
    assert not hasattr(module, "kl_normal_normal")
    assert module.my_kl_normal_normal(1.0, 1.0, 0.0, 1.0) == pytest.approx(0.5, rel=1e-15)  # textbook value
    rng = np.random.default_rng(11)
    mu1, mu2 = rng.uniform(-5, 5, (2, 50))
    s1, s2 = 10 ** rng.uniform(-2, 2, (2, 50))
    np.testing.assert_array_equal(module.my_kl_normal_normal(mu1, s1, mu2, s2),
                                  np_kernels.kl_normal_normal(mu1, s1, mu2, s2))
    with pytest.raises(ValueError, match="sigma2"):
        module.my_kl_normal_normal(0.0, 1.0, 0.0, -1.0)


def test_numpy_selected_kernel(capsys, tmp_path, load_python_module):
    code, _, err = run_main(capsys, "codegen", "numpy", "--prefix", "my_", "--out", str(tmp_path),
                            "kl_normal_std_normal")
    assert code == 0, err
    (path,) = tmp_path.glob("*.py")
    module = load_python_module(path, "_codegen_test_my_selected")
    assert module.__all__ == ["my_kl_normal_std_normal"]


@pytest.mark.parametrize("name", ["kl_mvn_mvn", "kl_diag_std_normal_logvar"])
def test_numpy_selected_later_kernel(capsys, tmp_path, load_python_module, np_kernels, exports, name):
    """A full-covariance or summing kernel alone: its published forms only, the same values as the
    committed module's."""
    code, _, err = run_main(capsys, "codegen", "numpy", "--prefix", "my_", "--out", str(tmp_path), name)
    assert code == 0, err
    (path,) = tmp_path.glob("*.py")
    module = load_python_module(path, f"_codegen_test_my_{name}")
    assert sorted(module.__all__) == sorted(exports.names("numpy", "my_", [name]))
    rng = np.random.default_rng(12)
    if name == "kl_mvn_mvn":
        a, b = rng.uniform(-1, 1, (2, 4, 3, 3))
        cov1, cov2 = a @ np.swapaxes(a, -1, -2) + np.eye(3), b @ np.swapaxes(b, -1, -2) + np.eye(3)
        cov1, cov2 = (cov1 + np.swapaxes(cov1, -1, -2)) / 2, (cov2 + np.swapaxes(cov2, -1, -2)) / 2
        args = (rng.uniform(-1, 1, (4, 3)), cov1, rng.uniform(-1, 1, 3), cov2)
    else:
        args = (rng.uniform(-5, 5, (4, 16)), rng.uniform(-5, 5, (4, 16)))
    np.testing.assert_array_equal(getattr(module, f"my_{name}")(*args), getattr(np_kernels, name)(*args))


def test_python_m_derive_writes_the_same_files(capsys, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    result = run_process("codegen", "c", "--prefix", "vae_", "--out", str(a), "kl_normal_normal")
    assert result.returncode == 0, result.stderr
    code, _, err = run_main(capsys, "codegen", "c", "--prefix", "vae_", "--out", str(b), "kl_normal_normal")
    assert code == 0, err
    for name in ("vae_gaussian.c", "vae_gaussian.h"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
