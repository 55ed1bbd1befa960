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

import html
from dataclasses import dataclass

import ipywidgets as widgets

from . import lab, resources

# Estimated on-demand prices in USD per hour, us-east-1 (EC2: Linux; RDS: MySQL Single-AZ),
# from AWS's public pricing pages as of 2025; the free tier is NOT deducted (a new account
# pays nothing for 750 h/month of t2/t3.micro and db.t3/t4g.micro for 12 months).
# A kind maps to one price, or to a price per size (instance type / DB instance class).
# Kinds or sizes missing here show "—" (unknown), never a guess.
PRICES_USD_PER_HOUR: dict[str, float | dict[str, float]] = {
    "ec2 instance": {"t2.micro": 0.0116, "t3.micro": 0.0104, "t3.small": 0.0208,
                     "t4g.micro": 0.0084, "t4g.small": 0.0168},
    "rds db instance": {"db.t3.micro": 0.017, "db.t4g.micro": 0.016, "db.t3.small": 0.034,
                        "db.t4g.small": 0.032},
    "secretsmanager secret": 0.40 / 730,  # $0.40 per secret-month
    # Free while they exist:
    "ec2 key pair": 0.0, "local key file": 0.0, "ec2 security group": 0.0,
    "rds db parameter group": 0.0, "athena workgroup": 0.0, "glue database": 0.0,
    "iam role": 0.0, "iam role (glue crawler)": 0.0, "iam policy": 0.0,
    "budget": 0.0,  # budgets that only alert cost nothing
    # Billed by use (GB stored, requests, crawler runs), not by the hour (USAGE_BILLED):
    "s3 bucket": 0.0,  # $0.023 per GB-month; the labs store kilobytes
    "rds db snapshot": 0.0,  # $0.095 per GB-month beyond the free backup storage
    "glue crawler": 0.0,  # $0.44 per DPU-hour while it runs, 10-minute minimum
    "lambda function": 0.0, "sns topic": 0.0, "sqs queue": 0.0, "log group": 0.0,
}
# Shown as "~0": their price depends on use, which is tiny at the labs' sizes.
USAGE_BILLED = {"s3 bucket", "rds db snapshot", "glue crawler", "lambda function", "sns topic",
                "sqs queue", "log group"}
# States in which a resource's hourly price does not run (storage may still bill).
IDLE_STATES = {"stopped", "stopping"}
HOURS_PER_MONTH = 730


@dataclass
class Row:
    resource: resources.Resource
    size: str = ""  # instance type or DB instance class, when the price depends on it
    price: float | None = None  # USD per hour; None when unknown

    @property
    def cost_text(self) -> str:
        if self.price is None:
            return "—"
        if self.resource.kind in USAGE_BILLED:
            return "~0"
        if self.resource.state in IDLE_STATES:
            return "0 (stopped)"
        return f"{self.price:.4f}" if self.price else "0"


def _sizes(found: list[resources.Resource]) -> dict[tuple[str, str], str]:
    """(kind, id) -> instance type / DB class, one describe call per kind that needs it."""
    import boto3

    sizes = {}
    ec2_ids = [r.id for r in found if r.kind == "ec2 instance"]
    if ec2_ids:
        for page in boto3.client("ec2").get_paginator("describe_instances").paginate(InstanceIds=ec2_ids):
            for res in page["Reservations"]:
                for inst in res["Instances"]:
                    sizes[("ec2 instance", inst["InstanceId"])] = inst["InstanceType"]
    if any(r.kind == "rds db instance" for r in found):
        for page in boto3.client("rds").get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                sizes[("rds db instance", db["DBInstanceIdentifier"])] = db["DBInstanceClass"]
    return sizes


def estimate(found: list[resources.Resource], prices: dict | None = None) -> list[Row]:
    """One :class:`Row` per resource with its size and estimated hourly price."""
    prices = PRICES_USD_PER_HOUR if prices is None else prices
    sizes = _sizes(found)
    rows = []
    for r in found:
        size = sizes.get((r.kind, r.id), "")
        entry = prices.get(r.kind)
        price = entry.get(size) if isinstance(entry, dict) else entry
        rows.append(Row(r, size, price))
    return rows


