"""``lab.diagram()``: a picture of what you built, drawn from your live resources (issue 19).

It finds the lab-tagged resources the way ``lab.inventory()`` does, asks each one what it is
connected to with plain describe/list calls, and draws the graph with graphviz's ``dot``:

- an EC2 instance or an RDS database ← its security group ← each inbound rule (your /32);
- an RDS primary → its read replicas;
- a bucket → the Lambda function its notifications trigger (the bucket found through the function's
  resource policy, also when another lab owns it) → what the function's environment
  names (Athena database, workgroup, result bucket, SNS topic) → SNS subscriptions (SQS);
- a Glue database → its tables → their S3 locations and partitions; a crawler between them.

The output is deterministic for nbval: nodes are named by names and tags (seeded ids at most),
sorted, and the SVG carries no version or timestamp; the text/plain fallback lists the same
nodes and links. Without ``dot`` (Debian: ``apt-get install graphviz``) it shows the text only.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import clients, resources
from . import lab as _lab

# Drawn kinds, in the order they are listed (and laid out left to right where dot can).
KINDS = (
    "rule",
    "s3 bucket",
    "s3 prefix",
    "glue crawler",
    "ec2 security group",
    "ec2 instance",
    "rds db instance",
    "lambda function",
    "athena workgroup",
    "glue database",
    "glue table",
    "partitions",
    "sns topic",
    "sqs queue",
    "subscriber",
)
SHAPES = {
    "rule": "plaintext",
    "s3 bucket": "cylinder",
    "s3 prefix": "folder",
    "partitions": "note",
    "ec2 security group": "hexagon",
    "rds db instance": "cylinder",
    "glue database": "cylinder",
    "glue table": "tab",
    "sns topic": "cds",
    "sqs queue": "box3d",
    "subscriber": "plaintext",
}
PARTITIONS_SHOWN = 3  # partition values named in a table's partitions node; the rest are counted


@dataclass(frozen=True, order=True)
class Node:
    kind: str
    name: str  # unique within its kind: a name, a tag, a path (never a random id)
    detail: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind}\n{self.name}" + (f"\n{self.detail}" if self.detail else "")


@dataclass(frozen=True, order=True)
class Edge:
    src: tuple[str, str]
    dst: tuple[str, str]
    label: str = ""


@dataclass
class Graph:
    """Nodes and edges, deduplicated; an edge is kept only when both ends are nodes."""

    lab: str | None = None
    nodes: dict[tuple[str, str], Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)

    def add(self, kind: str, name: str, detail: str = "") -> tuple[str, str]:
        node = Node(kind, name, detail)
        if node.key not in self.nodes or detail:
            self.nodes[node.key] = node
        return node.key

    def link(self, src: tuple[str, str], dst: tuple[str, str], label: str = "") -> None:
        self.edges.add(Edge(src, dst, label))

    def ordered(self) -> tuple[list[Node], list[Edge]]:
        nodes = sorted(self.nodes.values(), key=lambda n: (KINDS.index(n.kind), n.name))
        edges = sorted(e for e in self.edges if e.src in self.nodes and e.dst in self.nodes)
        return nodes, edges


class Diagram:
    """What exists now and how it connects: SVG in JupyterLab and on GitHub, text elsewhere."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.nodes, self.edges = graph.ordered()

    def _ids(self) -> dict[tuple[str, str], str]:
        return {n.key: f"n{i}" for i, n in enumerate(self.nodes, 1)}

    def source(self) -> str:
        """The graph in graphviz's DOT language (what ``dot`` lays out)."""
        import graphviz  # type: ignore[import-untyped]  # graphviz 0.21 ships no type hints

        title = f"Lab {self.graph.lab}" if self.graph.lab else "All labs"
        dot = graphviz.Digraph(
            "lab", graph_attr={"rankdir": "LR", "label": f"{title} · what exists now", "labelloc": "t"}
        )
        dot.attr("node", shape="box", style="rounded", fontsize="10")
        dot.attr("edge", fontsize="9")
        ids = self._ids()
        for n in self.nodes:
            dot.node(ids[n.key], n.label, shape=SHAPES.get(n.kind, "box"))
        for e in self.edges:
            dot.edge(ids[e.src], ids[e.dst], e.label)
        return dot.source

    def svg(self) -> str | None:
        """The picture as SVG, or None without graphviz's ``dot``."""
        if not self.nodes or shutil.which("dot") is None:
            return None
        import graphviz

        svg = graphviz.Source(self.source()).pipe(format="svg", encoding="utf-8")
        # no tool version in the saved notebook: the same resources give the same output everywhere
        svg = re.sub(r"<!-- Generated by graphviz version [^>]*-->\n", "", svg)
        return self._accessible(svg)

    def _accessible(self, svg: str) -> str:
        """The picture's text alternative inside it (what a screen reader announces where the SVG is
        inline, as in `make html`): role="img", a <title> and a <desc> with the nodes and links.
        Ids are stable (a hash of the text), so two diagrams on one page do not share them."""
        title, desc = self.as_text().splitlines()[0], self.as_text()
        key = "lab-diagram-" + hashlib.sha256(desc.encode()).hexdigest()[:10]
        head = re.search(r"<svg\b[^>]*>", svg)
        if head is None:
            return svg
        tag = head.group(0)[:-1] + f' role="img" aria-labelledby="{key}-title {key}-desc">'
        alt = (
            f'\n<title id="{key}-title">{html.escape(title)}</title>\n<desc id="{key}-desc">{html.escape(desc)}</desc>'
        )
        return svg[: head.start()] + tag + alt + svg[head.end() :]

    def as_text(self) -> str:
        title = f"Lab {self.graph.lab}" if self.graph.lab else "All labs"
        if not self.nodes:
            return f"{title}: nothing to draw (no lab-tagged resources found)."
        lines = [f"{title}: {len(self.nodes)} node(s), {len(self.edges)} link(s)"]
        lines += [f"  [{n.kind}] {n.name}" + (f" ({n.detail})" if n.detail else "") for n in self.nodes]
        if self.edges:
            lines.append("links:")
            lines += [
                f"  {e.src[0]} {e.src[1]} --{e.label or ''}--> {e.dst[0]} {e.dst[1]}".replace("----", "-->")
                for e in self.edges
            ]
        return "\n".join(lines)

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, str]:
        data = {"text/plain": self.as_text()}
        svg = self.svg()
        if svg is not None:
            data["image/svg+xml"] = svg
        return data

    def __repr__(self) -> str:
        return self.as_text()


