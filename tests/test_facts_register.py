"""Every price the course quotes is in the facts register (helpers/facts.toml, issue 19).

A dollar amount (``$0.017``, ``$ 5``, ``0.0170 $/hour``) in a notebook (sources and saved
outputs), README.md, helpers/*.py or a quiz file (helpers/quizzes/) must be one of:

- a register value (``[service.fact] value``), equal as a number (``0.0170`` is ``0.017``);
- a ``[derived.*]`` entry's ``formula`` over register facts, evaluated here and compared at the
  quoted precision (``$12.41`` quoted, 12.4100 computed);
- a bound, not a price: right after "under", "below", "less than" or "<" ("well under $0.01").

The rule for code (CONTRIBUTING.md, "Facts and prices"): a helper that prints a price computes it
from the register, so what it prints is a register value or a registered derived one.
"""

from __future__ import annotations

import ast
import json
import operator
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "helpers" / "facts.toml"

# $0.017, $ 5, $12.41, $1,000 ... and the dashboard's "0.0170 $/hour"
PRICE = re.compile(r"(?<![\w$])\$\s?(\d[\d,]*(?:\.\d+)?)|(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?\$(?=/)")
BOUND = re.compile(r"(?:\bunder|\bbelow|\bless than|<|≤)\s*$")

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _register() -> dict:
    return tomllib.loads(REGISTER.read_text(encoding="utf-8"))


def evaluate(formula: str, register: dict) -> float:
    """A derived formula's value: arithmetic over numbers and ``service.fact`` names only."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            service, fact = node.value.id, node.attr
            value = register.get(service, {}).get(fact, {}).get("value")
            if service == "derived" or not isinstance(value, int | float):
                raise ValueError(f"{formula!r}: {service}.{fact} is not a numeric register fact")
            return value
        raise ValueError(f"{formula!r}: only + - * / ** over numbers and register facts")

    return ev(ast.parse(formula, mode="eval"))


def known_prices(register: dict) -> tuple[set[float], list[float]]:
    """(the register's numeric values, the derived values)."""
    values = {
        float(fact["value"])
        for service, facts in register.items()
        if service != "derived"
        for fact in facts.values()
        if isinstance(fact.get("value"), int | float) and not isinstance(fact.get("value"), bool)
    }
    derived = [evaluate(d["formula"], register) for d in register.get("derived", {}).values()]
    return values, derived


def quoted_prices(text: str) -> list[str]:
    """The dollar amounts in ``text`` that are prices (bounds such as 'under $0.01' left out)."""
    found = []
    for m in PRICE.finditer(text):
        if BOUND.search(text[max(0, m.start() - 20) : m.start()]):
            continue
        found.append(m.group(1) or m.group(2))
    return found


def is_registered(amount: str, values: set[float], derived: list[float]) -> bool:
    number = float(amount.replace(",", ""))
    decimals = len(amount.partition(".")[2])
    return any(abs(number - v) < 1e-12 for v in values) or any(round(d, decimals) == number for d in derived)


def unregistered(texts: dict[str, str]) -> list[str]:
    values, derived = known_prices(_register())
    return [
        f"${amount} in {where}"
        for where, text in texts.items()
        for amount in quoted_prices(text)
        if not is_registered(amount, values, derived)
    ]


def _notebook_texts(path: Path) -> dict[str, str]:
    texts = {}
    for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        texts[f"{path.name}[{i}] source"] = "".join(cell["source"])
        for j, out in enumerate(cell.get("outputs", [])):
            parts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
            texts[f"{path.name}[{i}] output {j}"] = "".join("".join(p) if isinstance(p, list) else p for p in parts)
    return texts


def test_the_scanner_finds_quoted_prices_and_leaves_bounds_and_shell_variables():
    text = "about $0.017/hour, $ 5 per TB, 0.0170 $/hour, $1,000 — well under $0.01; less than $2; ${HOME} $x"
    assert quoted_prices(text) == ["0.017", "5", "0.0170", "1,000"]
    values, derived = {0.017, 5.0}, [12.4099999]
    assert is_registered("0.0170", values, derived) and is_registered("12.41", values, derived)
    assert not is_registered("12.4", values, [12.47]) and not is_registered("0.018", values, derived)


def test_every_derived_value_is_computed_from_register_facts():
    register = _register()
    assert register["derived"], "the register has derived values"
    for name, entry in register["derived"].items():
        value = evaluate(entry["formula"], register)  # raises on an unknown or non-numeric fact
        assert value > 0, name
        assert {"formula", "unit", "used_in"} <= set(entry), f"derived.{name}: formula, unit and used_in"
        for amount in quoted_prices(entry["unit"]):  # "$0.0163" in the unit is the formula's value
            assert round(value, len(amount.partition(".")[2])) == float(amount), f"derived.{name}: {value}"
    with pytest.raises(ValueError, match="not a numeric register fact"):
        evaluate("rds.no_such_fact * 2", register)
    with pytest.raises(ValueError, match="only"):
        evaluate("__import__('os')", register)


def test_readme_helpers_and_quizzes_quote_only_registered_prices():
    paths = [ROOT / "README.md", *sorted((ROOT / "helpers").glob("*.py"))]
    paths += sorted((ROOT / "helpers" / "quizzes").glob("*.toml"))
    missing = unregistered({p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in paths})
    assert not missing, f"prices not in helpers/facts.toml (add the fact, or a [derived.*] formula): {missing}"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_quote_only_registered_prices(path):
    missing = unregistered(_notebook_texts(path))
    assert not missing, f"prices not in helpers/facts.toml (add the fact, or a [derived.*] formula): {missing}"
