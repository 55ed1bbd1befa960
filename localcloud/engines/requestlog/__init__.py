"""Request log engine: records every API call so a learner can see what their code asked.

``python -m localcloud status`` shows the counts; the full log is
``.lab/localcloud/engines/requestlog/requests.log`` (one line per call).
"""

from __future__ import annotations

import collections
import threading

from ...calls import Call, Response
from .. import Engine


class RequestLog(Engine):
    name = "requestlog"
    order = 90  # after the engines that may answer or replace a call
    services = ("*",)

    def start(self) -> None:
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()
        self._log = open(self.ctx.state_dir / "requests.log", "a", buffering=1)

    def after(self, call: Call, response: Response) -> Response | None:
        op = call.operation or f"{call.method} {call.path.split('?')[0][:60]}"
        with self._lock:
            self._counts[f"{call.service or '?'}:{call.operation or call.method}"] += 1
            self._log.write(f"{call.service or '?'} {call.region} {op} -> {response.status}\n")
        return None

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def stop(self) -> None:
        self._log.close()

    def status(self) -> dict:
        with self._lock:
            return {"calls": sum(self._counts.values()), "by_operation": dict(self._counts.most_common(10))}


ENGINE = RequestLog
