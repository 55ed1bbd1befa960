"""helpers.dashboard: builds, its text fallback lists the resources, delete only after confirmation."""

import tomllib

import boto3
import pytest
from test_facts_register import evaluate, unregistered

from helpers import dashboard, lab, resources
from helpers.resources_budgets import BUDGET_NAME
from localcloud.engines.rds.mariadb import server_binary

LAB = "81"  # a lab id no notebook uses, so the other tests' resources never mix in


@pytest.fixture
def buckets():
    lab.start(LAB)
    s3 = boto3.client("s3")
    names = [f"dash-test-{LAB}-a", f"dash-test-{LAB}-b"]
    for name in names:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": lab.tags()})
        s3.put_object(Bucket=name, Key="x.txt", Body=b"x")
    yield names
    resources.delete_all(lab=LAB)


def _exists(name: str) -> bool:
    return name in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def test_widget_builds_and_text_fallback_lists_resources(buckets):
    dash = dashboard.Dashboard(lab_id=LAB)
    assert "lab-dashboard" in dash._dom_classes
    text = dash.as_text()
    assert text.splitlines()[0] == (
        "Lab dashboard · target local (localcloud, offline) · region us-east-1 · account 1234****9012"
    )
    for name in buckets:
        assert f"s3 bucket  {name}  {LAB}" in text
    assert "Estimated total: $0.0000/hour" in text
    bundle = dash._repr_mimebundle_()
    assert bundle["text/plain"] == text  # what nbval compares and GitHub shows
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].count("<tr>") == 3 and buckets[0] in bundle["text/html"]
    assert dashboard.Dashboard(lab_id=LAB).as_text() == text  # deterministic
    buttons = [dash.refresh_button, dash.delete_all_button, *dash.delete_buttons]
    assert len(dash.delete_buttons) == 2
    assert all(b.description and b.tooltip for b in buttons), "every button says what it does"


def test_delete_needs_a_second_press(buckets):
    dash = dashboard.Dashboard(lab_id=LAB)
    first = dash.delete_buttons[0]
    first.click()  # arms only
    assert _exists(buckets[0]) and first.description == "Confirm delete" and first.button_style == "danger"
    dash.refresh_button.click()  # refresh cancels
    assert first.description == "Delete" and _exists(buckets[0])
    dash.delete_buttons[0].click()
    dash.delete_buttons[1].click()  # arming another button disarms the first
    assert dash.delete_buttons[0].description == "Delete" and _exists(buckets[0]) and _exists(buckets[1])
    second = dash.delete_buttons[1]
    second.click()
    assert not _exists(buckets[1]) and _exists(buckets[0])
    assert f"deleted s3 bucket {buckets[1]}" in dash.message.value
    assert [r.resource.name for r in dash.rows] == [buckets[0]]


def test_delete_all_is_guarded_too(buckets):
    dash = dashboard.Dashboard(lab_id=LAB)
    dash.delete_all_button.click()
    assert all(_exists(n) for n in buckets) and dash.delete_all_button.description == "Confirm delete"
    dash.delete_all_button.click()
    assert not any(_exists(n) for n in buckets)
    assert dash.rows == [] and dash.delete_all_button.disabled
    assert dash.as_text().endswith("Nothing tagged Project=aws-de-labs is left.")


def test_cost_estimate_counts_what_bills_with_an_instance_and_its_state():
    lab.start(LAB)
    ec2 = boto3.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    iid = ec2.run_instances(
        ImageId=ami,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[lab.tag_spec("instance", Name="dash-web")],
    )["Instances"][0]["InstanceId"]
    try:
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        assert inst.get("PublicIpAddress"), "the default VPC gives a launched instance a public address"
        vol_ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
        volumes = ec2.describe_volumes(VolumeIds=vol_ids)["Volumes"]
        assert volumes  # priced by their own type (ebs.gp2, ebs.gp3)
        hours = lab.fact("meta.hours_per_month")
        disk = sum(v["Size"] * lab.fact(f"ebs.{v['VolumeType']}") / hours for v in volumes)
        running = lab.fact("ec2.t3_micro") + lab.fact("ec2.public_ipv4") + disk
        dash = dashboard.Dashboard(lab_id=LAB)
        (row,) = dash.rows
        assert row.size == "t3.micro" and row.price == pytest.approx(running)
        assert row.cost_text == f"{running:.4f}" and dash.total_per_hour == pytest.approx(running)
        assert [p.what for p in row.parts] == [
            "t3.micro",
            "public IPv4",
            *[f"{v['Size']} GB {v['VolumeType']} volume" for v in volumes],
        ]
        assert f"≈ ${running * hours:.2f}/month" in dash.as_text()
        ec2.stop_instances(InstanceIds=[iid])
        dash.refresh()  # stopped: no instance hours, its public address released, the disk still bills
        assert dash.rows[0].cost_text == f"{disk:.4f} (stopped)" and dash.total_per_hour == pytest.approx(disk)
    finally:
        resources.delete_all(lab=LAB)


