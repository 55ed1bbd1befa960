"""A Python shell job run: the script as ``__main__`` in a plain Python process (no Spark).

``python -P -u shell_runner.py RESULT_JSON SCRIPT_LOCATION [script args...]``; stdout and stderr
are the run's output and error logs. The result file gets ``{"error": <traceback's last line>}``
when the script fails (the process then exits 1), as Glue reports a failed run's ErrorMessage.
``awsglue.utils.getResolvedOptions`` is importable (localcloud's ``awsglue`` is on PYTHONPATH).
"""

from __future__ import annotations

import json
import linecache
import sys
import traceback
from pathlib import Path


def main() -> int:
    result_path, location, *args = sys.argv[1:]
    # compat/ is on this process's PYTHONPATH (JobRuntime.job_env), not on mypy's path
    from awsglue._local.scripts import fetch_script, last_line  # type: ignore[import-not-found]

    filename = "/tmp/" + (location.rsplit("/", 1)[-1] or "script.py")
    try:
        source = fetch_script(location)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec")
        sys.argv = [filename, *args]
        exec(code, {"__name__": "__main__", "__file__": filename})
    except SystemExit as exc:
        if exc.code in (None, 0):
            return 0
        Path(result_path).write_text(json.dumps({"error": f"SystemExit: {exc.code}"}))
        return 1
    except BaseException as exc:
        traceback.print_exc()
        Path(result_path).write_text(json.dumps({"error": last_line(exc)}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