# ---- reading the live resources -------------------------------------------------------------------


def _ask(call: Callable[..., Any], *keys: str, default: Any = None, **params: Any) -> Any:
    """``call(**params)[keys...]``; ``default`` when the resource vanished meanwhile or is unreadable."""
    try:
        answer = call(**params)
        for key in keys:
            answer = answer[key]
        return answer
    except (ClientError, BotoCoreError, KeyError):
        return default


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item under ``key`` of a paginated list call; [] when it cannot be read."""
    try:
        return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]
    except (ClientError, BotoCoreError):
        return []


def _rule_source(cidr: str, you: str | None) -> str:
    return f"you · {cidr}" if cidr == you else cidr


def _ports(perm: dict[str, Any]) -> str:
    proto = perm.get("IpProtocol", "-1")
    if proto == "-1":
        return "all traffic"
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    return f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"


def _security_groups(g: Graph, group_ids: Iterable[str], you: str | None) -> dict[str, tuple[str, str]]:
    """Nodes for these groups and their inbound rules; {group id: node key}."""
    ids = sorted(set(group_ids))
    if not ids:
        return {}
    ec2 = clients.client("ec2")
    groups = _ask(ec2.describe_security_groups, "SecurityGroups", default=[], GroupIds=ids)
    keys = {sg["GroupId"]: g.add("ec2 security group", sg["GroupName"]) for sg in groups}
    for sg in groups:
        for perm in sg.get("IpPermissions", []):
            for r in perm.get("IpRanges", []):
                g.link(g.add("rule", _rule_source(r["CidrIp"], you)), keys[sg["GroupId"]], _ports(perm))
            for pair in perm.get("UserIdGroupPairs", []):
                src = keys.get(pair.get("GroupId", ""))
                if src is None:
                    src = g.add("rule", f"members of {pair.get('GroupId', '?')}")
                g.link(src, keys[sg["GroupId"]], _ports(perm))
    return keys


def _ec2(g: Graph, ids: list[str], group_ids: list[str], you: str | None) -> None:
    ec2 = clients.client("ec2")
    attached: dict[str, list[tuple[str, str]]] = {}
    instances = []
    if ids:
        for res in _ask(ec2.describe_instances, "Reservations", default=[], InstanceIds=ids):
            instances += res["Instances"]
    for inst in instances:
        name = resources._tags(inst.get("Tags")).get("Name") or inst["InstanceId"]
        node = g.add("ec2 instance", name, f"{inst['InstanceType']}, {inst['State']['Name']}")
        for sg in inst.get("SecurityGroups", []):
            attached.setdefault(sg["GroupId"], []).append(node)
    keys = _security_groups(g, [*group_ids, *attached], you)
    for gid, targets in attached.items():
        for t in targets:
            if gid in keys:
                g.link(keys[gid], t, "lets in")


def _rds(g: Graph, names: list[str], you: str | None) -> None:
    rds = clients.client("rds")
    dbs = [d for n in names for d in _ask(rds.describe_db_instances, "DBInstances", default=[], DBInstanceIdentifier=n)]
    groups: dict[str, list[tuple[str, str]]] = {}
    for db in dbs:
        node = g.add(
            "rds db instance", db["DBInstanceIdentifier"], f"{db['DBInstanceClass']}, {db['DBInstanceStatus']}"
        )
        for sg in db.get("VpcSecurityGroups", []):
            groups.setdefault(sg["VpcSecurityGroupId"], []).append(node)
    for db in dbs:
        source = db.get("ReadReplicaSourceDBInstanceIdentifier")
        if source:
            g.link(
                g.add("rds db instance", source.split(":")[-1]),
                ("rds db instance", db["DBInstanceIdentifier"]),
                "replicates to",
            )
    keys = _security_groups(g, groups, you)
    for gid, targets in groups.items():
        for t in targets:
            if gid in keys:
                g.link(keys[gid], t, "lets in")


def _s3_location(g: Graph, uri: str) -> tuple[str, str] | None:
    """A node for an s3://bucket/prefix/ location, linked from its bucket when the bucket is drawn."""
    m = re.match(r"s3://([^/]+)/?(.*)$", uri)
    if not m:
        return None
    bucket, prefix = m.group(1), m.group(2).rstrip("/")
    if not prefix:
        return g.add("s3 bucket", bucket)
    node = g.add("s3 prefix", f"s3://{bucket}/{prefix}/")
    g.link(("s3 bucket", bucket), node, "holds")
    return node


