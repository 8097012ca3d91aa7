"""Objects the SDK returns: plain, typed, with the attributes the service's documentation uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paitient_secure_model.errors import error_for


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


class StreamedGeneration:
    """`generate_text(..., stream=True)`: iterate for the answer's text as it passes the PHI hold-back window;
    afterwards `id`, `usage`, `finish_reason`, `phi_mode` and `phi_counts` describe the whole call. `close()`
    (or leaving a `with` block) stops it: the server cancels the model's generation and audits the call."""

    def __init__(self, events: Iterator[tuple[str, dict[str, Any]]]) -> None:
        self._events = events
        self.id = ""
        self.deployment_id = ""
        self.model = ""
        self.finish_reason = ""
        self.usage: dict[str, int] = {}
        self.phi_mode = ""
        self.phi_counts: dict[str, dict[str, int]] = {}

    def __iter__(self) -> Iterator[str]:
        for name, data in self._events:
            if name == "delta":
                yield str(data.get("text", ""))
            elif name == "done":
                phi = data.get("phi") or {}
                self.id, self.deployment_id = str(data.get("id", "")), str(data.get("deployment_id", ""))
                self.model, self.finish_reason = str(data.get("model", "")), str(data.get("finish_reason", ""))
                self.usage = {str(k): int(v) for k, v in (data.get("usage") or {}).items()}
                self.phi_mode, self.phi_counts = str(phi.get("mode", "")), dict(phi.get("counts") or {})
            elif name == "error":
                raise error_for(int(data.get("status") or 500), data)

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> StreamedGeneration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


@dataclass(frozen=True)
class ComplianceReport:
    """A compliance report. `url` is a signed download link (valid about 10 minutes, and only with your API
    key); `download()` fetches a fresh link and returns the file's bytes (PDF, JSON or CSV)."""

    id: str
    status: str
    report_type: str
    time_period: str
    period_start: datetime | None
    period_end: datetime | None
    include_sections: list[str]
    output_format: str
    progress_percent: int
    progress_stage: str
    error: str = ""
    sha256: str = ""
    size_bytes: int = 0
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    _download: Callable[[str], bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], download: Callable[[str], bytes] | None = None) -> ComplianceReport:
        progress = data.get("progress") or {}
        return cls(
            id=data["id"],
            status=data["status"],
            report_type=data.get("report_type", ""),
            time_period=data.get("time_period", ""),
            period_start=parse_time(data.get("period_start")),
            period_end=parse_time(data.get("period_end")),
            include_sections=list(data.get("include_sections") or []),
            output_format=data.get("output_format", ""),
            progress_percent=int(progress.get("percent", 0)),
            progress_stage=str(progress.get("stage", "")),
            error=data.get("error", ""),
            sha256=data.get("sha256", ""),
            size_bytes=int(data.get("size_bytes") or 0),
            figures=dict(data.get("figures") or {}),
            url=data.get("url"),
            created_at=parse_time(data.get("created_at")),
            finished_at=parse_time(data.get("finished_at")),
            _download=download,
        )

    def download(self) -> bytes:
        if self._download is None:
            raise RuntimeError("this report was not fetched through a Client")
        return self._download(self.id)
