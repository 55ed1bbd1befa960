"""The lab's budget alarm, for ``lab.inventory()`` and ``lab.teardown()`` (introduced in 00_setup).

00_setup creates one AWS Budgets budget, ``aws-de-labs-monthly``.  Budgets belong to the
account, not to a region, and older accounts cannot tag them (ListTagsForResource is also
missing from some API versions and from moto), so the collector matches the budget by its
name instead of by the ``Project`` tag: a budget with any other name is never touched.
"""

from __future__ import annotations

from . import clients, lab
from .resources import Resource, collector, quietly

BUDGET_NAME = "aws-de-labs-monthly"
BUDGET_LAB = "00"  # the lab that creates it
_PERIODS = {"DAILY": "day", "MONTHLY": "month", "QUARTERLY": "quarter", "ANNUALLY": "year"}


@collector("budget", order=95)
def _lab_budget() -> list[Resource]:
    budgets = clients.client("budgets")
    account = clients.account()
    try:
        budget = budgets.describe_budget(AccountId=account, BudgetName=lab.name(BUDGET_NAME))["Budget"]
    except budgets.exceptions.NotFoundException:
        return []
    limit = budget.get("BudgetLimit", {})
    period = _PERIODS.get(budget.get("TimeUnit", ""), budget.get("TimeUnit", "").lower())
    state = f"{limit.get('Amount', '?')} {limit.get('Unit', '')} per {period}"

    def delete() -> None:
        quietly(budgets.delete_budget, AccountId=account, BudgetName=lab.name(BUDGET_NAME))

    return [Resource("budget", lab.name(BUDGET_NAME), BUDGET_LAB, state, lab.name(BUDGET_NAME), delete)]
