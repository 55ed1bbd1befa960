"""The Redshift engine across ``localcloud stop``/``start``, a crash or a reboot (``RedshiftPersistence``).

A warehouse's data is its PostgreSQL data folder (under the runtime's home, see
``pgserver.Home``), kept on disk: ``stop`` shuts each server down cleanly (a checkpoint); after a
crash PostgreSQL recovers it at the next start, as after a power cut.  moto keeps provisioned
clusters and the admin secrets; what only this engine knows goes into the snapshot: the Serverless
namespaces and workgroups (moto has none), each cluster's admin user, database, IAM roles, slices,
managed secret and endpoint port, and how many namespace/workgroup ids were handed out (they go on
from there, as moto's do).

On restore every namespace, workgroup and cluster the snapshot describes comes back: their servers
start again (in parallel, before the daemon answers) on their old endpoint ports when still free;
a paused cluster stays paused.  A namespace or cluster whose data cannot come back (its folder is
gone, e.g. a ``/tmp`` home after a reboot, or the server does not start) is removed — from moto
too, with its managed secret — and reported as lost, so ``lab.require(...)`` can build it again.
Data API statements are not kept (their ids are unknown after a restart).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ... import seam

if TYPE_CHECKING:
    from ...engines import EngineContext
    from ...persistence import RestoreReport
    from ...seam.models import RedshiftCluster as MotoCluster
    from .engine import Cluster
    from .runtime import Runtime
    from .serverless import Workgroup

log = logging.getLogger("localcloud.redshift")

RESTORE_TIMEOUT_S = 120  # per server: crash recovery of a lab-sized warehouse takes seconds


class RedshiftPersistence:
    """Mixed into the Redshift engine: its ``snapshot()`` and ``restore()`` (see the module docstring)."""

    if TYPE_CHECKING:  # what the engine (RedshiftEngine) provides
        ctx: EngineContext
        clusters: dict[str, Cluster]
        _runtime: Runtime | None
        _rt_lock: threading.Lock
        _ids_drawn: int

        @property
        def runtime(self) -> Runtime: ...
        @property
        def _warehouses_dir(self) -> Path: ...
        def _draw_ids(self, n: int) -> None: ...
        def _build_runtime(self, reuse: bool = False) -> Runtime: ...
        def _cluster_allowed(self, ident: str, region: str) -> bool: ...

    def snapshot(self) -> dict:
        rt = self._runtime
        if rt is None:
            return {"ids_drawn": self._ids_drawn}
        clusters: dict[str, dict] = {}
        for ident, state in list(self.clusters.items()):
            c = state.warehouse.config
            clusters[ident] = {
                "admin_user": c.admin_user,
                "database": c.database,
                "iam_roles": list(c.iam_roles),
                "default_iam_role": c.default_iam_role,
                "nodes": c.topology.nodes,
                "slices_per_node": c.topology.slices_per_node,
                "region": c.region,
                "secret_arn": state.secret_arn,
                "port": state.port,
            }
        return {"ids_drawn": self._ids_drawn, **rt.serverless.export(), "clusters": clusters}

    def restore(self, saved: dict | None, report: RestoreReport) -> None:
        from .pgserver import Home

        saved = saved or {}
        self._draw_ids(int(saved.get("ids_drawn") or 0))
        namespaces, workgroups = saved.get("namespaces") or [], saved.get("workgroups") or []
        clusters = saved.get("clusters") or {}
        known = {c.cluster_identifier: c for c in seam.redshift_clusters(self.ctx.region)}
        for ident in set(known) - set(clusters):
            # in moto but not described (created after the last save): it has no warehouse
            self._lose_cluster(report, ident, known[ident], None, "it was created after the last save")
        if not (namespaces or any(i in known for i in clusters)):
            Home.wipe(self._warehouses_dir)  # nothing to bring back: no server starts, no folder stays
            return
        with self._rt_lock:
            self._runtime = self._build_runtime(reuse=True)
        work = self._restore_serverless(namespaces, workgroups, report)
        work += self._restore_clusters(clusters, known, report)
        threads = [threading.Thread(target=job, daemon=True) for job in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join(RESTORE_TIMEOUT_S)

    # ---- Serverless ---------------------------------------------------------------------------------
    def _restore_serverless(
        self, namespaces: list[dict], workgroups: list[dict], report: RestoreReport
    ) -> list[Callable[[], None]]:
        sl = self.runtime.serverless
        houses = {rec["name"]: (rec, sl.restore_namespace(rec)) for rec in namespaces}
        ports: dict[str, int] = {}
        for rec in workgroups:
            if rec.get("namespace") in houses:
                ports[sl.restore_workgroup(rec).name] = int(rec.get("port") or 0)
        for name, (rec, wh) in houses.items():
            if rec.get("has_data") and not wh.has_data:
                self._lose_namespace(report, name, f"its data folder {wh.datadir} is missing")
        # the endpoint learners have noted is kept when its port is still free
        return [
            functools.partial(self._bring_back, wg, ports[wg.name], report)
            for wg in list(sl.workgroups.values())
            if wg.name in ports
        ]

    def _bring_back(self, wg: Workgroup, port: int, report: RestoreReport) -> None:
        if not self.runtime.serverless._bring_up(wg, port):
            log.error("redshift workgroup %s could not be restored: %s", wg.name, wg.error)
            self._lose_namespace(report, wg.namespace, f"its server did not start again ({wg.error})")

    def _lose_namespace(self, report: RestoreReport, name: str, why: str) -> None:
        ns, wg = self.runtime.serverless.forget(name)
        if ns is None:
            return
        if ns.secret_arn:
            seam.secret_delete(ns.secret_arn, self.ctx.region)
        tags = {t["key"]: t["value"] for t in ns.tags}
        if wg is not None:
            wg_tags = {t["key"]: t["value"] for t in wg.tags}
            report.lose("redshift-serverless", "workgroup", wg.name, f"its namespace {name} was lost", wg_tags)
        report.lose("redshift-serverless", "namespace", name, f"its data could not be restored: {why}", tags)

    # ---- provisioned clusters -----------------------------------------------------------------------
    def _restore_clusters(
        self, records: dict[str, dict], known: dict[str, MotoCluster], report: RestoreReport
    ) -> list[Callable[[], None]]:
        from .engine import Cluster
        from .slices import Topology
        from .warehouse import WarehouseConfig

        work: list[Callable[[], None]] = []
        for ident, rec in records.items():
            cluster = known.get(ident)
            if cluster is None:
                continue  # deleted after the last save
            wh = self.runtime.create_warehouse(
                f"cluster:{ident}",
                WarehouseConfig(
                    name=f"cluster-{ident}",
                    admin_user=rec["admin_user"],
                    admin_password="",  # its admin user already exists in its data
                    database=rec["database"],
                    kind="provisioned",
                    topology=Topology(nodes=int(rec["nodes"]), slices_per_node=int(rec["slices_per_node"])),
                    iam_roles=list(rec.get("iam_roles") or []),
                    default_iam_role=rec.get("default_iam_role"),
                    region=rec.get("region") or self.ctx.region,
                ),
            )
            state = Cluster(ident, wh, rec.get("secret_arn"), port=int(rec.get("port") or 0))
            self.clusters[ident] = state
            if not wh.has_data:
                why = "it was still being created" if cluster.status == "creating" else "its data folder is missing"
                self._lose_cluster(report, ident, cluster, state, why)
            elif cluster.status in ("paused", "pausing"):
                cluster.status = "paused"  # its server stays down until resume_cluster
            else:
                work.append(functools.partial(self._restart_cluster, state, cluster, report))
        return work

    def _restart_cluster(self, state: Cluster, cluster: MotoCluster, report: RestoreReport) -> None:
        ident = state.ident
        with state.lock:
            try:
                state.warehouse.start(port=state.port, allow=lambda ip: self._cluster_allowed(ident, self.ctx.region))
                state.port = state.warehouse.endpoint[1]
            except Exception as exc:
                log.exception("redshift cluster %s could not be restored", state.ident)
                self._lose_cluster(report, state.ident, cluster, state, f"its server did not start again ({exc})")
                return
        cluster.status = "available"

    def _lose_cluster(
        self, report: RestoreReport, ident: str, cluster: MotoCluster, state: Cluster | None, why: str
    ) -> None:
        self.clusters.pop(ident, None)
        if self._runtime is not None:
            self._runtime.remove_warehouse(f"cluster:{ident}")
        if state is not None and state.secret_arn:
            seam.secret_delete(state.secret_arn, self.ctx.region)
        tags = seam.redshift_tags(cluster)
        seam.redshift_forget(ident, self.ctx.region)
        report.lose("redshift", "cluster", ident, f"its data could not be restored: {why}", tags)
