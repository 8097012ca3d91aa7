"""Worker crash: a Celery worker SIGKILLed in the middle of provisioning an AWS deployment (moto) or of rendering a
report; a new worker gets the task again and finishes it: on any broker the recovery sweep queues it again (the
file broker deleted the message when the dead worker took it), on Redis acks-late may give it back first, and
a pool process's death is seen by its worker, which rejects the message back to the broker. Afterwards the
cloud holds one instance, one balancer, one endpoint service and one endpoint, the audit log one event per
transition, and the chain verifies. The crash point is fixed by a lock this test holds on the row the worker
writes its progress to: the worker stops at its next progress write, and is killed there.

The cheap tests at the end re-run `provision_deployment` in-process after a simulated crash after each AWS
call (the ids were never saved): the re-run adopts what exists instead of creating it twice."""

from __future__ import annotations

import base64
import os
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from moto import mock_aws

from accessctl.actor import Actor
from audit import verify_live
from audit.models import AuditEvent
from audit.services import record, sequence_chain
from audit.verify_live import verify_chain
from audit.verify_segments import parallel_segments
from deployments import tasks as deployment_tasks
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.providers import aws as aws_provider
from deployments.services import DeploymentSpec, deployment_create
from deployments.tasks import provision_deployment
from portal.celery import app as celery_app
from reports import tasks as report_tasks
from reports.models import ComplianceReport
from reports.services import report_request
from tests.conftest import grant
from tests.factories import UserFactory
from tests.hardening.workers import (
    MODES,
    Workers,
    assert_recovered_once,
    crash,
    holding,
    recover,
    redirect_to,
    start_worker,
    wait_for,
)
from tests.reports.bulk import bulk_events
from tests.sdk.conftest import SEED_GROUP, SEED_SUBNETS, seed_vpc  # noqa: F401 - the moto server fixture


@pytest.fixture
def workers() -> Any:
    pool = Workers(Path(settings.VAR_DIR))
    yield pool
    pool.close()


def transitions(resource_id: str, prefix: str) -> Counter[str]:
    return Counter(
        AuditEvent.objects.filter(resource_id=resource_id, event_type__startswith=prefix).values_list(
            "event_type", flat=True
        )
    )


# --- provisioning ---------------------------------------------------------------------------------------------


def tagged(ec2: Any, deployment: Deployment, describe: str, key: str) -> list[dict[str, Any]]:
    filters = [{"Name": "tag:paitient:deployment", "Values": [deployment.public_id]}]
    return list(getattr(ec2, describe)(Filters=filters)[key])


