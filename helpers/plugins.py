"""How helpers find their extensions: modules named ``<registry>_<topic>.py`` next to the registry.

Two registries use it: ``helpers.resources`` (collectors for ``lab.inventory()`` / ``lab.teardown()``,
in ``resources_<service>.py``) and ``helpers.lab``'s prerequisites (``requirements_<topic>.py``).
Each extension registers itself when imported; importing twice is harmless.
"""

from __future__ import annotations

import importlib
import pkgutil

import helpers


def load(registry: str) -> list[str]:
    """Import ``helpers.<registry>`` and every ``helpers.<registry>_*`` module; their names."""
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(helpers.__path__)
        if m.name == registry or m.name.startswith(registry + "_")
    )
    for name in names:
        importlib.import_module(f"helpers.{name}")
    return names
