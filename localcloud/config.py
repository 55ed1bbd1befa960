"""Where localcloud listens, keeps its state, and what identity it answers with."""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import labcontract

# The port a course's localcloud takes when it is free; when it is not (another course on the same
# machine), `start` takes another one, and notebooks and terminals find it through the state folder.
DEFAULT_PORT = labcontract.LOCALCLOUD_DEFAULT_PORT  # LOCALCLOUD_PORT overrides (a number, or "auto")
HOST = "127.0.0.1"  # loopback only: localcloud is never reachable from another machine
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
SEED = 2003  # moto's random ids are seeded with this at start and reset
# The address localcloud treats as "the learner's public IP" when it enforces security
# groups: TEST-NET-3 (RFC 5737) is reserved for documentation, so it can never be real.
LEARNER_IP = "203.0.113.10"
# Credentials are made per install (per state folder) at first start: see install_credentials().
CREDENTIALS_FILE = "credentials.json"  # in state_dir(), mode 0600
TOKEN_HEADER = labcontract.CONTROL_TOKEN_HEADER  # carries the control token on /_localcloud/* calls
_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # what AWS access key ids are made of
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


AUTO_PORT = "auto"  # LOCALCLOUD_PORT=auto: never the default port (a class on one server)


def requested_port() -> int | None:
    """LOCALCLOUD_PORT as a number; None when it is unset or ``auto`` (``start`` then picks one)."""
    raw = os.environ.get("LOCALCLOUD_PORT", "").strip()
    if raw in ("", AUTO_PORT):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"LOCALCLOUD_PORT must be a port number or {AUTO_PORT!r}, not {raw!r}.") from None
    if not 1 <= value <= 65535:
        raise SystemExit(f"LOCALCLOUD_PORT must be between 1 and 65535, not {value}.")
    return value


def port() -> int:
    """The port asked for, else the default (what a client guesses while no daemon runs)."""
    return requested_port() or DEFAULT_PORT


# Below the gates' endpoint ports (20000-32767, tcpgate.GATE_PORTS) and Linux's ephemeral range
# (32768-60999), from which the OS gives client sockets their local port.
FREE_PORTS = (10000, 20000)
_PORT_DRAWS = random.SystemRandom()  # never the global generator: seeded ids must not move


def free_port() -> int:
    """A TCP port on HOST nobody listens on right now (the daemon's, servers behind gates, private
    test clouds), outside the ephemeral range: while its server is down (a restart), no outgoing
    connection can sit on it. An OS-chosen port had been taken that way by the other pytest-xdist
    worker between a test's kill -9 and its restart (test_persistence)."""
    for _ in range(200):
        with socket.socket() as s:
            try:
                s.bind((HOST, _PORT_DRAWS.randrange(*FREE_PORTS)))
            except OSError:
                continue
            return int(s.getsockname()[1])
    with socket.socket() as s:  # every port tried was taken: any port the OS gives
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def endpoint(p: int | None = None) -> str:
    return f"http://{HOST}:{p or port()}"


def lab_dir() -> Path:
    """The git-ignored folder for everything the labs create on disk (LAB_DIR overrides)."""
    return labcontract.lab_dir()


def state_dir() -> Path:
    return lab_dir() / "localcloud"


def daemon_file() -> Path:
    """Where the running daemon writes its pid, process group and port (the CLI reads it)."""
    return state_dir() / "daemon.json"


def cache_dir() -> Path:
    """Caches any localcloud of this checkout may share, whatever its LAB_DIR or state (fresh or
    restored): the project's ``.lab/cache/`` (e.g. the Spark JVM's class archive)."""
    return labcontract.PROJECT_ROOT / ".lab" / "cache"


@dataclass(frozen=True)
class InstallCredentials:
    """The one identity this localcloud accepts: an access key (for every AWS call, SigV4-checked
    by the gateway) and a token for its own ``/_localcloud/*`` control calls (the CLI sends it)."""

    access_key_id: str
    secret_access_key: str
    control_token: str


def _new_credentials() -> InstallCredentials:
    # AWS's shape (AKIA + 16, 40-character secret), so tools treat them as keys; never valid on AWS.
    return InstallCredentials(
        access_key_id="AKIA" + "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(16)),
        secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
        control_token=secrets.token_urlsafe(32),
    )


def install_credentials(state: Path | None = None, create: bool = True) -> InstallCredentials:
    """This install's credentials, made (random, 0600) the first time they are needed.

    ``state`` defaults to :func:`state_dir`; ``create=False`` raises FileNotFoundError instead
    of making them.  Two processes racing to create them agree: the first file wins."""
    sd = Path(state) if state is not None else state_dir()
    path = sd / CREDENTIALS_FILE
    if not path.exists():
        if not create:
            raise FileNotFoundError(path)
        labcontract.private_dir(sd)
        tmp = sd / f".{CREDENTIALS_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(_new_credentials().__dict__, fh)
        try:
            os.link(tmp, path)  # fails if another process made it first: theirs stands
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    doc = json.loads(path.read_text())
    return InstallCredentials(doc["access_key_id"], doc["secret_access_key"], doc["control_token"])


def __getattr__(name: str) -> str:
    """``FAKE_ACCESS_KEY``/``FAKE_SECRET_KEY``: the names code used when every install shared the
    key ``testing``; they now read this install's credentials (state_dir(), made if missing)."""
    if name == "FAKE_ACCESS_KEY":
        return install_credentials().access_key_id
    if name == "FAKE_SECRET_KEY":
        return install_credentials().secret_access_key
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def client_env(p: int | None = None) -> dict[str, str]:
    """Environment that points the aws CLI and any boto3 program at localcloud.

    Config and credential files are replaced too, so a learner's real profile
    (SSO, credential_process, a default region elsewhere) cannot leak in.
    """
    sd = state_dir()
    creds = install_credentials()
    return {
        "AWS_ENDPOINT_URL": endpoint(p),
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(sd / "aws_config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(sd / "aws_credentials"),
        **labcontract.CLIENT_ENV_FIXED,
    }


# Variables that would make a client use something other than the values above (helpers unset
# the same ones in a local kernel: the list is published once, in labcontract).
CLIENT_ENV_UNSET = labcontract.CLIENT_ENV_UNSET


# aws CLI v1 sends rds and sqs commands to AWS's old endpoint names whatever AWS_ENDPOINT_URL
# says; this plugin (localcloud/awscli_plugin.py) makes them use the configured endpoint. AWS CLI
# v2 ignores the section (it loads plugins only with cli_legacy_plugin_path set).
AWSCLI_PLUGINS = "[plugins]\nlocalcloud = localcloud.awscli_plugin\n"


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)  # an older file may have been made with a wider mode


def write_client_files(p: int | None = None) -> None:
    """The aws CLI's config and credentials files, and the client environment the course kernel
    reads (labcontract.CLIENT_ENV_FILE): all 0600, in the private state folder."""
    sd = labcontract.private_dir(state_dir())
    write_private(sd / labcontract.CLIENT_ENV_FILE, json.dumps(client_env(p), indent=1))
    creds = install_credentials()
    # Path-style S3 addressing: bucket.127.0.0.1 is not a host name.
    write_private(
        sd / "aws_config",
        f"[default]\nregion = {REGION}\noutput = json\ns3 =\n    addressing_style = path\n" + AWSCLI_PLUGINS,
    )
    write_private(
        sd / "aws_credentials",
        f"[default]\naws_access_key_id = {creds.access_key_id}\naws_secret_access_key = {creds.secret_access_key}\n",
    )
