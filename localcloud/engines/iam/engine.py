"""IAM engine: the AWS managed policies a request names exist, as on AWS (``AWSLambdaBasicExecutionRole``).

moto answers every IAM call; before it does, any ``arn:aws:iam::aws:policy/...`` in the request
(``PolicyArn`` of attach/detach/get/list-versions, ``PermissionsBoundary``, ...) is made in moto's
state from the policy data moto ships (:mod:`localcloud.seam.iam_policies`: made on first use, not
1,582 at every start), and so is any named in a CloudFormation template (moto's CloudFormation
attaches them without an IAM request).  Listing AWS's policies (``ListPolicies`` with scope ``All``, the default,
or ``AWS``) makes all of them first.
"""

from __future__ import annotations

import re

from ... import seam
from ...calls import Call, Response
from .. import Engine

ARN_PREFIX = "arn:aws:iam::aws:policy/"
# An AWS managed policy named in a CloudFormation template, whole or joined from parts
# (``Fn::Join ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/X"]]``).
TEMPLATE_POLICY = re.compile(r":iam::aws:policy(/[\w+=,.@/-]+)")
LISTS_AWS_POLICIES = ("All", "AWS")  # ListPolicies Scope values that include AWS's policies


class IamEngine(Engine):
    name = "iam"
    order = 20
    services = ("iam", "cloudformation")  # moto's CloudFormation attaches policies in-process

    def before(self, call: Call) -> Response | None:
        # Spans every operation that takes a policy ARN, so one look at the parameters.
        arns = [v for v in call.params.values() if isinstance(v, str) and v.startswith(ARN_PREFIX)]
        if arns:
            seam.iam_ensure_aws_managed_policies(arns)
        return super().before(call)

    def _api_CreateStack(self, call: Call) -> Response | None:
        template = call.params.get("TemplateBody", "")
        arns = {f"{ARN_PREFIX}{path[1:]}" for path in TEMPLATE_POLICY.findall(template)}
        if arns:
            seam.iam_ensure_aws_managed_policies(sorted(arns))
        return None

    _api_UpdateStack = _api_CreateStack
    _api_CreateChangeSet = _api_CreateStack

    def _api_ListPolicies(self, call: Call) -> Response | None:
        only_attached = call.params.get("OnlyAttached", "false").lower() == "true"
        if call.params.get("Scope", "All") in LISTS_AWS_POLICIES and not only_attached:
            seam.iam_load_all_aws_managed_policies()
        return None
