"""The Free Tier API (``freetier``), which moto does not have: ``GetAccountPlanState`` answers a
fixed, documented state so the labs' plan check runs offline and the same way every time.

AWS accounts created on or after 15 July 2025 are on a credit-based plan, FREE or PAID
(``helpers/facts.toml`` ``freetier.*``).  localcloud's account is always a new account on the
**Free plan, ACTIVE, with the $100 of sign-up credits unspent** (``freetier.credits_signup``):
there is no real bill to spend them.  It has no creation date, so ``accountPlanExpirationDate``
(optional in the API) is left out rather than invented.  Other Free Tier operations (usage,
activities, upgrade) are refused with ``NotSupportedLocally``, never answered with made-up data.
"""

from __future__ import annotations

import json

from ... import config
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine

PLAN = {
    "accountPlanType": "FREE",
    "accountPlanStatus": "ACTIVE",
    "accountPlanRemainingCredits": {"amount": 100.0, "unit": "USD"},
}


class FreeTierEngine(Engine):
    name = "freetier"
    order = 50
    services = ("freetier",)

    def _api_GetAccountPlanState(self, call: Call) -> Response:
        body = {"accountId": config.ACCOUNT_ID, **PLAN}
        return Response(200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body).encode())

    def before(self, call: Call) -> Response | None:
        # moto has no Free Tier API at all: every other operation gets a clear refusal here
        return super().before(call) or error(
            call,
            "NotSupportedLocally",
            f"localcloud answers only GetAccountPlanState of the Free Tier API, not {call.operation or 'this call'}"
            " (run it with LAB_TARGET=aws)",
        )
