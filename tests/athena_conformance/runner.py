"""Athena conformance suite: run the documented cases through boto3 and compare exactly.

The cases (``cases/*.yaml``) state what Athena engine version 3 answers, each with the Trino or
Athena documentation it comes from; ``fixtures.yaml`` describes the tables they read. This module
loads both, creates the fixtures (S3 objects + Athena DDL), runs every case through the boto3
``athena`` client (SQL through StartQueryExecution / GetQueryExecution / GetQueryResults, metadata
calls through their own boto3 methods) and compares types, result strings and error codes exactly.

Library use (what ``tests/test_athena_conformance.py`` will do)::

    from athena_conformance.runner import load_suite, run_suite
    report = run_suite(load_suite())        # against whatever boto3 currently points at
    assert not report.failures, report.text()

Command line (starts its own private localcloud, never the learner's)::

    .venv/bin/python tests/athena_conformance/runner.py             # everything
    .venv/bin/python tests/athena_conformance/runner.py --area strings --case strings.substr_zero
    .venv/bin/python tests/athena_conformance/runner.py --use-env   # current AWS_* environment

Case ids listed in ``not_supported.yaml`` pass only when the engine refuses them with
``NOT_SUPPORTED`` (a deliberate, named refusal); any other answer fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import sys
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import boto3
import yaml
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES_DIR = HERE / "cases"
FIXTURES_FILE = HERE / "fixtures.yaml"
NOT_SUPPORTED_FILE = HERE / "not_supported.yaml"

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
QUERY_TIMEOUT_S = 120
# Statements whose GetQueryResults repeats the column names as the first row (Athena's DML
# results do; DDL/utility text results do not -- see the README's rendering rules).
HEADER_STATEMENTS = ("SELECT", "WITH", "VALUES", "TABLE", "EXECUTE", "(")
STEP_KEYS = {
    "sql",
    "api",
    "params",
    "execution_parameters",
    "workgroup",
    "columns",
    "rows",
    "rows_tokens",
    "ordered",
    "header",
    "strip",
    "update_count",
    "statement_type",
    "error",
    "api_error",
    "response",
    "save",
    "s3_objects",
    "succeeds",
}
CASE_KEYS = STEP_KEYS | {"id", "steps", "source", "note", "render", "tables", "files", "cleanup", "also_source"}


# ---- the suite on disk ---------------------------------------------------------------------------


@dataclass
class Step:
    spec: dict

    @property
    def sql(self) -> str | None:
        return self.spec.get("sql")

    @property
    def api(self) -> str | None:
        return self.spec.get("api")

    def expects_something(self) -> bool:
        return any(k in self.spec for k in STEP_KEYS - {"sql", "api", "params", "execution_parameters", "workgroup"})


@dataclass
class Case:
    id: str
    area: str
    steps: list[Step]
    source: str
    note: str = ""
    tables: list[str] = field(default_factory=list)
    files: dict = field(default_factory=dict)
    cleanup: list[str] = field(default_factory=list)

    def describe(self) -> str:
        last = self.steps[-1]
        return last.sql or f"athena.{last.api}({json.dumps(last.spec.get('params', {}), default=str)})"


@dataclass
class Suite:
    fixtures: dict
    cases: list[Case]
    not_supported: set[str]
    areas: dict[str, str]  # area -> title


class SuiteError(ValueError):
    """A malformed case file: the suite refuses to run rather than guess."""


def _load_yaml(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_suite(cases_dir: Path = CASES_DIR, fixtures: Path = FIXTURES_FILE, allow: Path = NOT_SUPPORTED_FILE) -> Suite:
    """Read and validate every case file; every case needs an id, a source URL and something to check."""
    cases: list[Case] = []
    areas: dict[str, str] = {}
    seen: set[str] = set()
    for path in sorted(cases_dir.glob("*.yaml")):
        doc = _load_yaml(path) or {}
        area = doc.get("area") or path.stem
        areas[area] = doc.get("title", area)
        for raw in doc.get("cases") or []:
            unknown = set(raw) - CASE_KEYS
            cid = raw.get("id")
            if not cid or unknown:
                raise SuiteError(f"{path.name}: case {cid!r} has no id or unknown keys {sorted(unknown)}")
            if cid in seen:
                raise SuiteError(f"{path.name}: duplicate case id {cid}")
            seen.add(cid)
            source = raw.get("source", "")
            if not str(source).startswith("https://"):
                raise SuiteError(f"{cid}: every case needs a source URL (https://...)")
            if "steps" in raw:
                steps = [Step(dict(s)) for s in raw["steps"]]
                bad = [k for s in steps for k in s.spec if k not in STEP_KEYS]
                if bad:
                    raise SuiteError(f"{cid}: unknown step keys {bad}")
            else:
                steps = [Step({k: v for k, v in raw.items() if k in STEP_KEYS})]
            if not steps[-1].expects_something():
                raise SuiteError(f"{cid}: the last step states no expectation")
            for s in steps:
                if bool(s.sql) == bool(s.api):
                    raise SuiteError(f"{cid}: each step has exactly one of sql / api")
                for col in s.spec.get("columns") or []:
                    if isinstance(col, str) and (" " not in col or col.count("(") != col.count(")")):
                        # an unquoted 'x decimal(10,2)' in a YAML flow list splits at the comma
                        raise SuiteError(f"{cid}: malformed column spec {col!r} (quote decimal types)")
                for row in s.spec.get("rows") or []:
                    if not all(v is None or isinstance(v, str) for v in row):
                        # YAML would turn 3.50 into 3.5 and true into True: result strings are quoted
                        raise SuiteError(f"{cid}: row values must be quoted strings or null, got {row!r}")
            cases.append(
                Case(
                    id=cid,
                    area=area,
                    steps=steps,
                    source=source,
                    note=raw.get("note", ""),
                    tables=list(raw.get("tables") or []),
                    files=dict(raw.get("files") or {}),
                    cleanup=list(raw.get("cleanup") or []),
                )
            )
    allowed = _load_yaml(allow) if allow.exists() else None
    ids = {a["id"] if isinstance(a, dict) else a for a in (allowed or [])}
    unknown_ids = ids - seen
    if unknown_ids:
        raise SuiteError(f"not_supported.yaml names unknown case ids: {sorted(unknown_ids)}")
    return Suite(fixtures=_load_yaml(fixtures), cases=cases, not_supported=ids, areas=areas)


# ---- talking to Athena ---------------------------------------------------------------------------


@dataclass
class Answer:
    """What a client sees for one statement or API call."""

    state: str = ""  # SUCCEEDED / FAILED / CANCELLED, or API / API_ERROR for metadata calls
    reason: str | None = None  # StateChangeReason, or the ClientError message
    error_code: str | None = None  # token before the first ':' of the reason, or ClientError code
    columns: list[dict] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)  # every row, header included
    update_count: int | None = None
    statement_type: str | None = None
    response: dict | None = None

    def error_text(self) -> str:
        if not self.error_code:
            return ""
        reason = self.reason or ""
        return reason if reason.startswith(self.error_code) else f"{self.error_code}: {reason}"


def _reason_code(reason: str) -> str:
    head = reason.split(":", 1)[0].strip()
    return head if re.fullmatch(r"[A-Z][A-Z0-9_]+", head) else ""


class Athena:
    def __init__(self, session: boto3.session.Session, output: str, database: str, workgroup: str = "primary"):
        self.client = session.client("athena")
        self.output = output
        self.database = database
        self.workgroup = workgroup

    def sql(self, query: str, execution_parameters: list[str] | None = None, workgroup: str | None = None) -> Answer:
        kwargs = dict(
            QueryString=query,
            QueryExecutionContext={"Database": self.database},
            ResultConfiguration={"OutputLocation": self.output},
            WorkGroup=workgroup or self.workgroup,
        )
        if execution_parameters:
            kwargs["ExecutionParameters"] = execution_parameters
        try:
            qid = self.client.start_query_execution(**kwargs)["QueryExecutionId"]
        except ClientError as exc:
            err = exc.response.get("Error", {})
            msg = err.get("Message", str(exc))
            return Answer(state="API_ERROR", reason=msg, error_code=_reason_code(msg) or err.get("Code"))
        deadline, delay = time.monotonic() + QUERY_TIMEOUT_S, 0.05
        while True:
            ex = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            if ex["Status"]["State"] in TERMINAL:
                break
            if time.monotonic() > deadline:
                self.client.stop_query_execution(QueryExecutionId=qid)
                return Answer(state="TIMEOUT", reason=f"no answer within {QUERY_TIMEOUT_S}s", error_code="TIMEOUT")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        status = ex["Status"]
        ans = Answer(state=status["State"], statement_type=ex.get("StatementType"))
        if ans.state != "SUCCEEDED":
            ans.reason = status.get("StateChangeReason") or (status.get("AthenaError") or {}).get("ErrorMessage") or ""
            ans.error_code = _reason_code(ans.reason) or ans.state
            return ans
        try:
            for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
                rs = page["ResultSet"]
                if not ans.columns:
                    ans.columns = rs.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                ans.rows += [[d.get("VarCharValue") for d in r.get("Data", [])] for r in rs.get("Rows", [])]
                if "UpdateCount" in page:
                    ans.update_count = page["UpdateCount"]
        except ClientError as exc:
            ans.state, ans.reason = "RESULTS_ERROR", str(exc)
            ans.error_code = exc.response.get("Error", {}).get("Code")
        return ans

    def api(self, method: str, params: dict) -> Answer:
        fn = getattr(self.client, method, None)
        if fn is None:
            return Answer(state="API_ERROR", reason=f"boto3 has no athena.{method}", error_code="NoSuchMethod")
        try:
            resp = fn(**params)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            return Answer(state="API_ERROR", reason=err.get("Message", str(exc)), error_code=err.get("Code"))
        resp.pop("ResponseMetadata", None)
        return Answer(state="API", response=resp)


# ---- comparing ------------------------------------------------------------------------------------


def parse_column(spec) -> dict:
    """'name type' (type may hold spaces: 'ts timestamp with time zone') or 'amt decimal(10,2)'."""
    if isinstance(spec, dict):
        return dict(spec)
    name, _, typ = str(spec).partition(" ")
    typ = typ.strip()
    m = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", typ)
    if m:
        return {"name": name, "type": "decimal", "precision": int(m[1]), "scale": int(m[2])}
    return {"name": name, "type": typ}


def compare_columns(expected: list, got: list[dict]) -> list[str]:
    want = [parse_column(c) for c in expected]
    diffs = []
    if len(want) != len(got):
        diffs.append(f"column count: expected {len(want)}, got {len(got)}")
    for i, (w, g) in enumerate(zip(want, got)):
        if w["name"] != g.get("Name"):
            diffs.append(f"column {i + 1} name: expected {w['name']!r}, got {g.get('Name')!r}")
        if w.get("type") and w["type"] != g.get("Type"):
            diffs.append(f"column {w['name']} type: expected {w['type']!r}, got {g.get('Type')!r}")
        for key, api_key in (("precision", "Precision"), ("scale", "Scale"), ("case_sensitive", "CaseSensitive")):
            if key in w and w[key] != g.get(api_key):
                diffs.append(f"column {w['name']} {api_key}: expected {w[key]!r}, got {g.get(api_key)!r}")
    return diffs


def _norm_rows(rows) -> list[list[str | None]]:
    return [[None if v is None else str(v) for v in r] for r in rows]


def _sort_key(row):
    return [(v is None, "" if v is None else v) for v in row]


def match(expected, got, path: str = "$") -> list[str]:
    """Subset match for API responses: dict keys in `expected` must match; lists match element-wise
    unless written {"$contains": [...]} (each expected element matches some actual one),
    {"$excludes": [...]} (no actual element matches) or {"$unordered": [...]}; "$any" accepts any
    present value; "$absent" requires the key be missing."""
    if isinstance(expected, dict) and "$excludes" in expected:
        if not isinstance(got, list):
            return [f"{path}: expected a list, got {got!r}"]
        return [f"{path}: unexpected element {g!r}" for e in expected["$excludes"] for g in got if not match(e, g)]
    if isinstance(expected, dict) and "$contains" in expected:
        if not isinstance(got, list):
            return [f"{path}: expected a list, got {got!r}"]
        return [f"{path}: no element matches {e!r}" for e in expected["$contains"] if all(match(e, g) for g in got)]
    if isinstance(expected, dict) and "$unordered" in expected:
        want = expected["$unordered"]
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{path}: expected {len(want)} elements in any order, got {got!r}"]
        remaining = list(got)
        for e in want:
            hit = next((g for g in remaining if not match(e, g)), None)
            if hit is None:
                return [f"{path}: no element matches {e!r} (got {got!r})"]
            remaining.remove(hit)
        return []
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {got!r}"]
        diffs = []
        for k, v in expected.items():
            if v == "$absent":
                if k in got:
                    diffs.append(f"{path}.{k}: expected absent, got {got[k]!r}")
            elif k not in got:
                diffs.append(f"{path}.{k}: missing")
            elif v != "$any":
                diffs += match(v, got[k], f"{path}.{k}")
        return diffs
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{path}: expected {expected!r}, got {got!r}"]
        return [d for i, (e, g) in enumerate(zip(expected, got)) for d in match(e, g, f"{path}[{i}]")]
    if isinstance(got, (int, float, Decimal)) and isinstance(expected, (int, float)) and not isinstance(got, bool):
        return [] if expected == got else [f"{path}: expected {expected!r}, got {got!r}"]
    return [] if expected == got else [f"{path}: expected {expected!r}, got {got!r}"]


def wants_header(spec: dict) -> bool:
    if "header" in spec:
        return bool(spec["header"])
    return spec.get("sql", "").lstrip().upper().startswith(HEADER_STATEMENTS)


def compare_step(spec: dict, ans: Answer) -> list[str]:
    """Differences between what the step expects and what the client saw ([] = pass)."""
    if "error" in spec:
        want = spec["error"]
        if ans.state == "SUCCEEDED":
            return [f"expected error {want['code']}, but the query succeeded (rows {ans.rows[:3]!r})"]
        diffs = []
        if ans.error_code != want["code"]:
            diffs.append(f"error code: expected {want['code']}, got {ans.error_code} ({ans.reason})")
        for frag in _as_list(want.get("message")):
            if frag not in (ans.reason or ""):
                diffs.append(f"error message: expected to contain {frag!r}, got {ans.reason!r}")
        return diffs
    if "api_error" in spec:
        want = spec["api_error"]
        if ans.state not in ("API_ERROR",):
            return [f"expected the call to fail with {want.get('code') or 'an error'}, got state {ans.state}"]
        diffs = []
        if want.get("code") and ans.error_code != want["code"]:
            diffs.append(f"API error code: expected {want['code']}, got {ans.error_code} ({ans.reason})")
        for frag in _as_list(want.get("message")):
            if frag not in (ans.reason or ""):
                diffs.append(f"API error message: expected to contain {frag!r}, got {ans.reason!r}")
        return diffs
    if ans.state not in ("SUCCEEDED", "API"):
        return [f"expected success, got {ans.state}: {ans.error_text() or ans.reason}"]
    diffs = []
    if "response" in spec:
        diffs += match(spec["response"], ans.response)
    if "statement_type" in spec and spec["statement_type"] != ans.statement_type:
        diffs.append(f"StatementType: expected {spec['statement_type']}, got {ans.statement_type}")
    if "update_count" in spec and spec["update_count"] != ans.update_count:
        diffs.append(f"UpdateCount: expected {spec['update_count']}, got {ans.update_count}")
    if "columns" in spec:
        diffs += compare_columns(spec["columns"], ans.columns)
    rows = _norm_rows(ans.rows)
    if ("rows" in spec or "rows_tokens" in spec) and wants_header(spec):
        names = [c.get("Name") for c in ans.columns]
        if not rows or rows[0] != names:
            diffs.append(f"first row should repeat the column names {names!r}, got {rows[:1]!r}")
        rows = rows[1:]
    if spec.get("strip"):
        rows = [[None if v is None else v.strip() for v in r] for r in rows]
    if "rows" in spec:
        want = _norm_rows(spec["rows"])
        if not spec.get("ordered", True):
            want, rows = sorted(want, key=_sort_key), sorted(rows, key=_sort_key)
        if want != rows:
            diffs.append(f"rows: expected {want!r}, got {rows!r}")
    if "rows_tokens" in spec:
        got_tokens = [" ".join(v or "" for v in r).split() for r in rows]
        got_tokens = [t for t in got_tokens if t]
        if got_tokens != spec["rows_tokens"]:
            diffs.append(f"rows (whitespace-separated tokens): expected {spec['rows_tokens']!r}, got {got_tokens!r}")
    return diffs


def _as_list(v) -> list:
    return [] if v is None else v if isinstance(v, list) else [v]


# ---- fixtures and substitution ---------------------------------------------------------------------


class Env:
    """Names a run uses: the data bucket, the results location, the database."""

    def __init__(self, fixtures: dict, session: boto3.session.Session):
        self.session = session
        self.s3 = session.client("s3")
        self.bucket = fixtures["bucket"]
        self.results_bucket = fixtures["results_bucket"]
        self.database = fixtures["database"]
        self.values = {
            "db": self.database,
            "bucket": self.bucket,
            "data": f"s3://{self.bucket}/data",
            "results": f"s3://{self.results_bucket}/results/",
        }

    def sub(self, obj, extra: dict | None = None):
        values = {**self.values, **(extra or {})}

        def one(s: str) -> str:
            s = re.sub(r"\$\{pad:(\d+)\}", lambda m: "x" * int(m[1]), s)
            s = re.sub(r"\$\{repeat:(\d+):([^}]*)\}", lambda m: ", ".join([m[2]] * int(m[1])), s)
            return re.sub(r"\$\{([a-z_][a-z0-9_]*)\}", lambda m: str(values.get(m[1], m[0])), s)

        if isinstance(obj, str):
            return one(obj)
        if isinstance(obj, list):
            return [self.sub(v, extra) for v in obj]
        if isinstance(obj, dict):
            return {k: self.sub(v, extra) for k, v in obj.items()}
        return obj

    def clear_prefix(self, prefix: str) -> None:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})

    def put_files(self, files: dict, extra: dict | None = None) -> None:
        for key, body in files.items():
            key = self.sub(key, extra).lstrip("/")
            self.s3.put_object(Bucket=self.bucket, Key=f"data/{key}", Body=encode_file(key, body))


def encode_file(key: str, body) -> bytes:
    """Text files as written; ``*.parquet`` from {schema: {col: type}, rows: [...]} via pyarrow."""
    if not key.endswith(".parquet"):
        return str(body).encode("utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    def arrow_type(t: str):
        m = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", t)
        if m:
            return pa.decimal128(int(m[1]), int(m[2]))
        return {
            "string": pa.string(),
            "int32": pa.int32(),
            "int64": pa.int64(),
            "float64": pa.float64(),
            "bool": pa.bool_(),
            "date32": pa.date32(),
        }[t]

    schema = pa.schema([(name, arrow_type(t)) for name, t in body["schema"].items()])
    cols = list(zip(*body["rows"])) if body["rows"] else [[] for _ in schema]
    arrays = []
    for f, col in zip(schema, cols):
        if pa.types.is_decimal(f.type):
            col = [None if v is None else Decimal(str(v)) for v in col]
        arrays.append(pa.array(list(col), type=f.type))
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buf)
    return buf.getvalue()


@dataclass
class SetupFailure:
    table: str
    statement: str
    answer: Answer


def setup_fixtures(env: Env, athena: Athena, fixtures: dict) -> list[SetupFailure]:
    """Buckets, the database, then each table: its files, its DDL, its follow-up statements.

    Re-runnable: each table is dropped and created again (DROP TABLE keeps the S3 data, which is
    rewritten with the same content)."""
    failures = []
    for bucket in {env.bucket, env.results_bucket}:
        try:
            env.s3.create_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
    ans = athena.sql(env.sub(fixtures["create_database"]))
    if ans.state != "SUCCEEDED":
        failures.append(SetupFailure("<database>", fixtures["create_database"], ans))
    for table in fixtures["tables"]:
        env.put_files(table.get("files") or {})
        # dropped first so a second run against the same endpoint starts from the same tables
        athena.sql(f"DROP TABLE IF EXISTS {table['name']}")
        for stmt in [table["ddl"], *(table.get("after") or [])]:
            ans = athena.sql(env.sub(stmt))
            if ans.state != "SUCCEEDED":
                failures.append(SetupFailure(table["name"], stmt, ans))
                break
    return failures


# ---- running ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    passed: bool
    diffs: list[str]
    allowed_not_supported: bool = False
    step: int = 0  # 1-based step that failed
    statement: str = ""  # that step's SQL (placeholders filled in) or API call


@dataclass
class Report:
    outcomes: list[Outcome]
    setup_failures: list[SetupFailure]
    areas: dict[str, str]
    seconds: float = 0.0

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def by_area(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = {}
        for o in self.outcomes:
            c = counts.setdefault(o.case.area, [0, 0])
            c[0 if o.passed else 1] += 1
        return {a: (p, f) for a, (p, f) in counts.items()}

    def text(self, verbose: bool = True) -> str:
        n, bad = len(self.outcomes), len(self.failures)
        allowed = sum(o.allowed_not_supported for o in self.outcomes)
        lines = [
            f"Athena conformance: {n} cases, {n - bad} passed, {bad} failed"
            f" ({allowed} passed as deliberate NOT_SUPPORTED) in {self.seconds:.0f}s",
            "",
            f"{'area':<14}{'cases':>6}{'pass':>6}{'fail':>6}  title",
        ]
        for area, (p, f) in sorted(self.by_area().items()):
            lines.append(f"{area:<14}{p + f:>6}{p:>6}{f:>6}  {self.areas.get(area, '')}")
        if self.setup_failures:
            lines += ["", "Fixture setup failures (cases reading these tables fail too):"]
            for s in self.setup_failures:
                lines.append(f"  {s.table}: {s.answer.error_text() or s.answer.state} <- {s.statement.strip()[:100]}")
        if verbose and self.failures:
            lines += ["", "Failures (expected vs got):"]
            for o in self.failures:
                step = f" (step {o.step})" if len(o.case.steps) > 1 else ""
                lines.append(f"- [{o.case.area}] {o.case.id}{step}: {_one_line(o.statement or o.case.describe(), 160)}")
                lines += [f"    {_one_line(d, 400)}" for d in o.diffs]
                lines.append(f"    source: {o.case.source}")
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "total": len(self.outcomes),
            "failed": len(self.failures),
            "by_area": {a: {"pass": p, "fail": f} for a, (p, f) in self.by_area().items()},
            "setup_failures": [
                {"table": s.table, "statement": s.statement, "error": s.answer.error_text() or s.answer.state}
                for s in self.setup_failures
            ],
            "failures": [
                {
                    "id": o.case.id,
                    "area": o.case.area,
                    "step": o.step,
                    "statement": (o.statement or o.case.describe())[:2000],
                    "diffs": o.diffs,
                    "source": o.case.source,
                }
                for o in self.failures
            ],
        }


def _one_line(s: str, limit: int) -> str:
    s = re.sub(r"\s*\n\s*", " ", str(s).strip())  # keep inner spacing: it can be what differs
    return s if len(s) <= limit else s[: limit - 3] + "..."


def run_case(case: Case, env: Env, athena: Athena, not_supported: set[str], broken_tables: set[str]) -> Outcome:
    missing = [t for t in case.tables if t in broken_tables]
    if missing:
        return Outcome(case, False, [f"fixture table(s) {missing} failed to set up"], step=1)
    saved = {"case": re.sub(r"[^a-z0-9]+", "_", case.id.lower())}
    # The case's private prefix starts empty, as CTAS and UNLOAD require of their target.
    env.clear_prefix(f"data/{saved['case']}/")
    try:
        if case.files:
            env.put_files(case.files, saved)
        for i, step in enumerate(case.steps, 1):
            spec = env.sub(step.spec, saved)
            if step.sql:
                statement = spec["sql"]
                ans = athena.sql(statement, spec.get("execution_parameters"), spec.get("workgroup"))
            else:
                statement = f"athena.{spec['api']}({json.dumps(spec.get('params') or {}, default=str)})"
                ans = athena.api(spec["api"], spec.get("params") or {})
            if case.id in not_supported and ans.error_code == "NOT_SUPPORTED":
                return Outcome(case, True, [], allowed_not_supported=True, step=i, statement=statement)
            diffs = compare_step(spec, ans) if step.expects_something() else _must_succeed(ans)
            if "s3_objects" in spec and not diffs:
                diffs += _check_s3(env, spec["s3_objects"])
            if diffs:
                if case.id in not_supported:
                    diffs.insert(0, "listed in not_supported.yaml, so only a NOT_SUPPORTED error passes")
                return Outcome(case, False, diffs, step=i, statement=statement)
            for name, key in (spec.get("save") or {}).items():
                saved[name] = (ans.response or {}).get(key, "")
        if case.id in not_supported:
            return Outcome(case, False, ["listed in not_supported.yaml but the engine answered instead of refusing"])
        return Outcome(case, True, [])
    finally:
        for stmt in case.cleanup:
            athena.sql(env.sub(stmt, saved))


def _must_succeed(ans: Answer) -> list[str]:
    if ans.state in ("SUCCEEDED", "API"):
        return []
    return [f"setup step failed: {ans.error_text() or ans.state}"]


def _check_s3(env: Env, spec: dict) -> list[str]:
    bucket, _, prefix = spec["prefix"].removeprefix("s3://").partition("/")
    keys = [
        o["Key"]
        for page in env.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    if len(keys) < spec.get("min_count", 1):
        return [f"expected at least {spec.get('min_count', 1)} object(s) under {spec['prefix']}, found {keys}"]
    return []


def run_suite(
    suite: Suite,
    session: boto3.session.Session | None = None,
    only_area: str | None = None,
    only_case: str | None = None,
    progress=None,
) -> Report:
    """Create the fixtures and run the (selected) cases against what `session` points at."""
    started = time.monotonic()
    session = session or boto3.session.Session()
    env = Env(suite.fixtures, session)
    athena = Athena(session, env.values["results"], env.database)
    setup = setup_fixtures(env, athena, suite.fixtures)
    broken = {s.table for s in setup} | (
        {t["name"] for t in suite.fixtures["tables"]} if any(s.table == "<database>" for s in setup) else set()
    )
    outcomes = []
    for case in suite.cases:
        if (only_area and case.area != only_area) or (only_case and case.id != only_case):
            continue
        outcome = run_case(case, env, athena, suite.not_supported, broken)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return Report(outcomes, setup, suite.areas, time.monotonic() - started)


def failure_kinds(report: Report) -> Counter:
    """A first cut at root causes: the kind of the first difference of each failure."""
    kinds = Counter()
    for o in report.failures:
        d = o.diffs[0] if o.diffs else ""
        kind = (
            "fixture"
            if d.startswith("fixture")
            else "error code"
            if d.startswith(("error code", "API error code"))
            else "error message"
            if d.startswith(("error message", "API error message"))
            else "expected an error, query succeeded"
            if "but the query succeeded" in d
            else "query failed"
            if d.startswith(("expected success", "setup step failed"))
            else "column type"
            if " type: " in d or "Precision" in d or "Scale" in d
            else "column names"
            if "name:" in d or "column count" in d or "first row should" in d
            else "rows"
            if d.startswith("rows")
            else "API response"
            if d.startswith("$")
            else "other"
        )
        kinds[kind] += 1
    return kinds


# ---- command line -----------------------------------------------------------------------------------


def _private_localcloud():
    """benchmarks/_localcloud.py's context manager: fresh LAB_DIR, free port, stopped afterwards."""
    spec = importlib.util.spec_from_file_location("_bench_localcloud", REPO / "benchmarks" / "_localcloud.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.private_localcloud(prefix="athena-conformance-")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area", help="run one area (file name under cases/)")
    ap.add_argument("--case", help="run one case id")
    ap.add_argument(
        "--use-env", action="store_true", help="use the current boto3 environment instead of a private localcloud"
    )
    ap.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    ap.add_argument("--quiet", action="store_true", help="totals only, no failure list")
    args = ap.parse_args(argv)
    suite = load_suite()
    ctx = nullcontext() if args.use_env else _private_localcloud()
    with ctx:
        report = run_suite(
            suite,
            only_area=args.area,
            only_case=args.case,
            progress=lambda o: print("." if o.passed else "F", end="", flush=True, file=sys.stderr),
        )
    print(file=sys.stderr)
    print(report.text(verbose=not args.quiet))
    kinds = failure_kinds(report)
    if kinds:
        print("\nFirst difference of each failure, by kind: " + ", ".join(f"{k}: {n}" for k, n in kinds.most_common()))
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=2))
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(main())