def live_instances(ec2: Any, deployment: Deployment) -> list[dict[str, Any]]:
    return [
        instance
        for reservation in tagged(ec2, deployment, "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        if instance["State"]["Name"] not in {"shutting-down", "terminated"}
    ]


def live_endpoints(ec2: Any, deployment: Deployment) -> list[dict[str, Any]]:
    endpoints = tagged(ec2, deployment, "describe_vpc_endpoints", "VpcEndpoints")
    return [e for e in endpoints if e["State"].lower() not in {"deleting", "deleted"}]


def elb_tagged(elb: Any, deployment: Deployment, resources: list[dict[str, Any]], arn: str) -> list[dict[str, Any]]:
    """The balancers or target groups carrying the deployment's tag (the moto server outlives one test)."""
    if not resources:
        return []
    descriptions = elb.describe_tags(ResourceArns=[r[arn] for r in resources])["TagDescriptions"]
    ours = {d["ResourceArn"] for d in descriptions
            if {"Key": "paitient:deployment", "Value": deployment.public_id} in d["Tags"]}  # fmt: skip
    return [r for r in resources if r[arn] in ours]


def assert_one_of_everything(ec2: Any, elb: Any, deployment: Deployment) -> None:
    """One instance, balancer, target group, listener, endpoint service and endpoint; the ids saved are theirs,
    and the key and certificate saved are the ones the instance was launched with."""
    state = deployment.provider_state
    (instance,) = live_instances(ec2, deployment)
    assert instance["InstanceId"] == state["instance_id"]
    (balancer,) = elb_tagged(elb, deployment, elb.describe_load_balancers()["LoadBalancers"], "LoadBalancerArn")
    assert balancer["LoadBalancerArn"] == state["load_balancer_arn"]
    (target_group,) = elb_tagged(elb, deployment, elb.describe_target_groups()["TargetGroups"], "TargetGroupArn")
    assert target_group["TargetGroupArn"] == state["target_group_arn"]
    targets = elb.describe_target_health(TargetGroupArn=target_group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [t["Target"]["Id"] for t in targets] == [instance["InstanceId"]]
    assert len(elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]) == 1
    services = ec2.describe_vpc_endpoint_service_configurations()["ServiceConfigurations"]
    (service,) = [s for s in services if {"Key": "paitient:deployment", "Value": deployment.public_id} in s["Tags"]]
    assert service["ServiceId"] == state["endpoint_service_id"]
    (endpoint,) = live_endpoints(ec2, deployment)
    assert endpoint["VpcEndpointId"] == state["vpc_endpoint_id"]
    user_data = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
    script = base64.b64decode(user_data["UserData"]["Value"]).decode()
    assert f"export API_KEY='{deployment.endpoint_secret}'" in script
    assert state["tls_certificate"] and state["tls_certificate"] in script


def aws_deployment(alice: Any, acme: Any, name: str, subnet_ids: list[str], group_id: str) -> Deployment:
    catalog_ensure()  # a transactional test starts with empty tables
    spec = DeploymentSpec(
        model_name="ZimaBlueAI/HuatuoGPT-o1-8B",
        deployment_name=name,
        compute_type="gpu",
        instance_type="g4dn.xlarge",
        security_settings={"network_isolation": True, "private_endpoints": True},
        vpc_config={"subnet_ids": subnet_ids, "security_group_ids": [group_id]},
        tags={"compliance": "hipaa"},
    )
    return deployment_create(actor=Actor(organization=acme, user=alice), spec=spec)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("crash_after", "percent"),
    [("ec2:RunInstances", 35), ("ec2:CreateVpcEndpoint", 60)],
    ids=["instance-launched", "endpoint-published"],
)
def test_provisioning_survives_a_killed_worker(
    seed_vpc,  # noqa: F811
    workers,
    monkeypatch,
    alice,
    acme,
    mode,
    crash_after,
    percent,
):
    ec2 = seed_vpc["ec2"]
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=seed_vpc["url"])
    worker = start_worker(workers, mode)
    redirect_to(monkeypatch, deployment_tasks.provision_deployment, workers.queue)

    deployment = aws_deployment(alice, acme, "crash-assistant", list(SEED_SUBNETS), SEED_GROUP)
    wait_for(
        lambda: Deployment.objects.filter(pk=deployment.pk, progress_percent__gte=percent).exists(),
        60,
        f"provisioning to reach {percent} %",
        then=workers.logs,
    )
    with holding(Deployment, deployment.pk):  # the worker's next progress write waits here: kill it there
        if crash_after == "ec2:RunInstances":
            wait_for(lambda: live_instances(ec2, deployment), 30, "the instance to be launched")
        else:
            wait_for(lambda: live_endpoints(ec2, deployment), 30, "the VPC endpoint to be created")
        held = Deployment.objects.get(pk=deployment.pk)
        assert held.state == "provisioning" and "instance_id" not in held.provider_state  # nothing saved yet
        retake = crash(worker, mode, deployment_tasks.provision_deployment, deployment.pk)
    recover(workers, mode, retake)

    ready = workers.until(
        lambda: Deployment.objects.filter(pk=deployment.pk, state__in=["ready", "failed"]).first(),
        90,
        "the deployment to be provisioned again",
        retake=retake,
    )
    assert ready.state == "ready", ready.failure_reason
    assert_recovered_once(retake, mode)
    assert_one_of_everything(ec2, elb, ready)
    assert transitions(deployment.public_id, "deployment.") == {
        "deployment.created": 1,
        "deployment.provisioning": 1,
        "deployment.ready": 1,
    }
    report = verify_chain(acme.public_id)
    assert report.ok, report.line()


