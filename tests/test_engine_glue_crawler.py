"""The Glue crawler in-process (moto under ``mock_aws``): a crawl whose target database is deleted
while it runs fails with Glue's EntityNotFoundException text, not with a Python NoneType error."""

from __future__ import annotations

BUCKET = "glue-crawler-tests"


def test_crawl_fails_as_glue_when_its_database_is_deleted_meanwhile(moto_in_process, monkeypatch, tmp_path):
    from localcloud.engines.athena.s3store import S3Store
    from localcloud.engines.glue import crawler

    s3, glue = moto_in_process.client("s3"), moto_in_process.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="events/a.json", Body=b'{"id": 1, "name": "a"}\n')
    glue.create_database(DatabaseInput={"Name": "crawl_db"})
    glue.create_crawler(
        Name="c",
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName="crawl_db",
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/events/"}]},
    )
    scan = crawler.scan

    def scan_then_delete(store, path):  # the learner deletes the database while the crawl reads S3
        found = scan(store, path)
        glue.delete_database(Name="crawl_db")
        return found

    monkeypatch.setattr(crawler, "scan", scan_then_delete)
    crawl = crawler.Crawl()
    crawler.run(S3Store(tmp_path), "c", crawl)

    assert (crawl.state, crawl.status) == ("READY", "FAILED")
    assert crawl.error == "EntityNotFoundException: Database crawl_db not found."
