"""moto's in-process Lambda trigger paths, redirected to an engine for as long as it runs.

moto invokes Lambda functions itself on three paths: S3 bucket notifications
(``moto.s3.notifications._invoke_awslambda``), SNS ``lambda`` subscriptions
(``Subscription.publish``) and any other internal invocation (``LambdaFunction.invoke``:
Kinesis, DynamoDB streams, ...).  :class:`LambdaTriggers` replaces the three with the engine's
callbacks on ``install()`` and puts moto's own back on ``uninstall()`` (or use it as a context
manager).  Only one set can be installed at a time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from moto.awslambda.models import LambdaFunction
from moto.s3 import notifications
from moto.sns.models import Subscription


@dataclass
class SnsDelivery:
    """One SNS message for one ``lambda`` subscription, after its filter policy matched."""

    subscription_arn: str
    endpoint: str  # the function's ARN (optionally with a qualifier)
    topic_arn: str
    account_id: str
    message: str  # the message for the lambda protocol (MessageStructure=json already applied)
    message_id: str
    subject: str | None
    message_attributes: dict[str, Any]


@dataclass
class LambdaTriggers:
    on_s3_event: Callable[[str, dict[str, Any], str, str], None]  # (account_id, event, function arn, region)
    on_sns_delivery: Callable[[SnsDelivery], None]
    # (moto function, event) -> (payload, error)
    on_invoke: Callable[[LambdaFunction, dict[str, Any]], tuple[bytes, str | None]]

    _installed: ClassVar[LambdaTriggers | None] = None  # the LambdaTriggers currently installed
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def install(self) -> None:
        with LambdaTriggers._lock:
            if LambdaTriggers._installed is not None:
                raise RuntimeError("moto's Lambda trigger paths are already redirected")
            self._originals = (notifications._invoke_awslambda, Subscription.publish, LambdaFunction.invoke)
            notifications._invoke_awslambda = self._s3
            # deliberate monkeypatches of moto's methods (put back by uninstall)
            Subscription.publish = self._publish()  # type: ignore[method-assign]
            LambdaFunction.invoke = self._invoke()  # type: ignore[method-assign]
            LambdaTriggers._installed = self

    def uninstall(self) -> None:
        with LambdaTriggers._lock:
            if LambdaTriggers._installed is not self:
                return
            originals = self._originals  # moto's own methods back (the patches were deliberate)
            notifications._invoke_awslambda, Subscription.publish, LambdaFunction.invoke = originals  # type: ignore[method-assign]
            LambdaTriggers._installed = None

    def __enter__(self) -> LambdaTriggers:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # ---- the replacements (same signatures as moto's) --------------------------------------------

    def _s3(self, account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        self.on_s3_event(account_id, event_body, fn_arn, region_name)

    def _publish(self) -> Callable[..., None]:
        original = self._originals[1]
        deliver = self.on_sns_delivery

        def publish(
            sub: Subscription,
            message: str,
            message_id: str,
            subject: str | None = None,
            message_attributes: dict[str, Any] | None = None,
            group_id: str | None = None,
            deduplication_id: str | None = None,
            message_structure: str | None = None,
        ) -> None:
            if sub.protocol != "lambda":
                return original(
                    sub, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
                )
            matcher = sub._filter_policy_matcher
            if matcher is not None and not matcher.matches(message_attributes, message):
                return None
            if message_structure == "json":
                message = sub._parse_message_structure(message, sub.protocol)
            deliver(
                SnsDelivery(
                    sub.arn,
                    sub.endpoint,
                    sub.topic.arn,
                    sub.account_id,
                    message,
                    message_id,
                    subject,
                    message_attributes or {},
                )
            )
            return None

        return publish

    def _invoke(self) -> Callable[..., bytes]:
        run = self.on_invoke

        def invoke(fn: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> bytes:
            payload, function_error = run(fn, json.loads(body) if body else {})
            if function_error:
                response_headers["x-amz-function-error"] = function_error
            return payload

        return invoke
