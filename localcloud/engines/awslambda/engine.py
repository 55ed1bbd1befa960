"""Lambda engine: functions run their real Python code from the deployment package (introduced in 05).

moto stores functions but, without Docker, only echoes invocations. Here:

* **Invoke** (``RequestResponse``, ``Event``, ``DryRun``; ``LogType=Tail``) runs the handler in a
  worker process (``_lambda_worker.py``) with Lambda's environment variables, a context object
  and boto3 pointed at localcloud. Timeout enforced (the worker is killed: *Task timed out after
  N.NN seconds*); an unhandled exception answers ``FunctionError: Unhandled`` with AWS's
  ``errorMessage``/``errorType``/``stackTrace``; logs go to CloudWatch Logs ``/aws/lambda/<name>``
  with START/END/REPORT lines. Workers stay warm until code or configuration changes.
* **Triggers**: S3 bucket notifications and SNS ``lambda`` subscriptions invoke asynchronously
  with AWS's event shapes, and only when the function's resource policy allows the service
  (``add_permission``), as on AWS; SQS event source mappings are polled in the background
  (batch size, delete on success, ``ReportBatchItemFailures``).
* **Checks AWS makes**: the execution role must trust ``lambda.amazonaws.com``; reserved
  environment variables are refused; a bucket notification to a function that does not allow
  ``s3.amazonaws.com`` fails with *Unable to validate the following destination configurations*;
  an asynchronous event that fails all its attempts (or ages out) goes to the function's on-failure
  destination as AWS's invocation record, a successful one to its on-success destination (SQS and SNS;
  see ``destinations``);
  runtimes AWS no longer accepts are refused, and so are runtimes localcloud cannot run (anything
  but Python, see ``runtimes``); a Python function's log says which interpreter ran it.
* **Limits AWS enforces**: ``MemorySize`` (a worker over it is killed: ``Runtime.OutOfMemory``,
  see ``memory``), the account's concurrency limit and reserved concurrency (synchronous
  invocations beyond them get ``TooManyRequestsException``; asynchronous ones wait in a queue and
  are retried as Lambda retries them, see ``limits``); at most ``limits.WORKER_CAP`` workers run
  on this machine at once.

moto's own in-process trigger paths (S3 notifications, SNS deliveries, any other internal
invoke) are redirected here at start and restored at stop; the SQS inline path is switched off
per mapping, the background poller replaces it. IAM permissions of the execution role are not
evaluated (localcloud does not evaluate IAM policies).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote, unquote_plus

from ... import config, seam
from ...awserrors import error
from ...calls import Call, Response
from ...seam.models import EventSourceMapping, LambdaFunction, S3NotificationConfiguration, SqsQueue
from .. import Engine
from . import destinations, runtimes
from .limits import (
    DEFAULT_MAX_EVENT_AGE_S,
    DEFAULT_MAX_RETRIES,
    AsyncQueue,
    Concurrency,
    Pending,
    Slot,
    account_concurrency,
)
from .persist import LambdaPersistence
from .pool import RESERVED_ENV, InvokeError, Pool, Result, executed_version

log = logging.getLogger("localcloud.lambda")

SYNC_PAYLOAD_MAX = 6 * 1024 * 1024
ASYNC_PAYLOAD_MAX = 256 * 1024
ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
S3_UNVALIDATED = "Unable to validate the following destination configurations"


def _json_response(status: int, doc: object, headers: dict[str, str] | None = None) -> Response:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    h = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    h.update(headers or {})
    return Response(status, h, body)


def _plain_name(name_or_arn: str) -> str:
    """``my-fn`` from ``my-fn``, ``my-fn:1`` or ``arn:aws:lambda:...:function:my-fn[:qualifier]``."""
    name = unquote(name_or_arn)
    return name.split(":function:")[-1].split(":")[0]


def policy_allows(fn: LambdaFunction, service: str, source_arn: str, source_account: str) -> bool:
    """Does the function's resource policy let ``service`` (e.g. s3.amazonaws.com) invoke it?"""
    for st in getattr(fn.policy, "statements", []):
        if st.get("Effect", "Allow") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        if principal != "*":
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            services = [services] if isinstance(services, str) else services
            if service not in services:
                continue
        cond = st.get("Condition", {})
        arn_pat = next(
            (
                v
                for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
                for k, v in cond.get(op, {}).items()
                if k.lower() == "aws:sourcearn"
            ),
            None,
        )
        if arn_pat is not None and not fnmatch.fnmatchcase(source_arn, arn_pat):
            continue
        acct = next((v for k, v in cond.get("StringEquals", {}).items() if k.lower() == "aws:sourceaccount"), None)
        if acct is not None and acct != source_account:
            continue
        return True
    return False


