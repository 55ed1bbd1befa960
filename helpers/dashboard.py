"""The lab dashboard: what the labs left on the target, what it costs, and a guarded delete.

Introduced in 00_setup (Step "Your lab dashboard"), used again at the end of 99_cleanup::

    from helpers.dashboard import Dashboard
    Dashboard()

It shows the target, region and (masked) account, every lab-tagged resource that
``helpers.resources`` finds with its state and an estimated hourly cost, a *Refresh*
button, and *Delete* buttons per resource and for all of them.  Deleting is guarded:
the first press only arms the button (it turns red and says what it will delete), the
second press deletes; Refresh disarms.  All controls are plain buttons, so Tab and
Enter/Space work without a mouse.

Saved notebooks and GitHub cannot run widgets: the display also carries a text and an
HTML version of the same table (deterministic, so nbval compares it like any output).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from . import clients, lab, resources
from .show import StaticViews

# Every price comes from the course's register of facts (helpers/facts.toml, read with lab.fact):
# on-demand, us-east-1, before any free tier or credits.  A kind maps to one price, or to a price per
# size (instance type / DB instance class); kinds, sizes or parts the register does not price show
# "—" (unknown), never a guess.  A resource's row adds up what bills with it (its parts): an EC2
# instance's type, public IPv4 address and EBS volumes; an RDS instance's class, storage, public IPv4
# address (PubliclyAccessible) and the master secret RDS manages for it.
_EC2_TYPES = ("t2.micro", "t3.micro", "t3.small", "t4g.micro", "t4g.small")
_RDS_CLASSES = ("db.t3.micro", "db.t4g.micro", "db.t3.small", "db.t4g.small")
# Free while they exist, or billed by use (GB stored, requests, runs) in amounts the labs keep tiny:
_FREE = (
    "ec2 key pair",
    "local key file",
    "ec2 security group",
    "rds db parameter group",
    "athena workgroup",
    "glue database",
    "iam role",
    "iam role (glue crawler)",
    "iam policy",
    "budget",  # budgets that only alert cost nothing
    "s3 bucket",  # per GB-month (s3.standard_storage); the labs store kilobytes
    "glue crawler",  # per DPU-hour while it runs (glue.dpu_hour)
    "glue job",  # per DPU-hour while a run goes; the definition is free
    "lambda function",
    "sns topic",
    "sqs queue",
    "log group",
)


@functools.cache
def _register() -> dict[str, Any]:
    return lab.facts()  # read once per kernel: a new price needs a restart, like any code change


def _fact(key: str) -> float | None:
    """A numeric register value, or None when the register has none ("unknown", or no such fact)."""
    service, name = key.split(".", 1)
    value = _register().get(service, {}).get(name, {}).get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _monthly(key: str) -> float | None:
    """A per-month register price as USD per hour (AWS's 730 hours a month)."""
    price, hours = _fact(key), _fact("meta.hours_per_month")
    return None if price is None or not hours else price / hours


def _register_prices() -> dict[str, float | dict[str, float]]:
    prices: dict[str, float | dict[str, float]] = dict.fromkeys(_FREE, 0.0)
    for kind, sizes, service in (("ec2 instance", _EC2_TYPES, "ec2"), ("rds db instance", _RDS_CLASSES, "rds")):
        known = {size: _fact(f"{service}.{size.replace('.', '_')}") for size in sizes}
        prices[kind] = {size: price for size, price in known.items() if price is not None}
    secret = _monthly("secretsmanager.secret_month")
    if secret is not None:
        prices["secretsmanager secret"] = secret
    backup = _monthly("rds.backup_storage")
    if backup is not None:
        prices["rds db snapshot"] = backup  # per GB beyond the free backup storage (see _snapshot_parts)
    return prices


def _redshift_prices() -> dict[str, float | dict[str, float]]:
    """Redshift's lines, from the facts register (``redshift.*``; none if absent).

    A cluster is priced per node-hour for the one node type the register prices (``ra3.large``,
    see its note); a Serverless workgroup per RPU-hour of query activity at its base capacity.
    """
    facts = _register().get("redshift", {})
    lines: dict[str, float | dict[str, float]] = {}
    node = facts.get("provisioned_example_hourly", {}).get("value")
    if isinstance(node, (int, float)):
        lines["redshift cluster"] = {f"ra3.large × {n}": n * node for n in range(1, 33)}
    rpu = facts.get("serverless_rpu_hour", {}).get("value")
    if isinstance(rpu, (int, float)):
        lines["redshift-serverless workgroup"] = {f"{n} RPU": n * rpu for n in (4, *range(8, 1025, 8))}
    if "managed_storage" in facts:
        lines["redshift-serverless namespace"] = 0.0  # managed storage per GB-month; the labs store megabytes
    return lines


PRICES_USD_PER_HOUR: dict[str, float | dict[str, float]] = {**_register_prices(), **_redshift_prices()}
# Shown as "~0": their price depends on use, which is tiny at the labs' sizes.
USAGE_BILLED = {
    "redshift-serverless namespace",
    "s3 bucket",
    "glue crawler",
    "glue job",
    "lambda function",
    "sns topic",
    "sqs queue",
    "log group",
}
# Billed per second of query activity only (Redshift Serverless): the row shows the hourly rate
# while queries run; the totals count nothing for them (an idle workgroup costs nothing).
ACTIVITY_BILLED = {"redshift-serverless workgroup"}
# States in which a resource's hourly price does not run (its storage and secret still bill).
IDLE_STATES = {"stopped", "stopping", "paused"}
HOURS_PER_MONTH = int(lab.fact("meta.hours_per_month"))


@dataclass
class Part:
    """One thing that bills with a resource: its instance hours, its storage, its public address..."""

    what: str  # "db.t3.micro", "20 GB gp3 storage", "public IPv4", ...
    price: float | None  # USD per hour; None when the register has no price for it
    when_idle: bool = False  # still billed while the resource is stopped (storage, a secret)


@dataclass
class Row:
    resource: resources.Resource
    size: str = ""  # instance type or DB instance class, when the price depends on it
    parts: list[Part] = field(default_factory=list)
    at_most: bool = False  # an upper bound (a snapshot's billed size is not published)

    @property
    def price(self) -> float | None:
        """USD per hour while the resource runs; None when any part is unknown."""
        if not self.parts or any(p.price is None for p in self.parts):
            return None
        return sum(p.price or 0.0 for p in self.parts)

    @property
    def idle_price(self) -> float:
        """USD per hour while it is stopped: what bills anyway (storage, a secret)."""
        return sum(p.price or 0.0 for p in self.parts if p.when_idle)

    @property
    def now(self) -> float:
        """What it costs per hour in its present state (0 when unknown or billed by activity)."""
        if self.price is None or self.resource.kind in ACTIVITY_BILLED:
            return 0.0
        return self.idle_price if self.resource.state in IDLE_STATES else self.price

    @property
    def cost_text(self) -> str:
        if self.price is None:
            return "—"
        if self.resource.kind in USAGE_BILLED:
            return "~0"
        if self.resource.state in IDLE_STATES:
            return f"{self.idle_price:.4f} (stopped)" if self.idle_price else "0 (stopped)"
        if self.resource.kind in ACTIVITY_BILLED:
            return f"{self.price:.4f} while querying"
        text = f"{self.price:.4f}" if self.price else "0"
        return f"≤ {text}" if self.at_most and self.price else text

    @property
    def breakdown(self) -> str:
        """``db.t3.micro 0.0170 + 20 GB gp3 storage 0.0032 + ...`` (empty for a one-part row)."""
        if len(self.parts) < 2:
            return ""
        return " + ".join(f"{p.what} {p.price:.4f}" if p.price is not None else f"{p.what} —" for p in self.parts)


def _storage(service: str, gib: float, kind: str) -> Part:
    """``gib`` GB of ``kind`` (gp3, gp2, ...) storage, per the register (``rds.storage_gp3``, ``ebs.gp3``)."""
    key = f"rds.storage_{kind}" if service == "rds" else f"ebs.{kind}"
    per_gb = _monthly(key)
    return Part(
        f"{gib:g} GB {kind} {'storage' if service == 'rds' else 'volume'}",
        None if per_gb is None else gib * per_gb,
        True,
    )


def _ipv4() -> Part:
    return Part("public IPv4", _fact("ec2.public_ipv4"))


def _ec2_details(ids: list[str]) -> dict[str, tuple[str, list[Part]]]:
    """instance id -> (type, its parts beyond the instance hours): public IPv4, EBS volumes."""

    ec2 = clients.client("ec2")
    found: dict[str, tuple[str, list[Part]]] = {}
    volumes: dict[str, str] = {}  # volume id -> instance id
    for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=ids):
        for res in page["Reservations"]:
            for inst in res["Instances"]:
                extra = [_ipv4()] if inst.get("PublicIpAddress") else []  # released when it stops
                found[inst["InstanceId"]] = (inst["InstanceType"], extra)
                for mapping in inst.get("BlockDeviceMappings", []):
                    if "Ebs" in mapping:
                        volumes[mapping["Ebs"]["VolumeId"]] = inst["InstanceId"]
    if volumes:
        for vpage in ec2.get_paginator("describe_volumes").paginate(VolumeIds=list(volumes)):
            for vol in vpage["Volumes"]:
                found[volumes[vol["VolumeId"]]][1].append(_storage("ebs", vol["Size"], vol["VolumeType"]))
    return found


