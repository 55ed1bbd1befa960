"""The console's Athena *Query editor*, in the notebook (introduced in 04; usable in any lab).

::

    from helpers.athena_editor import QueryEditor

    editor = QueryEditor(athena, workgroup="lab04-sales", database="sales_db",
                         sql="SELECT count(*) FROM sales_partitioned WHERE country = 'France'")
    editor.run()          # or press Run; editor.run("SELECT ...") runs other SQL
    editor                # the widget, as a cell's last expression

Underneath are the plain boto3 calls lab 04 writes out: ``start_query_execution`` with the
workgroup, database and output location you pass; a bounded wait with progress
(:func:`helpers.athena.wait_for_query`); ``get_query_results`` through its paginator (the
first ``max_rows`` rows).  The widget shows the state, run time, ``DataScannedInBytes`` and
the cost ($5 per TB, at least 10 MB per query), the rows, and Athena's reason when a query
FAILED.  A request Athena refuses (no result location, an unknown workgroup) shows the same way.

Saved notebooks and GitHub show a text and an HTML version: the SQL, state, bytes scanned,
cost and rows — deterministic, so nbval compares them.  Run time and query id change on
every run: only the live widget shows them.  The controls are a text area and a button, so
the keyboard alone works (Tab to *Run*, Enter).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd
from botocore.exceptions import ClientError

from . import athena as ath_help
from .wait import WaitTimeout

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import StartQueryExecutionInputTypeDef

NOT_STARTED = "NOT STARTED"  # Athena refused the request: there is no query execution
NO_LOCATION_HINT = (
    "Give the editor output_location='s3://BUCKET/PREFIX/', or a workgroup "
    "whose configuration has a query result location."
)


@dataclass
class QueryRun:
    """What one run of the editor produced (``QueryEditor.last``)."""

    sql: str
    state: str  # SUCCEEDED, FAILED, CANCELLED, or NOT STARTED (the request was refused)
    reason: str = ""  # StateChangeReason of a FAILED query, or why the request was refused
    query_id: str = ""
    scanned: int | None = None  # Statistics.DataScannedInBytes
    run_ms: int | None = None  # Statistics.TotalExecutionTimeInMillis (live widget only)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    more: bool = False  # the result has more rows than the editor fetched

    @property
    def ok(self) -> bool:
        return self.state == "SUCCEEDED"

    @property
    def dollars(self) -> float | None:
        return None if self.scanned is None else ath_help.dollars(self.scanned)

    def cost_text(self) -> str:
        """'$0.000048 (billed 10 MB minimum, $5 per TB)'."""
        if self.scanned is None:
            return "-"
        billed = ath_help.billed_bytes(self.scanned)
        note = "10 MB minimum" if billed > self.scanned else f"{billed:,} bytes"
        return f"${self.dollars:.6f} (billed {note}, ${ath_help.PRICE_PER_TB:g} per TB)"

    def frame(self, null: str | None = None) -> pd.DataFrame:
        """The fetched rows as strings (Athena returns every value as text); NULL as ``null``."""
        df = pd.DataFrame(self.rows, columns=self.columns, dtype=object)
        return df if null is None else df.fillna(null)


def _rows(athena: AthenaClient, query_id: str, limit: int) -> tuple[list[str], list[list[str | None]], bool]:
    """Column names and the first ``limit`` rows, paging through get_query_results."""
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"MaxItems": limit + 2, "PageSize": min(limit + 2, 1000)}
    )
    columns: list[str] = []
    rows: list[list[str | None]] = []
    for page in pages:
        columns = columns or [c["Label"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    if rows and rows[0] == columns:  # a SELECT's first row repeats the column names; DDL has none
        rows = rows[1:]
    return columns, rows[:limit], len(rows) > limit


class QueryEditor(widgets.VBox):
    """SQL box, Run button, state / run time / bytes / cost, result table, error text."""

    def __init__(
        self,
        athena: AthenaClient | None = None,
        *,
        sql: str = "",
        workgroup: str | None = None,
        database: str | None = None,
        output_location: str | None = None,
        max_rows: int = 20,
    ) -> None:
        super().__init__()
        if athena is None:
            import boto3

            athena = boto3.client("athena")
        self.athena = athena
        self.workgroup, self.database, self.output_location = workgroup, database, output_location
        self.max_rows = max_rows
        self.last: QueryRun | None = None
        self.add_class("athena-editor")

        self.sql_box = widgets.Textarea(
            value=sql, placeholder="SELECT ...", description="SQL", layout=widgets.Layout(width="100%", height="7em")
        )
        self.run_button = widgets.Button(
            description="Run",
            icon="play",
            button_style="primary",
            tooltip="Run the SQL with start_query_execution, wait for it, show the first rows (Tab here, Enter)",
        )
        self.run_button.on_click(lambda _b: self._run_from_button())
        help_text = widgets.HTML(
            f"{html.escape(self._where())} · type SQL, then <kbd>Tab</kbd> to <em>Run</em> and press <kbd>Enter</kbd>"
        )
        self.status = widgets.HTML()
        self.progress = widgets.Output()  # the wait's progress bar when Run is pressed
        self.error = widgets.HTML()
        self.result = widgets.HTML()
        self.children = [
            help_text,
            self.sql_box,
            widgets.HBox([self.run_button, self.status]),
            self.progress,
            self.error,
            self.result,
        ]
        self._render()

    # ---- running -----------------------------------------------------------------------

    def run(self, sql: str | None = None) -> QueryRun:
        """Run ``sql`` (or the SQL in the box) and show the outcome; never raises for Athena's answers."""
        if sql is not None:
            self.sql_box.value = sql
        self.run_button.disabled = True
        try:
            self.last = self._execute(self.sql_box.value.strip())
        finally:
            self.run_button.disabled = False
        self._render()
        return self.last

    def _run_from_button(self) -> None:
        self.progress.clear_output()
        with self.progress:  # in a button callback, prints would otherwise go to the log only
            self.run()

    def _execute(self, sql: str) -> QueryRun:
        if not sql:
            return QueryRun(sql, NOT_STARTED, "Type a query first.")
        request: StartQueryExecutionInputTypeDef = {"QueryString": sql}
        if self.workgroup:
            request["WorkGroup"] = self.workgroup
        if self.database:
            request["QueryExecutionContext"] = {"Database": self.database}
        if self.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.output_location}
        try:
            query_id = self.athena.start_query_execution(**request)["QueryExecutionId"]
        except ClientError as exc:
            err = exc.response["Error"]
            reason = f"{err.get('Code')}: {err.get('Message')}"
            if "output location" in reason.lower():
                reason += " " + NO_LOCATION_HINT
            return QueryRun(sql, NOT_STARTED, reason)
        try:
            execution = ath_help.wait_for_query(self.athena, query_id)
        except WaitTimeout as exc:  # do not leave it running (and billing) behind the learner's back
            self.athena.stop_query_execution(QueryExecutionId=query_id)
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            execution["Status"].setdefault("StateChangeReason", f"{exc}; the editor stopped the query")
        status, stats = execution["Status"], execution.get("Statistics", {})
        run = QueryRun(
            sql,
            status["State"],
            status.get("StateChangeReason", ""),
            query_id,
            stats.get("DataScannedInBytes"),
            stats.get("TotalExecutionTimeInMillis"),
        )
        if run.ok:
            run.columns, run.rows, run.more = _rows(self.athena, query_id, self.max_rows)
        return run

    # ---- showing -----------------------------------------------------------------------

    def _where(self) -> str:
        parts = [f"workgroup {self.workgroup or 'primary (default)'}", f"database {self.database or 'default'}"]
        if self.output_location:
            parts.append(f"results to {self.output_location}")
        return "Athena query editor · " + " · ".join(parts)

    def _lines(self) -> list[tuple[str, str]]:
        """(label, value) lines shared by the text and HTML versions: deterministic only."""
        run = self.last
        if run is None:
            return [("State", "not run yet (press Run)")]
        lines = [("State", run.state)]
        if run.scanned is not None:
            lines += [("Data scanned", f"{run.scanned:,} bytes"), ("Cost", run.cost_text())]
        if run.reason:
            lines.append(("Error" if run.state != "SUCCEEDED" else "Note", run.reason))
        if run.ok:
            shown = f"first {len(run.rows)} rows (more in the result file)" if run.more else f"{len(run.rows)} row(s)"
            lines.append(("Result", shown))
        return lines

    def as_text(self) -> str:
        sql = self.last.sql if self.last else self.sql_box.value.strip()
        out = [self._where(), "SQL:", *[f"  {line}" for line in (sql or "(empty)").splitlines()]]
        out += [f"{label}: {value}" for label, value in self._lines()]
        if self.last and self.last.ok and self.last.columns:
            out.append(self.last.frame("NULL").to_string(index=False))
        return "\n".join(out)

    def as_html(self) -> str:
        e = html.escape
        sql = self.last.sql if self.last else self.sql_box.value.strip()
        parts = [f'<div class="athena-editor-static"><p>{e(self._where())}</p><pre>{e(sql)}</pre><ul>']
        parts += [f"<li><strong>{e(label)}:</strong> {e(value)}</li>" for label, value in self._lines()]
        parts.append("</ul>")
        if self.last and self.last.ok and self.last.columns:
            parts.append(self.last.frame("NULL").to_html(index=False, border=0))
        parts.append("</div>")
        return "".join(parts)

    def _render(self) -> None:
        run = self.last
        if run is None:
            self.status.value = "not run yet"
            self.error.value = self.result.value = ""
            return
        bits = [f"<strong>{html.escape(run.state)}</strong>"]
        if run.run_ms is not None:
            bits.append(f"run time {run.run_ms / 1000:.2f} s")
        if run.scanned is not None:
            bits += [f"{run.scanned:,} bytes scanned", html.escape(run.cost_text())]
        if run.query_id:
            bits.append(f"query id {html.escape(run.query_id)}")
        self.status.value = " · ".join(bits)
        self.error.value = (
            f'<div class="athena-editor-error" style="color: #b00020">{html.escape(run.reason)}</div>'
            if run.reason and not run.ok
            else ""
        )
        if run.ok and run.columns:
            more = "<p>First rows only: the whole result is in the result file.</p>" if run.more else ""
            self.result.value = run.frame("NULL").to_html(index=False, border=0) + more
        else:
            self.result.value = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.as_text()
        data["text/html"] = self.as_html()
        return data
