"""An aws CLI v1 plugin that makes every command honour the configured endpoint (``AWS_ENDPOINT_URL``).

localcloud's client config file names it (``[plugins]``, see :func:`localcloud.config.write_client_files`).
AWS CLI v1 rewrites the endpoint of a few services to their old SSL common names
(``awscli/customizations/overridesslcommonname.py``: ``rds`` in us-east-1 -> ``https://rds.amazonaws.com``,
``sqs`` -> ``https://queue.amazonaws.com`` or ``<region>.queue.amazonaws.com``, also emr, docdb,
neptune, health) as if the
user had typed ``--endpoint-url``, so those commands ignore ``AWS_ENDPOINT_URL`` and the config file's
``endpoint_url`` and go to AWS.  This plugin runs first and fills in the endpoint botocore itself
would configure (``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, ``services``/profile
``endpoint_url``), so the rewrite leaves it alone; with no endpoint configured it does nothing.

AWS CLI v2 loads no plugin unless ``cli_legacy_plugin_path`` is set, so it never imports this
module.  It imports only the CLI's own modules: cheap on every command.
"""

from __future__ import annotations

import argparse
from typing import Any

from botocore.configprovider import ConfiguredEndpointProvider
from botocore.hooks import HierarchicalEmitter
from botocore.session import Session

try:
    # awscli ships no type information (no py.typed, no stubs on PyPI)
    from awscli.customizations.overridesslcommonname import SSL_COMMON_NAMES  # type: ignore[import-untyped]
except ImportError:  # a CLI without the rewrite: nothing to undo
    SSL_COMMON_NAMES = {}

EVENT = "before-building-argument-table-parser"


def configured_endpoint(session: Session, service: str) -> str | None:
    """The endpoint botocore would configure for ``service`` (None: none configured, or ignored)."""
    if session.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    provider = ConfiguredEndpointProvider(
        full_config=session.full_config, scoped_config=session.get_scoped_config(), client_name=service
    )
    return provider.provide()


def use_configured_endpoint(session: Session, parsed_globals: argparse.Namespace, **kwargs: Any) -> None:
    service = getattr(parsed_globals, "command", None)
    if service is None or service not in SSL_COMMON_NAMES or parsed_globals.endpoint_url is not None:
        return  # not a rewritten service, or --endpoint-url given: the CLI's own rules apply
    url = configured_endpoint(session, service)
    if url:
        parsed_globals.endpoint_url = url


def awscli_initialize(cli: HierarchicalEmitter) -> None:
    # The rewrite is registered with register_last: a plain handler runs before it.
    cli.register(EVENT, use_configured_endpoint)
