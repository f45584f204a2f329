"""The environment a function's process starts with.

Exactly the function's own variables, plus what the interpreter and the runtime need:
PATH, LANG and LC_* from the server (the function's own values win), PYTHONHOME if the
server's interpreter needs one, PYTHONPATH led by the directory that holds this package
(as Lambda's leads with /var/runtime; the function's own PYTHONPATH follows), and the
runtime's LAMBDA_TASK_ROOT and _HANDLER. Nothing else of the server's environment, so
no STRONGROOM_* and no AWS_* of the server's ever reaches a function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_FROM_SERVER = ("PATH", "LANG", "PYTHONHOME")

RUNTIME_PATH = str(Path(__file__).resolve().parents[2])
"""The directory that holds the `strongroom` package: the bootstrap is imported from it."""


def function_environment(
    variables: Mapping[str, str], *, task_root: str, handler: str
) -> dict[str, str]:
    """The environment for one invocation of a function with `variables`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name in _FROM_SERVER or name.startswith("LC_")
    }
    environment.setdefault("PATH", os.defpath)
    environment.update(variables)
    python_path = [RUNTIME_PATH]
    if variables.get("PYTHONPATH"):
        python_path.append(variables["PYTHONPATH"])
    environment["PYTHONPATH"] = os.pathsep.join(python_path)
    environment["LAMBDA_TASK_ROOT"] = task_root
    environment["_HANDLER"] = handler
    return environment
