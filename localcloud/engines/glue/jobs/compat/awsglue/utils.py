"""``getResolvedOptions``: job arguments from ``sys.argv``, with Glue's reserved names and checks."""

from __future__ import annotations

import argparse

from .job import Job

__all__ = ["getResolvedOptions", "GlueArgumentError"]


class GlueArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # raise instead of exiting, so the run fails with the message
        raise GlueArgumentError(message)


def getResolvedOptions(args, options):
    """{name: value} for each ``--name value`` asked for in ``options`` (all required), plus Glue's own."""
    bookmark_opt = Job.job_bookmark_options()[0]
    reserved = [bookmark_opt[2:], Job.continuation_options()[0][2:]]
    reserved += [o[2:] for o in Job.job_bookmark_range_options()]
    for name in options:
        if name in reserved:
            raise RuntimeError(f"Using reserved arguments {name}")
    id_params = [o[2:] for o in Job.id_params()[1:]]
    parser = _Parser(allow_abbrev=False)
    parser.add_argument(bookmark_opt, choices=Job.job_bookmark_options()[1:], required=False)
    parser.add_argument(Job.continuation_options()[0], choices=Job.continuation_options()[1:], required=False)
    for opt in Job.job_bookmark_range_options() + Job.id_params()[1:]:
        parser.add_argument(opt, required=False)
    parser.add_argument(Job.encryption_type_options()[0], choices=Job.encryption_type_options()[1:])
    parser.add_argument(Job.data_lineage_options()[0], required=False)
    parser.add_argument("--RedshiftTempDir", required=False)
    parser.add_argument("--TempDir", required=False)
    for name in options:
        if name not in ("TempDir", "RedshiftTempDir", *id_params):
            parser.add_argument("--" + name, required=True)
    parsed, _extra = parser.parse_known_args(list(args)[1:])
    out = vars(parsed)
    if out.get("TempDir"):
        out["RedshiftTempDir"] = out["TempDir"]
    elif out.get("RedshiftTempDir"):
        out["TempDir"] = out["RedshiftTempDir"]
    continuation = out.pop("continuation_option", None)
    if out.get("job_bookmark_option") is None:
        old = Job.continuation_options()
        out["job_bookmark_option"] = (
            Job.job_bookmark_options()[old.index(continuation)] if continuation else "job-bookmark-disable"
        )
    return out
