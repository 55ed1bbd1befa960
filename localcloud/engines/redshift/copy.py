"""``COPY table FROM 's3://...'``: read objects through the injected S3 reader, check every
field the way Redshift's loader does, load the good rows, and log the bad ones.

* Formats: CSV (``CSV``, ``FORMAT AS CSV``, ``QUOTE``), delimited text (``DELIMITER``, default
  ``|``), ``JSON 'auto'`` / ``'auto ignorecase'``, ``FORMAT AS PARQUET`` (columns by position,
  as Redshift maps them); ``GZIP`` for text formats.
* Options: ``IAM_ROLE 'arn'|default`` (checked against the roles attached to the warehouse),
  ``REGION``, ``IGNOREHEADER n``, ``MAXERROR n``, ``NULL AS``, ``EMPTYASNULL``, ``BLANKSASNULL``,
  ``DATEFORMAT``, ``TIMEFORMAT``, ``TRUNCATECOLUMNS``, ``ACCEPTINVCHARS``, ``TRIMBLANKS``,
  ``COMPUPDATE``/``STATUPDATE`` (accepted, no effect here); others are refused as NOT_SUPPORTED.
* A bad row (wrong field count, a value its column type refuses, too long for the column, NULL
  in a NOT NULL column) is logged to ``STL_LOAD_ERRORS``/``SYS_LOAD_ERROR_DETAIL`` with its file,
  line, column, raw value and reason.  More than ``MAXERROR`` (default 0) bad rows fail the
  whole load with Redshift's message and load nothing; otherwise the good rows are loaded and
  the INFO messages say how many rows were loaded and how many could not be.
* Rows go to PostgreSQL with ``COPY ... FROM STDIN`` in the session (so they are part of the
  session's transaction, as a Redshift COPY is).
"""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import SqlError, not_supported
from .loadopts import parse_authorization, resolve_role, split_s3
from .pgwire import not_null
from .sqltext import Cursor, quote_ident, quote_literal

if TYPE_CHECKING:
    from .session import Session, Sink

_INT_RANGES = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
_INT_NAMES = {"int2": "Short Integer", "int4": "Integer", "int8": "Long Integer"}
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_NUM_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$")
_DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y", "YYYYMMDD": "%Y%m%d"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOL = {"t": "t", "true": "t", "y": "t", "yes": "t", "1": "t", "f": "f", "false": "f", "n": "f", "no": "f", "0": "f"}


@dataclass
class Column:
    name: str
    type: str  # pg_type.typname (int4, varchar, numeric, ...)
    typmod: int
    notnull: bool

    @property
    def length(self) -> int | None:
        if self.type in ("varchar", "bpchar") and self.typmod > 0:
            return self.typmod - 4
        return None


class FieldError(Exception):
    def __init__(self, code: int, reason: str, position: int = 0) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.position = position


@dataclass
class BadRow:
    filename: str
    line: int
    column: Column | None
    raw_line: str
    raw_value: str
    code: int
    reason: str
    position: int = 0


