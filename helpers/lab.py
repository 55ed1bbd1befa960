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
import re
import subprocess
import sys
import tomllib
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import boto3

import labcontract

if TYPE_CHECKING:
    import pandas as pd

    from .diagram import Diagram
    from .resources import Resource

TARGETS = ("local", "aws")
PROJECT_TAG = ("Project", "aws-de-labs")
LOCAL_REGION = "us-east-1"
CHECKIP_URL = "https://checkip.amazonaws.com"

# What the legacy AWS Free Tier (accounts created before 15 July 2025) covers for the services the
# labs use, for 12 months (helpers/facts.toml freetier.legacy_ec2, freetier.legacy_rds).  Newer
# accounts are on a credit-based plan: see free_tier_plan().
FREE_TIER = {
    "ec2_instance_type": ("t2.micro", "t3.micro"),
    "rds_instance_class": ("db.t3.micro", "db.t4g.micro"),
}
FACTS = Path(__file__).resolve().parent / "facts.toml"


class LabError(RuntimeError):
    """A set-up problem the learner can fix; the message says how."""

    def _render_traceback_(self) -> list[str]:  # IPython: show the paragraph, not a stack trace
        return [f"LabError: {self}"]


@dataclass
class Target:
    name: str
    region: str
    account: str
    endpoint: str | None = None  # localcloud's endpoint; None on AWS
    learner_ip: str | None = None
    lab: str = "00"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def masked_account(self) -> str:
        return self.account[:4] + "****" + self.account[-4:]

    def __repr__(self) -> str:
        where = f"localcloud at {self.endpoint}, offline" if self.endpoint else "your real AWS account"
        return f"Lab {self.lab} · target {self.name} ({where})\nRegion {self.region} · account {self.masked_account}"


_current: Target | None = None


def target_name() -> str:
    name = os.environ.get("LAB_TARGET", "local").strip().lower() or "local"
    if name not in TARGETS:
        raise LabError(
            f"LAB_TARGET is {name!r}, but the labs know only 'local' (the offline localcloud, "
            f"the default) and 'aws' (your real account). Set LAB_TARGET=local or LAB_TARGET=aws "
            f"in the shell that starts Jupyter (or unset it), then restart the kernel."
        )
    return name


SCRATCH_LABS = range(80, 99)  # lab ids no notebook uses: tests and your own experiments


