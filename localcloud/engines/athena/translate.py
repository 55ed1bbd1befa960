"""Trino SQL -> DuckDB SQL with Trino's meaning: names, types, coercions and errors.

A query parsed by ``sqlparse.Raw`` is walked once.  Every expression gets its **Trino type**
(``ttypes.T``), computed the way Trino's analyzer does (literal types, numeric widening, decimal
arithmetic, function signatures), and is rewritten into a DuckDB expression that computes the
same value: integer division truncates, casts reject what Trino rejects, subscripts fail as Trino's
do, a timestamp with time zone keeps its zone...  What Trino refuses at analysis (``'1' = 1``,
an unknown column, a function called with the wrong types) fails here with Trino's error name and
wording; what fails at run time (division by zero, overflow, a bad cast) fails inside DuckDB and
``errors.py`` words it as Trino does.  What localcloud cannot make exact is refused with
``NOT_SUPPORTED`` rather than answered differently.

The result: a DuckDB query, its output column names (``_colN`` for an unnamed expression, as
Athena names them) and their Trino types (``typeof`` names, ``ColumnInfo``, result rendering).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from . import duck, ttypes
from .catalog import CatalogError, TableInfo
from .duck import call, cast, col, ident, string
from .ttypes import BIGINT, BOOLEAN, DOUBLE, INTEGER, UNKNOWN, T

NOT_SUPPORTED = "NOT_SUPPORTED"

# A DuckDB expression and the Trino type of its value.
Typed = tuple[exp.Expr, T]
# One select item: (output name or None, DuckDB expression, Trino type).
Item = tuple[str | None, exp.Expr, T]


def err(code: str, message: str) -> CatalogError:
    return CatalogError(code, message)


def where(node: exp.Expr | None) -> str:
    """``line L:C`` of a node, as Athena prefixes analysis errors."""
    for n in [node, *node.find_all(exp.Identifier, exp.Literal)] if node is not None else []:
        meta = getattr(n, "meta", None) or {}
        if "line" in meta:
            return f"line {meta['line']}:{max(1, meta.get('col', 1) - len(str(n.this)) + 1)}"
    return "line 1:1"


def not_supported(what: str, node: exp.Expr | None = None) -> CatalogError:
    return err(NOT_SUPPORTED, f"{where(node)}: localcloud cannot run {what} exactly as Athena does")


def mismatch(node: exp.Expr | None, message: str) -> CatalogError:
    return err("TYPE_MISMATCH", f"{where(node)}: {message}")


def only(node: exp.Expr, allowed: set[str]) -> None:
    """Refuse a clause the translator does not handle rather than drop it silently."""
    for key, value in node.args.items():
        if key not in allowed and value not in (None, False, [], ""):
            text = value.sql(dialect="trino") if isinstance(value, exp.Expression) else str(key)
            raise not_supported(f"{key.upper()} ({text[:40]}) in {type(node).__name__}", node)


_SELECT_KEYS = {
    "expressions",
    "distinct",
    "from_",
    "from",
    "joins",
    "where",
    "group",
    "having",
    "windows",
    "order",
    "limit",
    "offset",
    "with_",
    "with",
    "kind",
}


# ---- names in scope ------------------------------------------------------------------------------


@dataclass
class Source:
    """One table read by the query, named ``name`` in the DuckDB SQL (the runner puts its files there)."""

    name: str
    info: TableInfo
    table: exp.Table  # the reference in the user's SQL (partition pruning reads its WHERE)
    needed: set[str] = field(default_factory=set)
    select: exp.Select | None = None


@dataclass
class Field:
    name: str | None  # Trino column name (lower case); None when it has none
    type: T
    ref: exp.Expr  # the DuckDB expression that reads it
    source: Source | None = None

    def use(self) -> exp.Expr:
        if self.source is not None and self.name:
            self.source.needed.add(self.name)
        return self.ref.copy()


@dataclass
class Relation:
    names: set[str]  # how SQL may qualify its columns: alias, or table / db.table / catalog.db.table
    fields: list[Field]


class Scope:
    def __init__(self, parent: Scope | None = None, lambdas: dict[str, Typed] | None = None) -> None:
        self.parent = parent
        self.relations: list[Relation] = []
        self.merged: dict[str, Field] = {}  # USING columns
        self.star: list[Field] = []  # what SELECT * expands to, in order
        self.ctes: dict[str, tuple[str, list[Field]]] = {}
        self.lambdas: dict[str, tuple[exp.Expr, T]] = dict(lambdas or {})
        self.outputs: list[tuple[str | None, Field]] | None = None  # ORDER BY may name these

    def cte(self, name: str) -> tuple[str, list[Field]] | None:
        s = self
        while s is not None:
            if name in s.ctes:
                return s.ctes[name]
            s = s.parent
        return None

    def add(self, rel: Relation) -> None:
        self.relations.append(rel)
        self.star.extend(rel.fields)


@dataclass
class Translated:
    node: exp.Expr  # DuckDB query
    names: list[str]
    types: list[T]


# ---- the translator ------------------------------------------------------------------------------


class Translator:
    """One statement's translation; ``resolve_table(table_node)`` finds a table in Glue."""

    def __init__(self, resolve_table: Callable[[exp.Table], TableInfo]) -> None:
        self.resolve_table = resolve_table
        self.sources: list[Source] = []
        self._ids = itertools.count()
        self.in_try = 0
        from . import functions  # the function table imports this module's helpers

        self.functions = functions

    def fresh(self, prefix: str = "__s") -> str:
        return f"{prefix}{next(self._ids)}"

    # ---- statements -------------------------------------------------------------------------
    def query_statement(self, node: exp.Expr) -> Translated:
        q, fields = self.query(node, None)
        return Translated(q, [f.name or f"_col{i}" for i, f in enumerate(fields)], [f.type for f in fields])

    # ---- queries ------------------------------------------------------------------------------
    def query(self, node: exp.Expr, parent: Scope | None) -> tuple[exp.Expr, list[Field]]:
        """A query (SELECT, set operation, VALUES, parenthesised query) -> (DuckDB query, output fields).

        Output fields' ``ref`` are DuckDB output column names (``c0``, ``c1``...)."""
        scope = Scope(parent)
        with_ = node.args.get("with_") or node.args.get("with")
        ctes = []
        if with_ is not None:
            if with_.args.get("recursive"):
                raise not_supported("WITH RECURSIVE", with_)
            for cte in with_.expressions:
                name = cte.alias_or_name.lower()
                q, fields = self.query(cte.this, scope)
                cols = [c.name.lower() for c in (cte.args["alias"].columns if cte.args.get("alias") else [])]
                if cols and len(cols) != len(fields):
                    raise err(
                        "MISMATCHED_COLUMN_ALIASES", f"{where(cte)}: WITH column alias list has {len(cols)} entries"
                    )
                dname = self.fresh("__cte")
                out = [Field(cols[i] if cols else f.name, f.type, col(f"c{i}", None)) for i, f in enumerate(fields)]
                scope.ctes[name] = (dname, out)
                ctes.append(exp.CTE(this=q, alias=exp.TableAlias(this=ident(dname))))
        body = node.copy()
        body.set("with_", None)
        body.set("with", None)
        if isinstance(body, exp.Select):
            q, fields = self.select(body, scope)
        elif isinstance(body, exp.SetOperation):
            q, fields = self.setop(body, scope)
        elif isinstance(body, exp.Values):
            q, fields = self.values(body, scope)
        elif isinstance(body, exp.Subquery):
            q, fields = self.query(body.this, scope)
            q = self._modifiers(q, body, fields, scope)
        else:
            raise not_supported(f"a {type(body).__name__} query", body)
        if ctes:
            q.set("with_", exp.With(expressions=ctes))
        return q, fields

    def _outputs(self, fields: list[Field]) -> list[Field]:
        return [Field(f.name, f.type, col(f"c{i}")) for i, f in enumerate(fields)]

    def values(self, node: exp.Values, scope: Scope) -> tuple[exp.Expr, list[Field]]:
        rows = []
        for r in node.expressions:
            items = r.expressions if isinstance(r, exp.Tuple) else [r]
            rows.append([self.expr(e, scope) for e in items])
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise err("TYPE_MISMATCH", f"{where(node)}: Values rows have mismatched sizes")
        types = []
        for i in range(width):
            t = UNKNOWN
            for r in rows:
                s = ttypes.common_super_type(t, r[i][1])
                if s is None:
                    raise mismatch(node, f"Values rows have mismatched types: {t} vs {r[i][1]}")
                t = s
            types.append(t)
        duck_rows = [exp.Tuple(expressions=[self.coerce(n, ty, types[i]) for i, (n, ty) in enumerate(r)]) for r in rows]
        alias = self.fresh("__v")
        sel = exp.select(*[duck.alias(col(f"column{i}", alias), f"c{i}") for i in range(width)]).from_(
            exp.Values(
                expressions=duck_rows,
                alias=exp.TableAlias(this=ident(alias), columns=[ident(f"column{i}") for i in range(width)]),
            )
        )
        fields = [Field(None, t, col(f"c{i}")) for i, t in enumerate(types)]
        return sel, fields

    def setop(self, node: exp.SetOperation, scope: Scope) -> tuple[exp.Expr, list[Field]]:
        lq, lf = self.query(node.left, scope)
        rq, rf = self.query(node.right, scope)
        kind = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}[type(node)]
        if len(lf) != len(rf):
            raise err(
                "MISMATCHED_SET_COLUMN_TYPES",
                f"{where(node)}: {kind} query has different number of fields: {len(lf)}, {len(rf)}",
            )
        types = []
        for i, (a, b) in enumerate(zip(lf, rf)):
            t = ttypes.common_super_type(a.type, b.type)
            if t is None:
                raise mismatch(node, f"column {i + 1} in {kind} query has incompatible types: {a.type}, {b.type}")
            types.append(t)
        sides = []
        for q, fields in ((lq, lf), (rq, rf)):
            if any(f.type != t for f, t in zip(fields, types)):
                alias = self.fresh("__u")
                q = exp.select(
                    *[
                        duck.alias(self.coerce(col(f"c{i}", alias), f.type, t), f"c{i}")
                        for i, (f, t) in enumerate(zip(fields, types))
                    ]
                ).from_(exp.Subquery(this=q, alias=exp.TableAlias(this=ident(alias))))
            sides.append(q)
        distinct = node.args.get("distinct", True)
        out = type(node)(this=sides[0], expression=sides[1], distinct=distinct)
        fields = [Field(f.name, t, col(f"c{i}")) for i, (f, t) in enumerate(zip(lf, types))]
        return self._modifiers(out, node, fields, scope), fields

    def _modifiers(self, q: exp.Expr, node: exp.Expr, fields: list[Field], scope: Scope) -> exp.Expr:
        """ORDER BY / LIMIT / OFFSET on a set operation or parenthesised query: output names only."""
        order, limit, offset = node.args.get("order"), node.args.get("limit"), node.args.get("offset")
        if not (order or limit or offset):
            return q
        alias = self.fresh("__q")
        outer = Scope(scope)
        outer.add(Relation({alias}, [Field(f.name, f.type, col(f"c{i}", alias)) for i, f in enumerate(fields)]))
        sel = exp.select(*[duck.alias(col(f"c{i}", alias), f"c{i}") for i in range(len(fields))]).from_(
            exp.Subquery(this=q, alias=exp.TableAlias(this=ident(alias)))
        )
        if order:
            outer.outputs = [(f.name, Field(f.name, f.type, col(f"c{i}", alias))) for i, f in enumerate(fields)]
            sel.set("order", self.order(order, outer, None))
        self._limit(sel, limit, offset, outer)
        return sel

    def _limit(self, sel: exp.Select, limit: exp.Expr | None, offset: exp.Expr | None, scope: Scope) -> None:
        for key, node in (("limit", limit), ("offset", offset)):
            if node is None:
                continue
            value = node.args.get("expression") if key == "limit" else node.expression
            if isinstance(node, exp.Fetch):
                value = node.args.get("count")
            if value is None:
                continue
            if not (isinstance(value, exp.Literal) and value.is_int):
                if not (isinstance(value, exp.Literal) and value.name.upper() == "ALL"):
                    raise not_supported(f"{key.upper()} with an expression", node)
                continue
            cls = exp.Limit if key == "limit" else exp.Offset
            sel.set(key, cls(expression=duck.number(value.name)))

    # ---- SELECT -------------------------------------------------------------------------------
    def select(self, node: exp.Select, scope: Scope) -> tuple[exp.Expr, list[Field]]:
        only(node, _SELECT_KEYS)
        out = exp.Select()
        frm = node.args.get("from_") or node.args.get("from")
        joins = node.args.get("joins") or []
        if frm is not None:
            first = self.from_item(frm.this, scope)
            out.set("from_", exp.From(this=first))
            duck_joins = [self.join(j, scope) for j in joins]
            if duck_joins:
                out.set("joins", duck_joins)
        if node.args.get("where") is not None:
            cond, t = self.expr(node.args["where"].this, scope)
            self._boolean(t, "WHERE", node.args["where"])
            out.set("where", exp.Where(this=cond))
        # projections (stars expanded)
        items: list[tuple[str | None, exp.Expr, T]] = []
        for e in node.expressions:
            items.extend(self.projection(e, scope, len(items)))
        fields = [Field(name, t, col(f"c{i}")) for i, (name, _, t) in enumerate(items)]
        scope.outputs = [(name, Field(name, t, expr)) for name, expr, t in items]
        out.set("expressions", [duck.alias(e, f"c{i}") for i, (_, e, _) in enumerate(items)])
        if node.args.get("distinct") is not None:
            d = node.args["distinct"]
            if d.args.get("on"):
                raise not_supported("SELECT DISTINCT ON", d)
            out.set("distinct", exp.Distinct())
        group = node.args.get("group")
        if group is not None:
            out.set("group", self.group(group, scope, items))
        if node.args.get("having") is not None:
            cond, t = self.expr(node.args["having"].this, scope)
            self._boolean(t, "HAVING", node.args["having"])
            out.set("having", exp.Having(this=cond))
        if node.args.get("windows"):
            out.set("windows", [self.named_window(w, scope) for w in node.args["windows"]])
        if node.args.get("order") is not None:
            out.set("order", self.order(node.args["order"], scope, items))
            if out.args.get("distinct") is not None:
                shown = {e.sql("duckdb") for _, e, _ in items}
                for o in out.args["order"].expressions:
                    ref = o.this
                    is_output = isinstance(ref, exp.Column) and not ref.table and re.fullmatch(r"c\d+", ref.name)
                    if not is_output and ref.sql("duckdb") not in shown:
                        raise err(
                            "EXPRESSION_NOT_IN_DISTINCT",
                            f"{where(node.args['order'])}: "
                            "For SELECT DISTINCT, ORDER BY expressions must appear in select list",
                        )
        self._limit(out, node.args.get("limit"), node.args.get("offset"), scope)
        return out, fields

    @staticmethod
    def _boolean(t: T, clause: str, node: exp.Expr) -> None:
        if t.base not in ("boolean", "unknown"):
            raise mismatch(node, f"{clause} clause must evaluate to a boolean: actual type {t}")

    def projection(self, e: exp.Expr, scope: Scope, index: int) -> list[Item]:
        """(name, DuckDB expression, type) for one select item (several for a star)."""
        if isinstance(e, exp.Star):
            if not scope.star:
                raise err("COLUMN_NOT_FOUND", f"{where(e)}: SELECT * not allowed in queries without FROM clause")
            return [(f.name, f.use(), f.type) for f in scope.star]
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            qual = ".".join(p.name.lower() for p in e.parts[:-1])
            rel = self._relation(scope, qual)
            if rel is None:
                raise err("TABLE_NOT_FOUND", f"{where(e)}: Table '{qual}' does not exist")
            return [(f.name, f.use(), f.type) for f in rel.fields]
        if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Star):
            base, t = self.expr(e.this, scope)
            if t.base != "row":
                raise mismatch(e, f"Expression {e.this.sql(dialect='trino')} is not of type ROW")
            return [
                (n, call("struct_extract", base.copy(), string(ttypes.field_name(t, i))), ft)
                for i, (n, ft) in enumerate(t.params)
            ]
        name = None
        inner = e
        if isinstance(e, exp.Alias):
            name, inner = e.alias.lower() if not e.args["alias"].quoted else e.alias, e.this
            name = name.lower()
        node, t = self.expr(inner, scope)
        if name is None:
            name = self._implicit_name(inner)
        return [(name, node, t)]

    @staticmethod
    def _implicit_name(e: exp.Expr) -> str | None:
        if isinstance(e, exp.Column) and not isinstance(e.this, exp.Star):
            return e.name.lower()
        if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Identifier):
            return e.expression.name.lower()
        return None

    def group(self, group: exp.Group, scope: Scope, items: list[Item]) -> exp.Group:
        def one(e: exp.Expr) -> exp.Expr:
            if isinstance(e, exp.Literal) and e.is_int:
                i = int(e.name)
                if not 1 <= i <= len(items):
                    raise err("INVALID_COLUMN_REFERENCE", f"{where(e)}: GROUP BY position {i} is not in select list")
                return items[i - 1][1].copy()
            node, t = self.expr(e, scope)
            return node

        def sets_of(e: exp.Expr) -> list[list[exp.Expr]]:
            """The grouping sets one GROUP BY element stands for (lists of DuckDB expressions)."""
            if isinstance(e, exp.Rollup):
                cols = [one(x) for x in e.expressions]
                return [cols[:i] for i in range(len(cols), -1, -1)]
            if isinstance(e, exp.Cube):
                cols = [one(x) for x in e.expressions]
                return [
                    [c for j, c in enumerate(cols) if mask & (1 << (len(cols) - 1 - j))]
                    for mask in range(2 ** len(cols) - 1, -1, -1)
                ]
            if isinstance(e, exp.GroupingSets):
                out = []
                for s in e.expressions:
                    members = (
                        s.expressions
                        if isinstance(s, (exp.Tuple, exp.Paren)) and not isinstance(s, exp.Paren)
                        else [s.this]
                        if isinstance(s, exp.Paren)
                        else [s]
                    )
                    out.append([one(x) for x in members])
                return out
            return [[one(e)]]

        elements = list(group.expressions)
        for key in ("rollup", "cube", "grouping_sets"):
            v = group.args.get(key)
            if v:
                elements += v if isinstance(v, list) else [v]
        plain = all(not isinstance(e, (exp.Rollup, exp.Cube, exp.GroupingSets)) for e in elements)
        if plain and group.args.get("all") is not False:
            return exp.Group(expressions=[one(e) for e in elements])
        combos: list[list[exp.Expr]] = [[]]
        for e in elements:
            combos = [a + b for a in combos for b in sets_of(e)]
        if group.args.get("all") is False:  # GROUP BY DISTINCT: each distinct set once
            seen, unique = set(), []
            for c in combos:
                key = frozenset(x.sql("duckdb") for x in c)
                if key not in seen:
                    seen.add(key)
                    unique.append(c)
            combos = unique
        sets = [exp.Tuple(expressions=c) for c in combos]
        return exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)])

    def order(self, order: exp.Order, scope: Scope, items: list[Item] | None) -> exp.Order:
        out = []
        for o in order.expressions:
            e = o.this
            if isinstance(e, exp.Literal) and e.is_int and items is not None:
                i = int(e.name)
                if not 1 <= i <= len(items):
                    raise err("INVALID_COLUMN_REFERENCE", f"{where(e)}: ORDER BY position {i} is not in select list")
                node = col(f"c{i - 1}")
            elif isinstance(e, exp.Literal) and e.is_int and scope.outputs is not None:
                i = int(e.name)
                if not 1 <= i <= len(scope.outputs):
                    raise err("INVALID_COLUMN_REFERENCE", f"{where(e)}: ORDER BY position {i} is not in select list")
                node = scope.outputs[i - 1][1].use()
            else:
                node = self._output_ref(e, scope, items)
                if node is None:
                    node, _ = self.expr(e, scope)
            desc = bool(o.args.get("desc"))
            nulls_first = bool(o.args.get("nulls_first"))
            explicit = o.args.get("nulls_first") is not None and "NULLS" in o.sql(dialect="trino").upper()
            out.append(exp.Ordered(this=node, desc=desc, nulls_first=nulls_first if explicit else False))
        return exp.Order(expressions=out)

    def _output_ref(self, e: exp.Expr, scope: Scope, items: list[Item] | None) -> exp.Expr | None:
        """An ORDER BY name that is an output column's alias (Trino resolves those first)."""
        if not isinstance(e, exp.Column) or e.table or scope.outputs is None:
            return None
        name = e.name.lower()
        hits = [i for i, (n, _) in enumerate(scope.outputs) if n == name]
        if not hits:
            return None
        if items is not None:
            # a plain column whose alias is its own name is the same column: let the scope read it
            return col(f"c{hits[0]}")
        return scope.outputs[hits[0]][1].use()

    # ---- FROM -----------------------------------------------------------------------------------
    def from_item(self, node: exp.Expr, scope: Scope) -> exp.Expr:
        if isinstance(node, exp.Table):
            return self.table(node, scope)
        if isinstance(node, exp.Subquery):
            q, fields = self.query(node.this, scope)
            q = self._modifiers(q, node, fields, scope) if not isinstance(node.this, exp.Subquery) else q
            return self._derived(q, fields, node.args.get("alias"), scope, node)
        if isinstance(node, exp.Values):
            q, fields = self.values(node, scope)
            return self._derived(q, fields, node.args.get("alias"), scope, node)
        if isinstance(node, exp.Unnest):
            return self.unnest(node, scope)
        if isinstance(node, exp.Lateral):
            raise not_supported("LATERAL", node)
        raise not_supported(f"{type(node).__name__} in FROM", node)

    def _derived(
        self, q: exp.Expr, fields: list[Field], alias: exp.TableAlias | None, scope: Scope, node: exp.Expr
    ) -> exp.Expr:
        dname = self.fresh()
        names = [f.name for f in fields]
        if alias is not None and alias.columns:
            cols = [c.name.lower() for c in alias.columns]
            if len(cols) != len(fields):
                raise err(
                    "MISMATCHED_COLUMN_ALIASES",
                    f"{where(node)}: Column alias list has {len(cols)} entries but '{alias.name}' has "
                    f"{len(fields)} columns available",
                )
            names = cols
        rel_names = {alias.name.lower()} if alias is not None and alias.name else set()
        scope.add(
            Relation(rel_names, [Field(n, f.type, col(f"c{i}", dname)) for i, (n, f) in enumerate(zip(names, fields))])
        )
        return exp.Subquery(this=q, alias=exp.TableAlias(this=ident(dname)))

    def table(self, node: exp.Table, scope: Scope) -> exp.Expr:
        only(node, {"this", "db", "catalog", "alias", "sample"})
        sample = node.args.get("sample")
        out = self._table(node, scope)
        if sample is not None:
            out = self._sampled(out, sample, scope)
        return out

    def _sampled(self, src: exp.Expr, sample: exp.TableSample, scope: Scope) -> exp.Expr:
        """TABLESAMPLE BERNOULLI / SYSTEM (p): DuckDB samples the same way (select.html#tablesample)."""
        only(sample, {"method", "percent"})
        method_node = sample.args.get("method")
        method = (method_node.name if method_node else "").upper()
        pct = sample.args.get("percent")
        if method not in ("BERNOULLI", "SYSTEM") or not (isinstance(pct, exp.Literal) and not pct.is_string):
            raise not_supported(f"TABLESAMPLE {sample.sql(dialect='trino')}", sample)
        value = float(pct.this)
        if not 0 <= value <= 100:
            raise err("INVALID_ARGUMENTS", f"{where(sample)}: Sample percentage must be between 0 and 100")
        rel = scope.relations[-1]
        dname = self.fresh()
        fields = [Field(f.name, f.type, col(f"c{i}", dname), f.source) for i, f in enumerate(rel.fields)]
        inner = exp.select(*[duck.alias(f.use(), f"c{i}") for i, f in enumerate(rel.fields)]).from_(src)
        inner = exp.Select(**inner.args)
        sql = (
            inner.sql("duckdb")
            + f" USING SAMPLE {value} PERCENT ({'bernoulli' if method == 'BERNOULLI' else 'system'})"
        )
        import sqlglot

        q = sqlglot.parse_one(sql, read="duckdb")
        rel.fields[:] = fields
        scope.star[-len(fields) :] = fields
        return exp.Subquery(this=q, alias=exp.TableAlias(this=ident(dname)))

    def _table(self, node: exp.Table, scope: Scope) -> exp.Expr:
        name = node.name.lower()
        alias = node.alias.lower() if node.alias else None
        cte = scope.cte(name) if not node.db else None
        if cte is not None:
            dname, fields = cte
            ref = self.fresh()
            names = (
                [c.name.lower() for c in node.args["alias"].columns]
                if node.args.get("alias") and node.args["alias"].columns
                else [f.name for f in fields]
            )
            scope.add(
                Relation(
                    {alias or name},
                    [Field(n, f.type, col(f.ref.name, ref)) for n, f in zip(names, fields)],
                )
            )
            return exp.Table(this=ident(dname), alias=exp.TableAlias(this=ident(ref)))
        if "$" in name:
            return self._hidden_table(node, scope, alias)
        info = self.resolve_table(node)
        src = Source(self.fresh("__src"), info, node)
        self.sources.append(src)
        qual = (
            {alias}
            if alias
            else {
                info.name.lower(),
                f"{info.database.lower()}.{info.name.lower()}",
                f"awsdatacatalog.{info.database.lower()}.{info.name.lower()}",
            }
        )
        fields = [Field(n, ttypes.from_hive(t), col(n, src.name), src) for n, t in info.all_columns]
        scope.add(Relation(qual, fields))
        return exp.Table(this=ident(src.name))

    def _hidden_table(self, node: exp.Table, scope: Scope, alias: str | None) -> exp.Expr:
        base, _, kind = node.name.partition("$")
        if kind.lower() != "partitions":
            raise err("TABLE_NOT_FOUND", f"{where(node)}: Table '{node.name}' does not exist")
        info = self.resolve_table(exp.Table(this=ident(base), db=node.args.get("db"), catalog=node.args.get("catalog")))
        if not info.partition_keys:
            raise err("TABLE_NOT_FOUND", f"{where(node)}: Table '{info.database}.{node.name}' does not exist")
        keys = [(k, ttypes.from_hive(t)) for k, t in info.partition_keys]
        dname = self.fresh()
        if info.partitions:
            rows = [
                exp.Tuple(
                    expressions=[
                        duck.null() if v == "__HIVE_DEFAULT_PARTITION__" else cast(string(v), t, safe=True)
                        for v, (_, t) in zip(values, keys)
                    ]
                )
                for values, _ in info.partitions
            ]
            src = exp.Values(
                expressions=rows, alias=exp.TableAlias(this=ident(dname), columns=[ident(k) for k, _ in keys])
            )
        else:
            src = exp.Subquery(
                this=exp.select(*[duck.alias(cast(duck.null(), t), k) for k, t in keys]).where(exp.false()),
                alias=exp.TableAlias(this=ident(dname)),
            )
        scope.add(Relation({alias or node.name.lower()}, [Field(k, t, col(k, dname)) for k, t in keys]))
        return src

    def join(self, j: exp.Join, scope: Scope) -> exp.Join:
        only(j, {"this", "on", "using", "side", "kind"})
        side = (j.args.get("side") or "").upper()
        kind = (j.args.get("kind") or "").upper()
        before = list(scope.relations)
        item = self.from_item(j.this, scope)
        new_rel = scope.relations[-1]
        out = exp.Join(this=item)
        if side:
            out.set("side", side)
        if kind in ("CROSS", "INNER", "OUTER"):
            out.set("kind", kind)
        on, using = j.args.get("on"), j.args.get("using")
        if using:
            conds = []
            for u in using:
                name = u.name.lower()
                left = [f for r in before for f in r.fields if f.name == name]
                right = [f for f in new_rel.fields if f.name == name]
                if len(left) != 1 or len(right) != 1:
                    raise err("COLUMN_NOT_FOUND", f"{where(u)}: Column '{name}' is missing from left side of join")
                lf, rf = left[0], right[0]
                t = ttypes.common_super_type(lf.type, rf.type)
                if t is None:
                    raise mismatch(u, f"Column types of left and right side are different: {lf.type} vs {rf.type}")
                conds.append(
                    exp.EQ(this=self.coerce(lf.use(), lf.type, t), expression=self.coerce(rf.use(), rf.type, t))
                )
                merged = (
                    call("coalesce", self.coerce(lf.use(), lf.type, t), self.coerce(rf.use(), rf.type, t))
                    if side == "FULL"
                    else self.coerce((rf if side == "RIGHT" else lf).use(), rf.type if side == "RIGHT" else lf.type, t)
                )
                scope.merged[name] = Field(name, t, merged)
            star = [scope.merged[u.name.lower()] for u in using]
            names = {u.name.lower() for u in using}
            star += [f for f in scope.star if f.name not in names]
            scope.star = star
            out.set("on", exp.and_(*conds) if len(conds) > 1 else conds[0])
        elif on is not None:
            cond, t = self.expr(on, scope)
            self._boolean(t, "JOIN ON", on)
            out.set("on", cond)
        elif side or kind == "INNER":
            if not isinstance(j.this, exp.Unnest):
                raise err("SYNTAX_ERROR", f"{where(j)}: mismatched input. Expecting: 'ON', 'USING'")
            out.set("on", exp.true())
        return out

    def unnest(self, node: exp.Unnest, scope: Scope) -> exp.Expr:
        """UNNEST(a1, a2, ...) [WITH ORDINALITY]: arrays side by side (shorter ones padded with
        NULL), a map as (key, value), an array of rows as one column per field."""
        only(node, {"expressions", "alias", "offset"})
        args = [self.expr(e, scope) for e in node.expressions]
        alias = node.args.get("alias")
        ordinality = node.args.get("offset")
        names = [c.name.lower() for c in alias.columns] if alias is not None and alias.columns else []
        if isinstance(ordinality, exp.Identifier):
            names.append(ordinality.name.lower())  # sqlglot keeps the ordinality column's alias apart
        # An array of rows gives one column per field; Athena also accepts one alias per array
        # for it (the whole row: flattening-arrays.html, "UNNEST(dataset.users) AS t(person)").
        whole_rows = (
            bool(names)
            and len(names) == len(args) + (1 if ordinality else 0)
            and any(t.base == "array" and t.element.base == "row" and len(t.element.params) > 1 for _, t in args)
        )
        # (name, type, how to read it: (kind, source list) or, a row's field, ("row", list, index, row type))
        cols: list[tuple[str | None, T, tuple[str, exp.Expr] | tuple[str, exp.Expr, int, T]]] = []
        for a, t in args:
            if t.base == "array":
                e = t.element
                if e.base == "row" and not whole_rows:
                    for i, (n, ft) in enumerate(e.params):
                        cols.append((n, ft, ("row", a, i, e)))
                else:
                    cols.append((None, e, ("array", a)))
            elif t.base == "map":
                cols.append(("key", t.params[0], ("mapk", a)))
                cols.append(("value", t.params[1], ("mapv", a)))
            elif t.base == "unknown":
                cols.append((None, UNKNOWN, ("array", cast(duck.null(), "INTEGER[]"))))
            else:
                raise err("TYPE_MISMATCH", f"{where(node)}: Cannot unnest type: {t}")
        width = len(cols) + (1 if ordinality else 0)
        if names and len(names) != width:
            alias_name = alias.name if alias is not None else ""  # names come from an alias
            raise err(
                "MISMATCHED_COLUMN_ALIASES",
                f"{where(node)}: Column alias list has {len(names)} entries but '{alias_name}' "
                f"has {width} columns available",
            )
        # one lateral subquery: unnest the source lists side by side in a SELECT list
        lists = []
        for _, _, spec in cols:
            kind = spec[0]
            src = spec[1]
            key = id(src)
            if kind == "mapk" or kind == "mapv":
                lst = call("map_entries", src.copy())
            else:
                lst = src.copy()
            lists.append((key, lst))
        uniq: list[tuple[int, exp.Expr]] = []
        for key, lst in lists:
            if key not in [k for k, _ in uniq]:
                uniq.append((key, lst))
        inner_alias = self.fresh("__n")
        inner_cols = []
        for i, (_, lst) in enumerate(uniq):
            inner_cols.append(duck.alias(call("unnest", lst), f"u{i}"))
        if ordinality:
            longest = (
                call("greatest", *[call("len", lst.copy()) for _, lst in uniq])
                if len(uniq) > 1
                else call("len", uniq[0][1].copy())
            )
            inner_cols.append(
                duck.alias(
                    call("unnest", call("range", duck.number(1), exp.Add(this=longest, expression=duck.number(1)))),
                    "ord",
                )
            )
        inner = exp.select(*inner_cols)
        dname = self.fresh()
        out_fields, projected = [], []
        for j, (n, t, spec) in enumerate(cols):
            k = [key for key, _ in uniq].index(id(spec[1]))
            u = col(f"u{k}", inner_alias)
            kind = spec[0]
            if len(spec) == 4:  # a row's field
                value = call("struct_extract", u, string(ttypes.field_name(spec[3], spec[2])))
            elif kind == "mapk":
                value = call("struct_extract", u, string("key"))
            elif kind == "mapv":
                value = call("struct_extract", u, string("value"))
            else:
                value = u
            projected.append(duck.alias(value, f"c{j}"))
            out_fields.append(Field(names[j] if names else n, t, col(f"c{j}", dname)))
        if ordinality:
            projected.append(
                duck.alias(exp.Cast(this=col("ord", inner_alias), to=duck.datatype("BIGINT")), f"c{len(cols)}")
            )
            out_fields.append(Field(names[-1] if names else None, BIGINT, col(f"c{len(cols)}", dname)))
        q = exp.select(*projected).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(inner_alias))))
        rel_names = {alias.name.lower()} if alias is not None and alias.name else set()
        scope.add(Relation(rel_names, out_fields))
        return exp.Subquery(this=q, alias=exp.TableAlias(this=ident(dname)))

    # ---- names ------------------------------------------------------------------------------------
    def _relation(self, scope: Scope, qual: str) -> Relation | None:
        s = scope
        while s is not None:
            hits = [r for r in s.relations if qual in r.names]
            if hits:
                return hits[0]
            s = s.parent
        return None

    def column(self, node: exp.Column | _ColumnPath, scope: Scope) -> Typed:
        parts = [p.name.lower() for p in node.parts]
        text = ".".join(parts)
        if parts[-1] in ("$path", "$file_size", "$file_modified_time", "$partition", "$bucket"):
            raise not_supported(f'the hidden column "{parts[-1]}"', node)
        s = scope
        while s is not None:
            # lambda parameters
            if parts[0] in s.lambdas:
                base, t = s.lambdas[parts[0]]
                return self._deref(base.copy(), t, parts[1:], node)
            found = self._in_scope(s, parts, node)
            if found is not None:
                return found
            s = s.parent
        raise err(
            "COLUMN_NOT_FOUND",
            f"{where(node)}: Column '{text}' cannot be resolved or requester is not authorized to access "
            "requested resources",
        )

    def _in_scope(self, s: Scope, parts: list[str], node: exp.Column | _ColumnPath) -> Typed | None:
        # qualified by a relation name (1 to 3 parts of qualifier)
        for k in (3, 2, 1):
            if len(parts) > k:
                qual = ".".join(parts[:k])
                rels = [r for r in s.relations if qual in r.names]
                if rels:
                    rel = rels[0]
                    hits = [f for f in rel.fields if f.name == parts[k]]
                    if len(hits) > 1:
                        raise err("AMBIGUOUS_NAME", f"{where(node)}: Column '{'.'.join(parts[: k + 1])}' is ambiguous")
                    if hits:
                        return self._deref(hits[0].use(), hits[0].type, parts[k + 1 :], node)
        # an unqualified column, possibly followed by row field names
        name = parts[0]
        if name in s.merged:
            f = s.merged[name]
            return self._deref(f.ref.copy(), f.type, parts[1:], node)
        hits = [f for r in s.relations for f in r.fields if f.name == name]
        if len(hits) > 1:
            raise err("AMBIGUOUS_NAME", f"{where(node)}: Column '{name}' is ambiguous")
        if hits:
            return self._deref(hits[0].use(), hits[0].type, parts[1:], node)
        return None

    def _deref(self, base: exp.Expr, t: T, path: list[str], node: exp.Column | _ColumnPath | exp.Dot) -> Typed:
        for name in path:
            if t.base != "row":
                raise err(
                    "COLUMN_NOT_FOUND",
                    f"{where(node)}: Column '{'.'.join(p.name for p in node.parts)}' cannot be resolved",
                )
            for i, (n, ft) in enumerate(t.params):
                if n == name:
                    base, t = call("struct_extract", base, string(ttypes.field_name(t, i))), ft
                    break
            else:
                raise err("COLUMN_NOT_FOUND", f"{where(node)}: Column '{name}' cannot be resolved")
        return base, t

    # ---- coercion ---------------------------------------------------------------------------------
    def coerce(self, node: exp.Expr, src: T, dst: T) -> exp.Expr:
        """An implicit conversion Trino applies (numeric widening, varchar lengths, date -> timestamp)."""
        if src == dst:
            return node
        if src.base == "unknown":
            return cast(node, dst)
        if src.is_string and dst.base == "varchar":
            return node
        if dst.base == "timestamptz" and src.base in ("date", "timestamp"):
            return self.functions.to_tstz(node, src)
        if src.base == dst.base == "array":
            if src.element == dst.element:
                return node
            v = self.fresh("__x")
            body = self.coerce(exp.Column(this=ident(v)), src.element, dst.element)
            return call("list_transform", node, exp.Lambda(this=body, expressions=[ident(v)]))
        if src.base == dst.base == "row":
            return self.functions.row_convert(self, node, src, dst, explicit=False)
        if src.base == dst.base == "map":
            return self.functions.map_convert(self, node, src, dst, explicit=False)
        return cast(node, dst)

    def unify(self, typed: list[Typed], node: exp.Expr, message: str) -> tuple[list[exp.Expr], T]:
        """Coerce expressions to their common super type (or fail with ``message``)."""
        t = UNKNOWN
        for _, ti in typed:
            s = ttypes.common_super_type(t, ti)
            if s is None:
                raise mismatch(node, message.format(t=ti))
            t = s
        return [self.coerce(n, ti, t) for n, ti in typed], t

    # ---- expressions ---------------------------------------------------------------------------------
    def expr(self, node: exp.Expr, scope: Scope) -> tuple[exp.Expr, T]:
        handler = getattr(self, f"_e_{type(node).__name__}", None)
        if handler is None:
            for cls in type(node).__mro__[1:]:
                handler = getattr(self, f"_e_{cls.__name__}", None)
                if handler is not None:
                    break
        if handler is None:
            raise not_supported(f"the expression {node.sql(dialect='trino')[:60]!r} ({type(node).__name__})", node)
        return handler(node, scope)

    # literals
    def _e_Literal(self, node: exp.Literal, scope: Scope) -> Typed:
        if node.is_string:
            return string(node.this), ttypes.varchar(len(node.this))
        text = node.this
        if re.fullmatch(r"\d+", text):
            v = int(text)
            if v <= 2**31 - 1:
                return duck.cast(duck.number(text), "INTEGER"), INTEGER
            if v <= 2**63 - 1:
                return duck.cast(duck.number(text), "BIGINT"), BIGINT
            if v == 2**63:  # only valid negated: -9223372036854775808
                return duck.cast(duck.number(text), "HUGEINT"), BIGINT
            raise err("INVALID_LITERAL", f"{where(node)}: Invalid numeric literal: {text}")
        if "e" in text.lower():
            return duck.cast(string(text), "DOUBLE"), DOUBLE
        return self.functions.decimal_literal(text, node)

    def _e_Boolean(self, node: exp.Boolean, scope: Scope) -> Typed:
        return exp.Boolean(this=node.this), BOOLEAN

    def _e_Null(self, node: exp.Null, scope: Scope) -> Typed:
        return duck.null(), UNKNOWN

    def _e_HexString(self, node: exp.HexString, scope: Scope) -> Typed:
        return call("unhex", string(node.this)), ttypes.VARBINARY

    def _e_Paren(self, node: exp.Paren, scope: Scope) -> Typed:
        inner, t = self.expr(node.this, scope)
        return exp.Paren(this=inner), t

    def _e_Column(self, node: exp.Column, scope: Scope) -> Typed:
        if isinstance(node.this, exp.Star):
            raise err("SYNTAX_ERROR", f"{where(node)}: mismatched input '*'")
        return self.column(node, scope)

    def _e_Identifier(self, node: exp.Identifier, scope: Scope) -> Typed:  # a lambda parameter as sqlglot leaves it
        return self.column(exp.Column(this=node), scope)

    def _e_Dot(self, node: exp.Dot, scope: Scope) -> Typed:
        if isinstance(node.expression, exp.Star):
            raise err("SYNTAX_ERROR", f"{where(node)}: mismatched input '*'")
        # a.b.c.d... parsed as Dot(Column, Identifier): a column path, or a field of an expression
        path: list[exp.Expr] = []
        n: exp.Expr = node
        while isinstance(n, exp.Dot):
            path.insert(0, n.expression)
            n = n.this
        if isinstance(n, exp.Column) and all(isinstance(p, exp.Identifier) for p in path):
            return self.column(exp.Column(this=path[-1]) if False else _ColumnPath(n.parts + path), scope)
        base, t = self.expr(n, scope)
        return self._deref(base, t, [p.name.lower() for p in path], node)

    def _e_Placeholder(self, node: exp.Placeholder, scope: Scope) -> Typed:
        raise err(
            "INVALID_PARAMETER_USAGE",
            f"{where(node)}: Incorrect number of parameters: expected {1} but found 0",
        )

    # operators, functions, casts: functions.py (it knows every Trino rule they follow)
    def __getattr__(self, name: str) -> Callable[[exp.Expr, Scope], Typed]:
        if name.startswith("_e_"):
            handler = self.functions.EXPRESSIONS.get(name[3:])
            if handler is not None:
                return lambda node, scope: handler(self, node, scope)
        raise AttributeError(name)

    def named_window(self, w: exp.Window, scope: Scope) -> exp.Window:
        return self.functions.window_spec(self, w, scope, named=True)


class _ColumnPath(exp.Expression):
    """A column reference of more than four parts (a.b.c.d...), for :meth:`Translator.column`."""

    def __init__(self, parts: list[exp.Expr]) -> None:
        super().__init__()
        self._parts = parts

    @property
    def parts(self) -> list[exp.Expr]:
        return self._parts
