"""AWS: a GPU instance in the client's VPC — no public IP, IMDSv2 only, encrypted EBS, tagged — and, for
private endpoints, an internal NLB published as a VPC endpoint service with an interface endpoint.

Provisioning is find-or-create throughout: a worker killed between creating a resource and saving its id
leaves the task to be redelivered, and the re-run adopts what carries the deployment's tag (or name) instead
of launching a second instance, balancer or endpoint."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from core.config import env_str
from core.tls import self_signed_pem
from deployments.isolation import aws_exposures
from deployments.providers import (
    ChatMessage,
    Generation,
    Progress,
    ProviderError,
    Provisioned,
    TextStream,
    openai_compat,
)

if TYPE_CHECKING:
    from deployments.models import Deployment

RUNTIME_PORT = 8443
USER_DATA = """#!/bin/bash
# Starts an OpenAI-compatible runtime with TLS on port {port}; the model comes from {artifact}.
set -euo pipefail
python3 -m venv /opt/paitient && /opt/paitient/bin/pip install 'llama-cpp-python[server]' huggingface-hub
install -d -m 700 /etc/paitient
# The control plane made this key pair and pins the certificate: only this instance can answer its calls.
cat > /etc/paitient/cert.pem <<'PEM'
{certificate}PEM
(umask 077 && cat > /etc/paitient/key.pem <<'PEM'
{private_key}PEM
)
export API_KEY='{api_key}'
exec /opt/paitient/bin/python -m llama_cpp.server --hf_model_repo_id '{repo}' --model '*Q4_K_M.gguf' \\
  --host 0.0.0.0 --port {port} --ssl_keyfile /etc/paitient/key.pem --ssl_certfile /etc/paitient/cert.pem
