"""Executing notebooks (for publishing, and in the tests): nbclient kernels, not emitting.

Imported only where notebooks are run: nbclient and ipykernel are in the ``test`` extra.
"""
from __future__ import annotations

import asyncio
import copy
import os
import tempfile
from pathlib import Path

from nbformat import NotebookNode

from derive.emit.notebook import KERNELSPEC


class NotebookFailed(RuntimeError):
    """A cell raised while the notebook was executed: the message names the cell and the error."""


def execute_all(notebooks: dict[str, NotebookNode], working_dir: Path, timeout: int = 300,
                at_once: int | None = None) -> dict[str, NotebookNode | NotebookFailed]:
    """Run each notebook in a fresh kernel of its own (nothing shared), ``at_once`` at a time
    (default: one per CPU), each started in ``working_dir``; returns each executed copy, or
    the ``NotebookFailed`` that stopped it.

    Kernels draw with Agg (no display needed) and import the same ``derive`` as this process,
    installed or not.
    """
    return asyncio.run(_execute_all(notebooks, working_dir, timeout, at_once or os.cpu_count() or 1))


async def _execute_all(notebooks: dict[str, NotebookNode], working_dir: Path, timeout: int,
                       at_once: int) -> dict[str, NotebookNode | NotebookFailed]:
    slots = asyncio.Semaphore(at_once)

    async def one(notebook: NotebookNode) -> NotebookNode | NotebookFailed:
        async with slots:
            return await _execute_one(notebook, working_dir, timeout)
    longest_first = sorted(notebooks, key=lambda name: -len(notebooks[name].cells))  # keeps every slot busy
    outcomes = dict(zip(longest_first, await asyncio.gather(*(one(notebooks[name]) for name in longest_first))))
    return {name: outcomes[name] for name in notebooks}


async def _execute_one(notebook: NotebookNode, working_dir: Path, timeout: int) -> NotebookNode | NotebookFailed:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    executed = copy.deepcopy(notebook)
    package_parent = str(Path(__file__).resolve().parents[1])
    python_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": python_path}
    client = NotebookClient(executed, timeout=timeout, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(working_dir)}})
    # The kernel's own stderr (its "running over TCP without encryption" warning on every start) goes to
    # a file, not the user's terminal; its last line is shown if the kernel dies.
    with tempfile.TemporaryFile(mode="w+") as kernel_log:
        try:
            await client.async_execute(env=env, stderr=kernel_log)
        except CellExecutionError as error:
            failed = next((i for i, cell in enumerate(executed.cells)
                           if any(o.get("output_type") == "error" for o in cell.get("outputs", []))), "?")
            return NotebookFailed(f"cell {failed}: {error.ename}: {error.evalue}")
        except CellTimeoutError as error:
            return NotebookFailed(_first_line(error))
        except DeadKernelError as error:
            kernel_log.seek(0)
            last = [line for line in kernel_log.read().splitlines() if line.strip()][-1:]
            return NotebookFailed(" ".join([_first_line(error), *last]))
    return executed


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