@pytest.mark.skipif(server_binary() is None, reason="no MariaDB server installed")
def test_lab_02s_database_costs_what_the_register_derives(capsys):
    """Instance, 20 GB gp3, public IPv4 and the RDS-managed secret: [derived.lab02_hourly] ($0.0257)."""
    lab.start(LAB)
    rds, ec2 = boto3.client("rds"), boto3.client("ec2")
    sg = ec2.create_security_group(
        GroupName=f"dash-{LAB}", Description="d", TagSpecifications=[lab.tag_spec("security-group")]
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"dash-db-{LAB}",
        Engine="mysql",
        EngineVersion="8.4",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        VpcSecurityGroupIds=[sg["GroupId"]],
        PubliclyAccessible=True,
        BackupRetentionPeriod=0,
        Tags=lab.tags(),
    )
    try:
        register = tomllib.loads(lab.FACTS.read_text(encoding="utf-8"))
        expected = evaluate(register["derived"]["lab02_hourly"]["formula"], register)
        rows = [r for r in dashboard.Dashboard(lab_id=LAB).rows if r.resource.kind == "rds db instance"]
        (row,) = rows
        assert row.price == pytest.approx(expected) and row.cost_text == f"{expected:.4f}"
        assert [p.what for p in row.parts] == ["db.t3.micro", "20 GB gp3 storage", "public IPv4", "managed secret"]
        dashboard.reminder(LAB)
        out = capsys.readouterr().out
        assert f"rds db instance dash-db-{LAB} (db.t3.micro): {expected:.4f} $/hour = db.t3.micro " in out
        assert not unregistered({"reminder": out}), "every price it prints is a register or derived value"
    finally:
        resources.delete_all(lab=LAB)


def test_snapshots_bill_beyond_the_free_backup_storage_at_most(monkeypatch):
    monkeypatch.setattr(dashboard, "_free_backup_gib", lambda: 20.0)  # one 20 GB instance exists
    monkeypatch.setattr(dashboard, "_snapshot_sizes", lambda ids: {"s1": 20.0, "s2": 20.0})
    snaps = [resources.Resource("rds db snapshot", sid, LAB, "available") for sid in ("s1", "s2")]
    first, second = dashboard.estimate(snaps)
    per_gb_hour = lab.fact("rds.backup_storage") / lab.fact("meta.hours_per_month")
    assert first.price == 0 and first.cost_text == "0"  # within the free allowance
    assert second.price == pytest.approx(20 * per_gb_hour)
    assert second.cost_text == f"≤ {20 * per_gb_hour:.4f}"  # its allocated size bounds what it holds


def test_unknown_kinds_and_sizes_show_a_dash():
    rows = dashboard.estimate(
        [resources.Resource("glue crawler", "c1", LAB), resources.Resource("budget", "b", LAB)], prices={"budget": 0.0}
    )
    assert [r.cost_text for r in rows] == ["—", "0"]


def test_budget_is_listed_by_name_and_deleted(fresh_localcloud, capsys):
    lab.start("00")
    budgets = boto3.client("budgets")
    account = boto3.client("sts").get_caller_identity()["Account"]
    limit = {"BudgetLimit": {"Amount": "5", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    budgets.create_budget(AccountId=account, Budget={"BudgetName": BUDGET_NAME, **limit})
    budgets.create_budget(AccountId=account, Budget={"BudgetName": "someone-elses-budget", **limit})
    try:
        found = [r for r in resources.find_all() if r.kind == "budget"]
        assert [(r.name, r.lab, r.state) for r in found] == [(BUDGET_NAME, "00", "5 USD per month")]
        assert "budget  aws-de-labs-monthly  00" in dashboard.Dashboard(lab_id="00").as_text()
        lab.teardown(lab="00")
        names = [b["BudgetName"] for b in budgets.describe_budgets(AccountId=account).get("Budgets", [])]
        assert names == ["someone-elses-budget"]  # only the labs' budget is ever touched
        found[0].delete()  # deleting again is not an error
    finally:
        budgets.delete_budget(AccountId=account, BudgetName="someone-elses-budget")
