"""The IAM policy lab 00 gives the learner's own user (helpers/learner_policy.json, issue 19).

Least privilege both ways: every AWS operation the notebooks and helpers call (boto3 methods,
their paginators and waiters, and the ``aws ...`` commands the labs print) is allowed by some
statement, and the document stays a managed policy AWS accepts (size, no ``*`` actions).
Resources and conditions are not evaluated here: the statements scope them by the labs' names
and tags, which only a real account can check.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from helpers import lab

ROOT = Path(__file__).resolve().parent.parent
POLICY = json.loads((ROOT / "helpers" / "learner_policy.json").read_text())

# IAM action names that differ from the API operation's name (service authorization reference).
ACTION_FOR = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "PutBucketNotificationConfiguration"): "s3:PutBucketNotification",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("budgets", "CreateBudget"): "budgets:ModifyBudget",
    ("budgets", "CreateNotification"): "budgets:ModifyBudget",
    ("budgets", "DeleteBudget"): "budgets:ModifyBudget",
    ("budgets", "DescribeBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
}
# Operations that need no permission at all.
NO_PERMISSION = {("sts", "GetCallerIdentity")}
# Names the scan finds that are another service's call, or code no lab runs; each says why.
NOT_CALLED = {
    ("logs", "GetQueryResults"): "athena's get_query_results (the scan cannot tell the clients apart)",
    ("ssm", "ListTagsForResource"): "other services' list_tags_for_resource",
    ("budgets", "ListTagsForResource"): "other services' list_tags_for_resource (allowed anyway)",
    ("sns", "AddPermission"): "lambda's add_permission (lab 07 lets S3 invoke its function)",
    ("sqs", "AddPermission"): "lambda's add_permission; lab 07 sets the queue's policy with set_queue_attributes",
    ("iam", "GetPolicy"): "lambda's get_policy (lab 07 reads the function's resource policy)",
    ("redshift", "CreateCluster"): "08 shows the provisioned call in markdown only (not run: a cluster bills hourly)",
    ("redshift", "CreateUsageLimit"): "08 advises redshift-serverless' create_usage_limit (allowed), not this one",
    ("redshift", "DescribeEvents"): "helpers/mysql.py advises rds describe_events (allowed by rds:Describe*)",
    ("sns", "Publish"): "lab 07's function publishes under its own role (the lab's inline policy), not the learner",
    ("iam", "CreatePolicy"): "00 prints it for the administrator who creates the learner's policy, once",
    ("redshift", "DeleteCluster"): "the teardown's collector for clusters no lab creates",
    ("iam", "DeletePolicy"): "the teardown's collector for customer managed policies, which no lab creates",
    ("iam", "DeletePolicyVersion"): "as iam DeletePolicy",
    ("iam", "DetachRolePolicy"): "as iam DeletePolicy (the labs' roles have inline policies only)",
    ("iam", "DetachUserPolicy"): "as iam DeletePolicy",
    ("iam", "DetachGroupPolicy"): "as iam DeletePolicy",
    ("iam", "ListEntitiesForPolicy"): "as iam DeletePolicy",
    ("iam", "ListPolicyVersions"): "as iam DeletePolicy",
    ("iam", "RemoveRoleFromInstanceProfile"): "the labs' roles have no instance profiles (ListInstanceProfilesForRole "
    "answers empty)",
}


def _sources() -> list[str]:
    texts = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        texts += ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"]]
    texts += [p.read_text() for p in sorted((ROOT / "helpers").glob("*.py"))]
    return texts


@functools.cache
def _botocore() -> botocore.session.Session:
    """One botocore session for every model lookup: a new one loads each service's model again
    (iam_action for the labs' ~200 operations took 30-40 s that way)."""
    return botocore.session.get_session()


def called_operations() -> set[tuple[str, str]]:
    """(service, Operation) for every operation name the labs and helpers use, per client they create."""
    session = _botocore()
    texts = _sources()
    services = {m for t in texts for m in re.findall(r"""client\(\s*["']([\w-]+)["']""", t)}
    words = {w for t in texts for w in re.findall(r"\b[a-z][a-z0-9_]+\b", t)}
    cli = {(s, o.replace("-", "")) for t in texts for s, o in re.findall(r"\baws ([a-z0-9-]+) ([a-z0-9-]+)", t)}
    found = set()
    for service in services:
        model = session.get_service_model(service)
        ops = {xform_name(op): op for op in model.operation_names}
        found |= {(service, ops[w]) for w in words & set(ops)}
        found |= {(service, op) for op in model.operation_names if (service, op.lower()) in cli}
        try:
            waiters = session.get_waiter_model(service)
        except Exception:  # a service without waiters
            continue
        for name in waiters.waiter_names:
            if xform_name(name) in words:
                found.add((service, waiters.get_waiter(name).operation))
    return found


def iam_action(service: str, operation: str) -> str:
    prefix = _botocore().get_service_model(service).signing_name
    return ACTION_FOR.get((service, operation), f"{prefix}:{operation}")


def allowed(action: str) -> bool:
    for st in POLICY["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if st["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            return True
    return False


def test_every_call_the_labs_make_is_allowed():
    calls = called_operations()
    assert ("ec2", "RunInstances") in calls and ("s3", "ListObjectsV2") in calls, "the scan finds the labs' calls"
    missing = sorted(
        iam_action(s, o) for s, o in calls - NO_PERMISSION - set(NOT_CALLED) if not allowed(iam_action(s, o))
    )
    assert not missing, f"helpers/learner_policy.json does not allow: {missing}"


def test_the_exceptions_are_still_needed():
    calls = called_operations()
    assert not set(NOT_CALLED) - calls, "NOT_CALLED names operations the scan no longer finds: remove them"


def test_the_policy_is_a_managed_policy_aws_accepts_and_grants_no_wildcard_service():
    assert POLICY["Version"] == "2012-10-17"
    size = len("".join(json.dumps(POLICY).split()))
    assert size <= lab.fact("iam.managed_policy_max_chars"), size
    sids = [st["Sid"] for st in POLICY["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    for st in POLICY["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert len(actions) == len(set(actions)), st["Sid"]
        for action in actions:
            service, _, name = action.partition(":")
            assert service and name and name != "*", f"{st['Sid']}: {action} grants a whole service"
            assert not name.startswith(("Create*", "Delete*", "Put*", "Update*")), f"{st['Sid']}: {action}"


@pytest.mark.parametrize("action", ["iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "ec2:*"])
def test_it_cannot_grant_itself_more(action):
    assert not allowed(action)
