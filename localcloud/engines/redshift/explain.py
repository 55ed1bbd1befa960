"""``EXPLAIN`` with Redshift's data-movement labels, derived from the tables' distribution.

Redshift's documentation ("Evaluating the query plan", Database Developer Guide) defines the
labels; this module applies them to each join of a query, left to right:

* inner table ``ALL`` → ``DS_DIST_ALL_NONE``; outer ``ALL`` (inner not) → ``DS_DIST_ALL_INNER``;
* both sides distributed on the two join columns → ``DS_DIST_NONE`` (a ``Merge Join`` when
  both are also sorted on them, as Redshift does);
* outer on its join column → ``DS_DIST_INNER``; inner on its join column → ``DS_DIST_OUTER``
  unless broadcasting the inner table moves fewer rows (``DS_BCAST_INNER``); neither →
  ``DS_BCAST_INNER`` or ``DS_DIST_BOTH``, whichever moves fewer rows.

Rows moved are counted as Redshift's cost model does in spirit (redistributing a table moves
each row once, broadcasting moves it to every node); the hash side (inner) of an inner join
is the smaller input.  Costs are not printed: Redshift's are relative units of its own
optimizer and cannot be reproduced; row counts are exact counts of each scan.  Only plain
SELECTs over warehouse tables are explained; anything else is refused as NOT_SUPPORTED.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from .errors import SqlError, not_supported
from .pgwire import not_null
from .slices import TableMeta, Topology, effective_style


@dataclass
class Node:
    label: str
    details: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def lines(self, depth: int = 0) -> list[str]:
        if depth == 0:
            head, pad = self.label, "  "
        else:
            head = " " * (6 * depth - 4) + "->  " + self.label
            pad = " " * (6 * depth + 2)
        out = [head] + [pad + d for d in self.details]
        for c in self.children:
            out += c.lines(depth + 1)
        return out


@dataclass
class Input:
    node: Node
    rows: int
    aliases: set[str]
    dist: str  # KEY | EVEN | ALL | SINGLE
    keys: set[tuple[str, str]] = field(default_factory=set)  # (alias, column) the rows are distributed on
    sorted_on: set[tuple[str, str]] = field(default_factory=set)


class TableLookup:
    """What EXPLAIN needs from the session: a table's metadata and its filtered row count."""

    def meta(self, table: exp.Table) -> TableMeta | None:  # pragma: no cover - interface
        raise NotImplementedError

    def count(self, table: exp.Table, where_sql: str | None) -> int:  # pragma: no cover - interface
        raise NotImplementedError


def explain(tree: exp.Expr, lookup: TableLookup, topo: Topology) -> list[str]:
    if not isinstance(tree, exp.Select) or tree.find(exp.Subquery) or tree.args.get("with_") or tree.args.get("with"):
        raise not_supported("EXPLAIN of anything but a single SELECT over warehouse tables (no subqueries or CTEs)")
    from_ = tree.args.get("from_") or tree.args.get("from")
    if from_ is None:
        return ["XN Result  (rows=1)"]
    where = tree.args.get("where")
    conjuncts = list(and_terms(where.this)) if where is not None else []
    first = _scan(from_.this, lookup, topo, conjuncts)
    current = first
    for join in tree.args.get("joins") or []:
        right = _scan(join.this, lookup, topo, conjuncts)
        current = _join(current, right, join, topo)
    node = current.node
    if tree.args.get("group") or any(isinstance(e, exp.AggFunc) for e in tree.find_all(exp.AggFunc)):
        node = Node("XN HashAggregate", children=[node])
    order = tree.args.get("order")
    limit = tree.args.get("limit")
    if order is not None:
        keys = ", ".join(o.this.sql("postgres") for o in order.expressions)
        node = Node("XN Sort", [f"Sort Key: {keys}"], [node])
        node = Node("XN Network", ["Send to leader"], [node])
        node = Node("XN Merge", [f"Merge Key: {keys}"], [node])
    if limit is not None:
        node = Node("XN Limit", children=[node])
    return node.lines()


def and_terms(e: exp.Expr) -> Iterator[exp.Expr]:
    """The terms of ``a AND (b AND c)``: a, b, c (a WHERE or ON clause, for pruning and plans)."""
    if isinstance(e, exp.And):
        yield from and_terms(e.left)
        yield from and_terms(e.right)
    elif isinstance(e, exp.Paren):
        yield from and_terms(e.this)
    else:
        yield e


def _alias(t: exp.Table) -> str:
    return (t.alias or t.name).lower()


