"""The generated C under AddressSanitizer and UndefinedBehaviorSanitizer (issue 18): a driver makes
every kind of call, the issue's reproducers among them, and any report aborts it (no recovery).

Skipped, with the reason, where the compiler or its runtime does not support the sanitizers."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

DRIVER = Path(__file__).parent / "c" / "sanitize_driver.c"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]


@pytest.fixture(scope="module")
def sanitizers(cc, tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("sanitizer-probe")
    (folder / "probe.c").write_text("int main(void) { return 0; }\n")
    built = subprocess.run([cc, *SANITIZE, str(folder / "probe.c"), "-o", str(folder / "probe")],
                           capture_output=True, text=True)
    if built.returncode != 0 or subprocess.run([str(folder / "probe")], capture_output=True).returncode != 0:
        pytest.skip(f"{cc} cannot build and run with -fsanitize=address,undefined: {built.stderr.strip()[:200]}")
    return SANITIZE


@pytest.mark.parametrize("level", ["-O0", "-O2"])
def test_driver_is_clean_under_asan_and_ubsan(cc, c_tools, sanitizers, tmp_path, level):
    exe = tmp_path / "driver"
    subprocess.run([cc, *c_tools.STRICT_FLAGS, level, *sanitizers, f"-I{c_tools.GENERATED_C}", str(DRIVER),
                    str(c_tools.GENERATED_C / "derive_gaussian.c"), "-o", str(exe), "-lm"], check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True,
                            env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "0 failures\n" and "runtime error" not in result.stderr, result.stderr
