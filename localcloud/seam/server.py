"""moto's HTTP side as the daemon runs it: the WSGI app, the request handler, seeding, reset."""

from __future__ import annotations

import functools
import uuid

import moto.backends
import moto.core.responses
from moto.core.serialize import SerializationContext, get_serializer_class
from moto.core.utils import get_service_model
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server import werkzeug_app
from werkzeug.serving import WSGIRequestHandler

from .state import every_backend_dict, live_backend_dicts


def wsgi_app() -> werkzeug_app.DomainDispatcherApplication:
    """moto's server application: dispatches each request to the service it is for."""
    # moto's dispatcher learns its service names on every request by listing moto's package
    # folder (os.listdir and one isdir per entry: ~12% of a request's time); they cannot change
    # while the daemon runs, so the list is read once.
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    # ...and each response class's method names with inspect.getmembers on every call (~8%):
    # the classes are complete before the first request (adapters patch them when they load).
    moto.core.responses.method_names_from_class = functools.cache(moto.core.responses.method_names_from_class)
    return werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)


def request_handler() -> type[WSGIRequestHandler]:
    """The werkzeug request handler to serve ``wsgi_app()`` with.

    moto >= 5.2.5 ships ``MotoRequestHandler`` (keeps underscores in S3 user-metadata header
    names, which werkzeug's own handler drops); older moto has none, and werkzeug's handler is
    what its own server used.  The contract (``contract.OPTIONAL``) names this fallback.
    """
    return getattr(werkzeug_app, "MotoRequestHandler", None) or WSGIRequestHandler


def _request_id(headerdict: dict | None = None) -> str:
    rid = uuid.uuid4().hex + uuid.uuid4().hex[:20]  # 52 characters, as moto's
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = rid
    return rid


def seed(value: int) -> None:
    """Seed moto's id generator, so resource ids repeat from run to run.

    moto draws every response's request id from the same seeded generator, so a read call
    would shift every later resource id: request ids get their own (unseeded) source.
    """
    moto.core.responses.gen_amzn_requestid_long = _request_id
    mock_random.seed(value)


def reset() -> None:
    """Forget every resource of every service and account (moto's own reset).

    moto's reset re-runs each backend's ``__init__``, and some reach another backend there
    (Redshift's and Route 53 Resolver's reach EC2's): a backend cleared earlier in that loop is then
    made again, with ids drawn before :func:`seed`.  Clearing every backend once more after the
    reset leaves all of them to be made on first use, after the seed, as in a fresh daemon.  Every
    backend, not only those moto lists as in use: a reset by moto itself (``mock_aws`` in the tests)
    leaves the backends it made again that way in dicts it no longer lists
    (:func:`.state.every_backend_dict`), and the ids of the next seeded run would start from theirs.
    """
    in_use = live_backend_dicts()
    moto_api_backend.reset()
    for backends in {id(bd): bd for bd in [*in_use, *every_backend_dict()]}.values():
        backends.clear()


def render(service: str, operation: str, result: dict, protocol: str = "query") -> tuple[int, dict, bytes]:
    """An engine's own answer to ``operation``, serialized the way moto serializes its answers
    (the operation's output shape from botocore's model, the client's protocol): (status, headers, body)."""
    service_model = get_service_model(service)
    serializer = get_serializer_class(service_model.service_name, protocol)(
        service_model.operation_model(operation), SerializationContext(request_id=_request_id())
    )
    resp = serializer.serialize(result)
    body = resp["body"]
    return resp["status_code"], dict(resp["headers"]), body.encode() if isinstance(body, str) else body