def _rds_details() -> dict[str, tuple[str, list[Part]]]:
    """DB instance id -> (class, its parts beyond the instance hours), and the free backup storage."""

    found: dict[str, tuple[str, list[Part]]] = {}
    for page in clients.client("rds").get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            kind = db.get("StorageType") or str(lab.fact("rds.default_storage_type"))
            extra = [_storage("rds", db["AllocatedStorage"], kind)]
            if db.get("PubliclyAccessible"):
                extra.append(_ipv4())
            if db.get("MasterUserSecret"):  # RDS-managed: billed like any secret, listed with its instance
                extra.append(Part("managed secret", _monthly("secretsmanager.secret_month"), True))
            found[db["DBInstanceIdentifier"]] = (db["DBInstanceClass"], extra)
    return found


def _free_backup_gib() -> float:
    """RDS's free backup storage: as much as the provisioned storage of the region's DB instances."""

    pages = clients.client("rds").get_paginator("describe_db_instances").paginate()
    return float(sum(db["AllocatedStorage"] for page in pages for db in page["DBInstances"]))


def _snapshot_sizes(ids: list[str]) -> dict[str, float]:

    sizes: dict[str, float] = {}
    for page in clients.client("rds").get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
        for snap in page["DBSnapshots"]:
            if snap["DBSnapshotIdentifier"] in ids:
                sizes[snap["DBSnapshotIdentifier"]] = float(snap.get("AllocatedStorage") or 0)
    return sizes


