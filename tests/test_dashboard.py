"""helpers.dashboard: builds, its text fallback lists the resources, delete only after confirmation."""

import boto3
import pytest

from helpers import dashboard, lab, resources
from helpers.resources_budgets import BUDGET_NAME

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
    assert text.splitlines()[0] == ("Lab dashboard · target local (localcloud, offline) · "
                                    "region us-east-1 · account 1234****9012")
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


def test_cost_estimate_uses_instance_type_and_state():
    lab.start(LAB)
    ec2 = boto3.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                            TagSpecifications=[lab.tag_spec("instance", Name="dash-web")])["Instances"][0]["InstanceId"]
    try:
        dash = dashboard.Dashboard(lab_id=LAB)
        (row,) = dash.rows
        assert (row.size, row.price, row.cost_text) == ("t3.micro", 0.0104, "0.0104")
        assert "≈ $7.59/month" in dash.as_text()
        ec2.stop_instances(InstanceIds=[iid])
        dash.refresh()
        assert dash.rows[0].cost_text == "0 (stopped)" and dash.total_per_hour == 0
    finally:
        resources.delete_all(lab=LAB)


def test_unknown_kinds_and_sizes_show_a_dash():
    rows = dashboard.estimate([resources.Resource("glue crawler", "c1", LAB), resources.Resource("budget", "b", LAB)],
                              prices={"budget": 0.0})
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
