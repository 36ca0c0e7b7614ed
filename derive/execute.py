"""Executing notebooks (for publishing, and in the tests): nbclient kernels, not emitting.

Imported only where notebooks are run: nbclient and ipykernel are in the ``test`` extra.
"""
from __future__ import annotations

import asyncio
import copy
import os
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
    try:
        await client.async_execute(env=env)
    except CellExecutionError as error:
        failed = next((i for i, cell in enumerate(executed.cells)
                       if any(o.get("output_type") == "error" for o in cell.get("outputs", []))), "?")
        return NotebookFailed(f"cell {failed}: {error.ename}: {error.evalue}")
    except (CellTimeoutError, DeadKernelError) as error:
        return NotebookFailed(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
    return executed
