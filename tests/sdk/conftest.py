"""A moto server (the one simulated component) holding the client VPC the seed's sample names:
subnets `subnet-abc123`, `subnet-def456` and security group `sg-123456` (moto generates random ids, so the
fixture renames its resources to the page's)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

SEED_SUBNETS = ("subnet-abc123", "subnet-def456")
SEED_GROUP = "sg-123456"
ACCOUNT = "123456789012"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rename(backend: Any, vpc_id: str, subnet_ids: list[str], group_id: str) -> None:
    for subnet_id, wanted in zip(subnet_ids, SEED_SUBNETS, strict=True):
        for subnets in backend.subnets.values():
            if subnet_id in subnets:
                subnet = subnets.pop(subnet_id)
                subnet.id = wanted
                subnets[wanted] = subnet
    group = backend.groups[vpc_id].pop(group_id)
    group.id = group.group_id = SEED_GROUP
    backend.groups[vpc_id][SEED_GROUP] = group


@pytest.fixture
def seed_vpc(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from moto.ec2.models import ec2_backends
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "PAITIENT_AWS_ENDPOINT_URL": url}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    try:
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url)
        kms = boto3.client("kms", region_name="us-east-1", endpoint_url=url)
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
                "SubnetId"
            ]
            for i, zone in ((1, "a"), (2, "b"))
        ]
        group = ec2.create_security_group(GroupName="paitient-runtime", Description="runtime", VpcId=vpc)["GroupId"]
        _rename(ec2_backends[ACCOUNT]["us-east-1"], vpc, subnets, group)
        monkeypatch.setenv("PAITIENT_AWS_AMI_ID", ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
        monkeypatch.setenv("PAITIENT_AWS_EBS_KMS_KEY_ID", kms.create_key(Description="ebs")["KeyMetadata"]["Arn"])
        yield {"ec2": ec2, "vpc": vpc, "url": url}
    finally:
        server.stop()
