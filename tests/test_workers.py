"""A forked worker ends when its parent is killed (derive.workers), by the kernel's parent-death
signal and, where there is none, by the worker watching its parent's id."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import REPO

SCRIPT = """
import sys, time
from derive import workers
if sys.argv[1] == "watch":
    workers._parent_death_signal = lambda signum: False  # as on a system without prctl
with workers.forked_pool(1) as pool:
    print(pool.submit(__import__("os").getpid).result(), flush=True)
    pool.submit(time.sleep, 600)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the worker")
@pytest.mark.parametrize("how", ["prctl", "watch"])
def test_the_worker_dies_with_a_killed_parent(how):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT, how], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())
        assert alive(worker), "the worker runs while its parent does (else the test proves nothing)"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(worker):
        os.kill(worker, signal.SIGKILL)
        pytest.fail(f"the worker outlived its parent ({how})")
