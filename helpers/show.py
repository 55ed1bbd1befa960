"""Compact, stable views of AWS responses (introduced in 00_setup).

Raw responses carry request ids, timestamps and HTTP headers that change on every
call; notebooks show the fields that teach something instead.
"""

from __future__ import annotations

import json
from typing import Any, Iterable


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


def pick(obj: dict, *paths: str) -> dict:
    """A small dict of the chosen fields: ``pick(resp, "GroupId", "VpcId")``."""
    return {p: get(obj, p) for p in paths}


def table(items: Iterable[dict], *paths: str):
    """A pandas DataFrame with one row per item and one column per path."""
    import pandas as pd

    return pd.DataFrame([[get(i, p) for p in paths] for i in items], columns=list(paths))


def strip(resp: dict) -> dict:
    """The response without ResponseMetadata (request id, HTTP headers, retries)."""
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def response(resp: dict, *paths: str) -> None:
    """Print a response (or only ``paths`` of it) as indented JSON, dates as ISO text."""
    doc = pick(resp, *paths) if paths else strip(resp)
    print(json.dumps(doc, indent=2, default=str, ensure_ascii=False))


def tags(items: list[dict] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` as ``{k: v}``, sorted."""
    return dict(sorted((t["Key"], t["Value"]) for t in items or []))
