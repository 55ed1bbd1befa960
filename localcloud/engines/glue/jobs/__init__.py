"""The Glue engine's job runtime: ``glueetl`` scripts on a warm local PySpark, ``pythonshell`` in Python.

It knows nothing of moto or HTTP: the engine's job operations (``job_api.py``) create one
:class:`JobRuntime` and call it (see README.md beside this file). Job processes get localcloud's
``awsglue`` package (``compat/``) on their ``PYTHONPATH``; the course environment never imports it.
"""

from .runtime import ACTIVE, DPU_PER_WORKER, ERROR_GROUP, FINAL, OUTPUT_GROUP, JobRuntime, new_run_id

__all__ = ["ACTIVE", "DPU_PER_WORKER", "ERROR_GROUP", "FINAL", "OUTPUT_GROUP", "JobRuntime", "new_run_id"]