def _running_price(row: Row) -> float:
    return 0.0 if row.price is None or row.resource.state in IDLE_STATES else row.price


COLUMNS = ("kind", "name", "lab", "state", "size", "est. $/hour")


def _cells(row: Row) -> tuple[str, ...]:
    r = row.resource
    return (r.kind, r.name or r.id, r.lab or "?", r.state or "-", row.size or "-", row.cost_text)


class Dashboard(widgets.VBox):
    """Target, lab-tagged resources with estimated cost, Refresh and guarded Delete buttons."""

    def __init__(self, lab_id: str | None = None, prices: dict | None = None) -> None:
        super().__init__()
        self.add_class("lab-dashboard")
        self.target = lab.current()  # raises a clear LabError before lab.start()
        self.lab_id = lab_id
        self.prices = prices
        self.rows: list[Row] = []
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(
            description="Refresh", icon="refresh",
            tooltip="Look up the lab-tagged resources again (also cancels an armed Delete)")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.delete_all_button = widgets.Button(
            description="Delete all…", button_style="warning",
            tooltip="Delete every resource listed here: press once to arm, press again to delete")
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
        text = (f"Estimated total: ${self.total_per_hour:.4f}/hour "
                f"(≈ ${self.total_per_hour * HOURS_PER_MONTH:.2f}/month) while these exist")
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
        lines += [self._total_text(), f"({self._NOTE})",
                  "In a live notebook: Refresh, and Delete per resource or for all (press twice)."]
        return "\n".join(lines)

    def as_html(self) -> str:
        """A static HTML table (rendered by nbconvert / `make html` and notebook viewers)."""
        e = html.escape
        parts = [f'<div class="lab-dashboard-static"><p><strong>Lab dashboard</strong> · {e(self._where())}</p>']
        if not self.rows:
            parts.append("<p>Nothing tagged Project=aws-de-labs is left.</p></div>")
            return "".join(parts)
        left = 'style="text-align:left"'  # notebook CSS right-aligns table cells
        parts.append("<table><thead><tr>" + "".join(f"<th {left}>{e(c)}</th>" for c in COLUMNS)
                     + "</tr></thead><tbody>")
        for row in self.rows:
            parts.append("<tr>" + "".join(f"<td {left}>{e(c)}</td>" for c in _cells(row)) + "</tr>")
        parts.append(f"</tbody></table><p>{e(self._total_text())} <small>({e(self._NOTE)})</small></p></div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.as_text()
        data["text/html"] = self.as_html()
        return data

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
                button = widgets.Button(description="Delete", button_style="",
                                        tooltip=f"Delete {label}: press once to arm, press again to delete",
                                        layout=widgets.Layout(width="auto"))
                button.on_click(lambda b, row=row, label=label: self._guarded(b, label, lambda: self._delete([row])))
                self.delete_buttons.append(button)
                cells.append(button)
            grid = widgets.GridBox(cells, layout=widgets.Layout(
                grid_template_columns=f"repeat({len(COLUMNS) + 1}, auto)", grid_gap="2px 16px",
                align_items="center"))
            total = f"{html.escape(self._total_text())} <small>({html.escape(self._NOTE)})</small>"
            body = [grid, widgets.HTML(total)]
        self.delete_all_button.disabled = not self.rows
        self.children = [header, *body, widgets.HBox([self.refresh_button, self.delete_all_button]), self.message]

    # ---- guarded delete: first press arms, second press deletes --------------------------------

    def _guarded(self, button: widgets.Button, label: str, action) -> None:
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
    print(f"Lab {lab_id} leaves {len(rows)} resource(s), ≈ ${per_hour:.4f}/hour "
          f"(≈ ${per_hour * HOURS_PER_MONTH:.2f}/month) on AWS while they exist:")
    for row in rows:
        r = row.resource
        size = f" ({row.size})" if row.size else ""
        print(f"  - {r.kind} {r.name or r.id}{size}: {row.cost_text} $/hour")
    why = f"They are kept for {kept_for}. " if kept_for else ""
    print(f'{why}If you stop here: lab.teardown(lab="{lab_id}"), or run 99_cleanup.')
