"""DynamicFrame on a Spark DataFrame, with Glue's choice types (localcloud's ``awsglue`` subset).

Method names and parameters follow AWS's ``awsglue.dynamicframe`` (aws-glue-libs, glue-5.0).
A choice column is held as a struct with one member per type (see ``_local/schema.py``).
Calls of AWS's API that this subset does not implement raise ``NotImplementedError``
("not supported locally: DynamicFrame.<name>").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._local import schema as sc
from ._local.run import NotSupportedLocally

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Row

    from .context import GlueContext

__all__ = ["DynamicFrame", "DynamicFrameCollection", "DynamicFrameReader", "DynamicFrameWriter", "ResolveOption"]

# AWS's DynamicFrame methods outside this subset: named in the error instead of an AttributeError.
_NOT_HERE = {
    "with_frame_schema",
    "mapPartitions",
    "mapPartitionsWithIndex",
    "unbox",
    "split_fields",
    "split_rows",
    "spigot",
    "join",
    "unnest",
    "relationalize",
    "unnest_ddb_json",
    "simplify_ddb_json",
    "mergeDynamicFrame",
    "getSink",
    "write",
}


def parse_path(path: str) -> list[str]:
    """``a.b`` -> [a, b]; a name with dots is quoted in backticks: ```a.b`.c`` -> [a.b, c]."""
    parts, cur, quoted = [], "", False
    for ch in path:
        if ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _col(parts: list[str]) -> Column:
    from pyspark.sql import functions as F

    return F.col(".".join(f"`{p}`" for p in parts))


def _find(node: sc.T, parts: list[str], case_sensitive: bool = True) -> tuple[list[str], sc.T] | None:
    """(real path, node) of ``parts`` in the tree, or None when no record has that field."""
    real: list[str] = []
    for p in parts:
        if node.kind != "struct":
            return None
        key = p if p in node.fields else None
        if key is None and not case_sensitive:
            key = next((k for k in node.fields if k.lower() == p.lower()), None)
        if key is None:
            return None
        real.append(key)
        node = node.fields[key]
    return real, node


def _build(leaves: list[tuple[list[str], Column, sc.T]]) -> tuple[list[Column], sc.T]:
    """Columns and tree from (target path, column expression, type): dotted targets nest as structs."""
    from pyspark.sql import functions as F

    tree: dict[str, Any] = {}  # name -> (column, type), or a dict of the same for a struct
    for parts, expr, node in leaves:
        level = tree
        for p in parts[:-1]:
            level = level.setdefault(p, {})
            if not isinstance(level, dict):
                raise ValueError(f"mapping target {'.'.join(parts)} is both a field and a struct")
        level[parts[-1]] = (expr, node)

    def emit(level):
        cols, fields = [], {}
        for name, sub in level.items():
            if isinstance(sub, dict):
                inner_cols, inner_node = emit(sub)
                cols.append(F.struct(*inner_cols).alias(name))
                fields[name] = inner_node
            else:
                cols.append(sub[0].alias(name))
                fields[name] = sub[1]
        return cols, sc.struct(fields)

    return emit(tree)


def _cast_choice(parts: list[str], node: sc.T, type_name: str) -> Column:
    """A choice column cast to one type: each member cast, the present one kept."""
    from pyspark.sql import functions as F

    target = sc.spark_type_name(type_name)
    if node.kind != "choice":
        return _col(parts).cast(target)
    return F.coalesce(*[_col(parts + [m]).cast(target) for m in node.fields])


class DynamicRecord(dict):
    """A record as ``filter``/``map`` functions get it: a dict of its non-null fields."""


def _record(row: Row, node: sc.T) -> DynamicRecord:
    def strip(v):
        if isinstance(v, dict):
            return DynamicRecord({k: strip(x) for k, x in v.items() if x is not None})
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(sc.unwrap(row, node))


class ResolveOption:
    """``toDF([ResolveOption(path, action, target)])``: action Project, KeepAsStruct or Cast."""

    def __init__(self, path, action, target=None):
        self.path, self.action, self.target = path, action, target


class DynamicFrame:
    def __init__(self, df: DataFrame, glue_ctx: GlueContext, name: str = "", node: sc.T | None = None) -> None:
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name
        self._node = node if node is not None else sc.from_spark(df.schema)

    def __getattr__(self, attr):
        if attr in _NOT_HERE:
            raise NotSupportedLocally(f"DynamicFrame.{attr}")
        raise AttributeError(f"'DynamicFrame' object has no attribute '{attr}'")

    def _new(self, df: DataFrame, node: sc.T) -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, self.name, node)

    # ---- conversion and inspection ----------------------------------------------------------------

    @classmethod
    def fromDF(cls, dataframe, glue_ctx, name=""):
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options=None):
        frame = self
        for opt in options or []:
            if opt.action == "KeepAsStruct":
                frame = frame.resolveChoice(specs=[(opt.path, "make_struct")])
            elif opt.action in ("Project", "Cast"):
                if opt.target is None:
                    raise Exception(f"Missing target type for resolve action {opt.action}.")
                target = opt.target if isinstance(opt.target, str) else opt.target.simpleString()
                frame = frame.resolveChoice(specs=[(opt.path, f"{opt.action.lower()}:{target}")])
            else:
                raise NotSupportedLocally(f"toDF ResolveOption action {opt.action!r}")
        return frame._df

    def count(self):
        return self._df.count()

    def schema(self):
        from .gluetypes import from_tree

        return from_tree(self._node)

    def printSchema(self):
        print("\n".join(["root"] + sc.tree_lines(self._node)) + "\n")

    def show(self, num_rows=20):
        node = self._node
        for row in self._df.limit(num_rows).collect():
            print(json.dumps(_record(row, node), default=str))

    def getNumPartitions(self):
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return self._new(self._df.repartition(num_partitions), self._node)

    def coalesce(
        self, num_partitions, shuffle=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0
    ):
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._new(df, self._node)

    # Records that fail a transform are dropped, as Glue does; localcloud does not keep them.
    def errorsCount(self):
        return 0

    def stageErrorsCount(self):
        return 0

    def assertErrorThreshold(self):
        return None

    def errorsAsDynamicFrame(self):
        spark = self._df.sparkSession
        return DynamicFrame(spark.createDataFrame([], "error string"), self.glue_ctx, self.name + "_errors")

    # ---- field transforms -------------------------------------------------------------------------

    def applyMapping(self, *args, **kwargs):
        if args and isinstance(args[0], DynamicFrame):
            args = args[1:]
        return self.apply_mapping(*args, **kwargs)

    def apply_mapping(
        self, mappings, case_sensitive=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0
    ):
        if isinstance(mappings, tuple):
            mappings = [mappings]
        leaves = []
        for m in mappings:
            if not isinstance(m, tuple):
                raise TypeError(f"Mapping must be specified as a tuple. Got {m!r}")
            if len(m) == 4:
                src, _src_type, dst, dst_type = m
            elif len(m) == 3:
                src, dst, dst_type = m
            elif len(m) == 2:
                (src, dst), dst_type = m, None
            else:
                raise ValueError(f"Mapping tuple must be of length 2, 3, or 4. Got tuple of length {len(m)}")
            found = _find(self._node, parse_path(src), case_sensitive)
            if found is None:
                continue  # no record has the field: Glue's output has no such field either
            real, node = found
            want = dst_type.strip().lower() if dst_type else None
            if (
                want is None
                or want in ("struct", "array")
                or (node.kind != "choice" and sc.spark_type_name(node.name) == sc.spark_type_name(want))
            ):
                expr, out = _col(real), node
            else:
                expr = _cast_choice(real, node, want)
                out = sc.from_spark(self._df.select(expr.alias("x")).schema["x"].dataType)
            leaves.append((parse_path(dst), expr, out))
        cols, node = _build(leaves)
        return self._new(self._df.select(*cols), node)

    def select_fields(self, paths, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        paths = [paths] if isinstance(paths, str) else paths
        leaves = []
        for p in paths:
            found = _find(self._node, parse_path(p))
            if found is not None:
                leaves.append((found[0], _col(found[0]), found[1]))
        cols, node = _build(leaves)
        return self._new(self._df.select(*cols), node)

    def drop_fields(self, paths, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        paths = [paths] if isinstance(paths, str) else paths
        df, node = self._df, _copy(self._node)
        for p in paths:
            found = _find(node, parse_path(p))
            if found is None:
                continue
            real = found[0]
            if len(real) == 1:
                df = df.drop(real[0])
            else:
                df = df.withColumn(real[0], _col(real[:1]).dropFields(".".join(f"`{x}`" for x in real[1:])))
            parent = node
            for x in real[:-1]:
                parent = parent.fields[x]
            del parent.fields[real[-1]]
        return self._new(df, node)

    def rename_field(self, oldName, newName, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        old, new = parse_path(oldName), parse_path(newName)
        found = _find(self._node, old)
        if found is None:
            return self
        real, fnode = found
        if len(new) != len(real) or new[:-1] != real[:-1]:
            raise NotSupportedLocally("rename_field to a different parent struct")
        node = _copy(self._node)
        parent = node
        for x in real[:-1]:
            parent = parent.fields[x]
        parent.fields = {(new[-1] if k == real[-1] else k): v for k, v in parent.fields.items()}
        if len(real) == 1:
            df = self._df.withColumnRenamed(real[0], new[-1])
        else:
            inner = ".".join(f"`{x}`" for x in real[1:])
            target = ".".join(f"`{x}`" for x in new[1:])
            top = _col(real[:1]).withField(target, _col(real)).dropFields(inner)
            df = self._df.withColumn(real[0], top)  # withField appends the renamed member last
        return self._new(df, sc.from_spark(df.schema, sc.choice_paths(node)))

    # ---- choice types -----------------------------------------------------------------------------

    def resolveChoice(
        self,
        specs=None,
        choice="",
        database=None,
        table_name=None,
        transformation_ctx="",
        info="",
        stageThreshold=0,
        totalThreshold=0,
        catalog_id=None,
    ):
        if specs is None and not choice:
            raise Exception("Parameter specs and option are both missing, add one.")
        if specs is not None and choice:
            raise Exception("Parameter specs and option are both specified, choose one.")
        if isinstance(specs, tuple):
            specs = [specs]
        if specs is None:
            specs = [
                (".".join(f"`{p}`" if "." in p else p for p in path), choice) for path in sc.choice_paths(self._node)
            ]
        frame = self
        for path, action in specs:
            frame = frame._resolve_one(parse_path(path), action, database, table_name)
        return frame

    def _resolve_one(self, parts, action, database, table_name):

        found = _find(self._node, parts)
        if found is None:
            return self
        real, node = found
        if "[]" in real:
            raise NotSupportedLocally("resolveChoice inside an array")
        kind, _, target = action.partition(":")
        kind = kind.strip().lower()
        if kind == "match_catalog":
            if not database or not table_name:
                raise Exception("database and table_name are required for match_catalog")
            from ._local import catalog

            table = catalog.get_table(database, table_name)
            types = dict(table.columns + table.partition_keys)
            if real[0] not in types:
                return self
            kind, target = "cast", types[real[0]] if len(real) == 1 else ""
            if not target:
                raise NotSupportedLocally("match_catalog on a nested field")
        if kind in ("cast", "project"):
            if not target:
                raise Exception(f"resolveChoice action {action!r} needs a type, e.g. cast:long")
            if kind == "project" and node.kind == "choice" and sc.from_hive(target).name not in node.fields:
                raise Exception(f"project:{target}: {'.'.join(real)} has no {target} member")
            expr = _cast_choice(real, node, target)
            return self._replace(real, [(real[-1], expr)])
        if kind == "make_struct":
            if node.kind != "choice":
                return self
            tree = _copy(self._node)
            _at(tree, real[:-1]).fields[real[-1]] = sc.struct(node.fields)
            return self._new(self._df, tree)
        if kind == "make_cols":
            if node.kind != "choice":
                return self
            cols = [(f"{real[-1]}_{m}", _col(real + [m])) for m in node.fields]
            return self._replace(real, cols)
        raise (
            NotSupportedLocally(f"resolveChoice action {action!r}")
            if kind
            else Exception(f"unknown resolveChoice action {action!r}")
        )

    def _replace(self, real, cols):
        """Replace the field at ``real`` by (name, expr) columns next to it; the tree follows Spark."""
        from pyspark.sql import functions as F

        df = self._df
        if len(real) == 1:
            out = []
            for f in df.columns:
                if f == real[0]:
                    out += [e.alias(n) for n, e in cols]
                else:
                    out.append(F.col(f"`{f}`"))
            df = df.select(*out)
        else:
            top = _col(real[:1])
            inner = ".".join(f"`{x}`" for x in real[1:])
            parent = ".".join(f"`{x}`" for x in real[1:-1])
            top = top.dropFields(inner)
            for n, e in cols:
                top = top.withField(f"{parent}.`{n}`" if parent else f"`{n}`", e)
            df = df.withColumn(real[0], top)
        choices = [p for p in sc.choice_paths(self._node) if tuple(p[: len(real)]) != tuple(real)]
        return self._new(df, sc.from_spark(df.schema, choices))

    # ---- record functions -------------------------------------------------------------------------

    def filter(self, f, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        node = self._node

        def keep(row):
            try:
                return bool(f(_record(row, node)))
            except (KeyError, ValueError, TypeError):
                return False  # as Glue: a record the predicate cannot evaluate is filtered out
            except Exception:
                return False  # Glue marks it an error record; errors are not kept locally

        spark = self._df.sparkSession
        rdd = self._df.rdd.filter(keep)
        return self._new(spark.createDataFrame(rdd, self._df.schema, verifySchema=False), node)

    def map(self, f, preservesPartitioning=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        node = self._node

        def apply(row):
            try:
                out = f(_record(row, node))
            except Exception:
                return None  # Glue marks it an error record; errors are not kept locally
            return json.dumps(out, default=str) if out else None

        mapped = self._df.rdd.map(apply).filter(lambda s: s is not None).cache()
        new_node = mapped.map(lambda s: sc.of_json(json.loads(s))).fold(sc.struct({}), sc.merge)
        if new_node.kind != "struct":
            raise TypeError("map: the function must return a dict (a DynamicRecord)")
        spark = self._df.sparkSession
        rows = mapped.map(lambda s: json.dumps(sc.rewrite(json.loads(s), new_node)))
        if not new_node.fields:
            return self._new(spark.createDataFrame([], sc.to_spark_schema(new_node)), new_node)
        df = spark.read.schema(sc.to_spark_schema(new_node)).json(rows)
        return self._new(df, new_node)

    def union(self, other_frame, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        if self._node != other_frame._node:
            merged = sc.merge(self._node, other_frame._node)
            if sc.has_choice(merged) and not (sc.has_choice(self._node) or sc.has_choice(other_frame._node)):
                raise NotSupportedLocally("union of frames whose field types differ")
        df = self._df.unionByName(other_frame._df, allowMissingColumns=True)
        return self._new(df, sc.from_spark(df.schema, sc.choice_paths(self._node)))

    def _unresolved(self) -> list[str]:
        return [".".join(p) for p in sc.choice_paths(self._node)]


def _copy(t: sc.T) -> sc.T:
    if t.kind in ("struct", "choice"):
        return sc.T(t.kind, {k: _copy(v) for k, v in t.fields.items()})
    if t.kind == "array":
        return sc.T("array", element=_copy(t.elem))
    return sc.T(t.kind)


def _at(t: sc.T, parts: list[str]) -> sc.T:
    for p in parts:
        t = t.fields[p]
    return t


class DynamicFrameCollection:
    def __init__(self, dynamic_frames, glue_ctx):
        self._df_dict = dict(dynamic_frames)
        self._glue_ctx = glue_ctx

    def __getitem__(self, key):
        return self._df_dict[key]

    def __len__(self):
        return len(self._df_dict)

    def keys(self):
        return self._df_dict.keys()

    def values(self):
        return self._df_dict.values()

    def select(self, key, transformation_ctx=""):
        return self._df_dict[key]


class DynamicFrameReader:
    """``glueContext.create_dynamic_frame``: ``from_catalog`` and ``from_options``."""

    def __init__(self, glue_context):
        self._glue_context = glue_context

    def from_options(
        self,
        connection_type,
        connection_options={},  # noqa: B006 (AWS's signature)
        format=None,
        format_options={},  # noqa: B006
        transformation_ctx="",
        push_down_predicate="",
        **kwargs,
    ):
        return self._glue_context.create_dynamic_frame_from_options(
            connection_type,
            connection_options,
            format,
            format_options,
            transformation_ctx,
            push_down_predicate,
            **kwargs,
        )

    def from_catalog(
        self,
        database=None,
        table_name=None,
        redshift_tmp_dir="",
        transformation_ctx="",
        push_down_predicate="",
        additional_options={},  # noqa: B006
        catalog_id=None,
        **kwargs,
    ):
        return self._glue_context.create_dynamic_frame_from_catalog(
            database,
            table_name,
            redshift_tmp_dir,
            transformation_ctx,
            push_down_predicate,
            additional_options,
            catalog_id,
            **kwargs,
        )

    def from_rdd(self, data, name, schema=None, sampleRatio=None):
        return self._glue_context.create_dynamic_frame_from_rdd(data, name, schema, sampleRatio)


class DynamicFrameWriter:
    """``glueContext.write_dynamic_frame``: ``from_options`` and ``from_catalog``."""

    def __init__(self, glue_context):
        self._glue_context = glue_context

    def from_options(
        self,
        frame,
        connection_type,
        connection_options={},  # noqa: B006
        format=None,
        format_options={},  # noqa: B006
        transformation_ctx="",
    ):
        return self._glue_context.write_dynamic_frame_from_options(
            frame, connection_type, connection_options, format, format_options, transformation_ctx
        )

    def from_catalog(
        self,
        frame,
        database=None,
        table_name=None,
        redshift_tmp_dir="",
        transformation_ctx="",
        additional_options={},  # noqa: B006
        catalog_id=None,
        **kwargs,
    ):
        return self._glue_context.write_dynamic_frame_from_catalog(
            frame, database, table_name, redshift_tmp_dir, transformation_ctx, additional_options, catalog_id, **kwargs
        )

    def from_jdbc_conf(self, *args, **kwargs):
        raise NotSupportedLocally("write_dynamic_frame.from_jdbc_conf (JDBC connections)")
