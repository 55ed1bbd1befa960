"""What helpers/ and localcloud/ agree on, published once: both read it, neither imports the other.

Only constants and a few path/environment rules live here (no imports beyond the standard
library), so either side can read it without pulling in the other's code.  ``localcloud status
--json`` reports the values too (``client_env``, ``state_dir``, ``ssh_endpoint_tag``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent

LOCALCLOUD_DEFAULT_PORT = 4750  # fixed so notebooks and terminals agree; LOCALCLOUD_PORT overrides
LOCALCLOUD_PORT_ENV = "LOCALCLOUD_PORT"

# Variables that would make a boto3 program or the aws CLI talk to another endpoint or use another
# identity than the one localcloud's client environment sets: a local kernel (and localcloud's own
# processes) remove them.  Read from botocore's configuration providers and credential chain
# (botocore 1.44: configprovider.py, credentials.py), 2026-12-01.
CLIENT_ENV_UNSET = (
    # another identity: profiles, session tokens, assumed roles, container and web-identity creds
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ACCOUNT_ID",
    # another endpoint: this one makes every client ignore AWS_ENDPOINT_URL
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
    "AWS_STS_REGIONAL_ENDPOINTS",
)
# Every variable starting with one of these goes too: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS, ...
# (a service-specific endpoint wins over AWS_ENDPOINT_URL).
CLIENT_ENV_UNSET_PREFIXES = ("AWS_ENDPOINT_URL_",)
# Set on the local target whatever the learner's shell says: no client may ask an instance
# metadata service (169.254.169.254) for credentials.
CLIENT_ENV_FIXED = {"AWS_EC2_METADATA_DISABLED": "true"}

# The EC2 tag on which localcloud publishes a running instance's SSH endpoint ("127.0.0.1:PORT").
SSH_ENDPOINT_TAG = "localcloud:ssh-endpoint"

# What the last start did with the saved state: ``localcloud status --json`` has it under this key
# (state "fresh"/"restored", fresh_reason, lost resources with their tags, notes, seen);
# lab.start() shows it once, then POSTs to the path below so the next lab.start() stays quiet.
PERSISTENCE_STATUS_KEY = "persistence"
RESTORE_REPORT_SEEN_PATH = "/_localcloud/restore-report/seen"

# localcloud's own control calls (/_localcloud/*) carry the install's control token in this header;
# ``localcloud start/status --json`` report it as ``control_token``.
CONTROL_TOKEN_HEADER = "X-Localcloud-Token"

LAB_DIR_ENV = "LAB_DIR"  # overrides where the labs keep files on disk
# localcloud writes its client environment here (0600) whenever it starts; the course kernel
# reads it, so a kernel that never ran lab.start() is pointed at localcloud too.
CLIENT_ENV_FILE = "client_env.json"  # in lab_dir() / "localcloud"

# The message every local-target error says when localcloud does not answer.
NOT_RUNNING = "localcloud is not running: run `make lab` or `python -m localcloud start`"


def lab_dir() -> Path:
    """The git-ignored folder for everything the labs create on disk: ``.lab/`` (LAB_DIR overrides);
    localcloud keeps its state in ``lab_dir() / "localcloud"``.  A relative LAB_DIR is taken from the
    project folder, so a kernel (started in notebooks/), a terminal and `make` agree on it."""
    return PROJECT_ROOT / (os.environ.get(LAB_DIR_ENV) or ".lab")


def private_dir(path: Path | str) -> Path:
    """``mkdir -p`` that keeps the lab folder private: the lab folder itself (when ``path`` is in it)
    and every folder made here get mode 0700, so keys, dumps, logs and credentials under it are
    the learner's alone whatever their own modes."""
    p = Path(path)
    root = lab_dir()
    if p == root or root in p.parents:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = root.stat()
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            root.chmod(0o700)
    p.mkdir(mode=0o700, parents=True, exist_ok=True)
    return p


def client_env_file() -> Path:
    return lab_dir() / "localcloud" / CLIENT_ENV_FILE


def read_client_env() -> dict[str, str] | None:
    """The client environment the last localcloud start published (None before the first)."""
    try:
        doc = json.loads(client_env_file().read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def localcloud_port() -> int:
    try:
        return int(os.environ.get(LOCALCLOUD_PORT_ENV, LOCALCLOUD_DEFAULT_PORT))
    except ValueError:
        return LOCALCLOUD_DEFAULT_PORT


def neutralise(env: MutableMapping[str, str], client_env: Mapping[str, str]) -> None:
    """Point ``env`` (os.environ, or a copy) at localcloud: remove every variable that could send a
    client elsewhere (:data:`CLIENT_ENV_UNSET`, :data:`CLIENT_ENV_UNSET_PREFIXES`), then set
    ``client_env`` and :data:`CLIENT_ENV_FIXED`."""
    for var in list(env):
        if var in CLIENT_ENV_UNSET or var.startswith(CLIENT_ENV_UNSET_PREFIXES):
            del env[var]
    env.update(client_env)
    env.update(CLIENT_ENV_FIXED)