# --- report rendering -----------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
def test_report_rendering_survives_a_killed_worker(workers, monkeypatch, api_client, acme, alice, mode):
    olivia = UserFactory.create(username="olivia", organization=acme)
    grant(olivia, acme, "compliance-officer")
    now = timezone.now()
    users, deployments = [alice.public_id, olivia.public_id], [("dep_crash", "crash-assistant")]
    bulk_events(acme, 50_000, start=now - timedelta(days=6), end=now - timedelta(minutes=1), user_ids=users,
                deployments=deployments)  # fmt: skip
    worker = start_worker(workers, mode)
    redirect_to(monkeypatch, report_tasks.render_report, workers.queue)

    report = report_request(actor=Actor(organization=acme, user=olivia), time_period="last_7_days",
                            output_format="pdf")  # fmt: skip
    wait_for(
        lambda: ComplianceReport.objects.filter(pk=report.pk, status="rendering", progress_percent__gte=10).exists(),
        60,
        "the report to be rendering",
        then=workers.logs,
    )
    with holding(ComplianceReport, report.pk):  # the worker's next progress write waits here: kill it there
        held = ComplianceReport.objects.get(pk=report.pk)
        assert held.status == "rendering" and 10 <= held.progress_percent < 100, held.progress_stage
        retake = crash(worker, mode, report_tasks.render_report, report.pk)
    recover(workers, mode, retake)

    done = workers.until(
        lambda: ComplianceReport.objects.filter(pk=report.pk, status__in=["ready", "failed"]).first(),
        120,
        "the report to be rendered again",
        retake=retake,
    )
    assert done.status == "ready", done.error
    assert_recovered_once(retake, mode)
    assert transitions(report.public_id, "report.") == {"report.requested": 1, "report.generated": 1}
    api_client.force_authenticate(olivia)
    body = api_client.get(f"/api/v1/reports/{report.public_id}").json()
    download = api_client.get(str(body["url"]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    assert (
        AuditEvent.objects.filter(event_type="report.generated", resource_id=report.public_id)
        .get()
        .details["counts"]["audit_events"]
        >= 50_000
    )
    verified = verify_chain(acme.public_id)
    assert verified.ok, verified.line()


# --- the re-run adopts what an interrupted run created (in-process, moto) --------------------------------------


class Crash(BaseException):
    """The worker died right after this call returned (a BaseException: nothing in the provider catches it)."""


class CrashingClient:
    """A boto3 client whose `operation` does its work and then 'kills the worker'."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client, self._operation = client, operation

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name != self._operation:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            attribute(*args, **kwargs)
            raise Crash(name)

        return call


@pytest.fixture
def aws(monkeypatch):
    with mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.delenv("PAITIENT_AWS_ENDPOINT_URL", raising=False)
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
                "SubnetId"
            ]
            for i, zone in ((1, "a"), (2, "b"))
        ]
        group = ec2.create_security_group(GroupName="paitient-runtime", Description="runtime", VpcId=vpc)["GroupId"]
        monkeypatch.setenv("PAITIENT_AWS_AMI_ID", ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
        yield {"ec2": ec2, "elb": boto3.client("elbv2", region_name="us-east-1"), "subnets": subnets, "group": group}


def crash_after(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    real = aws_provider._client
    monkeypatch.setattr(aws_provider, "_client", lambda service: CrashingClient(real(service), operation))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "operation",
    [
        "run_instances",
        "create_load_balancer",
        "create_target_group",
        "register_targets",
        "create_listener",
        "create_vpc_endpoint_service_configuration",
        "create_vpc_endpoint",
        "get_waiter",
    ],
)
def test_a_rerun_after_a_crash_adopts_what_exists(aws, monkeypatch, alice, acme, operation):
    deployment = aws_deployment(alice, acme, "adopted", aws["subnets"], aws["group"])
    with monkeypatch.context() as patched:
        crash_after(patched, operation)
        with pytest.raises(Crash):
            provision_deployment(deployment.pk)
    deployment.refresh_from_db()
    assert deployment.state == "provisioning" and "instance_id" not in deployment.provider_state

    assert provision_deployment(deployment.pk) == "ready"
    deployment.refresh_from_db()
    assert_one_of_everything(aws["ec2"], aws["elb"], deployment)
    assert len(aws["ec2"].describe_instances()["Reservations"]) == 1  # not launched and then terminated either
    assert transitions(deployment.public_id, "deployment.") == {
        "deployment.created": 1,
        "deployment.provisioning": 1,
        "deployment.ready": 1,
    }


@pytest.mark.django_db
def test_a_stopped_instance_of_an_interrupted_run_is_started_again(aws, monkeypatch, alice, acme):
    deployment = aws_deployment(alice, acme, "restarted", aws["subnets"], aws["group"])
    with monkeypatch.context() as patched:
        crash_after(patched, "get_waiter")
        with pytest.raises(Crash):
            provision_deployment(deployment.pk)
    (instance,) = live_instances(aws["ec2"], deployment)
    aws["ec2"].stop_instances(InstanceIds=[instance["InstanceId"]])
    assert provision_deployment(deployment.pk) == "ready"
    deployment.refresh_from_db()
    assert_one_of_everything(aws["ec2"], aws["elb"], deployment)
    (running,) = live_instances(aws["ec2"], deployment)
    assert running["State"]["Name"] == "running"


@pytest.mark.django_db
def test_a_tagged_instance_not_launched_as_a_runtime_is_not_adopted(aws, alice, acme):
    """Anyone who can tag an instance in the client's VPC must not get prompts sent to it: an instance with our
    tag but not launched as our runtime (another type here; or image, subnet, a public address, IMDSv1) fails the
    deployment instead."""
    deployment = aws_deployment(alice, acme, "impostor", aws["subnets"], aws["group"])
    aws["ec2"].run_instances(
        ImageId=os.environ["PAITIENT_AWS_AMI_ID"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
        SubnetId=aws["subnets"][0],
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": "paitient:deployment", "Value": deployment.public_id}]}],
    )  # fmt: skip
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert "is not configured as its runtime" in deployment.failure_reason
    assert len(aws["ec2"].describe_instances()["Reservations"]) == 1


# --- what verification starts shares nothing with the process that starts it --------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_parallel_chain_verification_shares_nothing_with_its_caller(acme, alice, monkeypatch):
    """Report rendering (in a worker) and these tests verify big chains in several processes. Forked, those
    inherited the caller's broker connections, which kombu closes in a child after a fork: with a reply pending on
    the Redis socket (left by an `inspect().ping()` that timed out, as every worker's readiness check here does)
    a child read the socket for it and waited forever, and so did its caller, in `pool.join` (#24). They also
    inherited a worker's SIGTERM handler, which only notes the request. Spawned, they start clean."""
    if connection.vendor != "postgresql":
        pytest.skip("parallel verification runs on PostgreSQL only")
    monkeypatch.setattr(verify_live, "PARALLEL_MIN_EVENTS", 10)
    ranges: list[int] = []

    def counted(*args: Any) -> Any:
        segments = parallel_segments(*args)
        ranges.append(len(segments))
        return segments

    monkeypatch.setattr(verify_live, "parallel_segments", counted)
    for index in range(40):
        record(actor=Actor(organization=acme, user=alice), event_type="model.inference", details={"i": index})
    sequence_chain(acme.public_id)
    events = AuditEvent.objects.filter(chain=acme.public_id).count()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)  # what a Celery worker's handler amounts to
    try:
        for _ in range(3):
            celery_app.control.inspect(timeout=0.2, destination=["nobody@nowhere"]).ping()  # leaves a read pending
            report = verify_chain(acme.public_id, workers=4)
            assert report.ok and (report.events, report.first_seq, report.last_seq) == (events, 1, events), report
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert ranges == [4, 4, 4]  # verified in four processes each time
