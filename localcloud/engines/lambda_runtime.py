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
  ``s3.amazonaws.com`` fails with *Unable to validate the following destination configurations*.

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
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, quote_plus, unquote, unquote_plus

from .. import config
from ..awserrors import error
from ..calls import Response
from . import Engine
from ._lambda_pool import RESERVED_ENV, InvokeError, Pool, executed_version

log = logging.getLogger("localcloud.lambda")

_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>.+)/invocations/?$")
_INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/(?P<name>.+)/invoke-async/?$")
_FUNCTION = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
_FUNCTION_PART = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/(?P<part>code|configuration)/?$")
_ESM_CREATE = re.compile(r"^/2015-03-31/event-source-mappings/?$")
SYNC_PAYLOAD_MAX = 6 * 1024 * 1024
ASYNC_PAYLOAD_MAX = 256 * 1024
ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
S3_UNVALIDATED = "Unable to validate the following destination configurations"


def _json_response(status: int, doc, headers: dict | None = None) -> Response:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    h = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    h.update(headers or {})
    return Response(status, h, body)


def _plain_name(name_or_arn: str) -> str:
    """``my-fn`` from ``my-fn``, ``my-fn:1`` or ``arn:aws:lambda:...:function:my-fn[:qualifier]``."""
    name = unquote(name_or_arn)
    return name.split(":function:")[-1].split(":")[0]


def policy_allows(fn, service: str, source_arn: str, source_account: str) -> bool:
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
        arn_pat = next((v for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
                        for k, v in cond.get(op, {}).items() if k.lower() == "aws:sourcearn"), None)
        if arn_pat is not None and not fnmatch.fnmatchcase(source_arn, arn_pat):
            continue
        acct = next((v for k, v in cond.get("StringEquals", {}).items() if k.lower() == "aws:sourceaccount"), None)
        if acct is not None and acct != source_account:
            continue
        return True
    return False


def role_trusts_lambda(doc) -> bool:
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


