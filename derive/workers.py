"""Worker processes that end with their parent.

``generate`` checks some derivations in a forked worker.  Killed (SIGKILL, out of memory, a
closed terminal), the parent runs no clean-up code of its own; without help its worker would go
on checking derivations for nobody, holding a core.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal a process gets when the thread that forked it ends."""


def _parent_death_signal(signum: int) -> bool:
    """Ask the kernel to send ``signum`` to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, every: float = 0.2) -> None:
    """End this process once ``parent`` is no longer its parent (it died and we were adopted)."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    """The worker's initializer: a worker whose parent was killed (SIGKILL included, where nothing
    of the parent's runs) ends too, instead of checking derivations for nobody.  By the kernel's
    parent-death signal where there is one, else by a thread that watches the parent's id."""
    if not _parent_death_signal(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def forked_pool(size: int) -> ProcessPoolExecutor:
    """A pool of ``size`` forked workers, each of which ends when this process does."""
    return ProcessPoolExecutor(size, mp_context=get_context("fork"), initializer=_die_with_parent,
                               initargs=(os.getpid(),))