def _buckets(g: Graph, names: list[str]) -> None:
    s3 = clients.client("s3")
    for name in names:
        bucket = g.add("s3 bucket", name)
        conf = _ask(s3.get_bucket_notification_configuration, default={}, Bucket=name)
        for kind, key, target in (
            ("lambda function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
            ("sns topic", "TopicConfigurations", "TopicArn"),
            ("sqs queue", "QueueConfigurations", "QueueArn"),
        ):
            for c in conf.get(key, []):
                rules = {
                    r["Name"].lower(): r["Value"] for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
                }
                where = "".join(f" {k}={v}" for k, v in sorted(rules.items()))
                g.link(bucket, g.add(kind, c[target].split(":")[-1]), ", ".join(sorted(c["Events"])) + where)


def _invoking_buckets(lam: Any, name: str) -> list[str]:
    """Buckets the function's resource policy lets S3 invoke it for (``add_permission`` SourceArn)."""
    policy = _ask(lam.get_policy, "Policy", default="{}", FunctionName=name)
    found = []
    for st in json.loads(policy).get("Statement", []):
        for condition in st.get("Condition", {}).values():
            arn = condition.get("AWS:SourceArn") or condition.get("aws:SourceArn") or ""
            if arn.startswith("arn:aws:s3:::"):
                found.append(arn.removeprefix("arn:aws:s3:::"))
    return sorted(set(found))


def _functions(g: Graph, names: list[str]) -> None:
    """Each function, with what triggers it and what it names, even when that belongs to another lab
    (lab 07's function is triggered by lab 04's bucket and queries lab 04's database)."""
    lam, glue = clients.client("lambda"), clients.client("glue")
    for name in names:
        _buckets(g, [b for b in _invoking_buckets(lam, name) if ("s3 bucket", b) not in g.nodes])
        conf = _ask(lam.get_function_configuration, default={}, FunctionName=name)
        variables = conf.get("Environment", {}).get("Variables", {})
        databases = [v for v in variables.values() if ("glue database", v) not in g.nodes and "/" not in v]
        _glue(g, [db for db in sorted(set(databases)) if _ask(glue.get_database, "Database", Name=db)], [])
    by_value = {n.name: n.key for n in g.nodes.values()}
    for name in names:
        fn = g.add("lambda function", name)
        conf = _ask(lam.get_function_configuration, default={}, FunctionName=name)
        for var, value in sorted(conf.get("Environment", {}).get("Variables", {}).items()):
            if value.startswith("s3://"):
                target = _s3_location(g, value)
            else:
                target = by_value.get(value) or by_value.get(value.split(":")[-1])
            if target is not None:
                g.link(fn, target, var)
        for m in _pages(lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=name):
            g.link(g.add("sqs queue", m["EventSourceArn"].split(":")[-1]), fn, "triggers")
        dest = _ask(lam.get_function_event_invoke_config, default={}, FunctionName=name)
        for when in ("OnSuccess", "OnFailure"):
            arn = dest.get("DestinationConfig", {}).get(when, {}).get("Destination")
            if arn:
                kind = {"sns": "sns topic", "sqs": "sqs queue", "lambda": "lambda function"}.get(arn.split(":")[2])
                if kind:
                    g.link(fn, g.add(kind, arn.split(":")[-1]), when.replace("On", "on ").lower())


def _topics(g: Graph, names: list[str]) -> None:
    sns = clients.client("sns")
    arns = {t["TopicArn"].split(":")[-1]: t["TopicArn"] for t in _pages(sns, "list_topics", "Topics")}
    for name in names:
        topic = g.add("sns topic", name)
        subs = _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arns[name])
        for s in subs if name in arns else []:
            proto, endpoint = s["Protocol"], s["Endpoint"]
            if proto == "sqs":
                g.link(topic, g.add("sqs queue", endpoint.split(":")[-1]), "subscription")
            elif proto == "lambda":
                g.link(topic, g.add("lambda function", endpoint.split(":")[-1]), "subscription")
            else:  # e-mail and others: the protocol, not the (personal) address
                g.link(topic, g.add("subscriber", f"{proto} subscriber"), "subscription")