def parse_copy(sql: str) -> dict:
    c = Cursor(sql)
    c.expect("copy")
    schema, table = c.qualified()
    columns = c.paren_list() if c.word() == "(" else None
    c.expect("from")
    t = c.peek()
    if t is None or t.token_type.name not in ("STRING",):
        what = c.word() or "this source"
        if what == "stdin":
            raise SqlError("COPY FROM STDIN is not supported in Amazon Redshift", "0A000")
        raise not_supported(f"COPY FROM {what.upper()} (only Amazon S3 sources are simulated)")
    opts: dict = {"schema": schema, "table": table, "columns": columns, "source": c.string(), "format": "text"}
    while not c.at_end():
        if parse_authorization(c, opts):
            continue
        c.accept("with")
        if c.accept("format"):
            c.accept("as")
            continue
        w = c.word()
        if w == "csv":
            c.next()
            opts["format"] = "csv"
            if c.accept("quote"):
                c.accept("as")
                opts["quote"] = c.string()
        elif w == "json":
            c.next()
            c.accept("as")
            arg = c.string() if _at_string(c) else "auto"
            if arg.lower() not in ("auto", "auto ignorecase"):
                raise not_supported("COPY JSON with a JSONPaths file (use 'auto' or 'auto ignorecase')")
            opts["format"], opts["json_ignorecase"] = "json", arg.lower() == "auto ignorecase"
        elif w == "parquet":
            c.next()
            opts["format"] = "parquet"
        elif w in ("orc", "avro", "fixedwidth", "shapefile"):
            raise not_supported(f"COPY FORMAT {w.upper()}")
        elif w == "delimiter":
            c.next()
            c.accept("as")
            opts["delimiter"] = c.string()
        elif w in ("ignoreheader", "maxerror"):
            c.next()
            c.accept("as")
            opts[w] = c.number()
        elif w == "region":
            c.next()
            c.accept("as")
            opts["region"] = c.string()
        elif w == "null":
            c.next()
            c.expect("as")
            opts["null_as"] = c.string()
        elif w in ("dateformat", "timeformat"):
            c.next()
            c.accept("as")
            opts[w] = c.string()
        elif w in (
            "emptyasnull",
            "blanksasnull",
            "truncatecolumns",
            "trimblanks",
            "gzip",
            "removequotes",
            "ignoreblanklines",
            "acceptanydate",
        ):
            c.next()
            opts[w] = True
        elif w == "acceptinvchars":
            c.next()
            c.accept("as")
            opts[w] = c.string() if _at_string(c) else "?"
        elif w in ("compupdate", "statupdate"):
            c.next()
            if c.word() in ("on", "off", "true", "false", "preset"):
                c.next()
        elif w == "encoding":
            c.next()
            c.accept("as")
            enc = c.ident()
            if enc not in ("utf8", "utf-8"):
                raise not_supported(f"COPY ENCODING {enc.upper()}")
        elif w in (
            "manifest",
            "bzip2",
            "lzop",
            "zstd",
            "escape",
            "explicit_ids",
            "fillrecord",
            "roundec",
            "serializetojson",
            "jsonpaths",
        ):
            raise not_supported(f"COPY option {w.upper()}")
        else:
            raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    if opts["format"] == "parquet" and opts.get("maxerror"):
        raise SqlError("MAXERROR is not supported with COPY from columnar formats such as PARQUET.", "0A000")
    return opts


def _at_string(c: Cursor) -> bool:
    t = c.peek()
    return t is not None and t.token_type.name == "STRING"