class LambdaRuntime(Engine):
    name = "lambda_runtime"
    order = 45
    services = ("lambda", "s3")

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.pool = Pool(
            spawn=lambda argv, name, **kw: self.ctx.processes.spawn(argv, name=name, owner=self.name, **kw),
            terminate=self.ctx.processes.terminate, state_dir=self.ctx.state_dir,
            logs_backend=lambda region: self._backend("logs", region), learner_env=config.client_env(self.ctx.port))
        self._async = ThreadPoolExecutor(max_workers=16, thread_name_prefix="lambda-async")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._pollers: dict[str, threading.Thread] = {}
        self._stash: dict[int, object] = {}
        self._counts = {"invocations": 0, "async": 0, "dropped": 0}
        self._patch_moto()
        threading.Thread(target=self._housekeeping, name="lambda-housekeeping", daemon=True).start()

    def reset(self) -> None:
        self.pool.close_all()
        super().reset()
        with self._lock:
            self._counts = dict.fromkeys(self._counts, 0)

    def stop(self) -> None:
        self._stopping.set()
        self._unpatch_moto()
        self._async.shutdown(wait=False, cancel_futures=True)
        self.pool.close_all(final=True)
        super().stop()

    def status(self) -> dict:
        with self._lock:
            pollers = sum(t.is_alive() for t in self._pollers.values())
            return {"workers": self.pool.counts(), "sqs_pollers": pollers, **self._counts}

    def _housekeeping(self) -> None:
        while not self._stopping.wait(1.0):
            try:
                self.pool.reap_idle()
            except Exception:
                log.exception("lambda housekeeping")

    # ---- moto state ---------------------------------------------------------------------------

    def _backend(self, service: str, region: str = config.REGION):
        from moto.backends import get_backend

        if service in ("s3", "iam"):  # global services: one backend per partition
            return get_backend(service)[self.ctx.account_id]["aws"]
        if service == "lambda":
            from moto.awslambda.utils import get_backend as lambda_backend

            return lambda_backend(self.ctx.account_id, region)
        return get_backend(service)[self.ctx.account_id][region]

    def _function(self, name_or_arn: str, region: str, qualifier: str | None = None):
        try:
            return self._backend("lambda", region).get_function(name_or_arn, qualifier)
        except Exception:
            return None

    # ---- hooks ----------------------------------------------------------------------------------

    def before(self, call):
        if call.service == "s3":
            if self._is_notification_put(call):
                bucket = call.path.strip("/").split("/")[0]
                try:
                    self._stash[id(call)] = self._backend("s3").get_bucket(bucket).notification_configuration
                except Exception:
                    pass
            return None
        path = call.path
        if call.method == "POST" and (m := _INVOKE.match(path) or _INVOKE_ASYNC.match(path)):
            return self._invoke_call(call, unquote(m.group("name")), async_api=bool(_INVOKE_ASYNC.match(path)))
        if call.method == "POST" and path.rstrip("/") == "/2015-03-31/functions":
            return self._check_function_spec(call)
        if call.method == "PUT" and (m := _FUNCTION_PART.match(path)) and m.group("part") == "configuration":
            return self._check_function_spec(call)
        return None

    def after(self, call, response):
        if call.service == "s3":
            stashed = self._stash.pop(id(call), None)
            if self._is_notification_put(call) and response.status == 200:
                return self._check_bucket_notifications(call, stashed)
            return None
        if response.status >= 300:
            return None
        path = call.path
        if m := _FUNCTION_PART.match(path):
            self.pool.retire(_plain_name(m.group("name")))  # the next invocation is a cold start
        elif call.method == "DELETE" and (m := _FUNCTION.match(path)) and "Qualifier" not in parse_qs(call.query):
            self.pool.retire(_plain_name(m.group("name")), forget_code=True)
        elif call.method == "POST" and _ESM_CREATE.match(path):
            try:
                self._start_poller(call.region, json.loads(response.body)["UUID"])
            except (ValueError, KeyError):
                log.exception("event source mapping without UUID")
        return None

    # ---- CreateFunction / UpdateFunctionConfiguration checks ------------------------------------------

    def _check_function_spec(self, call):
        try:
            spec = json.loads(call.body or b"{}")
        except ValueError:
            return None  # moto answers the malformed request
        reserved = sorted(set((spec.get("Environment") or {}).get("Variables") or {}) & RESERVED_ENV)
        if reserved:
            return error(call, "InvalidParameterValueException",
                         "Lambda was unable to configure your environment variables because the environment "
                         "variables you have provided contains reserved keys that are currently not supported "
                         f"for modification. Reserved keys used in this request: {', '.join(reserved)}")
        role_arn = spec.get("Role")
        if role_arn:
            try:
                role = self._backend("iam").get_role_by_arn(role_arn)
            except Exception:
                return None  # moto answers: unknown role
            if not role_trusts_lambda(role.assume_role_policy_document):
                return error(call, "InvalidParameterValueException", ROLE_NOT_ASSUMABLE)
        return None

    # ---- Invoke ----------------------------------------------------------------------------------

    def _invoke_call(self, call, name: str, async_api: bool):
        qualifier = (parse_qs(call.query).get("Qualifier") or [None])[0]
        fn = self._function(name, call.region, qualifier)
        if fn is None:
            return None  # moto answers ResourceNotFoundException
        kind = "Event" if async_api else call.headers.get("x-amz-invocation-type", "RequestResponse")
        body = call.body or b""
        limit = ASYNC_PAYLOAD_MAX if kind == "Event" else SYNC_PAYLOAD_MAX
        if len(body) > limit:
            return error(call, "RequestEntityTooLargeException",
                         f"Request must be smaller than {limit} bytes for the "
                         f"{'InvokeAsync' if kind == 'Event' else 'InvokeFunction'} operation", status=413)
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return error(call, "InvalidRequestContentException",
                         f"Could not parse request body into json: Could not parse payload into json: {exc}")
        if kind == "DryRun":
            return Response(204, {"x-amzn-RequestId": str(uuid.uuid4())}, b"")
        if kind == "Event":
            self.invoke_async(fn, event)
            return Response(202, {"x-amzn-RequestId": str(uuid.uuid4())}, b"")
        if kind != "RequestResponse":
            return error(call, "InvalidParameterValueException",
                         f"1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy "
                         f"constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
        if self._throttled(fn):
            resp = error(call, "TooManyRequestsException", "Rate Exceeded.", status=429)
            doc = json.loads(resp.body)
            doc.update(Reason="ReservedFunctionConcurrentInvocationLimitExceeded", Type="User")
            resp.body = json.dumps(doc).encode()
            return resp
        try:
            result = self.run(fn, event)
        except InvokeError as exc:
            return error(call, exc.code, str(exc), status=exc.status)
        headers = {"X-Amz-Executed-Version": executed_version(fn), "x-amzn-RequestId": result.request_id}
        payload, ferr = result.payload, result.function_error
        if len(payload) > SYNC_PAYLOAD_MAX:
            payload = json.dumps({"errorMessage": f"Response payload size ({len(payload)} bytes) exceeded "
                                  f"maximum allowed payload size ({SYNC_PAYLOAD_MAX} bytes).",
                                  "errorType": "Function.ResponseSizeTooLarge"}).encode()
            ferr = "Unhandled"
        if ferr:
            headers["X-Amz-Function-Error"] = ferr
        if call.headers.get("x-amz-log-type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail_b64()
        return _json_response(200, payload, headers)

    def _throttled(self, fn) -> bool:
        reserved = getattr(fn, "reserved_concurrency", None)
        return reserved is not None and self.pool.in_flight(fn.function_name) >= int(reserved)

    def run(self, fn, event):
        with self._lock:
            self._counts["invocations"] += 1
        return self.pool.invoke(fn, event, fn.function_arn)

    def invoke_async(self, fn, event, source: str = "Invoke") -> None:
        """Accept now, run in the background (an Event invocation; errors only reach the logs)."""
        with self._lock:
            self._counts["async"] += 1

        def work():
            if self._throttled(fn):
                self._drop(fn, f"{source}: throttled (reserved concurrency)")
                return
            try:
                result = self.run(fn, event)
                if result.function_error:
                    log.info("async invocation of %s (%s) failed: %s", fn.function_name, source,
                             result.payload[:300].decode("utf-8", "replace"))
            except InvokeError as exc:
                self._drop(fn, f"{source}: {exc}")
            except Exception:
                log.exception("async invocation of %s failed", fn.function_name)

        try:
            self._async.submit(work)
        except RuntimeError:  # stopping
            pass

    def _drop(self, fn, why: str) -> None:
        with self._lock:
            self._counts["dropped"] += 1
        log.warning("event for %s not delivered: %s", getattr(fn, "function_name", fn), why)

    # ---- S3 notifications -------------------------------------------------------------------------

    @staticmethod
    def _is_notification_put(call) -> bool:
        return call.method == "PUT" and "notification" in parse_qs(call.query, keep_blank_values=True) \
            and call.path.strip("/") != "" and "/" not in call.path.strip("/")

    def _check_bucket_notifications(self, call, previous):
        bucket_name = call.path.strip("/")
        try:
            bucket = self._backend("s3").get_bucket(bucket_name)
        except Exception:
            return None
        conf = bucket.notification_configuration
        bad = []
        for n in getattr(conf, "cloud_function", None) or []:
            region = n.arn.split(":")[3] if n.arn.count(":") >= 6 else call.region
            fn = self._function(n.arn, region)
            if fn is None or not policy_allows(fn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket_name}",
                                               self.ctx.account_id):
                bad.append(n.arn)
        if not bad:
            return None
        bucket.notification_configuration = previous  # AWS keeps the old configuration
        return error(call, "InvalidArgument", S3_UNVALIDATED)

    def _s3_event(self, account_id, event_body, fn_arn, region_name) -> None:
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
            rec.setdefault("responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                                "x-amz-id-2": uuid.uuid4().hex})
            rec["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "AEXAMPLELOCALCLOUD"})
            obj = rec["s3"]["object"]
            obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")  # AWS leaves the slashes as they are
            obj.setdefault("sequencer", f"{time.time_ns():X}"[:18])
        self.invoke_async(fn, event_body, source="s3")

    # ---- SNS subscriptions ---------------------------------------------------------------------------

    def _sns_deliver(self, sub, message, message_id, subject, message_attributes) -> None:
        arn = sub.endpoint
        region = arn.split(":")[3]
        qualifier = arn.split(":")[7] if arn.count(":") == 7 else None
        fn = self._function(arn.split(":")[6], region, qualifier)
        if fn is None:
            self._drop(arn, "function not found")
            return
        if not policy_allows(fn, "sns.amazonaws.com", sub.topic.arn, sub.account_id):
            self._drop(fn, f"no resource-based policy lets sns.amazonaws.com invoke it for {sub.topic.arn}")
            return
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        attrs = {k: {"Type": v.get("Type"), "Value": v.get("Value")} for k, v in (message_attributes or {}).items()}
        event = {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub.arn,
            "Sns": {"Type": "Notification", "MessageId": message_id, "TopicArn": sub.topic.arn,
                    "Subject": subject, "Message": message, "Timestamp": now, "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-0000.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub.arn}",
                    "MessageAttributes": attrs}}]}
        self.invoke_async(fn, event, source="sns")

    # ---- SQS event source mappings ------------------------------------------------------------------

    def _start_poller(self, region: str, esm_uuid: str) -> None:
        esm = self._backend("lambda", region).get_event_source_mapping(esm_uuid)
        if esm is None or not esm.event_source_arn.split(":")[2].startswith("sqs"):
            return
        self._sqs_inline_off(region, esm)
        t = threading.Thread(target=self._poll, args=(region, esm_uuid), name=f"lambda-sqs-{esm_uuid[:8]}",
                             daemon=True)
        with self._lock:
            self._pollers = {k: v for k, v in self._pollers.items() if v.is_alive()}
            self._pollers[esm_uuid] = t
        t.start()

    def _sqs_inline_off(self, region: str, esm):
        """moto delivers to a mapping inside SendMessage; the poller does it instead, as AWS does."""
        try:
            queue = self._backend("sqs", region).get_queue(esm.event_source_arn.split(":")[-1])
        except Exception:
            return None
        queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        return queue

    def _poll(self, region: str, esm_uuid: str) -> None:
        while not self._stopping.is_set():
            try:
                esm = self._backend("lambda", region).get_event_source_mapping(esm_uuid)
                if esm is None:
                    return  # deleted, or localcloud reset
                if not esm.enabled or not self._poll_once(region, esm):
                    self._stopping.wait(0.2)
            except Exception:
                log.exception("SQS poller %s", esm_uuid)
                self._stopping.wait(1.0)

    def _poll_once(self, region: str, esm) -> bool:
        queue = self._sqs_inline_off(region, esm)
        fn = self._function(esm.function_arn, region)
        if queue is None or fn is None:
            return False
        sqs = self._backend("sqs", region)
        msgs = sqs.receive_message(queue.name, esm.batch_size, 0, int(queue.visibility_timeout or 30))
        if not msgs:
            return False
        records = [{
            "messageId": m.id, "receiptHandle": m.receipt_handle, "body": m.body,
            "attributes": {"ApproximateReceiveCount": str(m.approximate_receive_count),
                           "SentTimestamp": str(m.sent_timestamp), "SenderId": m.sender_id,
                           "ApproximateFirstReceiveTimestamp": str(m.approximate_first_receive_timestamp)},
            "messageAttributes": {k: {**v, "stringListValues": [], "binaryListValues": []}
                                  for k, v in (m.message_attributes or {}).items()},
            "md5OfBody": m.body_md5, "eventSource": "aws:sqs", "eventSourceARN": queue.queue_arn,
            "awsRegion": region} for m in msgs]
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
            if m.id not in failed:
                sqs.delete_message(queue.name, m.receipt_handle)
        return True

    # ---- moto's in-process trigger paths, redirected here ---------------------------------------------

    def _patch_moto(self) -> None:
        from moto.awslambda.models import LambdaFunction
        from moto.s3 import notifications
        from moto.sns.models import Subscription

        engine = self
        self._originals = {"s3": notifications._invoke_awslambda, "sns": Subscription.publish,
                           "invoke": LambdaFunction.invoke}

        def s3_invoke(account_id, event_body, fn_arn, region_name):
            engine._s3_event(account_id, event_body, fn_arn, region_name)

        original_publish = Subscription.publish

        def sns_publish(sub, message, message_id, subject=None, message_attributes=None, group_id=None,
                        deduplication_id=None, message_structure=None):
            if sub.protocol != "lambda":
                return original_publish(sub, message, message_id, subject, message_attributes, group_id,
                                        deduplication_id, message_structure)
            if sub._filter_policy_matcher is not None and not sub._filter_policy_matcher.matches(
                    message_attributes, message):
                return None
            if message_structure == "json":
                message = sub._parse_message_structure(message, sub.protocol)
            engine._sns_deliver(sub, message, message_id, subject, message_attributes)
            return None

        def internal_invoke(fn, body, request_headers, response_headers):
            # Any other moto-internal trigger (Kinesis, DynamoDB streams...): run for real, synchronously.
            try:
                result = engine.run(fn, json.loads(body) if body else {})
            except InvokeError as exc:
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorMessage": str(exc)}).encode()
            if result.function_error:
                response_headers["x-amz-function-error"] = result.function_error
            return result.payload

        notifications._invoke_awslambda = s3_invoke
        Subscription.publish = sns_publish
        LambdaFunction.invoke = internal_invoke

    def _unpatch_moto(self) -> None:
        from moto.awslambda.models import LambdaFunction
        from moto.s3 import notifications
        from moto.sns.models import Subscription

        originals = getattr(self, "_originals", None)
        if originals:
            notifications._invoke_awslambda = originals["s3"]
            Subscription.publish = originals["sns"]
            LambdaFunction.invoke = originals["invoke"]


ENGINE = LambdaRuntime
