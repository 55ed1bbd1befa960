"""helpers.athena_editor: the Query editor widget against the session's localcloud."""

import boto3
import pytest

from helpers import athena as ath_help
from helpers import lab
from helpers.athena_editor import NOT_STARTED, QueryEditor, QueryRun

BUCKET = "athena-editor-test"


@pytest.fixture(scope="module")
def athena():
    lab.start("04")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET,
        Key="data/t/part.json",
        Body=b'{"city": "Paris", "n": 3}\n{"city": "Lyon", "n": 1}\n{"city": "Nice"}\n',
    )
    client = boto3.client("athena")
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "editor_db"})
    glue.create_table(
        DatabaseName="editor_db",
        TableInput={
            "Name": "cities",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "city", "Type": "string"}, {"Name": "n", "Type": "int"}],
                "Location": f"s3://{BUCKET}/data/t/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )
    yield client
    glue.delete_database(Name="editor_db")


def _editor(athena, **kw):
    kw.setdefault("output_location", f"s3://{BUCKET}/results/")
    return QueryEditor(athena, database="editor_db", **kw)


def test_success_shows_rows_bytes_and_cost_but_no_run_time_in_text(athena, capsys):
    ed = _editor(athena, sql="SELECT city, n FROM cities ORDER BY city")
    assert "athena-editor" in ed._dom_classes
    assert ed.run_button.description == "Run" and ed.run_button.tooltip
    assert "not run yet" in ed.as_text()
    run = ed.run()
    assert "✓ the query" in capsys.readouterr().out  # the bounded wait with progress
    assert run.ok and run.columns == ["city", "n"]
    assert run.rows == [["Lyon", "1"], ["Nice", None], ["Paris", "3"]]
    assert run.scanned and run.scanned > 0 and run.run_ms is not None
    text = ed.as_text()
    assert text.splitlines()[:4] == [
        f"Athena query editor · workgroup primary (default) · database editor_db · results to s3://{BUCKET}/results/",
        "SQL:",
        "  SELECT city, n FROM cities ORDER BY city",
        "State: SUCCEEDED",
    ]
    assert f"Data scanned: {run.scanned:,} bytes" in text
    assert "Cost: $0.000048 (billed 10 MB minimum, $5 per TB)" in text
    assert "Result: 3 row(s)" in text and " Nice NULL" in text
    assert run.query_id not in text and "run time" not in text  # they vary: live widget only
    assert "run time" in ed.status.value and run.query_id in ed.status.value
    bundle = ed._repr_mimebundle_()
    assert bundle["text/plain"] == text and "<table" in bundle["text/html"]
    assert run.query_id not in bundle["text/html"] and "<td>NULL</td>" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_text_is_the_same_on_every_run(athena):
    a, b = _editor(athena), _editor(athena)
    a.run("SELECT count(*) AS c FROM cities")
    b.run("SELECT count(*) AS c FROM cities")
    assert a.as_text() == b.as_text() and a.as_html() == b.as_html()
    assert a.last.query_id != b.last.query_id


def test_first_n_rows_only(athena):
    ed = _editor(athena, max_rows=2)
    run = ed.run("SELECT city FROM cities ORDER BY city")
    assert run.rows == [["Lyon"], ["Nice"]] and run.more
    assert "Result: first 2 rows (more in the result file)" in ed.as_text()


def test_a_failed_query_shows_athenas_reason(athena):
    ed = _editor(athena)
    run = ed.run("SELECT * FROM no_such_table")
    assert run.state == "FAILED" and not run.ok and run.rows == []
    assert "does not exist" in run.reason
    assert f"Error: {run.reason}" in ed.as_text()
    assert "does not exist" in ed.error.value and ed.result.value == ""


def test_no_output_location_is_surfaced_with_the_fix(athena):
    ed = QueryEditor(athena, sql="SELECT 1")  # primary workgroup without a result location
    run = ed.run()
    assert run.state == NOT_STARTED and run.query_id == "" and run.scanned is None
    assert run.reason.startswith("InvalidRequestException: No output location provided")
    assert "output_location=" in run.reason
    text = ed.as_text()
    assert "State: NOT STARTED" in text and "Error: InvalidRequestException" in text and "Cost" not in text
    assert "output_location=" in ed.error.value


def test_empty_sql_is_not_sent(athena):
    run = _editor(athena).run("   ")
    assert run.state == NOT_STARTED and run.reason == "Type a query first."


def test_the_button_runs_the_sql_in_the_box(athena):
    ed = _editor(athena, sql="SELECT max(n) AS top FROM cities")
    ed.run_button.click()
    assert ed.last.ok and ed.last.rows == [["3"]] and not ed.run_button.disabled


def test_cost_formatting():
    assert QueryRun("q", "SUCCEEDED", scanned=1).cost_text() == "$0.000048 (billed 10 MB minimum, $5 per TB)"
    tb = QueryRun("q", "SUCCEEDED", scanned=1024**4)
    assert tb.cost_text() == "$5.000000 (billed 1,099,511,627,776 bytes, $5 per TB)" and tb.dollars == 5.0
    assert QueryRun("q", NOT_STARTED).cost_text() == "-"
    assert ath_help.dollars(20 * 1024**2) == pytest.approx(2 * ath_help.dollars(0))