def run_copy(session: Session, sql: str, sink: Sink) -> None:
    opts = parse_copy(sql)
    resolve_role(session, opts)
    wh = session.warehouse
    s3 = wh.hooks.s3
    if s3 is None:
        raise not_supported("COPY from S3 without an S3 reader (the warehouse was not wired to S3)")
    rel = (quote_ident(opts["schema"]) + "." if opts["schema"] else "") + quote_ident(opts["table"])
    cols = _columns(session, rel, opts["table"])
    if opts["columns"]:
        by_name = {c.name: c for c in cols}
        missing = [n for n in opts["columns"] if n not in by_name]
        if missing:
            raise SqlError(f'column "{missing[0]}" of relation "{opts["table"]}" does not exist', "42703")
        cols = [by_name[n] for n in opts["columns"]]
    bucket, prefix = split_s3(opts["source"])
    from .io import NoSuchBucket

    try:
        objects = [(k, size) for k, size in s3.list(bucket, prefix) if not k.endswith("/")]
    except NoSuchBucket:
        raise SqlError("S3ServiceException:The specified bucket does not exist,Status 404", "XX000") from None
    if not objects:
        raise SqlError(f"The specified S3 prefix '{prefix}' does not exist", "XX000")
    start = time.time()
    maxerror = opts.get("maxerror", 0)
    convs = converters(cols, opts)
    bad: list[BadRow] = []
    good: list[bytes] = []
    loaded = 0
    for key, _ in objects:
        body = s3.get(bucket, key)
        if opts.get("gzip"):
            try:
                body = gzip.decompress(body)
            except OSError:
                raise SqlError(
                    f"gzip: s3://{bucket}/{key}: invalid compressed data--format violated", "XX000"
                ) from None
        url = f"s3://{bucket}/{key}"
        if opts["format"] == "parquet":
            rows = _parquet_rows(body, cols, url)
            for values in rows:
                good.append(_pg_line(values))
                loaded += 1
            continue
        records = _json_records(body, cols, opts, url) if opts["format"] == "json" else _text_records(body, cols, opts)
        for line_no, raw_line, fields_or_err in records:
            if isinstance(fields_or_err, BadRow):
                fields_or_err.filename, fields_or_err.line = url, line_no
                bad.append(fields_or_err)
                continue
            try:
                values = [conv(v) for conv, v in zip(convs, fields_or_err)]
            except _ColumnError as exc:
                bad.append(
                    BadRow(url, line_no, exc.column, raw_line, exc.raw, exc.err.code, exc.err.reason, exc.err.position)
                )
                continue
            good.append(_pg_line(values))
            loaded += 1
        if len(bad) > maxerror:
            break
    if bad:
        _log_errors(session, opts["table"], rel, bad[: maxerror + 1], start)
    table_name = opts["table"]
    view = "stl_load_errors" if wh.config.kind == "provisioned" else "sys_load_error_detail"
    if len(bad) > maxerror:
        raise SqlError(f"Load into table '{table_name}' failed. Check '{view}' system table for details.", "XX000")
    collist = "(" + ", ".join(quote_ident(c.name) for c in cols) + ")"
    n = session.conn.copy_in(f"COPY {rel} {collist} FROM STDIN", _chunks(good)) if good else 0
    session.last["copy_count"] = n
    session.last["copy_id"] = session.current_query
    sink.notice(f"Load into table '{table_name}' completed, {n} record(s) loaded successfully.")
    if bad:
        sink.notice(
            f"Load into table '{table_name}' completed, {len(bad)} record(s) could not be loaded. "
            f"Check '{view}' system table for details."
        )
    sink.done(f"COPY {n}")


