"""The Lambda engine across ``localcloud stop``/``start`` (``LambdaPersistence``).

Functions, their code (the deployment package's bytes), versions, aliases, policies and event
source mappings are moto's, saved with moto's state; the unpacked code folders and warm
workers are caches, rebuilt on the next invocation.  What the engine adds back is what ran in
the background: one SQS poller per event source mapping, as when the mapping was created.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ... import seam

if TYPE_CHECKING:
    from ...persistence import RestoreReport
    from .. import EngineContext

log = logging.getLogger("localcloud.lambda")


class LambdaPersistence:
    """Mixed into the Lambda engine: its ``restore()`` (nothing of its own to snapshot)."""

    # The engine's, which this mixin uses.
    ctx: EngineContext

    if TYPE_CHECKING:

        def _start_poller(self, region: str, esm_uuid: str) -> None: ...

    def restore(self, saved: dict | None, report: RestoreReport) -> None:
        if saved is None:
            return
        for esm_uuid in seam.event_source_mapping_ids(self.ctx.region):
            try:
                self._start_poller(self.ctx.region, esm_uuid)
            except Exception as exc:
                log.exception("event source mapping %s not restored", esm_uuid)
                report.note(f"Lambda event source mapping {esm_uuid} does not poll again ({exc}): recreate it")
