"""The production-like container set-up stays coherent (CI also runs `docker compose config` where it can)."""

from __future__ import annotations

from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def test_compose_has_the_whole_stack_and_needs_its_secrets():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])
    env = compose["x-app"]["environment"]
    assert env["DEBUG"] == "0"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    worker_queues = compose["services"]["worker"]["command"][-1].split(",")
    assert sorted(worker_queues) == ["maintenance", "phi", "provisioning", "reports"]


def test_image_runs_as_a_non_root_user():
    dockerfile = (DOCKER / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
