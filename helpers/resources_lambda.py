"""Lambda, SNS, SQS, CloudWatch Logs and IAM resources for ``lab.inventory()`` / ``lab.teardown()``
(introduced in 07_lambda_event_driven).

Order: after EC2 instances, before S3 buckets (order 90). Functions go first (their event
source mappings with them, so nothing polls a queue that is about to disappear), then the
topics (their subscriptions with them) and queues they used, and their log groups; the
IAM roles and policies the functions ran as are collected by ``helpers.resources_iam``. Only resources tagged
``Project=aws-de-labs`` are touched; a log group is also removed when it belongs to a
lab-tagged function (Lambda creates ``/aws/lambda/<name>`` itself, untagged).
"""

from __future__ import annotations

from . import clients
from .resources import Resource, _is_lab, collector, quietly, read_tags

LOG_PREFIX = "/aws/lambda/"


# ---- Lambda -----------------------------------------------------------------------------------


def _lab_functions() -> list[tuple[str, dict[str, str]]]:
    lam = clients.client("lambda")
    found = []
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page["Functions"]:
            tags = read_tags(lambda fn=fn: lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {}))
            if tags is None:  # deleted while we listed
                continue
            if _is_lab(tags):
                found.append((fn["FunctionName"], tags))
    return found


@collector("lambda function", order=50)
def _functions() -> list[Resource]:
    lam = clients.client("lambda")

    def delete(name: str) -> None:
        for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=name):
            for m in page["EventSourceMappings"]:
                quietly(lam.delete_event_source_mapping, UUID=m["UUID"])
        quietly(lam.delete_function, FunctionName=name)

    return [
        Resource("lambda function", name, tags.get("Lab", ""), "", name, lambda name=name: delete(name))
        for name, tags in _lab_functions()
    ]


# ---- SNS and SQS --------------------------------------------------------------------------------


@collector("sns topic", order=52)
def _topics() -> list[Resource]:
    sns = clients.client("sns")
    found = []
    for page in sns.get_paginator("list_topics").paginate():
        for t in page["Topics"]:
            arn = t["TopicArn"]
            tags = read_tags(lambda arn=arn: sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
            if tags is None:  # deleted while we listed
                continue
            if not _is_lab(tags):
                continue

            def delete(arn: str = arn) -> None:
                for sub_page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
                    for sub in sub_page["Subscriptions"]:
                        if sub["SubscriptionArn"].startswith("arn:"):  # not "PendingConfirmation"
                            quietly(sns.unsubscribe, SubscriptionArn=sub["SubscriptionArn"])
                quietly(sns.delete_topic, TopicArn=arn)

            name = arn.rsplit(":", 1)[-1]
            found.append(Resource("sns topic", name, tags.get("Lab", ""), "", name, delete))
    return found


@collector("sqs queue", order=53)
def _queues() -> list[Resource]:
    sqs = clients.client("sqs")
    found = []
    for page in sqs.get_paginator("list_queues").paginate():
        for url in page.get("QueueUrls", []):
            tags = read_tags(lambda url=url: sqs.list_queue_tags(QueueUrl=url).get("Tags", {}))
            if tags is None:  # deleted while we listed
                continue
            if _is_lab(tags):
                name = url.rsplit("/", 1)[-1]
                found.append(
                    Resource(
                        "sqs queue",
                        name,
                        tags.get("Lab", ""),
                        "",
                        name,
                        lambda url=url: quietly(sqs.delete_queue, QueueUrl=url),
                    )
                )
    return found


# ---- CloudWatch Logs ------------------------------------------------------------------------------


@collector("log group", order=55)
def _log_groups() -> list[Resource]:
    logs = clients.client("logs")
    functions = {f"{LOG_PREFIX}{name}": tags.get("Lab", "") for name, tags in _lab_functions()}
    found = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=LOG_PREFIX):
        for g in page["logGroups"]:
            name = g["logGroupName"]
            tags = read_tags(
                lambda g=g: logs.list_tags_for_resource(resourceArn=g["arn"].removesuffix(":*")).get("tags", {})
            )
            if tags is None:  # deleted while we listed
                continue
            if _is_lab(tags) or name in functions:
                found.append(
                    Resource(
                        "log group",
                        name,
                        tags.get("Lab") or functions.get(name, ""),
                        "",
                        name,
                        lambda name=name: quietly(logs.delete_log_group, logGroupName=name),
                    )
                )
    return found
