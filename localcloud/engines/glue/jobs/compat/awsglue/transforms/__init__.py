"""Glue's transforms: ``X.apply(frame=..., ...)`` calls the DynamicFrame method of the same meaning.

Implemented locally: ApplyMapping, ResolveChoice, Filter, Map, DropFields, SelectFields,
RenameField, DropNullFields, Repartition, Coalesce, Union, SelectFromCollection. The other names
AWS's package exports exist so ``from awsglue.transforms import *`` works, and raise
``NotImplementedError`` ("not supported locally: <Name>.apply") when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._local import schema as _sc
from .._local.run import NotSupportedLocally

if TYPE_CHECKING:
    from .._local.schema import T


class GlueTransform:
    if TYPE_CHECKING:  # every transform defines it, with the parameters of its apply()

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    @classmethod
    def apply(cls, *args, **kwargs):
        return cls()(*args, **kwargs)

    @classmethod
    def name(cls):
        return cls.__name__

    def __repr__(self):
        return f"<Transform: {self.name()}>"


class ApplyMapping(GlueTransform):
    def __call__(
        self, frame, mappings, case_sensitive=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0
    ):
        return frame.apply_mapping(mappings, case_sensitive, transformation_ctx, info, stageThreshold, totalThreshold)


class ResolveChoice(GlueTransform):
    def __call__(
        self,
        frame,
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
        return frame.resolveChoice(
            specs, choice, database, table_name, transformation_ctx, info, stageThreshold, totalThreshold, catalog_id
        )


class Filter(GlueTransform):
    def __call__(self, frame, f, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame.filter(f, transformation_ctx, info, stageThreshold, totalThreshold)


class Map(GlueTransform):
    def __call__(
        self, frame, f, preservesPartitioning=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0
    ):
        return frame.map(f, preservesPartitioning, transformation_ctx, info, stageThreshold, totalThreshold)


class DropFields(GlueTransform):
    def __call__(self, frame, paths, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame.drop_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)


class SelectFields(GlueTransform):
    def __call__(self, frame, paths, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame.select_fields(paths, transformation_ctx, info, stageThreshold, totalThreshold)


class RenameField(GlueTransform):
    def __call__(self, frame, old_name, new_name, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame.rename_field(old_name, new_name, transformation_ctx, info, stageThreshold, totalThreshold)


class DropNullFields(GlueTransform):
    """Drops the fields no record has a value for (type ``null`` in the frame's schema)."""

    def __call__(self, frame, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        def nulls(t: T, path: str) -> list[str]:
            out: list[str] = []
            for k, f in (t.fields or {}).items() if t.kind == "struct" else []:
                name = f"`{k}`" if "." in k else k
                full = f"{path}.{name}" if path else name
                out += [full] if f.kind == "null" else nulls(f, full)
            return out

        return frame.drop_fields(nulls(frame._node, ""), transformation_ctx, info, stageThreshold, totalThreshold)


class Repartition(GlueTransform):
    def __call__(self, frame, num_partitions, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame.repartition(num_partitions)


class Coalesce(GlueTransform):
    def __call__(
        self, frame, num_partitions, shuffle=False, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0
    ):
        return frame.coalesce(num_partitions, shuffle)


class Union(GlueTransform):
    def __call__(self, frame1, frame2, transformation_ctx="", info="", stageThreshold=0, totalThreshold=0):
        return frame1.union(frame2)


class SelectFromCollection(GlueTransform):
    def __call__(self, dfc, key, transformation_ctx=""):
        return dfc.select(key)


def _unsupported(name: str) -> type:
    def __call__(self, *args, **kwargs):
        raise NotSupportedLocally(f"{name}.apply")

    return type(name, (GlueTransform,), {"__call__": __call__, "__doc__": f"{name}: not supported locally."})


Unbox = _unsupported("Unbox")
UnnestFrame = _unsupported("UnnestFrame")
Relationalize = _unsupported("Relationalize")
SplitFields = _unsupported("SplitFields")
SplitRows = _unsupported("SplitRows")
Join = _unsupported("Join")
Spigot = _unsupported("Spigot")
MapToCollection = _unsupported("MapToCollection")
FlatMap = _unsupported("FlatMap")
ErrorsAsDynamicFrame = _unsupported("ErrorsAsDynamicFrame")

ALL_TRANSFORMS = {
    ApplyMapping,
    ResolveChoice,
    Filter,
    Map,
    DropFields,
    SelectFields,
    RenameField,
    DropNullFields,
    Repartition,
    Coalesce,
    Union,
    SelectFromCollection,
    Unbox,
    UnnestFrame,
    Relationalize,
    SplitFields,
    SplitRows,
    Join,
    Spigot,
    MapToCollection,
    FlatMap,
    ErrorsAsDynamicFrame,
}
__all__ = sorted(t.__name__ for t in ALL_TRANSFORMS) + ["GlueTransform"]
del _sc