def _known_labs() -> list[str]:
    """The two-digit ids of the lab notebooks next to these helpers ([] when there are none)."""
    from .paths import PROJECT_ROOT

    return sorted({p.name[:2] for p in (PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")})


def check_lab_id(lab: object) -> str:
    """``lab`` when it names a lab (two digits: "04"); a LabError saying what is expected otherwise.

    Every resource is tagged with it and ``teardown(lab="04")`` finds resources by it, so "4",
    4 or None would tag resources nothing can find again.
    """
    known = _known_labs()
    expected = (
        f'lab.start needs the lab\'s two-digit number as a string, e.g. lab.start("04") '
        f"(the labs: {', '.join(known) or '00-99'}; {SCRATCH_LABS.start}-{SCRATCH_LABS.stop - 1} are free "
        f"for your own experiments)"
    )
    if not isinstance(lab, str) or len(lab) != 2 or not lab.isdigit():
        raise LabError(f"{expected}, not {lab!r}.")
    if known and lab not in known and int(lab) not in SCRATCH_LABS:
        raise LabError(f"There is no lab {lab}: {expected}.")
    return lab


def start(lab: str = "00") -> Target:
    """Start lab ``lab`` on the chosen target and point this kernel's boto3 at it."""
    global _current
    lab = check_lab_id(lab)
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
    proc = subprocess.run([sys.executable, "-m", "localcloud", "start", "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(proc.stderr.strip().removeprefix("localcloud: ") or "localcloud failed to start.")
    status = json.loads(proc.stdout)
    labcontract.neutralise(os.environ, status["client_env"])  # no profile, token or endpoint of the learner's
    boto3.setup_default_session(region_name=status["region"])  # drop a session made before
    _show_restore_report(status)
    from . import kernel

    kernel.install_handler()  # "localcloud is not running" instead of a bare connection error
    return Target(
        "local",
        status["region"],
        status["account_id"],
        endpoint=status["endpoint"],
        learner_ip=status["learner_ip"],
        lab=lab,
    )


def restore_report_lines(persisted: dict[str, Any]) -> list[str]:
    """What localcloud's last start did with the saved state, for the learner (empty: nothing to say).

    ``persisted`` is ``status[labcontract.PERSISTENCE_STATUS_KEY]``: localcloud saves every
    resource and all data across ``localcloud stop``, a crash or a reboot; what it could not
    bring back is listed with its tags, and the prerequisite that builds it again is named here
    (the requirement registered for the lab in its ``Lab`` tag)."""
    lines: list[str] = []
    if persisted.get("fresh_reason"):
        lines.append(
            f"⚠ localcloud started empty: {persisted['fresh_reason']} What earlier labs built is gone; "
            "each lab's first cell (lab.require(...)) builds again what that lab needs."
        )
    elif persisted.get("state") == "restored":
        lines.append("localcloud is back with the resources and data it had when it stopped.")
    if persisted.get("lost"):
        _load_requirements()
    for lost in persisted.get("lost") or []:
        lab_id = (lost.get("tags") or {}).get("Lab")
        names = sorted(r.name for r in REQUIREMENTS.values() if lab_id and r.lab == lab_id)
        if names:
            how = " or ".join(f"lab.require({n!r})" for n in names) + f" builds it again (lab {lab_id} shows how)"
        elif lab_id:
            how = f"run lab {lab_id} again to build it"
        else:
            how = "create it again"
        lines.append(
            f"⚠ Not restored: the {lost['service'].upper()} {lost['kind']} {lost['id']}: {lost['what']}. {how}."
        )
    lines += [f"⚠ {note}" for note in persisted.get("notes") or []]
    return lines


def _show_restore_report(status: dict[str, Any]) -> None:
    """Print the restore report once per localcloud start (the first lab.start() after it)."""
    persisted = status.get(labcontract.PERSISTENCE_STATUS_KEY) or {}
    lines = [] if persisted.get("seen") else restore_report_lines(persisted)
    if not lines:
        return
    print("\n".join(lines))
    req = urllib.request.Request(
        status["endpoint"] + labcontract.RESTORE_REPORT_SEEN_PATH,
        data=b"",
        method="POST",
        headers={labcontract.CONTROL_TOKEN_HEADER: status.get("control_token", "")},  # control calls need it
    )
    try:
        urllib.request.urlopen(req, timeout=5).close()
    except OSError:
        pass  # shown again next time: harmless


def _start_aws(lab: str) -> Target:
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint:
        raise LabError(
            f"LAB_TARGET=aws, but AWS_ENDPOINT_URL={endpoint} sends every call elsewhere (did you "
            f'run `eval "$(python -m localcloud env)"` in this shell?). Start Jupyter from a shell '
            f"without the localcloud variables, or use LAB_TARGET=local."
        )
    if os.environ.get("LAB_AWS_CONFIRM", "").lower() != "yes":
        raise LabError(
            "LAB_TARGET=aws runs these labs against your real AWS account: instances, databases and "
            "queries are billed once you leave the free tier, and until you delete them. Read the "
            "cost section of README.md, create a budget alarm (00_setup shows how), and opt in "
            "explicitly by starting Jupyter with LAB_AWS_CONFIRM=yes as well as LAB_TARGET=aws."
        )
    boto3.setup_default_session()
    session = boto3.session.Session()
    if not session.region_name:
        raise LabError(
            "No AWS region is configured. Run `aws configure set region us-east-1` "
            "(or set AWS_DEFAULT_REGION) and restart the kernel."
        )
    try:
        ident = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise LabError(
            f"LAB_TARGET=aws, but AWS did not accept any credentials ({exc}). Configure them outside "
            f"the notebook — `aws configure sso` or `aws configure` (an IAM user's access key), or "
            f"AWS_PROFILE=<profile> — never paste keys into a cell, then restart the kernel."
        ) from None
    if ident["Arn"].endswith(":root"):
        warnings.warn(
            "You are signed in as the account's root user. Create an IAM Identity Center "
            "or IAM user for the labs; keep root for account administration only.",
            stacklevel=2,
        )
    return Target("aws", session.region_name, ident["Account"], lab=lab)


# ---- target-specific knobs the other helpers and the notebooks use ------------------------


def my_ip() -> str:
    """The learner's public IPv4 address, for security-group rules (introduced in 01)."""
    t = current()
    if t.name == "local":
        assert t.learner_ip is not None  # _start_local always sets it
        return t.learner_ip  # the documentation address localcloud treats as "you"
    with urllib.request.urlopen(CHECKIP_URL, timeout=10) as resp:
        return resp.read().decode().strip()


def my_cidr() -> str:
    """``my_ip()/32``: exactly one address, the only source a lab security group allows."""
    return f"{my_ip()}/32"


def redshift_ssl() -> bool:
    """``ssl=`` for ``redshift_connector.connect`` (introduced in 08): TLS on AWS (never send the
    password in clear text); off locally, where localcloud's Redshift endpoint declines TLS."""
    return current().name != "local"


def poll_policy(default_delay: float, default_attempts: int, local_seconds: float = 60.0) -> tuple[float, int]:
    """(seconds between checks, maximum checks) for a wait: AWS's pace on AWS, quick locally.

    Locally a wait gives up after about ``local_seconds`` (a minute unless the caller knows its
    wait can be longer here, e.g. Spark's first start for a Glue job run on a busy machine)."""
    if current().name == "local":
        return 0.1, max(1, round(local_seconds / 0.1))
    return default_delay, default_attempts


@cache
def facts() -> dict[str, Any]:
    """The course's register of facts (helpers/facts.toml): prices, limits, dates, with sources."""
    return tomllib.loads(FACTS.read_text(encoding="utf-8"))


def fact(key: str) -> Any:
    """One register value, e.g. ``fact("freetier.free_plan_duration_months")`` (6)."""
    service, name = key.split(".", 1)
    return facts()[service][name]["value"]


@dataclass(frozen=True)
class FreeTierPlan:
    """Which Free Tier rules apply to the account (introduced in 00_setup).

    ``plan`` is ``"FREE"`` or ``"PAID"`` (credit-based plans, accounts created on or after
    15 July 2025) as the Free Tier API answers, or ``"UNKNOWN"`` when it could not be read
    (``reason`` says why; accounts older than the plans keep the legacy 12-month offers).
    """

    plan: str
    status: str = ""
    credits_usd: float | None = None
    expires: str | None = None
    reason: str = ""

    def allowed(self) -> dict[str, tuple[str, ...]]:
        """The choices check_free_tier accepts under these rules."""
        new = tuple(t.strip() for t in str(fact("freetier.free_plan_ec2_types")).split(","))
        if self.plan in ("FREE", "PAID"):
            return {**FREE_TIER, "ec2_instance_type": new}
        # not known: only what both the legacy offers and the new plans accept
        legacy = FREE_TIER["ec2_instance_type"]
        return {**FREE_TIER, "ec2_instance_type": tuple(t for t in legacy if t in new)}

    def rules(self) -> str:
        """One paragraph: the plan and what it means for the labs."""
        since = fact("freetier.plan_change_date")
        months = fact("freetier.free_plan_duration_months")
        credits = "" if self.credits_usd is None else f", {self.credits_usd:.2f} USD of credits left"
        until = f", until {self.expires}" if self.expires else ""
        if self.plan == "FREE":
            return (
                f"Free plan ({self.status.lower()}{credits}{until}): a credit-based plan of an account created on "
                f"or after {since}. Nothing is ever charged: usage spends the credits, only Free Tier eligible "
                f"choices are allowed, and the plan ends after {months} months or when the credits run out; "
                "then the account closes unless you upgrade it to the Paid plan."
            )
        if self.plan == "PAID":
            return (
                f"Paid plan ({self.status.lower()}{credits}{until}): a credit-based plan of an account created on "
                f"or after {since}. Usage spends the credits first, then it is billed to your card."
            )
        return (
            f"Free Tier plan not read ({self.reason}). If the account was created before {since}, the legacy "
            f"12-month offers apply ({fact('freetier.legacy_ec2')} hours a month each of a t2.micro/t3.micro "
            "and a db.t3/db.t4g.micro); if later, look up your plan in the Billing console (Free Tier page)."
        )


def free_tier_plan() -> FreeTierPlan:
    """The account's Free Tier plan, read with ``freetier.get_account_plan_state()`` (us-east-1 only).

    localcloud answers a Free plan, ACTIVE, with its sign-up credits (localcloud/engines/freetier).
    """
    return _free_tier_plan(current().name, current().account)


@cache
def _free_tier_plan(target: str, account: str) -> FreeTierPlan:  # one look-up per account and kernel
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("freetier", region_name="us-east-1")  # the API's only region
    try:
        state = client.get_account_plan_state()
    except ClientError as exc:
        return FreeTierPlan("UNKNOWN", reason=exc.response["Error"]["Code"])
    except BotoCoreError as exc:
        return FreeTierPlan("UNKNOWN", reason=type(exc).__name__)
    credits = state.get("accountPlanRemainingCredits", {}).get("amount")
    expires = state.get("accountPlanExpirationDate")
    return FreeTierPlan(
        state["accountPlanType"],
        state["accountPlanStatus"],
        credits,
        expires.date().isoformat() if expires else None,
    )


def check_free_tier(**choices: str) -> None:
    """Warn when a choice is outside the free tier, e.g. ``check_free_tier(ec2_instance_type="m5.large")``.

    The rules are those of the account's plan (:func:`free_tier_plan`: the credit-based Free or
    Paid plan, or the legacy 12-month offers).  On AWS it also needs ``LAB_ALLOW_COST=yes``:
    leaving the free tier is never silent.
    """
    plan = free_tier_plan()
    for kind, value in choices.items():
        allowed = plan.allowed().get(kind)
        if allowed is None:
            raise ValueError(f"unknown choice {kind!r}; known: {', '.join(FREE_TIER)}")
        if value in allowed:
            continue
        which = {"FREE": "your Free plan", "PAID": "your Paid plan"}.get(plan.plan, "every kind of account")
        msg = (
            f"{kind.replace('_', ' ')} {value!r} is not in the AWS Free Tier of {which} "
            f"({', '.join(allowed)} are); on a real account it is billed per hour"
            + (" (the Free plan refuses it)." if plan.plan == "FREE" else ".")
        )
        if current().name == "aws" and os.environ.get("LAB_ALLOW_COST", "").lower() != "yes":
            raise LabError(msg + " Pick a free-tier choice, or set LAB_ALLOW_COST=yes to accept the cost.")
        warnings.warn(msg, stacklevel=2)


# ---- tags and names ------------------------------------------------------------------------

OWNER_ENV = "LAB_OWNER"  # e.g. your name: on a class's shared AWS account, what is yours
OWNER_TAG = "Owner"
_OWNER_OK = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?")


def owner() -> str | None:
    """``LAB_OWNER`` (lower case letters, digits, inner hyphens; up to 20), or None when unset.

    Set it when several learners share one AWS account: every resource is then tagged
    ``Owner=<you>``, named ``<you>-...`` (:func:`name`), and inventory/teardown see yours only.
    """
    raw = os.environ.get(OWNER_ENV, "").strip()
    if not raw:
        return None
    if not _OWNER_OK.fullmatch(raw):
        raise LabError(
            f"LAB_OWNER={raw!r} cannot start resource names: use 1-20 lower-case letters, digits and "
            f"inner hyphens (e.g. LAB_OWNER=ana-lima), then restart the kernel."
        )
    return raw


def name(base: str) -> str:
    """The name a lab resource gets: ``base`` locally; ``<owner>-<base>`` on AWS when ``LAB_OWNER``
    is set, so learners sharing an account do not take each other's names (introduced in 00)."""
    who = owner()
    if who is None or current().name != "aws":
        return base
    return f"{who}-{base}"


def tag_dict(**extra: str) -> dict[str, str]:
    """The standard lab tags as a dict (Lambda, Glue, Secrets Manager take this form);
    with ``LAB_OWNER`` set they carry ``Owner`` too."""
    tags = {PROJECT_TAG[0]: PROJECT_TAG[1], "Lab": current().lab}
    who = owner()
    if who is not None:
        tags[OWNER_TAG] = who
    tags.update(extra)
    return tags


def is_mine(tags: dict[str, str]) -> bool:
    """Is a resource with these tags one of this learner's lab resources?  ``Project=aws-de-labs``,
    and with ``LAB_OWNER`` set also ``Owner=<LAB_OWNER>`` (another learner's are never touched)."""
    if tags.get(PROJECT_TAG[0]) != PROJECT_TAG[1]:
        return False
    who = owner()
    return who is None or tags.get(OWNER_TAG) == who


class Tag(TypedDict):
    Key: str
    Value: str


def tags(**extra: str) -> list[Tag]:
    """The standard lab tags as ``[{"Key": ..., "Value": ...}]`` (EC2, RDS, S3 take this form)."""
    return [{"Key": k, "Value": v} for k, v in tag_dict(**extra).items()]


def tag_spec(resource_type: str, **extra: str) -> dict[str, Any]:
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


def requirement(name: str, lab: str, description: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    """Register how to (re)create what lab ``lab`` builds, so later labs can run on their own."""

    def register(fn: Callable[[], bool]) -> Callable[[], bool]:
        REQUIREMENTS[name] = Requirement(name, lab, description, fn)
        return fn

    return register


def _load_requirements() -> None:
    """Import ``helpers.requirements`` and every ``helpers.requirements_*`` (each lab's own)."""
    from . import plugins

    plugins.load("requirements")


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


def inventory() -> pd.DataFrame:
    """Every lab-tagged resource on the target, as a table (introduced in 00, used by 99)."""
    from . import resources

    current()
    return resources.as_table(resources.find_all())


def diagram(lab: str | None = None) -> Diagram:
    """A picture of the lab-tagged resources that exist now and how they connect (issue 19).

    ``lab.diagram()`` draws every lab's, ``lab.diagram(lab="02")`` one lab's (helpers/diagram.py).
    """
    from . import diagram as drawing

    return drawing.diagram(lab)


def teardown(lab: str | None = None, dry_run: bool = False) -> list[Resource]:
    """Delete lab-tagged resources (all, or one lab's), in dependency order; idempotent."""
    from . import resources

    current()
    return resources.delete_all(lab=lab, dry_run=dry_run)