def role_trusts_lambda(doc: object) -> bool:
    """Does a role's trust policy let lambda.amazonaws.com assume it?"""
    if isinstance(doc, str):
        try:
            doc = json.loads(unquote(doc) if doc.startswith("%") else doc)
        except ValueError:
            return False
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in [statements] if isinstance(statements, dict) else statements:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if st.get("Effect") != "Allow" or not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if principal == "*" or "lambda.amazonaws.com" in services:
            return True
    return False


class LambdaRuntime(LambdaPersistence, Engine):
    name = "lambda_runtime"
    order = 45
    services = ("lambda", "s3")

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.pool = Pool(
            spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
            terminate=self.ctx.processes.terminate,
            state_dir=self.ctx.state_dir,
            learner_env=config.client_env(self.ctx.port),
        )
        self.limits = Concurrency(account_concurrency())
        self._queue = AsyncQueue(self._admit_async, self._async_settings, self._drop_async)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._pollers: dict[str, threading.Thread] = {}
        self._counts = {"invocations": 0, "async": 0, "dropped": 0, "throttled": 0}
        self._triggers = seam.LambdaTriggers(
            self._s3_event,
            self._sns_deliver,
            self._internal_invoke,
        )
        self._triggers.install()
        threading.Thread(target=self._housekeeping, name="lambda-housekeeping", daemon=True).start()

    def reset(self) -> None:
        self._queue.clear()
        self.pool.close_all()
        super().reset()
        with self._lock:
            self._counts = dict.fromkeys(self._counts, 0)

    def stop(self) -> None:
        self._stopping.set()
        self._triggers.uninstall()
        self._queue.close()
        self.pool.close_all(final=True)
        super().stop()

    def status(self) -> dict:
        with self._lock:
            pollers = sum(t.is_alive() for t in self._pollers.values())
            counts = dict(self._counts)
        return {
            "workers": self.pool.counts(),
            "sqs_pollers": pollers,
            "concurrency": {"account_limit": self.limits.limit, "in_flight": self.limits.in_flight()},
            "async_queue": {"waiting": self._queue.depth(), **self._queue.counts},
            "interpreter": runtimes.interpreter(),
            **counts,
        }

    def _housekeeping(self) -> None:
        while not self._stopping.wait(1.0):
            try:
                self.pool.reap_idle()
            except Exception:
                log.exception("lambda housekeeping")

    # ---- moto state ---------------------------------------------------------------------------

    @staticmethod
    def _function(name_or_arn: str, region: str, qualifier: str | None = None) -> LambdaFunction | None:
        """The function, or None when there is none (moto answers ResourceNotFoundException)."""
        try:
            return seam.lambda_function(name_or_arn, region, qualifier)
        except seam.NotFound:
            return None

    # ---- hooks: one method per operation ---------------------------------------------------------

    def _api_Invoke(self, call: Call) -> Response | None:
        return self._invoke_call(call, call.uri_params["FunctionName"], async_api=False)

    def _api_InvokeAsync(self, call: Call) -> Response | None:
        return self._invoke_call(call, call.uri_params["FunctionName"], async_api=True)

    def _api_CreateFunction(self, call: Call) -> Response | None:
        return self._check_function_spec(call)

    def _api_GetAccountSettings(self, call: Call) -> Response | None:
        """moto has no answer; Lambda's quotas for code size, and localcloud's concurrency limit."""
        fns = seam.lambda_functions(call.region)
        return _json_response(
            200,
            {
                "AccountLimit": {
                    "TotalCodeSize": 80530636800,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": self.limits.limit,
                    "UnreservedConcurrentExecutions": self.limits.limit - self._reserved_total(call.region),
                },
                "AccountUsage": {
                    "TotalCodeSize": sum(int(getattr(f, "code_size", 0) or 0) for f in fns),
                    "FunctionCount": len(fns),
                },
            },
        )

    def _api_PutFunctionConcurrency(self, call: Call) -> Response | None:
        try:
            wanted = int(json.loads(call.body or b"{}").get("ReservedConcurrentExecutions"))
        except (TypeError, ValueError):
            return None  # moto answers the malformed request
        name = _plain_name(call.uri_params["FunctionName"])
        others = self._reserved_total(call.region, excluding=name)
        floor = self.limits.min_unreserved
        if self.limits.limit - others - wanted < floor:
            return error(
                call,
                "InvalidParameterValueException",
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{floor}].",
            )
        return None

    @staticmethod
    def _reserved_total(region: str, excluding: str | None = None) -> int:
        return sum(
            int(f.reserved_concurrency)
            for f in seam.lambda_functions(region)
            if f.reserved_concurrency is not None and f.function_name != excluding
        )

    _api_UpdateFunctionConfiguration = _api_CreateFunction

    def _after_UpdateFunctionCode(self, call: Call, response: Response) -> None:
        self.pool.retire(_plain_name(call.uri_params["FunctionName"]))  # the next invocation is a cold start

    _after_UpdateFunctionConfiguration = _after_UpdateFunctionCode

    def _after_DeleteFunction(self, call: Call, response: Response) -> None:
        if "Qualifier" not in parse_qs(call.query):  # deleting a version keeps the function
            self.pool.retire(_plain_name(call.uri_params["FunctionName"]), forget_code=True)

    def _api_PutFunctionEventInvokeConfig(self, call: Call) -> Response | None:
        try:
            spec = json.loads(call.body or b"{}")
        except ValueError:
            return None  # moto answers the malformed request
        refused = destinations.refusal(spec.get("DestinationConfig"))
        return error(call, "LocalCloudNotSupported", refused) if refused else None

    _api_UpdateFunctionEventInvokeConfig = _api_PutFunctionEventInvokeConfig

    def _after_PutFunctionEventInvokeConfig(self, call: Call, response: Response) -> None:
        fn = self._function(call.uri_params["FunctionName"], call.region)
        if fn is not None:
            seam.lambda_keep_last_async_config(fn)

    _after_UpdateFunctionEventInvokeConfig = _after_PutFunctionEventInvokeConfig

    def _after_CreateEventSourceMapping(self, call: Call, response: Response) -> None:
        try:
            self._start_poller(call.region, json.loads(response.body)["UUID"])
        except (ValueError, KeyError):
            log.exception("event source mapping without UUID")

    def _api_PutBucketNotificationConfiguration(self, call: Call) -> Response | None:
        try:  # what to put back if AWS would refuse the new configuration
            call.notes["previous"] = seam.s3_notification(call.uri_params["Bucket"])
        except seam.NotFound:
            pass  # moto answers NoSuchBucket
        return None

    def _after_PutBucketNotificationConfiguration(self, call: Call, response: Response) -> Response | None:
        return self._check_bucket_notifications(call, call.notes.get("previous"))

    # ---- CreateFunction / UpdateFunctionConfiguration checks ------------------------------------------

    def _check_function_spec(self, call: Call) -> Response | None:
        try:
            spec = json.loads(call.body or b"{}")
        except ValueError:
            return None  # moto answers the malformed request
        refused = runtimes.refusal(spec.get("Runtime"))
        if refused:
            return error(call, "InvalidParameterValueException", refused)
        if (spec.get("DeadLetterConfig") or {}).get("TargetArn"):
            return error(call, "LocalCloudNotSupported", destinations.DLQ_REFUSAL)
        reserved = sorted(set((spec.get("Environment") or {}).get("Variables") or {}) & RESERVED_ENV)
        if reserved:
            return error(
                call,
                "InvalidParameterValueException",
                "Lambda was unable to configure your environment variables because the environment "
                "variables you have provided contains reserved keys that are currently not supported "
                f"for modification. Reserved keys used in this request: {', '.join(reserved)}",
            )
        role_arn = spec.get("Role")
        if role_arn:
            try:
                role = seam.iam_role_by_arn(role_arn)
            except seam.NotFound:
                return None  # moto answers: unknown role
            if not role_trusts_lambda(role.assume_role_policy_document):
                return error(call, "InvalidParameterValueException", ROLE_NOT_ASSUMABLE)
        return None

    # ---- Invoke ----------------------------------------------------------------------------------

    def _invoke_call(self, call: Call, name: str, async_api: bool) -> Response | None:
        qualifiers = parse_qs(call.query).get("Qualifier")
        qualifier = qualifiers[0] if qualifiers else None
        fn = self._function(name, call.region, qualifier)
        if fn is None:
            return None  # moto answers ResourceNotFoundException
        kind = "Event" if async_api else call.headers.get("x-amz-invocation-type", "RequestResponse")
        body = call.body or b""
        limit = ASYNC_PAYLOAD_MAX if kind == "Event" else SYNC_PAYLOAD_MAX
        if len(body) > limit:
            return error(
                call,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the "
                f"{'InvokeAsync' if kind == 'Event' else 'InvokeFunction'} operation",
                status=413,
            )
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return error(
                call,
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
            )
        if kind == "DryRun":
            return Response(204, {"x-amzn-RequestId": str(uuid.uuid4())}, b"")
        if kind == "Event":
            self.invoke_async(fn, event)
            return Response(202, {"x-amzn-RequestId": str(uuid.uuid4())}, b"")
        if kind != "RequestResponse":
            return error(
                call,
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
            )
        slot = self._admit(fn)
        if isinstance(slot, str):  # beyond its concurrency: throttled at once, as Lambda does
            with self._lock:
                self._counts["throttled"] += 1
            resp = error(call, "TooManyRequestsException", "Rate Exceeded.", status=429)
            doc = json.loads(resp.body)
            doc.update(Reason=slot, Type="User")
            resp.body = json.dumps(doc).encode()
            return resp
        try:
            result = self.run(fn, event)
        except InvokeError as exc:
            return error(call, exc.code, str(exc), status=exc.status)
        finally:
            slot.release()
        headers = {"X-Amz-Executed-Version": executed_version(fn), "x-amzn-RequestId": result.request_id}
        payload, ferr = result.payload, result.function_error
        if len(payload) > SYNC_PAYLOAD_MAX:
            payload = json.dumps(
                {
                    "errorMessage": f"Response payload size ({len(payload)} bytes) exceeded "
                    f"maximum allowed payload size ({SYNC_PAYLOAD_MAX} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            ).encode()
            ferr = "Unhandled"
        if ferr:
            headers["X-Amz-Function-Error"] = ferr
        if call.headers.get("x-amz-log-type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail_b64()
        return _json_response(200, payload, headers)

    def _admit(self, fn: LambdaFunction) -> Slot | str:
        """A concurrency slot for one invocation of ``fn``, or the throttle ``Reason``."""
        reserved = getattr(fn, "reserved_concurrency", None)
        return self.limits.acquire(
            fn.function_name,
            None if reserved is None else int(reserved),
            self._reserved_total(fn.region, excluding=fn.function_name if reserved is not None else None),
        )

    def run(self, fn: LambdaFunction, event: object) -> Result:
        with self._lock:
            self._counts["invocations"] += 1
        return self.pool.invoke(fn, event, fn.function_arn)

    def invoke_async(self, fn: LambdaFunction, event: object, source: str = "Invoke") -> None:
        """Accept now; the event waits in Lambda's queue for a concurrency slot and is retried
        when its invocation fails (``limits.AsyncQueue``)."""
        with self._lock:
            self._counts["async"] += 1
        qualifier = fn.function_arn.split(":")[7] if fn.function_arn.count(":") == 7 else None
        self._queue.put(fn.function_name, fn.region, qualifier, event, source)

    def _admit_async(self, pending: Pending) -> tuple[Callable[[], bool], Slot] | str | None:
        fn = self._function(pending.fn_name, pending.region, pending.qualifier)
        if fn is None:
            self._drop(pending.fn_name, f"{pending.source}: function not found")
            return None
        slot = self._admit(fn)
        if isinstance(slot, str):
            return slot

        def attempt() -> bool:
            try:
                result = self.run(fn, pending.event)
            except InvokeError as exc:
                log.info("async invocation of %s (%s) failed: %s", fn.function_name, pending.source, exc)
                error_doc = {"errorMessage": str(exc), "errorType": exc.code}
                pending.outcome = {"payload": json.dumps(error_doc).encode(), "function_error": "Unhandled"}
                return False
            pending.outcome = {
                "request_id": result.request_id,
                "payload": result.payload,
                "function_error": result.function_error,
            }
            if result.function_error:
                log.info(
                    "async invocation of %s (%s) failed: %s",
                    fn.function_name,
                    pending.source,
                    result.payload[:300].decode("utf-8", "replace"),
                )
                return False
            doc = destinations.record(
                fn.function_arn, pending.event, destinations.SUCCESS, pending.attempt + 1, pending.outcome
            )
            destinations.deliver(seam.lambda_async_config(fn), "OnSuccess", doc)
            return True

        return attempt, slot

    def _async_settings(self, pending: Pending) -> tuple[int, float]:
        fn = self._function(pending.fn_name, pending.region, pending.qualifier)
        conf = seam.lambda_async_config(fn) if fn is not None else {}
        return (
            int(conf.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            float(conf.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)),
        )

    def _drop_async(self, pending: Pending, why: str, condition: str) -> None:
        self._drop(pending.fn_name, f"{pending.source}: {why}")
        fn = self._function(pending.fn_name, pending.region, pending.qualifier)
        if fn is not None:
            doc = destinations.record(fn.function_arn, pending.event, condition, pending.attempt, pending.outcome)
            destinations.deliver(seam.lambda_async_config(fn), "OnFailure", doc)

    def _drop(self, fn: LambdaFunction | str, why: str) -> None:
        with self._lock:
            self._counts["dropped"] += 1
        log.warning("event for %s not delivered: %s", getattr(fn, "function_name", fn), why)

    # ---- S3 notifications -------------------------------------------------------------------------

    def _check_bucket_notifications(self, call: Call, previous: S3NotificationConfiguration | None) -> Response | None:
        bucket_name = call.uri_params["Bucket"]
        bad = []
        for arn in seam.s3_notification_function_arns(seam.s3_notification(bucket_name)):
            region = arn.split(":")[3] if arn.count(":") >= 6 else call.region
            fn = self._function(arn, region)
            if fn is None or not policy_allows(
                fn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket_name}", self.ctx.account_id
            ):
                bad.append(arn)
        if not bad:
            return None
        seam.s3_set_notification(bucket_name, previous)  # AWS keeps the old configuration
        return error(call, "InvalidArgument", S3_UNVALIDATED)

    def _s3_event(self, account_id: str, event_body: dict[str, Any], fn_arn: str, region_name: str) -> None:
        """moto's S3 notification path, redirected: permission check, AWS's record, async."""
        fn = self._function(fn_arn, region_name)
        if fn is None:
            self._drop(fn_arn, "function not found")
            return
        for rec in event_body.get("Records", []):
            bucket = rec["s3"]["bucket"]["name"]
            if not policy_allows(fn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}", account_id):
                self._drop(fn, f"no resource-based policy lets s3.amazonaws.com invoke it for bucket {bucket}")
                return
            rec.setdefault("userIdentity", {"principalId": "AWS:AIDAEXAMPLELOCALCLOUD"})
            rec.setdefault("requestParameters", {"sourceIPAddress": self.ctx.learner_ip})
            rec.setdefault(
                "responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex}
            )
            rec["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "AEXAMPLELOCALCLOUD"})
            obj = rec["s3"]["object"]
            obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")  # AWS leaves the slashes as they are
            obj.setdefault("sequencer", f"{time.time_ns():X}"[:18])
        self.invoke_async(fn, event_body, source="s3")

    # ---- SNS subscriptions ---------------------------------------------------------------------------

    def _sns_deliver(self, d: seam.SnsDelivery) -> None:
        arn = d.endpoint
        region = arn.split(":")[3]
        qualifier = arn.split(":")[7] if arn.count(":") == 7 else None
        fn = self._function(arn.split(":")[6], region, qualifier)
        if fn is None:
            self._drop(arn, "function not found")
            return
        if not policy_allows(fn, "sns.amazonaws.com", d.topic_arn, d.account_id):
            self._drop(fn, f"no resource-based policy lets sns.amazonaws.com invoke it for {d.topic_arn}")
            return
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        attrs = {k: {"Type": v.get("Type"), "Value": v.get("Value")} for k, v in d.message_attributes.items()}
        event = {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": d.subscription_arn,
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": d.message_id,
                        "TopicArn": d.topic_arn,
                        "Subject": d.subject,
                        "Message": d.message,
                        "Timestamp": now,
                        "SignatureVersion": "1",
                        "Signature": "EXAMPLE",
                        "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000.pem",
                        "UnsubscribeUrl": (
                            f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={d.subscription_arn}"
                        ),
                        "MessageAttributes": attrs,
                    },
                }
            ]
        }
        self.invoke_async(fn, event, source="sns")

    # ---- SQS event source mappings ------------------------------------------------------------------

    def _start_poller(self, region: str, esm_uuid: str) -> None:
        esm = seam.find_event_source_mapping(esm_uuid, region)
        if esm is None or not esm.event_source_arn.split(":")[2].startswith("sqs"):
            return
        self._sqs_inline_off(region, esm)
        t = threading.Thread(target=self._poll, args=(region, esm_uuid), name=f"lambda-sqs-{esm_uuid[:8]}", daemon=True)
        with self._lock:
            self._pollers = {k: v for k, v in self._pollers.items() if v.is_alive()}
            self._pollers[esm_uuid] = t
        t.start()

    def _sqs_inline_off(self, region: str, esm: EventSourceMapping) -> SqsQueue | None:
        """moto delivers to a mapping inside SendMessage; the poller does it instead, as AWS does."""
        try:
            queue = seam.sqs_queue(esm.event_source_arn.split(":")[-1], region)
        except seam.NotFound:
            return None  # deleted: the mapping has nothing to poll
        seam.sqs_detach_inline_mapping(queue, esm.function_arn)
        return queue

    def _poll(self, region: str, esm_uuid: str) -> None:
        while not self._stopping.is_set():
            try:
                esm = seam.find_event_source_mapping(esm_uuid, region)
                if esm is None:
                    return  # deleted, or localcloud reset
                if not esm.enabled or not self._poll_once(region, esm):
                    self._stopping.wait(0.2)
            except Exception:
                log.exception("SQS poller %s", esm_uuid)
                self._stopping.wait(1.0)

    def _poll_once(self, region: str, esm: EventSourceMapping) -> bool:
        queue = self._sqs_inline_off(region, esm)
        fn = self._function(esm.function_arn, region)
        if queue is None or fn is None:
            return False
        slot = self._admit(fn)
        if isinstance(slot, str):
            return False  # no concurrency for it now: the messages wait in the queue, as on AWS
        try:
            return self._poll_batch(region, esm, queue, fn)
        finally:
            slot.release()

    def _poll_batch(self, region: str, esm: EventSourceMapping, queue: SqsQueue, fn: LambdaFunction) -> bool:
        # moto sets a queue's attributes from its settings at run time (the contract checks this one)
        visibility = int(getattr(queue, "visibility_timeout", None) or 30)
        msgs = seam.sqs_receive(queue, esm.batch_size, visibility, region)
        if not msgs:
            return False
        records = [
            {
                "messageId": m.id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {
                    "ApproximateReceiveCount": str(m.approximate_receive_count),
                    "SentTimestamp": str(m.sent_timestamp),
                    "SenderId": m.sender_id,
                    "ApproximateFirstReceiveTimestamp": str(m.approximate_first_receive_timestamp),
                },
                "messageAttributes": {
                    k: {**v, "stringListValues": [], "binaryListValues": []}
                    for k, v in (m.message_attributes or {}).items()
                },
                "md5OfBody": m.body_md5,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.queue_arn,
                "awsRegion": region,
            }
            for m in msgs
        ]
        try:
            result = self.run(fn, {"Records": records})
        except InvokeError as exc:
            self._drop(fn, f"sqs: {exc}")
            return True
        if result.function_error:
            return True  # the batch becomes visible again after the queue's visibility timeout
        failed = set()
        if "ReportBatchItemFailures" in (esm.function_response_types or []):
            try:
                failed = {f["itemIdentifier"] for f in json.loads(result.payload).get("batchItemFailures", [])}
            except (ValueError, AttributeError, KeyError, TypeError):
                return True  # an unreadable answer fails the whole batch, as on AWS
        for m in msgs:
            if m.id not in failed and m.receipt_handle:  # a received message always has one
                seam.sqs_delete(queue, m.receipt_handle, region)
        return True

    # ---- moto's in-process trigger paths, redirected here ---------------------------------------------

    def _internal_invoke(self, fn: LambdaFunction, event: object) -> tuple[bytes, str | None]:
        """Any other moto-internal trigger (Kinesis, DynamoDB streams...): run for real, synchronously,
        once a concurrency slot is free (a stream's poller waits, it is not refused)."""
        deadline = time.monotonic() + 60
        while isinstance(slot := self._admit(fn), str):
            if time.monotonic() > deadline or self._stopping.wait(0.2):
                return json.dumps({"errorMessage": "Rate Exceeded.", "errorType": slot}).encode(), "Unhandled"
        try:
            result = self.run(fn, event)
        except InvokeError as exc:
            return json.dumps({"errorMessage": str(exc)}).encode(), "Unhandled"
        finally:
            slot.release()
        return result.payload, result.function_error
