"""The AWS provider against moto: instance in the client's subnets with no public IP, IMDSv2 only,
KMS-encrypted EBS, tags, a private endpoint; stop cleans everything up; failures are recorded."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from accessctl.actor import Actor
from audit.models import AuditEvent
from deployments.models import Deployment
from deployments.services import DeploymentSpec, deployment_create, deployment_stop
from deployments.tasks import deprovision_deployment, provision_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def aws(monkeypatch):
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        ec2 = boto3.client("ec2", region_name="us-east-1")
        kms = boto3.client("kms", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
                "SubnetId"
            ]
            for i, zone in ((1, "a"), (2, "b"))
        ]
        group = ec2.create_security_group(GroupName="paitient-runtime", Description="runtime", VpcId=vpc)["GroupId"]
        key = kms.create_key(Description="ebs")["KeyMetadata"]["Arn"]
        monkeypatch.setenv("PAITIENT_AWS_AMI_ID", ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
        monkeypatch.setenv("PAITIENT_AWS_EBS_KMS_KEY_ID", key)
        yield {"ec2": ec2, "vpc": vpc, "subnets": subnets, "group": group, "kms_key": key}


def make(alice, acme, aws, *, private_endpoints: bool = True) -> Deployment:
    spec = DeploymentSpec(
        model_name="ZimaBlueAI/HuatuoGPT-o1-8B",
        deployment_name="hipaa-clinical-assistant",
        compute_type="gpu",
        instance_type="g4dn.xlarge",
        # network isolation is derived: declared true only where a private endpoint makes it so
        security_settings={"network_isolation": private_endpoints, "private_endpoints": private_endpoints},
        vpc_config={"subnet_ids": aws["subnets"], "security_group_ids": [aws["group"]]},
        tags={"compliance": "hipaa", "data-sensitivity": "phi"},
    )
    return deployment_create(actor=Actor(organization=acme, user=alice), spec=spec)


def test_isolation_is_checked_against_the_clouds_answer_before_anything_is_created(alice, acme, aws):
    """A subnet routing 0.0.0.0/0 to an internet gateway, or a group open to 0.0.0.0/0: not isolated, whatever
    the request said; provisioning fails naming what is exposed and launches nothing."""
    ec2 = aws["ec2"]
    deployment = make(alice, acme, aws)
    assert deployment.security_settings["network_isolation"] is True  # derived from the configuration
    ec2.authorize_security_group_ingress(GroupId=aws["group"], IpProtocol="tcp", FromPort=8443, ToPort=8443,
                                         CidrIp="0.0.0.0/0")  # fmt: skip
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=aws["vpc"])
    table = ec2.create_route_table(VpcId=aws["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=aws["subnets"][0])
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert deployment.failure_reason.startswith("not network isolated:")
    assert f"subnet {aws['subnets'][0]} routes 0.0.0.0/0 to an internet gateway" in deployment.failure_reason
    assert f"security group {aws['group']} admits 0.0.0.0/0" in deployment.failure_reason
    assert (
        ec2.describe_instances(Filters=[{"Name": "tag:paitient:deployment", "Values": [deployment.public_id]}])[
            "Reservations"
        ]
        == []
    )


def test_provisioning_reaches_ready_with_a_locked_down_instance(alice, acme, aws):
    deployment = make(alice, acme, aws)
    assert provision_deployment(deployment.pk) == "ready"
    deployment.refresh_from_db()
    assert (deployment.state, deployment.progress_percent) == ("ready", 100)
    instance_id = deployment.provider_state["instance_id"]
    (reservation,) = aws["ec2"].describe_instances(InstanceIds=[instance_id])["Reservations"]
    instance = reservation["Instances"][0]
    assert "PublicIpAddress" not in instance
    assert instance["SubnetId"] == aws["subnets"][0] and instance["VpcId"] == aws["vpc"]
    assert instance["InstanceType"] == "g4dn.xlarge"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert [g["GroupId"] for g in instance["NetworkInterfaces"][0]["Groups"]] == [aws["group"]]
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["compliance"] == "hipaa" and tags["paitient:deployment"] == deployment.public_id
    volumes = aws["ec2"].describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    assert volumes["Volumes"] and all(v["Encrypted"] and v["KmsKeyId"] == aws["kms_key"] for v in volumes["Volumes"])
    endpoint = aws["ec2"].describe_vpc_endpoints(VpcEndpointIds=[deployment.provider_state["vpc_endpoint_id"]])
    assert endpoint["VpcEndpoints"][0]["VpcId"] == aws["vpc"]
    states = list(
        AuditEvent.objects.filter(resource_id=deployment.public_id, event_type__startswith="deployment.")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert states == ["deployment.created", "deployment.provisioning", "deployment.ready"]
    # The runtime's TLS certificate is ours and pinned; its key and the runtime's API key travel only in user data.
    import base64

    user_data = aws["ec2"].describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    script = base64.b64decode(user_data["UserData"]["Value"]).decode()
    assert deployment.provider_state["tls_certificate"] in script and "--ssl_certfile" in script
    assert deployment.endpoint_url.startswith("https://") and deployment.endpoint_url.endswith(":8443/v1")
    assert deployment.endpoint_secret and f"API_KEY='{deployment.endpoint_secret}'" in script
    assert deployment.endpoint_secret not in str(deployment.provider_state)
    assert provision_deployment(deployment.pk) == "ready"  # idempotent: nothing launched twice
    assert len(aws["ec2"].describe_instances()["Reservations"]) == 1


def test_stopping_terminates_and_removes_the_endpoint(alice, acme, aws, django_capture_on_commit_callbacks):
    deployment = make(alice, acme, aws)
    provision_deployment(deployment.pk)
    deployment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        deployment_stop(actor=Actor(organization=acme, user=alice), deployment=deployment)
    assert deprovision_deployment(deployment.pk) == "stopped"
    deployment.refresh_from_db()
    assert deployment.state == "stopped"
    instance = aws["ec2"].describe_instances(InstanceIds=[deployment.provider_state["instance_id"]])
    assert instance["Reservations"][0]["Instances"][0]["State"]["Name"] in {"shutting-down", "terminated"}
    remaining = aws["ec2"].describe_vpc_endpoints()["VpcEndpoints"]
    assert all(e["State"].lower() == "deleted" for e in remaining) or not remaining


def test_a_refusal_fails_the_deployment_with_a_reason(alice, acme, aws, monkeypatch):
    monkeypatch.delenv("PAITIENT_AWS_AMI_ID")
    deployment = make(alice, acme, aws, private_endpoints=False)
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert deployment.state == "failed" and "PAITIENT_AWS_AMI_ID" in deployment.failure_reason
    failed = AuditEvent.objects.get(event_type="deployment.failed", resource_id=deployment.public_id)
    assert failed.outcome == "error"


def test_subnets_that_do_not_exist_fail_cleanly(alice, acme, aws):
    spec = DeploymentSpec(
        model_name="ZimaBlueAI/HuatuoGPT-o1-8B",
        deployment_name="ghost",
        compute_type="gpu",
        instance_type="g5.xlarge",
        vpc_config={"subnet_ids": ["subnet-abc123"], "security_group_ids": ["sg-123456"]},
    )
    deployment = deployment_create(actor=Actor(organization=acme, user=alice), spec=spec)
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert deployment.failure_reason.startswith("AWS refused: InvalidSubnetID")