def _chunks(lines: list[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    buf: list[bytes] = []
    n = 0
    for line in lines:
        buf.append(line)
        n += len(line)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def _pg_line(values: Sequence[str | None]) -> bytes:
    out: list[str] = []
    for v in values:
        if v is None:
            out.append("\\N")
        else:
            out.append(v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
    return ("\t".join(out) + "\n").encode()


def _columns(session: Session, rel: str, table: str) -> list[Column]:
    try:
        res = session.conn.query(
            "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull FROM pg_attribute a JOIN pg_type t ON t.oid = "
            "a.atttypid WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [rel],
        )
    except SqlError:
        raise SqlError(f'relation "{table}" does not exist', "42P01") from None
    return [Column(not_null(n), not_null(t), int(not_null(m)), nn == "t") for n, t, m, nn in res.text_rows()]


# -- reading records ---------------------------------------------------------------------------


def _decode(body: bytes, opts: dict) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        if opts.get("acceptinvchars"):
            return body.decode("utf-8", errors="replace").replace("\ufffd", opts["acceptinvchars"])
        raise SqlError("String contains invalid or unsupported UTF8 codepoints", "XX000") from None


# (line number, raw line, the record's fields or why it is bad)
Record = tuple[int, str, Sequence[str | None] | BadRow]
Convert = Callable[[str | None], str | None]  # a raw field to PostgreSQL text (None: NULL)


def _text_records(body: bytes, cols: list[Column], opts: dict) -> Iterator[Record]:
    """(line number, raw line, fields | BadRow) for CSV and delimited text."""
    import csv

    text = _decode(body, opts)
    skip = opts.get("ignoreheader", 0)
    if opts["format"] == "csv":
        delim = opts.get("delimiter", ",")
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delim, quotechar=opts.get("quote", '"'), strict=False
        )
        lines = text.splitlines()
        prev = 0
        for fields in reader:
            line_no = reader.line_num
            first = prev + 1
            prev = line_no
            if line_no <= skip:
                continue
            if not fields or fields == [""] and opts.get("ignoreblanklines"):
                continue
            raw = lines[line_no - 1] if first == line_no else "\n".join(lines[first - 1 : line_no])
            yield line_no, raw, _check_count(fields, cols, raw)
        return
    delim = opts.get("delimiter", "|")
    for i, line in enumerate(text.splitlines(), start=1):
        if i <= skip:
            continue
        if not line and opts.get("ignoreblanklines"):
            continue
        fields = line.split(delim)
        if opts.get("removequotes"):
            fields = [f[1:-1] if len(f) >= 2 and f[0] == f[-1] == '"' else f for f in fields]
        yield i, line[:1024], _check_count(fields, cols, line)


def _check_count(fields: list[str], cols: list[Column], raw: str) -> list[str] | BadRow:
    if len(fields) == len(cols):
        return fields
    if len(fields) > len(cols):
        return BadRow("", 0, None, raw[:1024], "", 1202, "Extra column(s) found")
    if len(fields) < len(cols):
        return BadRow("", 0, cols[len(fields)], raw[:1024], "", 1214, "Delimiter not found")
    return fields


def _json_records(body: bytes, cols: list[Column], opts: dict, url: str) -> Iterator[Record]:
    text = _decode(body, opts)
    dec = json.JSONDecoder()
    pos, n = 0, len(text)
    ignorecase = opts.get("json_ignorecase")
    while True:
        while pos < n and text[pos] in " \t\r\n,[]":
            pos += 1
        if pos >= n:
            return
        start = pos
        try:
            obj, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            line = text.count("\n", 0, exc.pos) + 1
            yield (
                line,
                text[start : start + 1024],
                BadRow("", 0, None, text[start : start + 1024], "", 1224, f"Invalid JSON: {exc.msg}"),
            )
            nl = text.find("\n", exc.pos)
            if nl < 0:
                return
            pos = nl + 1
            continue
        line = text.count("\n", 0, pos) + 1
        raw = text[start:pos][:1024]
        if not isinstance(obj, dict):
            yield line, raw, BadRow("", 0, None, raw, "", 1224, "Invalid JSONPath format: Member is not an object.")
            continue
        keys = {k.lower(): v for k, v in obj.items()} if ignorecase else obj
        fields: list[str | None] = []
        for col in cols:
            v = keys.get(col.name)
            if isinstance(v, (dict, list)):
                v = json.dumps(v)
            elif isinstance(v, bool):
                v = "true" if v else "false"
            elif v is not None:
                v = str(v)
            fields.append(v)
        yield line, raw, fields


def _parquet_rows(body: bytes, cols: list[Column], url: str) -> Iterator[list[str | None]]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(body))
    if table.num_columns != len(cols):
        raise SqlError(
            f"Spectrum Scan Error: File '{url}' has an incompatible Parquet schema for column count: "
            f"the file has {table.num_columns} columns, the table {len(cols)}.",
            "XX000",
        )
    data = table.to_pylist()
    names = table.column_names
    for rec in data:
        values: list[str | None] = []
        for name, col in zip(names, cols):
            v = rec[name]
            if v is None:
                if col.notnull:
                    raise SqlError(f"Load into column '{col.name}' failed: NULL in a NOT NULL column ({url})", "23502")
                values.append(None)
            elif isinstance(v, bool):
                values.append("t" if v else "f")
            elif isinstance(v, dt.datetime):
                values.append(v.isoformat(sep=" "))
            else:
                values.append(str(v))
        yield values


# -- converting fields ---------------------------------------------------------------------------


class _ColumnError(Exception):
    def __init__(self, column: Column, raw: str, err: FieldError) -> None:
        self.column, self.raw, self.err = column, raw, err


def _convert(value: str | None, col: Column, opts: dict) -> str | None:
    return converters([col], opts)[0](value)


def converters(cols: list[Column], opts: dict) -> list[Convert]:
    """One function per column: raw field -> PostgreSQL text (None for NULL), or _ColumnError."""
    return [_converter(c, opts) for c in cols]


def _converter(col: Column, opts: dict) -> Convert:
    text_type = col.type in ("varchar", "bpchar", "text")
    null_as = opts.get("null_as")
    text_null = opts["format"] == "text" and null_as is None
    empty_null = not text_type or bool(opts.get("emptyasnull"))
    blanks, trim = bool(opts.get("blanksasnull")), bool(opts.get("trimblanks")) and text_type
    typed = _typed_converter(col, opts)

    def convert(value: str | None) -> str | None:
        if value is not None:
            if (null_as is not None and value == null_as) or (text_null and value == "\\N"):
                value = None
            else:
                if trim:
                    value = value.rstrip(" ")
                if (value == "" and empty_null) or (blanks and not value.strip()):
                    value = None
        if value is None:
            if col.notnull:
                raise _ColumnError(col, "", FieldError(1213, "Missing data for not-null field"))
            return None
        try:
            return typed(value)
        except FieldError as exc:
            raise _ColumnError(col, value, exc) from None

    return convert


def _typed_converter(col: Column, opts: dict) -> Callable[[str], str]:
    t = col.type
    if t in _INT_RANGES:
        lo, hi = _INT_RANGES[t]
        name = _INT_NAMES[t]

        def to_int(value: str) -> str:
            if not _INT_RE.match(value):
                v = value.strip()
                pos = next((i for i, ch in enumerate(v) if not (ch.isdigit() or (i == 0 and ch in "+-"))), 0)
                raise FieldError(1207, f"Invalid digit, Value '{v[pos : pos + 1]}', Pos {pos}, Type: {name}", pos)
            n = int(value)
            if not lo <= n <= hi:
                raise FieldError(1207, f"Overflow ({name} valid range {lo} to {hi})")
            return str(n)

        return to_int
    if t == "numeric":
        p = s = None
        if col.typmod > 0:
            p, s = ((col.typmod - 4) >> 16) & 0xFFFF, (col.typmod - 4) & 0xFFFF
            quantum, limit = decimal.Decimal(1).scaleb(-s), decimal.Decimal(10) ** (p - s)

        def to_numeric(value: str) -> str:
            if not _NUM_RE.match(value):
                raise FieldError(1207, f"Invalid digit, Value '{value.strip()[:20]}', Pos 0, Type: Decimal")
            d = decimal.Decimal(value.strip())
            if p is not None:
                d = d.quantize(quantum, rounding=decimal.ROUND_HALF_UP)
                if abs(d) >= limit:
                    raise FieldError(1207, f"Numeric data overflow (result precision)  {value.strip()}")
            return str(d)

        return to_numeric
    if t in ("float4", "float8"):

        def to_float(value: str) -> str:
            try:
                float(value)
            except ValueError:
                raise FieldError(1207, f"Invalid digit, Value '{value.strip()[:20]}', Pos 0, Type: Double") from None
            return value.strip()

        return to_float
    if t == "bool":

        def to_bool(value: str) -> str:
            b = _BOOL.get(value.strip().lower())
            if b is None:
                raise FieldError(1207, f"Invalid boolean value '{value.strip()[:20]}'")
            return b

        return to_bool
    if t == "date":
        fmt = opts.get("dateformat", "YYYY-MM-DD")
        if fmt.upper() == "YYYY-MM-DD":

            def to_date(value: str) -> str:
                v = value.strip()
                if _ISO_DATE.match(v):
                    try:
                        return dt.date.fromisoformat(v).isoformat()
                    except ValueError:
                        pass
                return _date(v, fmt)

            return to_date
        return lambda value: _date(value.strip(), fmt)
    if t in ("timestamp", "timestamptz"):
        fmt = opts.get("timeformat", "YYYY-MM-DD HH:MI:SS")
        return lambda value: _timestamp(value.strip(), fmt)
    if t in ("varchar", "bpchar"):
        length, truncate, is_char = col.length, bool(opts.get("truncatecolumns")), t == "bpchar"

        def to_text(value: str) -> str:
            if length is not None and (len(value) > length // 4) and len(value.encode()) > length:
                if not truncate:
                    raise FieldError(1204, "String length exceeds DDL length")
                value = value.encode()[:length].decode(errors="ignore")
            if is_char and not value.isascii():
                raise FieldError(1220, "Multibyte character not supported for CHAR (Hint: Try using VARCHAR).")
            return value

        return to_text
    return lambda value: value


def _date(value: str, fmt: str) -> str:
    if fmt.lower() == "auto":
        for f in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d", "%d-%b-%Y", "%b %d %Y"):
            try:
                return dt.datetime.strptime(value, f).date().isoformat()
            except ValueError:
                continue
        raise FieldError(1205, f"Invalid Date Format - value '{value[:20]}' could not be recognized")
    py = _DATE_FORMATS.get(fmt.upper())
    if py is None:
        raise FieldError(1205, f"NOT_SUPPORTED: DATEFORMAT '{fmt}' is not simulated")
    if fmt.upper() == "YYYY-MM-DD" and len(value) < 10:
        raise FieldError(1205, "Invalid Date Format - length must be 10 or more")
    try:
        return dt.datetime.strptime(value[:10] if fmt.upper() == "YYYY-MM-DD" else value, py).date().isoformat()
    except ValueError:
        raise FieldError(1205, f'Invalid date format - Invalid digit encountered "{value[:20]}"') from None


def _timestamp(value: str, fmt: str) -> str:
    candidates = [
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
    ]
    if fmt.lower() not in ("auto", "yyyy-mm-dd hh:mi:ss", "yyyy-mm-dd hh24:mi:ss"):
        raise FieldError(1206, f"NOT_SUPPORTED: TIMEFORMAT '{fmt}' is not simulated")
    for f in candidates:
        try:
            return dt.datetime.strptime(value, f).isoformat(sep=" ")
        except ValueError:
            continue
    raise FieldError(1206, "Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]")


# -- error log ------------------------------------------------------------------------------------


def _log_errors(session: Session, table: str, rel: str, bad: list[BadRow], start: float) -> None:
    wh = session.warehouse
    oid = not_null(session.conn.query("SELECT $1::regclass::oid", [rel]).rows[0][0]).decode()
    uid = wh._user_id(session.database, session.user)
    values: list[str] = []
    for b in bad:
        col = b.column
        values.append(
            "("
            + ", ".join(
                [
                    str(uid),
                    "0",
                    oid,
                    f"to_timestamp({start:.6f}) AT TIME ZONE 'UTC'",
                    str(session.session_id),
                    str(session.current_query),
                    quote_literal(b.filename),
                    str(b.line),
                    quote_literal(col.name if col else ""),
                    quote_literal(col.type if col else ""),
                    quote_literal(str(col.length) if col and col.length else "0"),
                    str(b.position),
                    quote_literal(b.raw_line.replace("\x00", "")),
                    quote_literal(b.raw_value[:1024].replace("\x00", "")),
                    str(b.code),
                    quote_literal(b.reason[:512]),
                    quote_literal(session.database),
                    "0",
                ]
            )
            + ")"
        )
    wh.admin_simple(
        session.database,
        "INSERT INTO lc_redshift.load_errors (userid, slice, tbl, starttime, session, query, filename, line_number, "
        "colname, type, col_length, position, raw_line, raw_field_value, err_code, err_reason, database_name, "
        "transaction_id) VALUES " + ", ".join(values),
    )
