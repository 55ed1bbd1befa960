"""Which Lambda runtimes localcloud runs, on which interpreter, and which it refuses.

localcloud runs a Python function's handler in a worker process of the daemon's own interpreter
(this machine's Python 3, e.g. 3.11): a ``python3.12`` or ``python3.13`` function runs there too,
and its log says so (``INIT_START`` line and every ``REPORT`` line), so a difference between
Python versions never goes unexplained.  A runtime that is not Python (``nodejs22.x``, ``java21``,
``provided.al2023``, ...) cannot be honoured at all: creating such a function is refused with
Lambda's error for a runtime outside the accepted set, naming what localcloud runs instead.

Runtimes AWS no longer lets you create or update functions with are refused with AWS's message
(Lambda developer guide, "Lambda runtimes", deprecation table, read 2026-11-30: python3.8 is past
its "block function create" date; python3.9 was deprecated 2025-12-15 but stays creatable until
2027-02-01).
"""

from __future__ import annotations

import platform

SUPPORTED_PYTHON = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
NEWEST = SUPPORTED_PYTHON[-1]
# Runtimes whose "block function create" date has passed.
BLOCKED = frozenset(
    {
        "python2.7",
        "python3.6",
        "python3.7",
        "python3.8",
        "nodejs",
        "nodejs4.3",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "nodejs16.x",
        "java8",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "dotnet6",
        "ruby2.5",
        "ruby2.7",
        "go1.x",
        "provided",
    }
)
_SUCCESSOR = {"python": NEWEST, "nodejs": "nodejs22.x", "java": "java21", "dotnet": "dotnet8", "ruby": "ruby3.4"}


def interpreter() -> str:
    """The Python that runs every function here: ``Python 3.11.7``."""
    return f"Python {platform.python_version()}"


def refusal(runtime: str | None) -> str | None:
    """Lambda's ``InvalidParameterValueException`` message for ``runtime``, or None when localcloud
    runs it (None too for no runtime: container images need none)."""
    if not runtime:
        return None
    if runtime in BLOCKED:
        family = next((k for k in _SUCCESSOR if runtime.startswith(k)), "python")
        return (
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime ({_SUCCESSOR[family]}) while creating or updating "
            "functions."
        )
    if runtime in SUPPORTED_PYTHON:
        return None
    return (
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{', '.join(SUPPORTED_PYTHON)}] or be a valid ARN (localcloud runs Python functions only, on this "
        f"machine's {interpreter()}; {runtime} runs on AWS: use LAB_TARGET=aws for it)"
    )


def note(runtime: str | None) -> str:
    """What the function's log says about the interpreter that ran it."""
    return f"localcloud: runtime {runtime} ran on {interpreter()}"


def init_start_line(runtime: str | None) -> str:
    """The first line of a cold start's log (AWS: ``INIT_START Runtime Version: python:3.12.v38 ...``)."""
    version = (runtime or "python").removeprefix("python")
    return f"INIT_START Runtime Version: python:{version}.localcloud\t{note(runtime)}"
