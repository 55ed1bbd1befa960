"""``CREATE TABLE`` and ``ALTER TABLE ... ALTER DISTKEY/SORTKEY`` as Redshift reads them.

The statement is parsed here (sqlglot cannot read every Redshift table attribute), checked
the way Redshift checks it, and turned into plain PostgreSQL DDL plus a
:class:`TableAttrs` record for ``lc_redshift.table_attrs``:

* distribution (``DISTSTYLE``, ``DISTKEY`` on a column or as a table attribute), sort keys
  (``[COMPOUND|INTERLEAVED] SORTKEY``, column ``SORTKEY``, ``SORTKEY AUTO``), ``ENCODE``;
* Redshift's type defaults (``VARCHAR`` = ``VARCHAR(256)``, ``TEXT`` = ``VARCHAR(256)``,
  ``VARCHAR(MAX)`` = ``VARCHAR(65535)``, ``DECIMAL`` = ``DECIMAL(18,0)``, ``CHAR`` = ``CHAR(1)``);
* ``PRIMARY KEY``/``UNIQUE``/``REFERENCES`` are informational in Redshift (never enforced): they
  are recorded, not given to PostgreSQL (which would enforce them and refuse rows Redshift takes);
* ``IDENTITY(seed, step)`` becomes a PostgreSQL identity column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from sqlglot.tokens import TokenType

from .errors import SqlError, not_supported
from .sqltext import Cursor, quote_ident

DISTSTYLES = ("AUTO", "EVEN", "KEY", "ALL")
ENCODINGS = {
    "raw",
    "az64",
    "bytedict",
    "delta",
    "delta32k",
    "lzo",
    "mostly8",
    "mostly16",
    "mostly32",
    "runlength",
    "text255",
    "text32k",
    "zstd",
}
MAX_INTERLEAVED = 8  # Redshift: an interleaved sort key has at most 8 columns
MAX_COMPOUND = 400  # Redshift: a compound sort key has at most 400 columns
UNSUPPORTED_TYPES = ("super", "geometry", "geography", "hllsketch", "varbyte", "varbinary", "binary varying")


@dataclass
class TableAttrs:
    diststyle: str = "AUTO"
    distkey: str | None = None
    sortstyle: str = "AUTO"  # COMPOUND | INTERLEAVED | AUTO
    sortkeys: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    constraints: list[dict] = field(default_factory=list)

    def record_sql(self, relation: str) -> str:
        """The call that records these attributes for ``relation`` (a quoted name)."""

        def lit(v: str | None) -> str:
            return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"

        keys = "ARRAY[" + ",".join(lit(k) for k in self.sortkeys) + "]::text[]"
        return (
            f"SELECT lc_redshift.set_table_attrs({lit(relation)}::regclass, {lit(self.diststyle)}, "
            f"{lit(self.distkey)}, {lit(self.sortstyle)}, {keys}, {lit(json.dumps(self.encodings))}::jsonb, "
            f"{lit(json.dumps(self.constraints))}::jsonb)"
        )


@dataclass
class CreateTable:
    pg_sql: str
    relation: str  # quoted, schema-qualified when given
    attrs: TableAttrs
    temporary: bool
    as_query: str | None = None  # CTAS: the Redshift query


_TYPE_RE = re.compile(r"^\s*([a-z][a-z0-9_ ]*?)\s*(\(([^)]*)\))?\s*(\[\])?\s*$", re.I)


def pg_type(redshift_type: str) -> str:
    """A Redshift column type as PostgreSQL spells it, with Redshift's defaults made explicit."""
    m = _TYPE_RE.match(redshift_type)
    if not m:
        raise SqlError(f'type "{redshift_type}" does not exist', "42704")
    name = " ".join(m.group(1).lower().split())
    args = (m.group(3) or "").strip().lower()
    if m.group(4):
        raise not_supported("Array column types")
    if name in UNSUPPORTED_TYPES:
        raise not_supported(f"The {name.upper()} data type")
    if name in ("varchar", "character varying", "nvarchar", "text"):
        if name == "text" or not args:
            return "varchar(256)"
        n = 65535 if args == "max" else _int(args, redshift_type)
        if not 1 <= n <= 65535:
            raise SqlError(f"length for type varchar cannot exceed 65535 (got {n})", "22023")
        return f"varchar({n})"
    if name in ("char", "character", "nchar", "bpchar"):
        n = (256 if name == "bpchar" else 1) if not args else (4096 if args == "max" else _int(args, redshift_type))
        if not 1 <= n <= 4096:
            raise SqlError(f"length for type char cannot exceed 4096 (got {n})", "22023")
        return f"char({n})"
    if name in ("decimal", "numeric"):
        if not args:
            return "numeric(18,0)"
        parts = [p.strip() for p in args.split(",")]
        p = _int(parts[0], redshift_type)
        s = _int(parts[1], redshift_type) if len(parts) > 1 else 0
        if not 1 <= p <= 38 or not 0 <= s <= p:
            raise SqlError(f"NUMERIC precision {p} must be between 1 and 38 and scale {s} between 0 and {p}", "22023")
        return f"numeric({p},{s})"
    simple = {
        "smallint": "smallint",
        "int2": "smallint",
        "integer": "integer",
        "int": "integer",
        "int4": "integer",
        "bigint": "bigint",
        "int8": "bigint",
        "real": "real",
        "float4": "real",
        "double precision": "double precision",
        "float8": "double precision",
        "float": "double precision",
        "boolean": "boolean",
        "bool": "boolean",
        "date": "date",
        "timestamp": "timestamp",
        "timestamp without time zone": "timestamp",
        "timestamptz": "timestamptz",
        "timestamp with time zone": "timestamptz",
        "time": "time",
        "time without time zone": "time",
        "timetz": "timetz",
        "time with time zone": "timetz",
    }
    if name in simple and (not args or name.startswith(("timestamp", "time"))):
        return simple[name] + (f"({args})" if args and name.startswith("time") else "")
    raise SqlError(f'type "{redshift_type.strip()}" does not exist', "42704")


