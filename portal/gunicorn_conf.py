"""gunicorn settings: TLS 1.2+ with AEAD ciphers when a certificate is configured."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import Any

from core.metrics import wipe_metrics_folder
from core.tls import harden

bind = os.environ.get("PAITIENT_BIND", "127.0.0.1:8443")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn heartbeat files
accesslog = "-"
# Paths only: query strings may carry identifiers that are not ours to log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
certfile = os.environ.get("PAITIENT_TLS_CERT") or None
keyfile = os.environ.get("PAITIENT_TLS_KEY") or None


def ssl_context(config: Any, default_ssl_context_factory: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    return harden(default_ssl_context_factory())


def on_starting(server: Any) -> None:
    """Prometheus multiprocess mode: figures of a previous run's processes must not be added to this run's."""
    wipe_metrics_folder()


def child_exit(server: Any, worker: Any) -> None:
    """Prometheus multiprocess mode: a dead worker's live gauges must stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_worker_init(worker: Any) -> None:
    """Build the PHI engine in the background as each worker starts: built on first use it made the first prompt
    after a start wait about 12 s (measured on a 2-core machine); a prompt that comes sooner waits for this build
    (the engine's lock) instead of starting a second one."""
    import threading

    # The libraries first, here, before the worker serves: a request thread importing spaCy or presidio while the
    # warm-up thread imports them too fails on a partially initialised module (seen as a 500 on /healthz).
    import presidio_analyzer  # noqa: F401
    import spacy  # noqa: F401

    from phi import get_engine

    threading.Thread(target=get_engine, name="phi-engine-warm-up", daemon=True).start()
