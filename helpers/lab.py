"""Lab targets, standard tags, prerequisites, inventory and teardown (introduced in 00_setup).

The first code cell of every notebook is ``lab.start("NN")``.  ``LAB_TARGET`` picks
the target:

* ``local`` (default): the offline localcloud on this machine; it is started if
  needed (as a separate process) and this kernel's boto3 is pointed at it.
* ``aws``: your real account.  Credentials are checked with STS and nothing runs
  unless you opted in with ``LAB_AWS_CONFIRM=yes``.

This module is the only place in the course with target-specific code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import warnings
from dataclasses import dataclass, field
from typing import Callable

import boto3

TARGETS = ("local", "aws")
PROJECT_TAG = ("Project", "aws-de-labs")
LOCAL_REGION = "us-east-1"
CHECKIP_URL = "https://checkip.amazonaws.com"

# What the AWS Free Tier covers for the services the labs use (12-month offer).
FREE_TIER = {
    "ec2_instance_type": ("t2.micro", "t3.micro"),
    "rds_instance_class": ("db.t3.micro", "db.t4g.micro"),
}


class LabError(RuntimeError):
    """A set-up problem the learner can fix; the message says how."""

    def _render_traceback_(self):  # IPython: show the paragraph, not a stack trace
        return [f"LabError: {self}"]


@dataclass
class Target:
    name: str
    region: str
    account: str
    endpoint: str | None = None  # localcloud's endpoint; None on AWS
    learner_ip: str | None = None
    lab: str = "00"
    extra: dict = field(default_factory=dict)

    @property
    def masked_account(self) -> str:
        return self.account[:4] + "****" + self.account[-4:]

    def __repr__(self) -> str:
        where = f"localcloud at {self.endpoint}, offline" if self.endpoint else "your real AWS account"
        return (f"Lab {self.lab} · target {self.name} ({where})\n"
                f"Region {self.region} · account {self.masked_account}")


_current: Target | None = None


def target_name() -> str:
    name = os.environ.get("LAB_TARGET", "local").strip().lower() or "local"
    if name not in TARGETS:
        raise LabError(
            f"LAB_TARGET is {name!r}, but the labs know only 'local' (the offline localcloud, "
            f"the default) and 'aws' (your real account). Set LAB_TARGET=local or LAB_TARGET=aws "
            f"in the shell that starts Jupyter (or unset it), then restart the kernel.")
    return name


def start(lab: str = "00") -> Target:
    """Start lab ``lab`` on the chosen target and point this kernel's boto3 at it."""
    global _current
    name = target_name()
    # `!aws ...` cells use the CLI installed next to this kernel's Python.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    _current = _start_local(lab) if name == "local" else _start_aws(lab)
    return _current


def current() -> Target:
    if _current is None:
        raise LabError("The lab is not started yet: run the first code cell, lab.start(...), first.")
    return _current


