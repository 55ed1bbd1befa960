"""CloudFormation engine: refuse a template whose SSM-typed parameters name missing parameters.

A parameter of type ``AWS::SSM::Parameter::Value<...>`` is resolved from Systems Manager
Parameter Store when the stack is created; when the parameter does not exist, CloudFormation
refuses the request: 400 ``ValidationError``, "Unable to fetch parameters [NAME, ...] from
parameter store for this account." (CDK-synthesized templates read ``/cdk-bootstrap/<qualifier>/version``
this way: an account that never ran ``cdk bootstrap`` gets this error).  moto 5.2.5 fails with an
internal error instead.  moto creates every stack; this only checks first.
"""

from __future__ import annotations

import json
import re

# no stubs installed (types-PyYAML is not among the dev dependencies)
import yaml  # type: ignore[import-untyped]

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine

SSM_TYPE = "AWS::SSM::Parameter::Value<"
_GIVEN = re.compile(r"^Parameters\.member\.(\d+)\.(ParameterKey|ParameterValue|UsePreviousValue)$")


class _TemplateLoader(yaml.SafeLoader):
    """YAML templates with CloudFormation's short forms (``!Ref``, ``!Sub``, ...) read as plain values."""


_TemplateLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def template_parameters(body: str) -> dict:
    try:
        doc = json.loads(body)
    except ValueError:
        try:
            doc = yaml.load(body, Loader=_TemplateLoader)  # noqa: S506  (a SafeLoader subclass)
        except yaml.YAMLError:
            return {}  # moto answers a malformed template itself
    params = doc.get("Parameters") if isinstance(doc, dict) else None
    return params if isinstance(params, dict) else {}


def given_values(call: Call) -> dict[str, str]:
    """ParameterKey -> ParameterValue of the request (Query protocol ``Parameters.member.N``)."""
    members: dict[str, dict[str, str]] = {}
    for name, value in call.params.items():
        if m := _GIVEN.match(name):
            members.setdefault(m.group(1), {})[m.group(2)] = value
    return {m["ParameterKey"]: m.get("ParameterValue", "") for m in members.values() if "ParameterKey" in m}


class CloudFormationEngine(Engine):
    name = "cloudformation"
    order = 30
    services = ("cloudformation",)

    def _api_CreateStack(self, call: Call) -> Response | None:
        given = given_values(call)
        missing = []
        for key, spec in template_parameters(call.params.get("TemplateBody", "")).items():
            if not isinstance(spec, dict) or not str(spec.get("Type", "")).startswith(SSM_TYPE):
                continue
            name = given.get(key, spec.get("Default"))
            if name and not seam.ssm_parameter_exists(str(name), call.region):
                missing.append(str(name))
        if missing:
            names = ", ".join(missing)
            return error(
                call, "ValidationError", f"Unable to fetch parameters [{names}] from parameter store for this account."
            )
        return None

    _api_UpdateStack = _api_CreateStack
    _api_CreateChangeSet = _api_CreateStack