def _queues(g: Graph, names: list[str]) -> None:
    sqs = clients.client("sqs")
    for name in names:
        q = g.add("sqs queue", name)
        url = _ask(sqs.get_queue_url, "QueueUrl", QueueName=name)
        attrs = (
            _ask(sqs.get_queue_attributes, default={}, QueueUrl=url, AttributeNames=["RedrivePolicy"]) if url else {}
        )
        dlq = re.search(r'"deadLetterTargetArn"\s*:\s*"([^"]+)"', attrs.get("Attributes", {}).get("RedrivePolicy", ""))
        if dlq:
            g.link(q, g.add("sqs queue", dlq.group(1).split(":")[-1]), "dead letters")


def _workgroups(g: Graph, names: list[str]) -> None:
    athena = clients.client("athena")
    for name in names:
        wg = g.add("athena workgroup", name)
        conf = _ask(athena.get_work_group, "WorkGroup", "Configuration", default={}, WorkGroup=name)
        out = conf.get("ResultConfiguration", {}).get("OutputLocation")
        target = _s3_location(g, out) if out else None
        if target is not None:
            g.link(wg, target, "results")


def _partitions_detail(glue: Any, db: str, table: dict[str, Any]) -> str | None:
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    if not keys:
        return None
    partitions = _pages(glue, "get_partitions", "Partitions", DatabaseName=db, TableName=table["Name"])
    values = sorted("/".join(f"{k}={v}" for k, v in zip(keys, p["Values"], strict=False)) for p in partitions)
    shown = ", ".join(values[:PARTITIONS_SHOWN]) + (", …" if len(values) > PARTITIONS_SHOWN else "")
    return f"{len(values)} partition(s) by {', '.join(keys)}" + (f": {shown}" if values else "")


