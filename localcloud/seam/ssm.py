"""Systems Manager Parameter Store lookups (CloudFormation's SSM-typed template parameters)."""

from __future__ import annotations

from moto.ssm.exceptions import ParameterVersionNotFound

from .. import config
from .backends import backend


def ssm_parameter_exists(name: str, region: str = config.REGION) -> bool:
    """Does ``name`` (a path, ``name:version``, ``name:label`` or ARN) resolve to a parameter?
    moto's own public parameters (``/aws/service/...``) count, as AWS's do."""
    try:
        return backend("ssm", region).get_parameter(name) is not None
    except ParameterVersionNotFound:
        return False
