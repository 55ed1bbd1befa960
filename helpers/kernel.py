"""The course's Jupyter kernel: every kernel of this venv starts here (introduced in 00_setup).

``make setup`` installs it as the venv's default ``python3`` kernelspec (the name every notebook
declares), so a fresh kernel — the first one, or one after *Restart Kernel* — is safe before any
cell runs:

* **local target** (``LAB_TARGET`` unset or ``local``): the kernel's environment is pointed at
  localcloud before Python starts the kernel: every variable that could send a client elsewhere
  is removed (``labcontract.CLIENT_ENV_UNSET``: profiles, session tokens, container and
  web-identity credentials, ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``
  ...), and localcloud's client environment is set (its endpoint, its per-install key, its own
  config files, no instance-metadata lookups).  Before localcloud ever started, the kernel still
  points at localcloud's loopback address, with a key no one accepts: a cell fails, locally.
* **aws target**: nothing changes, exactly as before.

It also loads itself as an IPython extension: when a call cannot reach localcloud, the cell's
error says ``localcloud is not running: run `make lab` or `python -m localcloud start``` instead
of a bare ``EndpointConnectionError``.  ``lab.start()`` installs the same handler in kernels
started another way (nbval, another kernelspec).

    python -m helpers.kernel install      # what make setup runs (writes the kernelspec)
    python -m helpers.kernel -f conn.json # what Jupyter runs
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import labcontract

KERNEL_NAME = "python3"  # the name the notebooks' metadata declares (kernelspec.name)
LOCAL_REGION = "us-east-1"
NOT_STARTED_KEY = "localcloud-not-started"  # no localcloud accepts it, and neither does AWS


def is_local(environ: Mapping[str, str]) -> bool:
    """Anything but an explicit ``LAB_TARGET=aws`` counts as local: an unknown value must not
    fall through to a real account (lab.start() then says what is wrong with it)."""
    return environ.get("LAB_TARGET", "local").strip().lower() != "aws"


def fallback_client_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Before localcloud ever started: its loopback endpoint, a key nobody accepts, no config files."""
    try:
        port = int(environ.get(labcontract.LOCALCLOUD_PORT_ENV, labcontract.LOCALCLOUD_DEFAULT_PORT))
    except ValueError:
        port = labcontract.LOCALCLOUD_DEFAULT_PORT
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": NOT_STARTED_KEY,
        "AWS_SECRET_ACCESS_KEY": NOT_STARTED_KEY,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def kernel_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a course kernel starts with, given the Jupyter server's."""
    env = dict(environ)
    if not is_local(env):
        return env
    saved = os.environ.get(labcontract.LAB_DIR_ENV)
    try:  # labcontract reads LAB_DIR from os.environ; the server's value is the one that counts
        if labcontract.LAB_DIR_ENV in env:
            os.environ[labcontract.LAB_DIR_ENV] = env[labcontract.LAB_DIR_ENV]
        client = labcontract.read_client_env()
    finally:
        if saved is None:
            os.environ.pop(labcontract.LAB_DIR_ENV, None)
        else:
            os.environ[labcontract.LAB_DIR_ENV] = saved
    labcontract.neutralise(env, client or fallback_client_env(env))
    return env


# ---- the error a cell shows when localcloud does not answer ---------------------------------------


def _is_localcloud_endpoint(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    return host in ("127.0.0.1", "localhost")


def not_running_lines(value: BaseException) -> list[str] | None:
    """The cell's error for ``value`` when it means "localcloud is down"; None for anything else."""
    if not is_local(os.environ):
        return None
    url = getattr(value, "kwargs", {}).get("endpoint_url")
    if not _is_localcloud_endpoint(url):
        return None
    return [f"LocalcloudNotRunning: {labcontract.NOT_RUNNING} (nothing answers at {url})."]


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: it shows the error itself (run_code ignores a return)."""
    lines = not_running_lines(value)
    if lines is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)  # the usual traceback
    else:
        shell._showtraceback(etype, value, lines)  # ipykernel sends it as the cell's error


def install_handler(shell: Any = None) -> bool:
    """Show "localcloud is not running" for connection errors to localcloud (idempotent)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or getattr(shell, "_lab_not_running_handler", False):
        return False
    from botocore.exceptions import EndpointConnectionError

    shell.set_custom_exc((EndpointConnectionError,), _handler)
    shell._lab_not_running_handler = True
    return True


def load_ipython_extension(shell: Any) -> None:  # IPython calls this for --IPKernelApp.extensions
    install_handler(shell)


# ---- the kernelspec -----------------------------------------------------------------------------


def kernelspec() -> dict[str, Any]:
    return {
        # "python" is replaced by the venv's interpreter by jupyter_client
        "argv": ["python", "-m", "helpers.kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True, "aws-de-labs": "course kernel: starts pointed at localcloud"},
        "kernel_protocol_version": "5.5",
    }


def install(prefix: str = sys.prefix) -> Path:
    """Write the course kernelspec as ``<prefix>/share/jupyter/kernels/python3`` (the venv's default)."""
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(kernelspec(), indent=1) + "\n")
    return folder


def main(argv: list[str]) -> None:
    if argv[:1] == ["install"]:
        print(f"course kernel installed in {install()}")
        return
    env = kernel_environ(os.environ)
    os.environ.clear()
    os.environ.update(env)
    # The kernel itself is ipykernel's own launcher, exactly as the stock kernelspec runs it.
    os.execv(
        sys.executable,
        [sys.executable, "-m", "ipykernel_launcher", *argv, "--IPKernelApp.extra_extensions=['helpers.kernel']"],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