"""


def _client(service: str) -> Any:
    return boto3.client(
        service,
        region_name=env_str("AWS_DEFAULT_REGION") or env_str("AWS_REGION") or "us-east-1",
        endpoint_url=env_str("PAITIENT_AWS_ENDPOINT_URL") or None,
    )


TAG_KEY = "paitient:deployment"
# An instance in one of these states is this deployment's runtime, still or again; a re-run adopts it.
ADOPTABLE_STATES = ["pending", "running", "stopping", "stopped"]
GONE_ENDPOINT_STATES = {"deleting", "deleted", "rejected", "failed", "expired"}
_API_KEY_LINE = re.compile(r"^export API_KEY='([A-Za-z0-9_-]+)'$", re.MULTILINE)
_CERTIFICATE = re.compile(r"<<'PEM'\n(-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n)PEM", re.DOTALL)


def _tags(deployment: Deployment) -> list[dict[str, str]]:
    base = {"Name": f"paitient-{deployment.name}", TAG_KEY: deployment.public_id}
    return [{"Key": k, "Value": v} for k, v in {**deployment.tags, **base}.items()]


def _ours(deployment: Deployment) -> list[dict[str, Any]]:
    """The EC2 filter for resources this deployment created."""
    return [{"Name": f"tag:{TAG_KEY}", "Values": [deployment.public_id]}]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class AwsProvider:
    def __init__(self) -> None:
        self.ec2 = _client("ec2")
        self.elb = _client("elbv2")

    def provision(self, deployment: Deployment, progress: Progress) -> Provisioned:
        try:
            state, api_key = self._provision(deployment, progress)
        except (ClientError, BotoCoreError) as exc:
            raise ProviderError(f"AWS refused: {_aws_error(exc)}") from None
        host = state.get("endpoint_dns") or state.get("private_ip") or ""
        return Provisioned(state=state, endpoint_url=f"https://{host}:{RUNTIME_PORT}/v1", secret=api_key)

    def generate(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Generation:
        return openai_compat.chat(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=deployment.model.name,
            messages=messages, max_tokens=max_tokens, temperature=temperature,
            pinned_certificate=str(deployment.provider_state.get("tls_certificate", "")),
        )  # fmt: skip

    def stream(
        self, deployment: Deployment, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float
    ) -> TextStream:
        return openai_compat.chat_stream(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=deployment.model.name,
            messages=messages, max_tokens=max_tokens, temperature=temperature,
            pinned_certificate=str(deployment.provider_state.get("tls_certificate", "")),
        )  # fmt: skip

    def _provision(self, deployment: Deployment, progress: Progress) -> tuple[dict[str, Any], str]:
        """(provider state, the runtime's API key)."""
        subnet_ids: list[str] = deployment.vpc_config["subnet_ids"]
        group_ids: list[str] = deployment.vpc_config["security_group_ids"]
        progress(10, "checking the VPC")
        subnets = self.ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        vpcs = {subnet["VpcId"] for subnet in subnets}
        if len(vpcs) != 1:
            raise ProviderError("the subnets must all belong to one VPC")
        vpc_id = vpcs.pop()
        exposures = aws_exposures(self.ec2, subnet_ids, group_ids)  # the cloud's answer, before creating anything
        if exposures:
            raise ProviderError(f"not network isolated: {'; '.join(exposures)}")
        image_id = env_str("PAITIENT_AWS_AMI_ID")
        if not image_id:
            raise ProviderError("PAITIENT_AWS_AMI_ID is not configured (a GPU-ready Linux AMI in this region)")
        progress(35, "launching the instance")
        instance = self._existing_instance(deployment)
        if instance is not None:
            api_key, certificate = self._adopt(deployment, instance, image_id, subnet_ids[0])
        else:
            instance, api_key, certificate = self._launch(deployment, image_id, subnet_ids, group_ids)
        state: dict[str, Any] = {"instance_id": instance["InstanceId"], "vpc_id": vpc_id, "subnet_id": subnet_ids[0],
                                 "tls_certificate": certificate}  # fmt: skip
        state["private_ip"] = instance.get("PrivateIpAddress", "")
        if deployment.security_settings.get("private_endpoints"):
            progress(60, "publishing a private endpoint")
            state |= self._private_endpoint(deployment, vpc_id, subnet_ids, group_ids, instance["InstanceId"])
        progress(90, "waiting for the instance")
        self.ec2.get_waiter("instance_running").wait(
            InstanceIds=[instance["InstanceId"]], WaiterConfig={"Delay": 2, "MaxAttempts": 150}
        )
        return state, api_key

    def _existing_instance(self, deployment: Deployment) -> dict[str, Any] | None:
        """The instance an earlier, interrupted run launched for this deployment (the oldest, if several)."""
        filters = [*_ours(deployment), {"Name": "instance-state-name", "Values": ADOPTABLE_STATES}]
        instances = [
            instance
            for reservation in self.ec2.describe_instances(Filters=filters)["Reservations"]
            for instance in reservation["Instances"]
        ]
        return min(instances, key=lambda instance: str(instance.get("LaunchTime", ""))) if instances else None

    def _adopt(
        self, deployment: Deployment, instance: dict[str, Any], image_id: str, subnet_id: str
    ) -> tuple[str, str]:
        """Take over an instance launched by an interrupted run: its API key and certificate are the ones its
        user data carries (a new key would not be the runtime's); a stopped one is started again. One that is
        not what we launch (image, type, subnet, no public address, IMDSv2) is refused, not trusted for its tag."""
        instance_id = instance["InstanceId"]
        tokens = instance.get("MetadataOptions", {}).get("HttpTokens")
        launched_as = (instance.get("ImageId"), instance.get("InstanceType"), instance.get("SubnetId"),
                       "PublicIpAddress" in instance, tokens)  # fmt: skip
        if launched_as != (image_id, deployment.instance_type, subnet_id, False, "required"):
            raise ProviderError(f"instance {instance_id} is tagged for this deployment but is not configured as its "
                                "runtime; terminate it or remove its tag")  # fmt: skip
        attribute = self.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
        script = base64.b64decode(attribute.get("UserData", {}).get("Value", "") or "").decode(errors="replace")
        api_key, certificate = _API_KEY_LINE.search(script), _CERTIFICATE.search(script)
        if api_key is None or certificate is None:
            raise ProviderError(f"instance {instance_id} is tagged for this deployment but was not launched by it; "
                                "terminate it or remove its tag")  # fmt: skip
        if instance["State"]["Name"] in {"stopping", "stopped"}:
            self.ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id])
            self.ec2.start_instances(InstanceIds=[instance_id])
        return api_key.group(1), certificate.group(1)

    def _launch(
        self, deployment: Deployment, image_id: str, subnet_ids: list[str], group_ids: list[str]
    ) -> tuple[dict[str, Any], str, str]:
        """(instance, API key, certificate): a new instance whose user data holds a fresh key pair and API key."""
        api_key = secrets.token_urlsafe(32)  # the runtime's bearer key: stored encrypted, sent only in user data
        cert_pem, key_pem = self_signed_pem(f"paitient-{deployment.public_id}", [f"{deployment.public_id}.runtime"], [])
        certificate, private_key = cert_pem.decode(), key_pem.decode()
        artifact = deployment.model.providers.get("aws", "")
        user_data = USER_DATA.format(
            port=RUNTIME_PORT, artifact=artifact, repo=deployment.model.name, api_key=api_key,
            certificate=certificate, private_key=private_key,
        )  # fmt: skip
        block_device: dict[str, Any] = {"VolumeSize": 200, "VolumeType": "gp3", "Encrypted": True}
        kms_key = env_str("PAITIENT_AWS_EBS_KMS_KEY_ID")
        if kms_key:
            block_device["KmsKeyId"] = kms_key
        launch: dict[str, Any] = {
            "ImageId": image_id,
            "InstanceType": deployment.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "NetworkInterfaces": [
                {"DeviceIndex": 0, "SubnetId": subnet_ids[0], "Groups": group_ids, "AssociatePublicIpAddress": False}
            ],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": block_device}],
            "UserData": user_data,  # boto3 base64-encodes it (encoding it here would send base64 twice)
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": _tags(deployment)},
                {"ResourceType": "volume", "Tags": _tags(deployment)},
            ],
        }
        profile = env_str("PAITIENT_AWS_INSTANCE_PROFILE")
        if profile:
            launch["IamInstanceProfile"] = {"Name": profile}
        instance: dict[str, Any] = self.ec2.run_instances(**launch)["Instances"][0]
        return instance, api_key, certificate

    def _private_endpoint(
        self, deployment: Deployment, vpc_id: str, subnet_ids: list[str], group_ids: list[str], instance_id: str
    ) -> dict[str, Any]:
        name = f"paitient-{deployment.public_id.replace('_', '-')}"[:32]
        balancer = self._load_balancer(deployment, name, subnet_ids)
        target_group = self._target_group(deployment, name, vpc_id)
        self.elb.register_targets(TargetGroupArn=target_group["TargetGroupArn"], Targets=[{"Id": instance_id}])
        listeners = self.elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
        if not any(listener.get("Port") == RUNTIME_PORT for listener in listeners):
            self.elb.create_listener(
                LoadBalancerArn=balancer["LoadBalancerArn"],
                Protocol="TCP",
                Port=RUNTIME_PORT,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}],
            )
        service = self._endpoint_service(deployment, balancer["LoadBalancerArn"])
        endpoint = self._endpoint(deployment, vpc_id, service["ServiceName"], subnet_ids, group_ids)
        return {
            "load_balancer_arn": balancer["LoadBalancerArn"],
            "target_group_arn": target_group["TargetGroupArn"],
            "endpoint_service_id": service["ServiceId"],
            "vpc_endpoint_id": endpoint["VpcEndpointId"],
            "endpoint_dns": (endpoint.get("DnsEntries") or [{}])[0].get("DnsName", ""),
        }

    def _load_balancer(self, deployment: Deployment, name: str, subnet_ids: list[str]) -> dict[str, Any]:
        try:
            found: list[dict[str, Any]] = self.elb.describe_load_balancers(Names=[name])["LoadBalancers"]
        except ClientError as exc:
            if _code(exc) != "LoadBalancerNotFound":
                raise
            found = []
        if found:
            return found[0]
        created: dict[str, Any] = self.elb.create_load_balancer(
            Name=name, Subnets=subnet_ids, Scheme="internal", Type="network", Tags=_tags(deployment)
        )["LoadBalancers"][0]
        return created

    def _target_group(self, deployment: Deployment, name: str, vpc_id: str) -> dict[str, Any]:
        try:
            found: list[dict[str, Any]] = self.elb.describe_target_groups(Names=[name])["TargetGroups"]
        except ClientError as exc:
            if _code(exc) != "TargetGroupNotFound":
                raise
            found = []
        if found:
            return found[0]
        created: dict[str, Any] = self.elb.create_target_group(
            Name=name, Protocol="TCP", Port=RUNTIME_PORT, VpcId=vpc_id, TargetType="instance", Tags=_tags(deployment)
        )["TargetGroups"][0]
        return created

    def _endpoint_service(self, deployment: Deployment, balancer_arn: str) -> dict[str, Any]:
        """The endpoint service publishing this balancer (matched on the balancer: it has one at most)."""
        pages = self.ec2.get_paginator("describe_vpc_endpoint_service_configurations").paginate()
        for page in pages:
            for service in page["ServiceConfigurations"]:
                state = str(service.get("ServiceState", "")).lower()
                if balancer_arn in service.get("NetworkLoadBalancerArns", []) and state not in GONE_ENDPOINT_STATES:
                    return dict(service)
        created: dict[str, Any] = self.ec2.create_vpc_endpoint_service_configuration(
            NetworkLoadBalancerArns=[balancer_arn],
            AcceptanceRequired=False,
            TagSpecifications=[{"ResourceType": "vpc-endpoint-service", "Tags": _tags(deployment)}],
        )["ServiceConfiguration"]
        return created

    def _endpoint(
        self, deployment: Deployment, vpc_id: str, service_name: str, subnet_ids: list[str], group_ids: list[str]
    ) -> dict[str, Any]:
        for endpoint in self.ec2.describe_vpc_endpoints(Filters=_ours(deployment))["VpcEndpoints"]:
            state = str(endpoint.get("State", "")).lower()
            if endpoint.get("ServiceName") == service_name and state not in GONE_ENDPOINT_STATES:
                return dict(endpoint)
        created: dict[str, Any] = self.ec2.create_vpc_endpoint(
            VpcEndpointType="Interface",
            VpcId=vpc_id,
            ServiceName=service_name,
            SubnetIds=subnet_ids,
            SecurityGroupIds=group_ids,
            PrivateDnsEnabled=False,
            TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": _tags(deployment)}],
        )["VpcEndpoint"]
        return created

    def status(self, deployment: Deployment) -> str:
        instance_id = deployment.provider_state.get("instance_id")
        if not instance_id:
            return "absent"
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return str(reservations[0]["Instances"][0]["State"]["Name"]) if reservations else "absent"

    def deprovision(self, deployment: Deployment, progress: Progress) -> None:
        state = deployment.provider_state
        try:
            if state.get("vpc_endpoint_id"):
                progress(20, "removing the private endpoint")
                self.ec2.delete_vpc_endpoints(VpcEndpointIds=[state["vpc_endpoint_id"]])
                self.ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[state["endpoint_service_id"]])
                self.elb.delete_load_balancer(LoadBalancerArn=state["load_balancer_arn"])
                self.elb.delete_target_group(TargetGroupArn=state["target_group_arn"])
            if state.get("instance_id"):
                progress(60, "terminating the instance")
                self.ec2.terminate_instances(InstanceIds=[state["instance_id"]])
        except (ClientError, BotoCoreError) as exc:
            raise ProviderError(f"AWS refused: {_aws_error(exc)}") from None


def _aws_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}"[:200]
    return type(exc).__name__
