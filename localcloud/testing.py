"""A private localcloud for tests and benchmarks: its own state folder, a free port, stopped after.

Never touches a learner's running localcloud or their ``.lab/`` folder.  ``tests/conftest`` fixtures,
``benchmarks/_localcloud.py`` and the CLI tests all start theirs through here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from .config import free_port

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_rds import RDSClient

__all__ = ["Private", "free_port", "isolated_env", "private_localcloud", "start", "wait_db_available"]

CMD_TIMEOUT_S = 120  # any one CLI command (start, stop, reset) taking longer is a failure


def isolated_env(lab_dir: Path | str, port: int | str | None = None, base: dict | None = None) -> dict[str, str]:
    """``base`` (os.environ) without any AWS_* setting, pointed at a private LAB_DIR and port."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("AWS_")}
    env.update(LAB_DIR=str(lab_dir), LOCALCLOUD_PORT=str(port or free_port()))
    return env


@dataclass
class Private:
    env: dict  # the environment its CLI commands run with
    status: dict  # `localcloud start --json`
    lab_dir: Path

    cmd = (sys.executable, "-m", "localcloud")

    @property
    def pid(self) -> int:
        return self.status["pid"]

    @property
    def endpoint(self) -> str:
        return self.status["endpoint"]

    def run(self, *args: str, timeout: float = CMD_TIMEOUT_S) -> subprocess.CompletedProcess:
        return subprocess.run([*self.cmd, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    @property
    def credentials(self) -> config.InstallCredentials:
        """This localcloud's own key (made at its first start, in its state folder)."""
        return config.install_credentials(self.lab_dir / "localcloud", create=False)

    def client(self, service: str, **kwargs: Any) -> BaseClient:
        """A boto3 client for this localcloud (its key, its endpoint, its region)."""
        import boto3

        creds = self.credentials
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            region_name=self.status["region"],
        )
        # boto3-stubs overload client() on each literal service name; this helper takes any name
        client: BaseClient = session.client(service, endpoint_url=self.endpoint, **kwargs)  # type: ignore[call-overload]
        return client


def start(lab_dir: Path | str, env: dict | None = None, fresh: bool = True) -> Private:
    """Start a localcloud with its state under ``lab_dir`` (raises RuntimeError when it cannot);
    ``fresh`` (the default) ignores any state saved there before: tests and benchmarks start empty."""
    env = env or isolated_env(lab_dir)
    done = subprocess.run(
        [*Private.cmd, "start", "--json", *(["--fresh"] if fresh else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=CMD_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"localcloud did not start:\n{done.stderr}")
    return Private(env, json.loads(done.stdout), Path(lab_dir))


@contextmanager
def private_localcloud(lab_dir: Path | str | None = None, prefix: str = "localcloud-") -> Iterator[Private]:
    """A started private localcloud; stopped on the way out, and its folder removed when this made it."""
    made = lab_dir is None
    folder = Path(tempfile.mkdtemp(prefix=prefix)) if lab_dir is None else Path(lab_dir)
    cloud = None
    try:
        cloud = start(folder)
        yield cloud
    finally:
        if cloud is not None:
            cloud.run("stop")
        if made:
            shutil.rmtree(folder, ignore_errors=True)


def wait_db_available(rds: RDSClient, ident: str, delay: float = 0.2, attempts: int = 600) -> None:
    """boto3's ``db_instance_available`` waiter; on failure the instance's RDS events join the message.

    A waiter alone only says "failed"; the events say why (a copy that failed, a crash), which is
    all a CI log can tell afterwards.
    """
    from botocore.exceptions import WaiterError

    try:
        # the stubs say an int Delay; botocore's waiter sleeps any number of seconds (tests poll at 0.2)
        waiter_config = {"Delay": delay, "MaxAttempts": attempts}
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=ident, WaiterConfig=waiter_config)  # type: ignore[arg-type]
    except WaiterError as exc:
        events = rds.describe_events(SourceIdentifier=ident, SourceType="db-instance", Duration=60)["Events"]
        told = "; ".join(e["Message"] for e in events) or "no events"
        raise AssertionError(f"{ident} did not become available: {exc}. RDS events: {told}") from exc
