"""A private localcloud for a benchmark: fresh state, free port, removed afterwards.

A thin layer over ``localcloud.testing`` (the helper the tests use too) that also points this
process's boto3 at it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from localcloud import testing

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def private_localcloud(prefix: str = "bench-"):
    """Start localcloud with its own LAB_DIR on a free port and point this process's boto3 at it.

    Yields its status document (endpoint, learner_ip, ...) with ``lab_dir`` and ``cloud`` (the
    :class:`localcloud.testing.Private`: ``run(...)``, ``client(...)``) added; stops it and
    deletes its folder (data of large runs included) on the way out.
    """
    with testing.private_localcloud(prefix=prefix) as cloud:
        os.environ.update(
            cloud.status["client_env"], LAB_DIR=str(cloud.lab_dir), LOCALCLOUD_PORT=cloud.env["LOCALCLOUD_PORT"]
        )
        yield dict(cloud.status, lab_dir=str(cloud.lab_dir), cloud=cloud)
