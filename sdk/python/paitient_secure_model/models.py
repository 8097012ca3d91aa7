"""Objects the SDK returns: plain, typed, with the attributes the service's documentation uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class AuditLog:
    id: str
    seq: int | None
    timestamp: datetime | None
    event_type: str
    outcome: str
    user_id: str
    api_key_id: str
    actor_type: str
    ip: str | None
    request_id: str
    resource: str
    resource_id: str
    deployment_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
    hash: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AuditLog:
        return cls(
            id=data["id"],
            seq=data.get("seq"),
            timestamp=parse_time(data.get("timestamp")),
            event_type=data["event_type"],
            outcome=data.get("outcome", ""),
            user_id=data.get("user_id", ""),
            api_key_id=data.get("api_key_id", ""),
            actor_type=data.get("actor_type", ""),
            ip=data.get("ip"),
            request_id=data.get("request_id", ""),
            resource=data.get("resource", ""),
            resource_id=data.get("resource_id", ""),
            deployment_id=data.get("deployment_id"),
            details=dict(data.get("details") or {}),
            hash=data.get("hash", ""),
        )


@dataclass(frozen=True)
class Role:
    name: str
    permissions: list[str]
    resource_pattern: str
    description: str = ""
    builtin: bool = False

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Role:
        return cls(
            name=data["name"],
            permissions=list(data["permissions"]),
            resource_pattern=data.get("resource_pattern", "*"),
            description=data.get("description", ""),
            builtin=bool(data.get("builtin")),
        )


@dataclass(frozen=True)
class RoleAssignment:
    user_id: str
    role_name: str
    created_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> RoleAssignment:
        return cls(user_id=data["user_id"], role_name=data["role_name"], created_at=parse_time(data.get("created_at")))


@dataclass(frozen=True)
class Deployment:
    id: str
    deployment_name: str
    model_name: str
    provider: str
    compute_type: str
    instance_type: str
    state: str
    progress_percent: int
    progress_stage: str
    security_settings: dict[str, Any] = field(default_factory=dict)
    vpc_config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    failure_reason: str = ""
    endpoint_url: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Deployment:
        progress = data.get("progress") or {}
        return cls(
            id=data["id"],
            deployment_name=data["deployment_name"],
            model_name=data["model_name"],
            provider=data.get("provider", ""),
            compute_type=data.get("compute_type", ""),
            instance_type=data.get("instance_type", ""),
            state=data["state"],
            progress_percent=int(progress.get("percent", 0)),
            progress_stage=str(progress.get("stage", "")),
            security_settings=dict(data.get("security_settings") or {}),
            vpc_config=dict(data.get("vpc_config") or {}),
            tags=dict(data.get("tags") or {}),
            failure_reason=data.get("failure_reason", ""),
            endpoint_url=data.get("endpoint_url", ""),
        )


@dataclass(frozen=True)
class PHIEntity:
    type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class TextGeneration:
    """`text` is the model's answer after the PHI mode; `processed_prompt` is what the model was sent."""

    id: str
    deployment_id: str
    model: str
    text: str
    processed_prompt: str
    phi_mode: str
    phi_entities: list[PHIEntity]
    response_phi_entities: list[PHIEntity]
    usage: dict[str, int]
    latency_ms: float
    finish_reason: str = "stop"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TextGeneration:
        phi = data.get("phi") or {}

        def entities(rows: list[dict[str, Any]]) -> list[PHIEntity]:
            return [PHIEntity(str(r["type"]), int(r["start"]), int(r["end"]), float(r.get("score", 1.0))) for r in rows]

        return cls(
            id=data["id"],
            deployment_id=data["deployment_id"],
            model=data.get("model", ""),
            text=data["text"],
            processed_prompt=data["processed_prompt"],
            phi_mode=str(phi.get("mode", "")),
            phi_entities=entities(phi.get("entities") or []),
            response_phi_entities=entities(phi.get("response_entities") or []),
            usage={k: int(v) for k, v in (data.get("usage") or {}).items()},
            latency_ms=float(data.get("latency_ms", 0.0)),
            finish_reason=data.get("finish_reason", "stop"),
        )