def _glue(g: Graph, databases: list[str], crawlers: list[str]) -> None:
    glue = clients.client("glue")
    for db in databases:
        dbk = g.add("glue database", db)
        for t in _pages(glue, "get_tables", "TableList", DatabaseName=db):
            tk = g.add("glue table", f"{db}.{t['Name']}", t.get("Parameters", {}).get("classification", ""))
            g.link(dbk, tk, "table")
            where = t.get("StorageDescriptor", {}).get("Location", "")
            loc = _s3_location(g, where) if where else None
            if loc is not None:
                g.link(tk, loc, "reads")
            detail = _partitions_detail(glue, db, t)
            if detail is not None:
                g.link(tk, g.add("partitions", f"{db}.{t['Name']}", detail), "partitions")
    for name in crawlers:
        crawler = _ask(glue.get_crawler, "Crawler", default={}, Name=name)
        ck = g.add("glue crawler", name, crawler.get("State", "").lower())
        for target in crawler.get("Targets", {}).get("S3Targets", []):
            loc = _s3_location(g, target["Path"])
            if loc is not None:
                g.link(loc, ck, "crawls")
        if crawler.get("DatabaseName"):
            g.link(ck, g.add("glue database", crawler["DatabaseName"]), "writes tables")


def build(lab: str | None = None, you: str | None = None) -> Graph:
    """The graph of the lab-tagged resources (all labs, or one) and their links, read live."""
    found = [r for r in resources.find_all(lab) if r.id != "?"]
    by_kind: dict[str, list[str]] = {}
    for r in found:
        by_kind.setdefault(r.kind, []).append(r.id)
    ids = {k: sorted(set(v)) for k, v in by_kind.items()}
    g = Graph(lab=lab)
    # data stores first, so the functions' environment variables can name them
    _buckets(g, ids.get("s3 bucket", []))
    _glue(g, ids.get("glue database", []), ids.get("glue crawler", []))
    _workgroups(g, ids.get("athena workgroup", []))
    _topics(g, [a.split(":")[-1] for a in ids.get("sns topic", [])])
    _queues(g, [u.rstrip("/").split("/")[-1] for u in ids.get("sqs queue", [])])
    _ec2(g, ids.get("ec2 instance", []), ids.get("ec2 security group", []), you)
    _rds(g, ids.get("rds db instance", []), you)
    _functions(g, ids.get("lambda function", []))
    return g


def diagram(lab: str | None = None) -> Diagram:
    """A picture of the lab-tagged resources that exist now (``lab="02"``: one lab's)."""
    _lab.current()  # a LabError when lab.start() has not run
    lab_id = _lab.check_lab_id(lab) if lab is not None else None
    try:
        you: str | None = _lab.my_cidr()  # rules from this address are labelled "you"
    except OSError:  # the address lookup failed (aws target, offline): show the bare CIDR
        you = None
    return Diagram(build(lab_id, you))
