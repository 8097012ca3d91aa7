"""Celery worker processes a test starts, kills (SIGKILL) and replaces, on a queue of its own so that no other
worker (the session's `celery_worker`) takes its tasks; the database lock that holds a worker at a known step;
and the recovery sweep run as the beat would, every SWEEP_INTERVAL seconds, from the test process (so that
what it queues again goes to the test's queue)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.models import JobRun, RunStatus
from core.recovery import recovery_sweep
from portal.celery import app as celery_app
from tests.conftest import ROOT, _database_url_for_worker

REDIS_BROKER = str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://"))
SWEEP_INTERVAL = 3.0  # the recovery beat's interval in these tests (production: JOB_RECOVERY_SWEEP_SECONDS)
HEARTBEAT_SECONDS = 1  # how often the test's workers renew their leases
WORKER_LOST_WAIT = 1  # how long the test's prefork workers wait for a killed pool process's result


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, *, interval: float = 0.05, then: Callable[[], str] = str
) -> Any:
    """Poll until `condition()` is truthy and return it; on timeout fail naming `what`, followed by `then()`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{then()}")
        time.sleep(interval)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        children = _children(pending.pop())
        found += children
        pending += children
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Worker:
    """One `celery worker` process on `queue`: `solo` runs tasks in the worker process itself, `prefork` in one
    pool process the worker restarts when it dies."""

    def __init__(self, queue: str, *, pool: str, log_path: Path, env: dict[str, str]) -> None:
        self.queue, self.pool, self.log_path = queue, pool, log_path
        self.node = f"crash-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", f"--pool={pool}", "--loglevel=INFO",
                "-Q", queue, "--hostname", self.node, "--without-gossip", "--without-mingle"]  # fmt: skip
        if pool == "prefork":
            argv.append("--concurrency=1")
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.log_tail()}")
            # A solo worker busy with a task the broker handed it at once (Redis restores a dead worker's
            # message) answers no ping until it is done; its log says it is ready all the same.
            if f"{self.node} ready." in self.log_path.read_text(errors="replace"):
                return True
            return bool(celery_app.control.inspect(timeout=1, destination=[self.node]).ping())

        wait_for(answers, timeout, f"worker {self.node} to answer a ping", interval=0.2)

    def pool_process(self) -> int:
        children = wait_for(lambda: _children(self.pid), 30, "the worker's pool process")
        assert len(children) == 1, children
        return int(children[0])

    def kill(self) -> None:
        """SIGKILL the worker process: no shutdown handler runs, nothing is acknowledged or given back."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def kill_pool_process(self) -> int:
        """SIGKILL the process running the task; the worker sees it lost and, since tasks are acked late and
        rejected on a lost worker, gives the message back to the broker for its next pool process."""
        child = self.pool_process()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: not _alive(child), 30, f"pool process {child} to die")
        return child

    def stop(self) -> None:
        """Stop the worker and whatever it started (pool processes, and what a task forked)."""
        descendants = _descendants(self.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        for pid in descendants:
            if _alive(pid) and self.node in _cmdline(pid):  # forked: the worker's command line, still ours
                os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Workers:
    """Starts workers on a queue of the test's own and, at the end, stops them and forgets the queue's messages
    (queued, or held unacknowledged by a killed worker) so that nothing reaches a later test."""

    def __init__(self, var_dir: Path) -> None:
        self.queue = f"crash-test-{uuid.uuid4().hex[:10]}"
        self.var_dir = var_dir
        self.started: list[Worker] = []

    def start(self, *, pool: str = "solo", visibility_timeout: int | None = None) -> Worker:
        env = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
        # The test runs the sweep itself (`until`): one at worker start would queue to the product's queues.
        env["PAITIENT_JOB_SWEEP_AT_WORKER_START"] = "0"
        env["PAITIENT_JOB_HEARTBEAT_SECONDS"] = str(HEARTBEAT_SECONDS)
        if visibility_timeout is not None:
            env["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        # A killed pool process's message goes back after this wait (Celery's default 10 s: over two sweep
        # intervals here, and the worker, with one pool process, takes nothing else until then).
        env["CELERY_WORKER_LOST_WAIT"] = str(WORKER_LOST_WAIT)
        log_path = self.var_dir / f"{self.queue}-{len(self.started)}.log"
        worker = Worker(self.queue, pool=pool, log_path=log_path, env=env)
        self.started.append(worker)
        worker.wait_ready()
        return worker

    def until(self, condition: Callable[[], Any], timeout: float, what: str, *, retake: Retake) -> Any:
        """`wait_for(condition)` while running the recovery sweep every SWEEP_INTERVAL seconds, as the beat does,
        and watching when the crashed job is taken again."""
        last_sweep = [float("-inf")]

        def swept_then(condition: Callable[[], Any] = condition) -> Any:
            if time.monotonic() - last_sweep[0] >= SWEEP_INTERVAL:
                last_sweep[0] = time.monotonic()
                recovery_sweep()
            retake.watch()
            return condition()

        return wait_for(swept_then, timeout, what, interval=0.2, then=self.logs)

    def logs(self) -> str:
        """The end of every worker's log and, on Redis, what the broker holds for the queue."""
        text = "\n".join(f"--- {w.log_path.name}\n{w.log_tail()}" for w in self.started)
        if REDIS_BROKER:
            with celery_app.connection_for_write() as connection:
                client: Any = getattr(connection.default_channel, "client")  # noqa: B009 - Redis channels only
                unacked = [json.loads(raw)[2] for raw in client.hgetall("unacked").values()]
                text += (f"\n--- broker: queue length {client.llen(self.queue)}, unacked for it "
                         f"{unacked.count(self.queue)}, restore mutex ttl {client.ttl('unacked_mutex')}")  # fmt: skip
        return text

    def close(self) -> None:
        for worker in self.started:
            worker.stop()
        with celery_app.connection_for_write() as connection:
            channel: Any = connection.default_channel
            with suppress(Exception):  # never declared: nothing to remove
                channel.queue_delete(self.queue)  # its messages and its binding
            if REDIS_BROKER:
                self._forget_unacked(channel.client)

    def _forget_unacked(self, client: Any) -> None:
        for tag, raw in client.hgetall("unacked").items():
            _, _, routing_key = json.loads(raw)
            if routing_key == self.queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


