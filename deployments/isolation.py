"""Network isolation is derived by the server from the provider and its configuration, never declared.

- `local`: the llama.cpp runtime binds loopback only — isolated by construction.
- `aws`: isolated when it is published only through a private endpoint (`private_endpoints`) in the client's
  subnets with no public IP (the provider never asks for one); when provisioning, before anything is created,
  the cloud's answer is checked: the subnets route nothing to an internet gateway and give no public IPs on
  launch, and no security group admits 0.0.0.0/0 or ::/0 (`aws_exposures`). Any exposure fails the deployment.
- `external`: reached over the internet — never isolated. In HIPAA mode it is allowed only over https and with a
  BAA in force with its vendor (`deployments.associates`).

A client-supplied `network_isolation: true` that the derivation does not give is refused (400 naming the field)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from deployments.models import Provider

if TYPE_CHECKING:
    from deployments.models import Deployment

OPEN_RANGES = {"0.0.0.0/0", "::/0"}


def derive(provider: str, security_settings: dict[str, Any]) -> tuple[bool, str]:
    """(isolated, why) for a deployment of `provider` with these (requested) settings."""
    if provider == Provider.LOCAL:
        return True, "the local runtime listens on loopback only"
    if provider == Provider.AWS:
        if not security_settings.get("private_endpoints"):
            return False, "an AWS deployment is isolated only behind a private endpoint (private_endpoints: true)"
        return True, "private subnets, no public IP, a private endpoint (checked against AWS when provisioning)"
    return False, "an external endpoint is reached over the internet"


def is_isolated(deployment: Deployment) -> bool:
    """What the gate and the checklist trust: derived again from the provider, so a flag stored before the
    server derived it (an external deployment declared isolated) counts for nothing."""
    if deployment.provider == Provider.LOCAL:
        return True
    if deployment.provider == Provider.EXTERNAL:
        return False
    settings = deployment.security_settings
    return bool(settings.get("network_isolation")) and bool(settings.get("private_endpoints"))


def uses_tls(deployment: Deployment) -> bool:
    return urlsplit(deployment.endpoint_url).scheme == "https"


def aws_exposures(ec2: Any, subnet_ids: list[str], group_ids: list[str]) -> list[str]:
    """What the cloud says exposes these subnets and groups to the internet; empty when isolated."""
    found: list[str] = []
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    for subnet in subnets:
        if subnet.get("MapPublicIpOnLaunch"):
            found.append(f"subnet {subnet['SubnetId']} gives public IPs on launch")
        explicit = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}]
        )["RouteTables"]
        tables = (
            explicit
            or ec2.describe_route_tables(
                Filters=[
                    {"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                    {"Name": "association.main", "Values": ["true"]},
                ]
            )["RouteTables"]
        )
        for table in tables:
            for route in table.get("Routes", []):
                destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                if destination in OPEN_RANGES and str(route.get("GatewayId", "")).startswith("igw-"):
                    found.append(f"subnet {subnet['SubnetId']} routes {destination} to an internet gateway")
    for group in ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]:
        for permission in group.get("IpPermissions", []):
            ranges = {r.get("CidrIp") for r in permission.get("IpRanges", [])}
            ranges |= {r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])}
            if ranges & OPEN_RANGES:
                found.append(f"security group {group['GroupId']} admits {sorted(ranges & OPEN_RANGES)[0]}")
    return found
