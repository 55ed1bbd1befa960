"""AWS managed IAM policies (``arn:aws:iam::aws:policy/...``), put into moto's IAM backend when used.

moto ships AWS's managed policies (``moto.iam.aws_managed_policies``, 1,582 of them in moto 5.2.5)
but loads them only with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and then all of them into every
new IAM backend: about 0.4 s on the first IAM call after every start or reset and 4 MB more in
every saved snapshot (``benchmarks/iam_managed_policies.py``).  Instead a policy is made from the
same data the first time a request names its ARN (attach, get, list versions, ...), and all of
them only for a request that lists AWS's policies (``ListPolicies`` with scope ``All``/``AWS``).
An ARN AWS does not have is left alone, so moto answers ``NoSuchEntity`` as AWS does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy

from .backends import backend
from .models import IamBackend

ARN_PREFIX = "arn:aws:iam::aws:policy/"
_lock = threading.Lock()


@cache
def _catalogue() -> dict[str, dict[str, Any]]:
    """name -> AWS's policy data (path, document, versions, dates), parsed once."""
    return json.loads(aws_managed_policies_data)


def iam_aws_managed_policy_count() -> int:
    return len(_catalogue())


def _put(be: IamBackend, name: str, data: dict[str, Any]) -> str:
    policy = AWSManagedPolicy.from_data(name, be.account_id, be.region_name, data)
    if policy.arn not in be.managed_policies:
        be.managed_policies[policy.arn] = policy
        be.aws_managed_policies.append(policy)
    return policy.arn


def iam_ensure_aws_managed_policies(arns: Iterable[str]) -> list[str]:
    """Make the AWS managed policies these ARNs name exist in moto (once); returns those added
    or already there.  An ARN with the wrong path (``policy/AWSLambdaBasicExecutionRole``, which
    lives under ``service-role/``) or an unknown name adds nothing."""
    be = backend("iam")
    found = []
    with _lock:
        for arn in arns:
            if arn in be.managed_policies:
                found.append(arn)
                continue
            if not arn.startswith(ARN_PREFIX):
                continue
            name = arn.rsplit("/", 1)[-1]
            data = _catalogue().get(name)
            if data is not None and f"{ARN_PREFIX}{data.get('Path', '/')[1:]}{name}" == arn:
                found.append(_put(be, name, data))
    return found


def iam_load_all_aws_managed_policies() -> int:
    """Every AWS managed policy in moto's IAM backend (a listing of AWS's policies); returns how many."""
    be = backend("iam")
    with _lock:
        if len(be.aws_managed_policies) < len(_catalogue()):
            for name, data in _catalogue().items():
                _put(be, name, data)
        return len(be.aws_managed_policies)