def _sizes(found: list[resources.Resource]) -> dict[tuple[str, str], tuple[str, list[Part]]]:
    """(kind, id) -> (instance type / DB class / ..., the parts that bill besides the size's own
    price), one describe call per kind that needs it."""

    sizes: dict[tuple[str, str], tuple[str, list[Part]]] = {}
    ec2_ids = [r.id for r in found if r.kind == "ec2 instance"]
    if ec2_ids:
        sizes.update({("ec2 instance", iid): d for iid, d in _ec2_details(ec2_ids).items()})
    if any(r.kind == "rds db instance" for r in found):
        sizes.update({("rds db instance", ident): d for ident, d in _rds_details().items()})
    if any(r.kind == "redshift cluster" for r in found):
        for cpage in clients.client("redshift").get_paginator("describe_clusters").paginate():
            for c in cpage["Clusters"]:
                sizes[("redshift cluster", c["ClusterIdentifier"])] = (f"{c['NodeType']} × {c['NumberOfNodes']}", [])
    if any(r.kind == "redshift-serverless workgroup" for r in found):
        for wpage in clients.client("redshift-serverless").get_paginator("list_workgroups").paginate():
            for wg in wpage["workgroups"]:
                sizes[("redshift-serverless workgroup", wg["workgroupName"])] = (
                    f"{wg.get('baseCapacity', 128)} RPU",
                    [],
                )
    return sizes


def _snapshot_parts(found: list[resources.Resource], per_gb_hour: float | None) -> dict[str, Part]:
    """Each manual DB snapshot's share of the backup storage beyond the free allowance.  Its size
    here is the instance's allocated storage: an upper bound (RDS bills the data the snapshot holds)."""
    ids = [r.id for r in found if r.kind == "rds db snapshot"]
    if not ids:
        return {}
    free, parts = _free_backup_gib(), {}
    for sid, gib in _snapshot_sizes(ids).items():
        billed = max(0.0, gib - free)
        free = max(0.0, free - gib)
        price = None if per_gb_hour is None else billed * per_gb_hour
        parts[sid] = Part(f"{billed:g} GB beyond the free backup storage", price, True)
    return parts


