"""A private localcloud for a benchmark: fresh state, free port, removed afterwards."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def private_localcloud(prefix: str = "bench-"):
    """Start localcloud with its own LAB_DIR on a free port and point this process's boto3 at it.

    Yields its status document (endpoint, learner_ip, ...) with ``lab_dir`` added; stops it
    and deletes its folder (data of large runs included) on the way out.
    """
    lab_dir = tempfile.mkdtemp(prefix=prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(LAB_DIR=lab_dir, LOCALCLOUD_PORT=str(free_port()))
    cmd = [sys.executable, "-m", "localcloud"]
    try:
        status = json.loads(subprocess.run(cmd + ["start", "--json"], env=env, cwd=REPO, check=True,
                                           capture_output=True, text=True, timeout=60).stdout)
        os.environ.update(status["client_env"], LAB_DIR=lab_dir, LOCALCLOUD_PORT=env["LOCALCLOUD_PORT"])
        yield dict(status, lab_dir=lab_dir)
    finally:
        subprocess.run(cmd + ["stop"], env=env, cwd=REPO, capture_output=True, timeout=60)
        shutil.rmtree(lab_dir, ignore_errors=True)
