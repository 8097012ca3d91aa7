"""Local: a llama.cpp OpenAI-compatible server on 127.0.0.1, serving a GGUF shipped inside a Python package.

Each deployment gets its own server process on a free loopback port with a random API key (passed in the
environment, never on the command line). The process is detached from the worker (it survives a worker
restart) and is identified by pid *and* command line before it is ever signalled, so a recycled pid is never
killed. Loopback-only binding is what network isolation means for this provider.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from core.config import env_int
from deployments.providers import (
    ChatMessage,
    Generation,
    Progress,
    ProviderError,
    Provisioned,
    RuntimeUnavailable,
    TextStream,
    openai_compat,
)

if TYPE_CHECKING:
    from deployments.models import Deployment

HOST = "127.0.0.1"
MARKER = "llama_cpp.server"
# Every runtime carries `<var dir>|<deployment public id>` in this variable: the control plane finds all it
# started (the first start, a restart by reconcile, one whose start was interrupted) from /proc alone.
OWNER_VARIABLE = "PAITIENT_RUNTIME_OWNER"


@dataclass(frozen=True)
class LocalRuntime:
    pid: int
    port: int
    secret: str

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"


def model_file(artifact: str) -> Path:
    """`package:<module>/<file>` → the file inside the installed package; a clear error when it is not there."""
    if not artifact.startswith("package:") or "/" not in artifact:
        raise ProviderError("this model has no packaged artifact for the local runtime")
    module, _, name = artifact.removeprefix("package:").partition("/")
    # Locate the package without importing it: a model package's own code (and its dependencies) is not needed.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(f"the model package {module} is not installed on this worker")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise ProviderError(f"the model package {module} does not contain {name}")
    return path


_RUNTIME_ENVIRONMENT = frozenset(
    {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
     "OMP_NUM_THREADS"}
)  # fmt: skip


def listener_pids(port: int) -> set[int] | None:
    """The pids holding a listening TCP socket on `port` (from /proc), or None where /proc can't tell."""
    inodes: set[str] = set()
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    except OSError:
        return None
    owners: set[int] = set()
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in wanted for fd in (proc / "fd").iterdir()):
                owners.add(int(proc.name))
        except OSError:
            continue
    return owners


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _log_path(name: str) -> Path:
    folder = Path(settings.VAR_DIR) / "runtimes"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{name}.log"


def _owner_tag(deployment_public_id: str) -> str:
    return f"{Path(settings.VAR_DIR).resolve()}|{deployment_public_id}"


def start_runtime(model_path: Path, *, alias: str, log_name: str) -> LocalRuntime:
    """Start a detached llama.cpp server; returns at once (see `wait_until_serving`)."""
    port, secret = _free_port(), secrets.token_urlsafe(32)
    command = [
        sys.executable, "-m", MARKER, "--model", str(model_path), "--model_alias", alias, "--host", HOST,
        "--port", str(port), "--n_ctx", str(env_int("PAITIENT_LOCAL_N_CTX", 2048)),
        "--n_threads", str(env_int("PAITIENT_LOCAL_THREADS", os.cpu_count() or 1)), "--verbose", "false",
    ]  # fmt: skip
    # An allow-list, not a deny-list: the runtime never sees DATABASE_URL, CELERY_BROKER_URL, SMTP passwords,
    # cloud credentials or anything else the control plane holds.
    environment = {k: v for k, v in os.environ.items() if k in _RUNTIME_ENVIRONMENT or k.startswith("LC_")}
    environment["API_KEY"] = secret  # llama_cpp.server's settings read it from the environment
    environment[OWNER_VARIABLE] = _owner_tag(log_name)  # the log is named after the deployment's public id
    log = _log_path(log_name)
    # The shell starts the server in the background and exits: the server is re-parented, never a zombie of
    # the worker, and outlives a worker restart.
    launcher = subprocess.run(  # noqa: S603 - fixed argv, no shell interpolation of inputs
        ["/bin/sh", "-c", 'umask 077; "$@" >>"$RUNTIME_LOG" 2>&1 </dev/null & echo $!', "sh", *command],
        env={**environment, "RUNTIME_LOG": str(log)},
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
        timeout=10,
    )
    return LocalRuntime(pid=int(launcher.stdout.strip()), port=port, secret=secret)