def estimate(found: list[resources.Resource], prices: dict[str, float | dict[str, float]] | None = None) -> list[Row]:
    """One :class:`Row` per resource with its size and what bills with it, per hour."""
    prices = PRICES_USD_PER_HOUR if prices is None else prices
    sizes = _sizes(found)
    snapshot_rate = prices.get("rds db snapshot")
    snapshots = _snapshot_parts(found, snapshot_rate if isinstance(snapshot_rate, float) else None)
    rows = []
    for r in found:
        if r.kind == "rds db snapshot":
            part = snapshots.get(r.id, Part("snapshot", None))
            rows.append(Row(r, "", [part], at_most=True))
            continue
        size, extra = sizes.get((r.kind, r.id), ("", []))
        entry = prices.get(r.kind)
        price = entry.get(size) if isinstance(entry, dict) else entry
        rows.append(Row(r, size, [Part(size or r.kind, price), *extra]))
    return rows


def _running_price(row: Row) -> float:
    return row.now


COLUMNS = ("kind", "name", "lab", "state", "size", "est. $/hour")


def _cells(row: Row) -> tuple[str, ...]:
    r = row.resource
    return (r.kind, r.name or r.id, r.lab or "?", r.state or "-", row.size or "-", row.cost_text)


class Dashboard(StaticViews, widgets.VBox):
    """Target, lab-tagged resources with estimated cost, Refresh and guarded Delete buttons."""

    def __init__(self, lab_id: str | None = None, prices: dict[str, float | dict[str, float]] | None = None) -> None:
        super().__init__()
        self.add_class("lab-dashboard")
        self.target = lab.current()  # raises a clear LabError before lab.start()
        self.lab_id = lab_id
        self.prices = prices
        self.rows: list[Row] = []
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(
            description="Refresh",
            icon="refresh",
            tooltip="Look up the lab-tagged resources again (also cancels an armed Delete)",
        )
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.delete_all_button = widgets.Button(
            description="Delete all…",
            button_style="warning",
            tooltip="Delete every resource listed here: press once to arm, press again to delete",
        )
        self.delete_all_button.on_click(lambda b: self._guarded(b, "all listed resources", self._delete_all))
        self.delete_buttons: list[widgets.Button] = []
        self._armed: widgets.Button | None = None
        self.refresh()

    # ---- data ------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._disarm()
        self.message.value = ""
        self.rows = estimate(resources.find_all(self.lab_id), self.prices)
        self._render()

    @property
    def total_per_hour(self) -> float:
        return sum(_running_price(row) for row in self.rows)

    def _where(self) -> str:
        t = self.target
        where = "localcloud, offline" if t.name == "local" else "your real AWS account"
        return f"target {t.name} ({where}) · region {t.region} · account {t.masked_account}"

    def _total_text(self) -> str:
        unknown = sum(1 for row in self.rows if row.price is None)
        text = (
            f"Estimated total: ${self.total_per_hour:.4f}/hour "
            f"(≈ ${self.total_per_hour * HOURS_PER_MONTH:.2f}/month) while these exist"
        )
        if unknown:
            text += f", plus {unknown} resource(s) of unknown price"
        return text + "."

    _NOTE = "us-east-1 on-demand prices, free tier not deducted; see helpers/dashboard.py."

    def as_text(self) -> str:
        """The dashboard as plain text: what nbval compares and GitHub shows."""
        lines = [f"Lab dashboard · {self._where()}"]
        if not self.rows:
            lines.append("Nothing tagged Project=aws-de-labs is left.")
            return "\n".join(lines)
        table = [COLUMNS] + [_cells(row) for row in self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
        lines += [
            self._total_text(),
            f"({self._NOTE})",
            "In a live notebook: Refresh, and Delete per resource or for all (press twice).",
        ]
        return "\n".join(lines)

    def as_html(self) -> str:
        """A static HTML table (rendered by nbconvert / `make html` and notebook viewers)."""
        e = html.escape
        parts = [f'<div class="lab-dashboard-static"><p><strong>Lab dashboard</strong> · {e(self._where())}</p>']
        if not self.rows:
            parts.append("<p>Nothing tagged Project=aws-de-labs is left.</p></div>")
            return "".join(parts)
        left = 'style="text-align:left"'  # notebook CSS right-aligns table cells
        parts.append(
            "<table><thead><tr>" + "".join(f"<th {left}>{e(c)}</th>" for c in COLUMNS) + "</tr></thead><tbody>"
        )
        for row in self.rows:
            parts.append("<tr>" + "".join(f"<td {left}>{e(c)}</td>" for c in _cells(row)) + "</tr>")
        parts.append(f"</tbody></table><p>{e(self._total_text())} <small>({e(self._NOTE)})</small></p></div>")
        return "".join(parts)

    # ---- the widget ------------------------------------------------------------------------

    def _render(self) -> None:
        header = widgets.HTML(f"<strong>Lab dashboard</strong> · {html.escape(self._where())}")
        self.delete_buttons = []
        if not self.rows:
            body = [widgets.HTML("Nothing tagged <code>Project=aws-de-labs</code> is left.")]
        else:
            cells = [widgets.HTML(f"<strong>{html.escape(c)}</strong>") for c in COLUMNS] + [widgets.HTML("")]
            for row in self.rows:
                cells += [widgets.HTML(html.escape(c)) for c in _cells(row)]
                label = f"{row.resource.kind} {row.resource.name or row.resource.id}"
                button = widgets.Button(
                    description="Delete",
                    button_style="",
                    tooltip=f"Delete {label}: press once to arm, press again to delete",
                    layout=widgets.Layout(width="auto"),
                )
                button.on_click(lambda b, row=row, label=label: self._guarded(b, label, lambda: self._delete([row])))
                self.delete_buttons.append(button)
                cells.append(button)
            grid = widgets.GridBox(
                cells,
                layout=widgets.Layout(
                    grid_template_columns=f"repeat({len(COLUMNS) + 1}, auto)", grid_gap="2px 16px", align_items="center"
                ),
            )
            total = f"{html.escape(self._total_text())} <small>({html.escape(self._NOTE)})</small>"
            body = [grid, widgets.HTML(total)]
        self.delete_all_button.disabled = not self.rows
        self.children = [header, *body, widgets.HBox([self.refresh_button, self.delete_all_button]), self.message]

    # ---- guarded delete: first press arms, second press deletes --------------------------------

    def _guarded(self, button: widgets.Button, label: str, action: Callable[[], None]) -> None:
        if self._armed is button:
            self._disarm()
            action()
            return
        self._disarm()
        self._armed = button
        button._unarmed = (button.description, button.button_style, button.tooltip)
        button.description = "Confirm delete"
        button.button_style = "danger"
        button.tooltip = f"Press again to delete {label}; Refresh cancels"
        self.message.value = f"Press <em>Confirm delete</em> again to delete {html.escape(label)}."

    def _disarm(self) -> None:
        b, self._armed = self._armed, None
        if b is not None and hasattr(b, "_unarmed"):
            b.description, b.button_style, b.tooltip = b._unarmed

    def _delete(self, rows: list[Row]) -> None:
        done, failed = [], []
        for row in rows:
            r = row.resource
            try:
                r.delete()
                done.append(f"{r.kind} {r.name or r.id}")
            except Exception as exc:  # show it in the widget; the learner can fix and retry
                failed.append(f"{r.kind} {r.name or r.id}: {exc}")
        self.refresh()
        text = [f"deleted {html.escape(d)}" for d in done] + [f"could not delete {html.escape(f)}" for f in failed]
        self.message.value = "<br>".join(text)

    def _delete_all(self) -> None:
        self._delete(list(self.rows))  # collectors' order: instances before their security groups


def reminder(lab_id: str, kept_for: str = "") -> None:
    """The last code cell of every lab: what this lab leaves running and what it costs.

    ``kept_for`` says which later lab uses what is left (e.g. ``"lab 03"``).
    """
    rows = estimate(resources.find_all(lab_id))
    if not rows:
        print(f"Lab {lab_id} leaves nothing running: nothing to pay for, nothing to clean up.")
        return
    per_hour = sum(_running_price(row) for row in rows)
    print(
        f"Lab {lab_id} leaves {len(rows)} resource(s), ≈ ${per_hour:.4f}/hour "
        f"(≈ ${per_hour * HOURS_PER_MONTH:.2f}/month) on AWS while they exist:"
    )
    for row in rows:
        r = row.resource
        size = f" ({row.size})" if row.size else ""
        parts = f" = {row.breakdown}" if row.breakdown and r.state not in IDLE_STATES else ""
        print(f"  - {r.kind} {r.name or r.id}{size}: {row.cost_text} $/hour{parts}")
    why = f"They are kept for {kept_for}. " if kept_for else ""
    print(f'{why}If you stop here: lab.teardown(lab="{lab_id}"), or run 99_cleanup.')