@contextmanager
def holding(model: type[models.Model], pk: int) -> Iterator[None]:
    """Hold a write lock on one row (PostgreSQL) or on the database (SQLite, transactions begin IMMEDIATE):
    a worker reading on is not stopped, but its next write to that row waits here."""
    with transaction.atomic():
        assert list(model._default_manager.select_for_update().filter(pk=pk).values_list("pk", flat=True)) == [pk]
        yield


def redirect_to(monkeypatch: Any, task: Any, queue: str) -> None:
    """The product queues `task.delay(id)` after its commit; send those to the test's queue instead."""
    monkeypatch.setattr(task, "delay", lambda *args: task.apply_async(args, queue=queue))


# Whole worker killed: nothing gives the message back on the file broker (it was deleted when the worker took
# it), Redis does after its visibility timeout (lowered here to a few seconds); the recovery sweep queues the job
# again on both. Pool process killed: the worker itself gives the message back at once.
MODES = ["worker", "pool"]
VISIBILITY_TIMEOUT = 4


def start_worker(workers: Workers, mode: str) -> Worker:
    if mode == "worker":
        return workers.start(pool="solo", visibility_timeout=VISIBILITY_TIMEOUT)
    return workers.start(pool="prefork")


@dataclass
class Retake:
    """The crashed job's run, watched from the crash on: when (the monotonic clock) a worker was there again to
    take it and when one took it (a lease taken after the crash's)."""

    kind: str
    object_id: int
    attempts_at_crash: int
    ready_at: float = 0.0
    taken_at: float | None = None

    def watch(self) -> None:
        if (
            self.taken_at is None
            and JobRun.objects.filter(
                kind=self.kind, object_id=self.object_id, attempts__gt=self.attempts_at_crash
            ).exists()
        ):
            self.taken_at = time.monotonic()


def crash(worker: Worker, mode: str, task: Any, object_id: int) -> Retake:
    """SIGKILL the worker, or the pool process running the task `task(object_id)`."""
    run = JobRun.objects.get(kind=task.name, object_id=object_id)
    assert run.status == RunStatus.RUNNING, run
    retake = Retake(task.name, object_id, run.attempts)
    if mode == "worker":
        worker.kill()
    else:
        worker.kill_pool_process()
    return retake


def recover(workers: Workers, mode: str, retake: Retake) -> Retake:
    """A killed worker is replaced by a new one (a pool process is replaced by its worker); from then on a worker
    is there to take the job."""
    if mode == "worker":
        start_worker(workers, mode)
    retake.ready_at = time.monotonic()
    retake.watch()
    return retake


def assert_recovered_once(retake: Retake, mode: str) -> None:
    """The job's run: done, taken at least twice (the crashed run and the one that finished; a pool process's job
    may also come back from the broker after the sweep queued it, and that delivery finds it done), and taken
    again within two sweep intervals of a worker being there to take it, on every broker. A killed worker's job
    on the file broker can only have come back through the sweep, once."""

    def settled() -> JobRun | None:  # the lease is given back just after the job's own row is settled
        run = JobRun.objects.filter(kind=retake.kind, object_id=retake.object_id).first()
        return run if run is not None and run.status != RunStatus.RUNNING else None

    run = wait_for(settled, 30, "the job's run to be given back")
    assert run.status == RunStatus.DONE and run.holder == "", run
    assert run.attempts >= 2, run.attempts
    assert retake.taken_at is not None, "the run was never seen taken again"
    waited = retake.taken_at - retake.ready_at
    assert waited <= 2 * SWEEP_INTERVAL, f"taken again {waited:.1f} s after a worker was back"
    if mode == "worker" and not REDIS_BROKER:
        assert run.recoveries == 1 and run.recovered_at is not None
        queued = time.monotonic() - retake.ready_at - (timezone.now() - run.recovered_at).total_seconds()
        assert queued <= 2 * SWEEP_INTERVAL, f"queued again {queued:.1f} s after a worker was back"
