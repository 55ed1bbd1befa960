"""Where localcloud listens, keeps its state, and what identity it answers with."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PORT = 4750  # fixed so notebooks and terminals agree; LOCALCLOUD_PORT overrides
HOST = "127.0.0.1"  # loopback only: localcloud is never reachable from another machine
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
SEED = 2003  # moto's random ids are seeded with this at start and reset
# The address localcloud treats as "the learner's public IP" when it enforces security
# groups: TEST-NET-3 (RFC 5737) is reserved for documentation, so it can never be real.
LEARNER_IP = "203.0.113.10"
# Fake credentials: moto accepts anything; these can never authenticate against AWS.
FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"

# moto's realism switches: reject a typo'd instance type, unknown AMI or key pair as AWS does.
MOTO_REALISM = {
    "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
    "MOTO_ENABLE_AMI_VALIDATION": "true",
    "MOTO_ENABLE_KEYPAIR_VALIDATION": "true",
    "MOTO_ALLOW_NONEXISTENT_REGION": "false",
}


def port() -> int:
    raw = os.environ.get("LOCALCLOUD_PORT", str(DEFAULT_PORT))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"LOCALCLOUD_PORT must be a port number, not {raw!r}.") from None
    if not 1 <= value <= 65535:
        raise SystemExit(f"LOCALCLOUD_PORT must be between 1 and 65535, not {value}.")
    return value


def endpoint(p: int | None = None) -> str:
    return f"http://{HOST}:{p or port()}"


def project_root() -> Path:
    # Editable install: the package sits in the repository, next to .lab/.
    return Path(__file__).resolve().parent.parent


def lab_dir() -> Path:
    """The git-ignored folder for everything the labs create on disk (LAB_DIR overrides)."""
    return Path(os.environ.get("LAB_DIR") or project_root() / ".lab")


def state_dir() -> Path:
    return lab_dir() / "localcloud"


def client_env(p: int | None = None) -> dict[str, str]:
    """Environment that points the aws CLI and any boto3 program at localcloud.

    Config and credential files are replaced too, so a learner's real profile
    (SSO, credential_process, a default region elsewhere) cannot leak in.
    """
    sd = state_dir()
    return {
        "AWS_ENDPOINT_URL": endpoint(p),
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(sd / "aws_config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(sd / "aws_credentials"),
    }


# Variables that would make a client use something other than the values above.
CLIENT_ENV_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def write_client_files() -> None:
    sd = state_dir()
    sd.mkdir(parents=True, exist_ok=True)
    # Path-style S3 addressing: bucket.127.0.0.1 is not a host name.
    (sd / "aws_config").write_text(
        f"[default]\nregion = {REGION}\noutput = json\ns3 =\n    addressing_style = path\n"
    )
    (sd / "aws_credentials").write_text(
        f"[default]\naws_access_key_id = {FAKE_ACCESS_KEY}\naws_secret_access_key = {FAKE_SECRET_KEY}\n"
    )