def _scan(t: exp.Expr, lookup: TableLookup, topo: Topology, conjuncts: list[exp.Expr]) -> Input:
    if not isinstance(t, exp.Table):
        raise not_supported("EXPLAIN of a FROM item that is not a table")
    meta = lookup.meta(t)
    if meta is None:
        raise SqlError(f'relation "{t.sql("postgres")}" does not exist or is not a warehouse table', "42P01")
    alias = _alias(t)
    mine = [c for c in conjuncts if {col.table.lower() or alias for col in c.find_all(exp.Column)} == {alias}]
    where_sql = " AND ".join(c.sql("postgres") for c in mine) or None
    rows = lookup.count(t, where_sql)
    total_rows = lookup.count(t, None)
    style, _ = effective_style(meta, total_rows, topo)
    keys = {(alias, not_null(meta.distkey))} if style == "KEY" else set()
    sorted_on = {(alias, meta.sortkeys[0])} if meta.sortkeys and meta.sortstyle == "COMPOUND" else set()
    name = t.name + (f" {t.alias}" if t.alias else "")
    details = [f"Filter: ({where_sql})"] if where_sql else []
    node = Node(f"XN Seq Scan on {name}  (rows={rows})", details)
    return Input(node, rows, {alias}, style, keys, sorted_on)


def _join_pairs(on: exp.Expr | None, left: Input, right: Input) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = []
    if on is None:
        return pairs
    for c in and_terms(on):
        if isinstance(c, exp.EQ) and isinstance(c.left, exp.Column) and isinstance(c.right, exp.Column):
            a = (c.left.table.lower(), c.left.name.lower())
            b = (c.right.table.lower(), c.right.name.lower())
            if a[0] in right.aliases and b[0] in left.aliases:
                a, b = b, a
            if a[0] in left.aliases and b[0] in right.aliases:
                pairs.append((a, b))
    return pairs


def _join(left: Input, right: Input, join: exp.Join, topo: Topology) -> Input:
    kind = (join.args.get("side") or "").upper()
    on = join.args.get("on")
    if kind == "" and right.rows > left.rows:
        left, right = right, left  # the hash table is built on the smaller input
    pairs = _join_pairs(on, left, right)
    if not pairs:
        label, dist, keys = "DS_BCAST_INNER", left.dist, left.keys
        outer_node, inner_node = left.node, right.node
        node = Node(f"XN Nested Loop {label}", [], [outer_node, inner_node])
        return Input(node, left.rows * max(right.rows, 1), left.aliases | right.aliases, dist, keys)
    on_outer = [p for p in pairs if p[0] in left.keys]
    on_inner = [p for p in pairs if p[1] in right.keys]
    collocated = [p for p in pairs if p[0] in left.keys and p[1] in right.keys]
    bcast_cost = right.rows * topo.nodes
    if right.dist == "ALL":
        label, dist, keys = "DS_DIST_ALL_NONE", left.dist, set(left.keys)
    elif left.dist == "ALL":
        label, dist, keys = "DS_DIST_ALL_INNER", "SINGLE", set()
    elif collocated:
        label, dist, keys = "DS_DIST_NONE", "KEY", set(left.keys) | {p[1] for p in collocated}
    elif on_outer:
        label, dist, keys = "DS_DIST_INNER", "KEY", set(left.keys) | {on_outer[0][1]}
    elif on_inner:
        if left.rows <= bcast_cost:
            label, dist, keys = "DS_DIST_OUTER", "KEY", set(right.keys) | {on_inner[0][0]}
        else:
            label, dist, keys = "DS_BCAST_INNER", left.dist, set(left.keys)
    elif bcast_cost <= left.rows + right.rows:
        label, dist, keys = "DS_BCAST_INNER", left.dist, set(left.keys)
    else:
        label, dist, keys = "DS_DIST_BOTH", "KEY", {pairs[0][0], pairs[0][1]}
    cond = " AND ".join(f'("outer".{a[1]} = "inner".{b[1]})' for a, b in pairs)
    merge = label == "DS_DIST_NONE" and any(p[0] in left.sorted_on and p[1] in right.sorted_on for p in collocated)
    side = {"LEFT": " Left", "RIGHT": " Right", "FULL": " Full"}.get(kind, "")
    if merge:
        node = Node(f"XN Merge{side} Join {label}", [f"Merge Cond: {cond}"], [left.node, right.node])
    else:
        hashed = Node("XN Hash", children=[right.node])
        node = Node(f"XN Hash{side} Join {label}", [f"Hash Cond: {cond}"], [left.node, hashed])
    rows = max(left.rows, right.rows)
    return Input(node, rows, left.aliases | right.aliases, dist, keys)
