"""Compact, stable views of AWS responses (introduced in 00_setup).

Raw responses carry request ids, timestamps and HTTP headers that change on every
call; notebooks show the fields that teach something instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def get(obj: Any, path: str, default: Any = None) -> Any:
    """``get(instance, "State.Name")``; list items by index (``"Tags.0.Value"``)."""
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit():
            obj = obj[int(part)] if int(part) < len(obj) else default
        elif isinstance(obj, dict):
            obj = obj.get(part, default)
        else:
            return default
    return obj


def pick(obj: Mapping[str, Any], *paths: str) -> dict[str, Any]:
    """A small dict of the chosen fields: ``pick(resp, "GroupId", "VpcId")``."""
    return {p: get(obj, p) for p in paths}


def table(items: Iterable[Mapping[str, Any]], *paths: str) -> pd.DataFrame:
    """A pandas DataFrame with one row per item and one column per path."""
    import pandas as pd

    return pd.DataFrame([[get(i, p) for p in paths] for i in items], columns=list(paths))


def strip(resp: Mapping[str, Any]) -> dict[str, Any]:
    """The response without ResponseMetadata (request id, HTTP headers, retries)."""
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def response(resp: Mapping[str, Any], *paths: str) -> None:
    """Print a response (or only ``paths`` of it) as indented JSON, dates as ISO text."""
    doc = pick(resp, *paths) if paths else strip(resp)
    print(json.dumps(doc, indent=2, default=str, ensure_ascii=False))


def tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` as ``{k: v}``, sorted."""
    return dict(sorted((t["Key"], t["Value"]) for t in items or []))


class StaticViews:
    """Mixin for a widget that also renders without a widget manager: its display bundle carries
    ``as_text()`` and ``as_html()`` too (nbval compares the text; static HTML pages show the
    table).  Put it before the widget class: ``class Dashboard(StaticViews, widgets.VBox)``."""

    def as_text(self) -> str:
        raise NotImplementedError

    def as_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        widget = getattr(super(), "_repr_mimebundle_", None)  # the widget's own view, when there is one
        data: dict[str, Any] = dict((widget(**kwargs) if widget else None) or {})
        data["text/plain"] = self.as_text()
        data["text/html"] = self.as_html()
        return data
