"""The course budget alarm as a prerequisite of every lab (``lab.require("lab-budget")``).

Lab 00 teaches how the budget is made; every later lab makes sure it still exists, so a
real account is watched whichever lab a learner opens first.  99_cleanup deletes it last.
"""

from __future__ import annotations

import os

from . import clients, lab
from .lab import requirement, tags

BUDGET_NAME = "aws-de-labs-monthly"
LIMIT_USD = "5"


@requirement("lab-budget", lab="00", description=f"the course budget alarm {BUDGET_NAME} (5 USD/month)")
def ensure_budget() -> bool:
    budgets = clients.client("budgets")
    account = clients.account()
    try:
        budgets.describe_budget(AccountId=account, BudgetName=lab.name(BUDGET_NAME))
        return False
    except budgets.exceptions.NotFoundException:
        pass
    budgets.create_budget(
        AccountId=account,
        Budget={
            "BudgetName": lab.name(BUDGET_NAME),
            "BudgetType": "COST",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": LIMIT_USD, "Unit": "USD"},
        },
        ResourceTags=tags(Lab="00"),  # it belongs to lab 00 whichever lab re-creates it
    )
    email = os.environ.get("LAB_ALERT_EMAIL", "")
    if email:  # the alert 00_setup explains: actual spend above 80 % of the limit
        budgets.create_notification(
            AccountId=account,
            BudgetName=lab.name(BUDGET_NAME),
            Notification={
                "NotificationType": "ACTUAL",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": 80.0,
                "ThresholdType": "PERCENTAGE",
            },
            Subscribers=[{"SubscriptionType": "EMAIL", "Address": email}],
        )
    return True