def _int(text: str, ctx: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SqlError(f'invalid type modifier in "{ctx}"', "22023") from None


def parse_create_table(sql: str) -> CreateTable:
    c = Cursor(sql)
    c.expect("create")
    c.accept("local")
    temporary = c.accept("temporary") or c.accept("temp")
    c.expect("table")
    if_not_exists = c.accept("if", "not", "exists")
    schema, name = c.qualified()
    relation = (quote_ident(schema) + "." if schema else "") + quote_ident(name)
    attrs = TableAttrs()
    col_distkeys: list[str] = []
    col_sortkeys: list[str] = []
    columns: list[tuple[str, str]] = []  # (name, pg column definition)
    like: str | None = None
    if c.word() == "(":
        c.next()
        while True:
            if c.accept("primary", "key"):
                attrs.constraints.append({"type": "PRIMARY KEY", "columns": c.paren_list()})
            elif c.accept("unique"):
                attrs.constraints.append({"type": "UNIQUE", "columns": c.paren_list()})
            elif c.accept("foreign", "key"):
                cols = c.paren_list()
                c.expect("references")
                ref_schema, ref = c.qualified()
                ref_cols = c.paren_list() if c.word() == "(" else []
                attrs.constraints.append(
                    {"type": "FOREIGN KEY", "columns": cols, "references": ref, "ref_columns": ref_cols}
                )
            elif c.accept("like"):
                ls, ln = c.qualified()
                like = (quote_ident(ls) + "." if ls else "") + quote_ident(ln)
                mode = "INCLUDING DEFAULTS" if c.accept("including", "defaults") else ""
                c.accept("excluding", "defaults")
                columns.append(("", f"LIKE {like} {mode}".strip()))
            else:
                columns.append(_column(c, attrs, col_distkeys, col_sortkeys))
            if c.accept(","):
                continue
            c.expect(")")
            break
    _table_attributes(c, attrs, col_distkeys, col_sortkeys)
    as_query = None
    if c.accept("as"):
        as_query = c.rest()
        if not as_query:
            raise SqlError("syntax error at end of input", "42601")
    elif not c.at_end():
        raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    if not columns and as_query is None:
        raise SqlError("syntax error: a column list or AS query is required", "42601")
    names = [n for n, _ in columns if n]
    _validate(attrs, names, like is not None or as_query is not None)
    head = "CREATE " + ("TEMPORARY " if temporary else "") + "TABLE " + ("IF NOT EXISTS " if if_not_exists else "")
    if as_query is not None:
        pg_sql = head + relation + " AS "  # the query is translated by the caller
    else:
        pg_sql = head + relation + " (" + ", ".join(d for _, d in columns) + ")"
    return CreateTable(pg_sql, relation, attrs, temporary, as_query)


def _column(c: Cursor, attrs: TableAttrs, distkeys: list[str], sortkeys: list[str]) -> tuple[str, str]:
    name = c.ident()
    start = c.i
    stop_words = {
        "encode",
        "distkey",
        "sortkey",
        "default",
        "identity",
        "generated",
        "not",
        "null",
        "primary",
        "unique",
        "references",
        "collate",
    }
    while not c.at_end() and c.word() not in stop_words and c.word() not in (",", ")"):
        if c.word() == "(":
            c.skip_group()
        else:
            c.next()
    type_text = c.text(start, c.i)
    if not type_text:
        raise SqlError(f'syntax error: column "{name}" has no data type', "42601")
    parts = [quote_ident(name), pg_type(type_text)]
    while not c.at_end() and c.word() not in (",", ")"):
        if c.accept("encode"):
            enc = c.ident()
            if enc not in ENCODINGS:
                raise SqlError(f'invalid encoding type "{enc}" specified for column "{name}"', "42704")
            attrs.encodings[name] = enc
        elif c.accept("distkey"):
            distkeys.append(name)
        elif c.accept("sortkey"):
            sortkeys.append(name)
        elif c.accept("default"):
            d0 = c.i
            depth = 0
            while not c.at_end():
                w = c.word()
                if depth == 0 and (w in (",", ")") or w in stop_words - {"null", "not"}):
                    break
                depth += w == "("
                depth -= w == ")"
                c.next()
            parts.append("DEFAULT " + c.text(d0, c.i))
        elif c.accept("identity") or c.accept("generated", "by", "default", "as", "identity"):
            c.expect("(")
            seed = c.number()
            c.expect(",")
            step = c.number()
            c.expect(")")
            parts.append(f"GENERATED BY DEFAULT AS IDENTITY (START WITH {seed} INCREMENT BY {step})")
        elif c.accept("not", "null"):
            parts.append("NOT NULL")
        elif c.accept("null"):
            parts.append("NULL")
        elif c.accept("primary", "key"):
            attrs.constraints.append({"type": "PRIMARY KEY", "columns": [name]})
        elif c.accept("unique"):
            attrs.constraints.append({"type": "UNIQUE", "columns": [name]})
        elif c.accept("references"):
            _, ref = c.qualified()
            ref_cols = c.paren_list() if c.word() == "(" else []
            attrs.constraints.append(
                {"type": "FOREIGN KEY", "columns": [name], "references": ref, "ref_columns": ref_cols}
            )
        elif c.accept("collate"):
            mode = c.ident()
            if mode != "case_sensitive":
                raise not_supported(f"COLLATE {mode.upper()}")
        else:
            raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    return name, " ".join(parts)


def _table_attributes(c: Cursor, attrs: TableAttrs, col_distkeys: list[str], col_sortkeys: list[str]) -> None:
    table_distkey = None
    sortkey_given = False
    diststyle_given = None
    while not c.at_end() and c.word() != "as":
        if c.accept("backup"):
            if not (c.accept("yes") or c.accept("no")):
                raise SqlError("BACKUP must be YES or NO", "42601")
        elif c.accept("diststyle"):
            style = c.ident().upper()
            if style not in DISTSTYLES:
                raise SqlError(f'invalid DISTSTYLE "{style}": use AUTO, EVEN, KEY or ALL', "42601")
            diststyle_given = style
        elif c.accept("distkey"):
            cols = c.paren_list()
            if len(cols) != 1:
                raise SqlError("only one column can be specified as DISTKEY", "42601")
            table_distkey = cols[0]
        elif c.word() in ("compound", "interleaved", "sortkey"):
            style = "COMPOUND"
            if c.accept("interleaved"):
                style = "INTERLEAVED"
            else:
                c.accept("compound")
            c.expect("sortkey")
            if sortkey_given or col_sortkeys:
                raise SqlError("multiple SORTKEY specifications are not allowed", "42601")
            sortkey_given = True
            if c.accept("auto"):
                attrs.sortstyle, attrs.sortkeys = "AUTO", []
            else:
                attrs.sortstyle, attrs.sortkeys = style, c.paren_list()
        elif c.accept("encode", "auto"):
            pass
        else:
            t = c.peek()
            if t is not None and t.token_type == TokenType.L_PAREN:
                raise SqlError('syntax error at or near "("', "42601")
            raise SqlError(f'syntax error at or near "{t.text if t else "end of input"}"', "42601")
    distkeys = col_distkeys + ([table_distkey] if table_distkey else [])
    if len(distkeys) > 1:
        raise SqlError("only one column can be specified as DISTKEY", "42601")
    if distkeys:
        if diststyle_given not in (None, "KEY"):
            raise SqlError(f"DISTKEY cannot be used with DISTSTYLE {diststyle_given}", "42601")
        attrs.diststyle, attrs.distkey = "KEY", distkeys[0]
    elif diststyle_given == "KEY":
        raise SqlError("DISTSTYLE KEY requires a DISTKEY column", "42601")
    elif diststyle_given:
        attrs.diststyle = diststyle_given
    if col_sortkeys:
        attrs.sortstyle, attrs.sortkeys = "COMPOUND", col_sortkeys


def _validate(attrs: TableAttrs, names: list[str], columns_unknown: bool) -> None:
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise SqlError(f'column "{dup}" specified more than once', "42701")
    if columns_unknown:
        return  # LIKE / CTAS: checked after PostgreSQL made the table (see check_columns)
    check_columns(attrs, names)


def check_columns(attrs: TableAttrs, names: list[str]) -> None:
    if attrs.distkey and attrs.distkey not in names:
        raise SqlError(f'column "{attrs.distkey}" named in DISTKEY does not exist', "42703")
    for k in attrs.sortkeys:
        if k not in names:
            raise SqlError(f'column "{k}" named in SORTKEY does not exist', "42703")
    if len(set(attrs.sortkeys)) != len(attrs.sortkeys):
        raise SqlError("a column appears more than once in SORTKEY", "42701")
    if attrs.sortstyle == "INTERLEAVED" and len(attrs.sortkeys) > MAX_INTERLEAVED:
        raise SqlError(f"an INTERLEAVED SORTKEY can have at most {MAX_INTERLEAVED} columns", "54011")
    if len(attrs.sortkeys) > MAX_COMPOUND:
        raise SqlError(f"a SORTKEY can have at most {MAX_COMPOUND} columns", "54011")
    for col in attrs.encodings:
        if col not in names:
            raise SqlError(f'column "{col}" named in ENCODE does not exist', "42703")
    for con in attrs.constraints:
        for col in con["columns"]:
            if col not in names:
                raise SqlError(f'column "{col}" named in key does not exist', "42703")


@dataclass
class AlterDistSort:
    relation: str
    diststyle: str | None = None
    distkey: str | None = None
    sortstyle: str | None = None
    sortkeys: list[str] | None = None


def parse_alter(sql: str) -> AlterDistSort | None:
    """``ALTER TABLE t ALTER DISTSTYLE ...|ALTER DISTKEY c|ALTER [COMPOUND] SORTKEY (...)``; None otherwise."""
    c = Cursor(sql)
    if not c.accept("alter", "table"):
        return None
    schema, name = c.qualified()
    relation = (quote_ident(schema) + "." if schema else "") + quote_ident(name)
    if not c.accept("alter"):
        return None
    out = AlterDistSort(relation)
    if c.accept("diststyle"):
        style = c.ident().upper()
        if style not in DISTSTYLES:
            raise SqlError(f'invalid DISTSTYLE "{style}": use AUTO, EVEN, KEY or ALL', "42601")
        out.diststyle = style
        if style == "KEY":
            c.expect("distkey")
            out.distkey = c.ident()
    elif c.accept("distkey"):
        out.diststyle, out.distkey = "KEY", c.ident()
    elif c.word() in ("compound", "interleaved", "sortkey"):
        if c.accept("interleaved"):
            raise not_supported("ALTER TABLE ... ALTER INTERLEAVED SORTKEY (Redshift cannot alter to interleaved)")
        c.accept("compound")
        c.expect("sortkey")
        if c.accept("auto"):
            out.sortstyle, out.sortkeys = "AUTO", []
        elif c.accept("none"):
            out.sortstyle, out.sortkeys = "AUTO", []
        else:
            out.sortstyle, out.sortkeys = "COMPOUND", c.paren_list()
    else:
        return None
    if not c.at_end():
        raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    return out
