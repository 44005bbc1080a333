"""The conductor: claims due operations, runs them on a thread pool, keeps their leases alive,
and runs the periodic tasks. Several conductors (processes or hosts) can share one database.

Health is checked when the conductor starts (after the drivers resumed their clusters), right
after every operation and then every `[conductor] health_sync_interval`; each check may start
a heal (healing.py).

On SQLite (one machine, in practice the embedded `dockyard`), a conductor that starts takes
over at once the operations its own previous run left running: their lease owner names this
host and a process that no longer exists. With a shared database, where another host's
processes cannot be seen, the lease rule alone decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from dockyard.common import logcontext
from dockyard.conductor import healing, periodics, runner
from dockyard.conductor.deps import ConductorDeps
from dockyard.db.models import utcnow
from dockyard.db.repositories import operations as op_repo

LOG = logging.getLogger(__name__)

# The owners of the conductors started in this process.
_STARTED: set[str] = set()


class Conductor:
    """One conductor. `start()` runs it in background threads; `stop()` ends them."""

    def __init__(self, rt: ConductorDeps, binary: str = "dockyard-conductor") -> None:
        self.rt = rt
        self.binary = binary
        conf = rt.conf.conductor
        self.owner = f"{rt.conf.host}:{os.getpid()}:{id(self):x}"
        self.lease = dt.timedelta(seconds=int(conf.lease_seconds))
        self.poll_interval = float(conf.poll_interval)
        self.workers = int(conf.workers)
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Lease renewal outlives `_stop`: operations still running while we stop keep their
        # leases, or another conductor would take them over and run them a second time.
        self._halt = threading.Event()
        self._running: set[str] = set()
        # Set when a running operation was taken over or ended elsewhere: its runner stops
        # waiting for the driver call (runner.run).
        self._cancel: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="dockyard-op")
        # Health checks right after operations, off the operations' workers.
        self._health_pool = ThreadPoolExecutor(1, thread_name_prefix="dockyard-health")
        self.tracker = healing.DownTracker()
        self._threads: list[threading.Thread] = []
        self._lease_thread: threading.Thread | None = None
        self.resume_reports: list[str] | None = None  # set once the start-up resume ran

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        _STARTED.add(self.owner)
        periodics.check_cert_store_allows_conductor(self.rt, self.binary)
        periodics.heartbeat(self.rt, self.binary)
        taken = self.take_over_own_dead_runs()
        if taken:
            LOG.warning("took over %d operation(s) left running by a previous run", taken)
        self._spawn("resume", self._resume)
        self._spawn("claim", self._claim_loop)
        self._lease_thread = self._spawn(
            "lease", self._every(self.lease.total_seconds() / 3, self._renew_leases, self._halt)
        )
        self._spawn(
            "heartbeat",
            self._every(
                float(self.rt.conf.heartbeat_interval),
                lambda: periodics.heartbeat(self.rt, self.binary),
            ),
        )
        self._spawn(
            "deadlines",
            self._every(
                float(self.rt.conf.conductor.deadline_check_interval),
                lambda: periodics.enforce_deadlines(self.rt),
            ),
        )
        self._spawn(
            "health",
            self._every(
                float(self.rt.conf.conductor.health_sync_interval),
                lambda: periodics.sync_health(self.rt, self.tracker),
            ),
        )
        stack_sync = periodics.sync_interval(self.rt)
        if stack_sync is not None:
            self._spawn(
                "stack-sync", self._every(stack_sync, lambda: periodics.sync_in_progress(self.rt))
            )
        LOG.info("conductor %s started with %d workers", self.owner, self.workers)

    def stop(self, wait: bool = True) -> None:
        """Stop claiming and the periodic tasks; with `wait`, let running operations finish.

        Leases stay renewed until the running operations end (without `wait`, until the
        process exits), so a graceful stop never hands a running operation to another
        conductor.
        """
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            if thread is not self._lease_thread:
                thread.join(timeout=5)
        self._pool.shutdown(wait=wait)
        self._health_pool.shutdown(wait=False, cancel_futures=True)
        if wait:
            self._halt.set()
            if self._lease_thread is not None:
                self._lease_thread.join(timeout=5)

    def _resume(self) -> None:
        """Drivers bring back their clusters and sweep orphans (in the background: it may
        restart nodes); what they did is logged and kept in `resume_reports`. Then the first
        health check, so health is known from the start."""
        try:
            self.resume_reports = periodics.resume_clusters(self.rt)
        except Exception:
            LOG.exception("resuming clusters at conductor start failed")
        try:
            periodics.sync_health(self.rt, self.tracker)
        except Exception:
            LOG.exception("health check at conductor start failed")

    def take_over_own_dead_runs(self) -> int:
        """On SQLite: end the leases of running operations whose owner is a dead process of
        this host (this conductor's previous run), so they are claimed now. Returns how many."""
        if not self.rt.db.is_sqlite:
            return 0
        taken = 0
        with self.rt.db.write() as session:
            for op_uuid, owner in op_repo.running_leases(session):
                if self._dead_here(owner) and op_repo.expire_lease(session, op_uuid, owner):
                    taken += 1
        return taken

    def _dead_here(self, owner: str) -> bool:
        """True when `owner` (host:pid:id) is a process of this host that no longer runs."""
        host, pid_text, _ = [*owner.rsplit(":", 2), "", ""][:3]
        if host != self.rt.conf.host or owner == self.owner or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == os.getpid():
            # This process's pid: dead unless it is another conductor of this process (a
            # container's PID 1 restarted has the pid its previous run had).
            return owner not in _STARTED
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return _zombie(pid)

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    def _spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=f"dockyard-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _every(
        self, seconds: float, task: Callable[[], object], until: threading.Event | None = None
    ) -> Callable[[], None]:
        stop = self._stop if until is None else until

        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    task()
                except Exception:  # a failing periodic must not kill its thread
                    LOG.exception("periodic task failed")

        return loop

    # -- claiming --------------------------------------------------------------------------
    def _claim_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.claim_once()
            except Exception:
                LOG.exception("claiming operations failed")
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def claim_once(self) -> int:
        """Claim as many due operations as there are free workers; returns how many."""
        with self._lock:
            free = self.workers - len(self._running)
        if free <= 0:
            return 0
        with self.rt.db.read() as session:
            candidates = op_repo.claimable(session, utcnow(), free * 2)
        claimed = 0
        for op_uuid, attempts in candidates:
            if claimed >= free or self._stop.is_set():
                break
            with self._lock:
                if op_uuid in self._running:
                    continue
            with self.rt.db.write() as session:
                won = op_repo.claim(session, op_uuid, attempts, self.owner, self.lease)
            if not won:
                continue
            with self._lock:
                self._running.add(op_uuid)
                self._cancel[op_uuid] = threading.Event()
            self._pool.submit(self._run, op_uuid)
            claimed += 1
        return claimed

    def _run(self, op_uuid: str) -> None:
        try:
            with self.rt.db.read() as session:
                op = op_repo.get(session, op_uuid)
                ids = (op.request_id, op.cluster_id) if op else (None, None)
            with logcontext.bound(request=ids[0] or "-", cluster=ids[1] or "-"):
                runner.run(self.rt, op_uuid, self.owner, self._cancel.get(op_uuid))
            if ids[1] and not self._stop.is_set():
                with contextlib.suppress(RuntimeError):  # stopped meanwhile: no more checks
                    self._health_pool.submit(self._check_health, ids[1])
        except Exception:
            LOG.exception("operation %s crashed the runner", op_uuid)
        finally:
            with self._lock:
                self._running.discard(op_uuid)
                self._cancel.pop(op_uuid, None)
            self._wake.set()

    def _check_health(self, cluster_uuid: str) -> None:
        """Health right after an operation (nothing when the cluster is not settled)."""
        try:
            with logcontext.bound(cluster=cluster_uuid):
                periodics.sync_health(self.rt, self.tracker, cluster_uuid)
        except Exception:
            LOG.exception("health check of cluster %s after its operation failed", cluster_uuid)

    def _renew_leases(self) -> None:
        with self._lock:
            running = list(self._running)
        for op_uuid in running:
            with self.rt.db.write() as session:
                ours = op_repo.renew(session, op_uuid, self.owner, self.lease)
                superseded = ours and op_repo.superseded(session, op_uuid)
            if not ours:
                LOG.warning("lost the lease on operation %s", op_uuid)
            if not ours or superseded:
                with self._lock:
                    cancel = self._cancel.get(op_uuid)
                if cancel is not None:
                    cancel.set()

    def wait_idle(self, timeout: float) -> bool:
        """Test and shutdown helper: True once no operation runs here."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.05)
        return False


def _zombie(pid: int) -> bool:
    """True when `pid` has exited but was not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].startswith(("Z", "X"))