def _start_local(lab: str) -> Target:
    proc = subprocess.run([sys.executable, "-m", "localcloud", "start", "--json"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(proc.stderr.strip().removeprefix("localcloud: ") or "localcloud failed to start.")
    status = json.loads(proc.stdout)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(var, None)
    os.environ.update(status["client_env"])
    boto3.setup_default_session(region_name=status["region"])  # drop a session made before
    return Target("local", status["region"], status["account_id"], endpoint=status["endpoint"],
                  learner_ip=status["learner_ip"], lab=lab)


def _start_aws(lab: str) -> Target:
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint:
        raise LabError(
            f"LAB_TARGET=aws, but AWS_ENDPOINT_URL={endpoint} sends every call elsewhere (did you "
            f"run `eval \"$(python -m localcloud env)\"` in this shell?). Start Jupyter from a shell "
            f"without the localcloud variables, or use LAB_TARGET=local.")
    if os.environ.get("LAB_AWS_CONFIRM", "").lower() != "yes":
        raise LabError(
            "LAB_TARGET=aws runs these labs against your real AWS account: instances, databases and "
            "queries are billed once you leave the free tier, and until you delete them. Read the "
            "cost section of README.md, create a budget alarm (00_setup shows how), and opt in "
            "explicitly by starting Jupyter with LAB_AWS_CONFIRM=yes as well as LAB_TARGET=aws.")
    boto3.setup_default_session()
    session = boto3.session.Session()
    if not session.region_name:
        raise LabError("No AWS region is configured. Run `aws configure set region us-east-1` "
                       "(or set AWS_DEFAULT_REGION) and restart the kernel.")
    try:
        ident = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise LabError(
            f"LAB_TARGET=aws, but AWS did not accept any credentials ({exc}). Configure them outside "
            f"the notebook — `aws configure sso` or `aws configure` (an IAM user's access key), or "
            f"AWS_PROFILE=<profile> — never paste keys into a cell, then restart the kernel.") from None
    if ident["Arn"].endswith(":root"):
        warnings.warn("You are signed in as the account's root user. Create an IAM Identity Center "
                      "or IAM user for the labs; keep root for account administration only.")
    return Target("aws", session.region_name, ident["Account"], lab=lab)


# ---- target-specific knobs the other helpers and the notebooks use ------------------------

def my_ip() -> str:
    """The learner's public IPv4 address, for security-group rules (introduced in 01)."""
    t = current()
    if t.name == "local":
        return t.learner_ip  # the documentation address localcloud treats as "you"
    with urllib.request.urlopen(CHECKIP_URL, timeout=10) as resp:
        return resp.read().decode().strip()


def my_cidr() -> str:
    """``my_ip()/32``: exactly one address, the only source a lab security group allows."""
    return f"{my_ip()}/32"


def poll_policy(default_delay: float, default_attempts: int) -> tuple[float, int]:
    """(seconds between checks, maximum checks) for a wait: AWS's pace on AWS, quick locally."""
    if current().name == "local":
        return 0.1, 600  # at most about a minute
    return default_delay, default_attempts


def check_free_tier(**choices: str) -> None:
    """Warn when a choice is outside the free tier, e.g. ``check_free_tier(ec2_instance_type="m5.large")``.

    On AWS it also needs ``LAB_ALLOW_COST=yes``: leaving the free tier is never silent.
    """
    for kind, value in choices.items():
        allowed = FREE_TIER.get(kind)
        if allowed is None:
            raise ValueError(f"unknown choice {kind!r}; known: {', '.join(FREE_TIER)}")
        if value in allowed:
            continue
        msg = (f"{kind.replace('_', ' ')} {value!r} is not in the AWS Free Tier "
               f"({', '.join(allowed)} are); on a real account it is billed per hour.")
        if current().name == "aws" and os.environ.get("LAB_ALLOW_COST", "").lower() != "yes":
            raise LabError(msg + " Pick a free-tier choice, or set LAB_ALLOW_COST=yes to accept the cost.")
        warnings.warn(msg, stacklevel=2)


# ---- tags --------------------------------------------------------------------------------

def tag_dict(**extra: str) -> dict[str, str]:
    """The standard lab tags as a dict (Lambda, Glue, Secrets Manager take this form)."""
    tags = {PROJECT_TAG[0]: PROJECT_TAG[1], "Lab": current().lab}
    tags.update(extra)
    return tags


def tags(**extra: str) -> list[dict[str, str]]:
    """The standard lab tags as ``[{"Key": ..., "Value": ...}]`` (EC2, RDS, S3 take this form)."""
    return [{"Key": k, "Value": v} for k, v in tag_dict(**extra).items()]


def tag_spec(resource_type: str, **extra: str) -> dict:
    """One EC2 ``TagSpecifications`` entry, e.g. ``tag_spec("instance", Name="lab01-web")``."""
    return {"ResourceType": resource_type, "Tags": tags(**extra)}


# ---- prerequisites -----------------------------------------------------------------------

@dataclass
class Requirement:
    name: str
    lab: str  # the lab that teaches how to create it
    description: str
    ensure: Callable[[], bool]  # idempotent; True when it had to create something


REQUIREMENTS: dict[str, Requirement] = {}


def requirement(name: str, lab: str, description: str):
    """Register how to (re)create what lab ``lab`` builds, so later labs can run on their own."""
    def register(fn: Callable[[], bool]):
        REQUIREMENTS[name] = Requirement(name, lab, description, fn)
        return fn
    return register


def _load_requirements() -> None:
    """Import ``helpers.requirements`` and every ``helpers.requirements_*`` (each lab's own)."""
    import importlib
    import pkgutil

    import helpers

    for m in pkgutil.iter_modules(helpers.__path__):
        if m.name == "requirements" or m.name.startswith("requirements_"):
            importlib.import_module(f"helpers.{m.name}")


def require(*names: str) -> None:
    """Make sure what earlier labs created exists; create it (and say so) when it does not.

    Each name is registered with :func:`requirement` in ``helpers/requirements*.py``;
    requirements a name depends on are listed first by the caller (``require("a", "b")``).
    """
    current()
    _load_requirements()

    for name in names:
        if name not in REQUIREMENTS:
            raise LabError(f"unknown prerequisite {name!r}; known: {', '.join(sorted(REQUIREMENTS))}")
        req = REQUIREMENTS[name]
        if req.ensure():
            print(f"✓ {req.description}: created now (lab {req.lab} shows how it is made)")
        else:
            print(f"✓ {req.description}: already there")


# ---- inventory and teardown ------------------------------------------------------------

def inventory():
    """Every lab-tagged resource on the target, as a table (introduced in 00, used by 99)."""
    from . import resources

    current()
    return resources.as_table(resources.find_all())


def teardown(lab: str | None = None, dry_run: bool = False) -> list:
    """Delete lab-tagged resources (all, or one lab's), in dependency order; idempotent."""
    from . import resources

    current()
    return resources.delete_all(lab=lab, dry_run=dry_run)