def is_ours(pid: int, port: int) -> bool:
    """The process with this pid is a llama.cpp server on this port (and not a recycled pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return MARKER.encode() in argv and str(port).encode() in argv


@dataclass(frozen=True)
class OwnedRuntime:
    pid: int
    port: int
    deployment_public_id: str


def owned_runtimes() -> list[OwnedRuntime]:
    """Every llama.cpp server this control plane (this var dir) started and that still runs, from /proc."""
    prefix = f"{Path(settings.VAR_DIR).resolve()}|".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if MARKER.encode() not in argv:
                continue
            environment = (proc / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or another user's process
            continue
        owner = next((v.split(b"=", 1)[1] for v in environment if v.startswith(f"{OWNER_VARIABLE}=".encode())), b"")
        if owner.startswith(prefix) and b"--port" in argv:
            port = int(argv[argv.index(b"--port") + 1])
            found.append(OwnedRuntime(int(proc.name), port, owner.removeprefix(prefix).decode(errors="replace")))
    return found


def wait_until_serving(runtime: LocalRuntime, *, timeout: float | None = None) -> list[str]:
    deadline = time.monotonic() + (timeout or env_int("PAITIENT_LOCAL_START_TIMEOUT", 120))
    while time.monotonic() < deadline:
        if not is_ours(runtime.pid, runtime.port):
            raise ProviderError("the llama.cpp server exited while starting (see var/runtimes/*.log)")
        owners = listener_pids(runtime.port)
        if owners is not None and not owners:
            time.sleep(0.25)  # not listening yet: the secret is sent to nobody until our process is
            continue
        if owners is not None and owners != {runtime.pid}:
            stop_runtime(runtime.pid, runtime.port)
            raise ProviderError("another process took the runtime's port; the key was not sent to it")
        try:
            return openai_compat.models(runtime.endpoint_url, runtime.secret, timeout=2.0)
        except RuntimeUnavailable:
            time.sleep(0.25)
    stop_runtime(runtime.pid, runtime.port)
    raise ProviderError("the llama.cpp server did not start in time")


def stop_runtime(pid: int, port: int, *, grace: float = 10.0) -> None:
    if not is_ours(pid, port):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and is_ours(pid, port):
        time.sleep(0.1)
    if is_ours(pid, port):
        os.kill(pid, signal.SIGKILL)


class LocalProvider:
    def provision(self, deployment: Deployment, progress: Progress) -> Provisioned:
        path = model_file(deployment.model.providers.get("local", ""))
        previous = deployment.provider_state
        if previous.get("pid") and previous.get("port"):  # a retried task: never leave two servers behind
            stop_runtime(int(previous["pid"]), int(previous["port"]))
        progress(20, "starting the llama.cpp server")
        runtime = start_runtime(path, alias=deployment.model.name, log_name=deployment.public_id)
        # Recorded before it is waited for, so a stop-all or a retry finds it even if this run goes no further.
        progress(50, "loading the model", pid=runtime.pid, port=runtime.port)
        served = wait_until_serving(runtime)
        if deployment.model.name not in served:
            stop_runtime(runtime.pid, runtime.port)
            raise ProviderError("the llama.cpp server does not serve the requested model")
        state = {"pid": runtime.pid, "port": runtime.port, "model_file": path.name}
        return Provisioned(state=state, endpoint_url=runtime.endpoint_url, secret=runtime.secret)

    def status(self, deployment: Deployment) -> str:
        pid, port = deployment.provider_state.get("pid"), deployment.provider_state.get("port")
        if not pid or not port:
            return "absent"
        if not is_ours(int(pid), int(port)):
            return "dead"
        try:
            openai_compat.models(deployment.endpoint_url, deployment.endpoint_secret or "", timeout=2.0)
        except ProviderError:
            return "not answering"
        return "running"

    def generate(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Generation:
        return openai_compat.chat(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=deployment.model.name,
            messages=messages, max_tokens=max_tokens, temperature=temperature,
        )  # fmt: skip

    def stream(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> TextStream:
        return openai_compat.chat_stream(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=deployment.model.name,
            messages=messages, max_tokens=max_tokens, temperature=temperature,
        )  # fmt: skip

    def deprovision(self, deployment: Deployment, progress: Progress) -> None:
        pid, port = deployment.provider_state.get("pid"), deployment.provider_state.get("port")
        if pid and port:
            progress(50, "stopping the llama.cpp server")
            stop_runtime(int(pid), int(port))
