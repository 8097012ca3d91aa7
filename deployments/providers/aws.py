"""AWS: a GPU instance in the client's VPC — no public IP, IMDSv2 only, encrypted EBS, tagged — and, for
private endpoints, an internal NLB published as a VPC endpoint service with an interface endpoint."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from deployments.providers import Generation, Progress, ProviderError, Provisioned, openai_compat
from portal.config import env_str
from portal.tls import self_signed_pem

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


def _tags(deployment: Deployment) -> list[dict[str, str]]:
    base = {"Name": f"paitient-{deployment.name}", "paitient:deployment": deployment.public_id}
    return [{"Key": k, "Value": v} for k, v in {**deployment.tags, **base}.items()]


class AwsProvider:
    def __init__(self) -> None:
        self.ec2 = _client("ec2")
        self.elb = _client("elbv2")

    def provision(self, deployment: Deployment, progress: Progress) -> Provisioned:
        api_key = secrets.token_urlsafe(32)  # the runtime's bearer key: stored encrypted, sent only in user data
        try:
            state = self._provision(deployment, progress, api_key)
        except (ClientError, BotoCoreError) as exc:
            raise ProviderError(f"AWS refused: {_aws_error(exc)}") from None
        host = state.get("endpoint_dns") or state.get("private_ip") or ""
        return Provisioned(state=state, endpoint_url=f"https://{host}:{RUNTIME_PORT}/v1", secret=api_key)

    def generate(self, deployment: Deployment, prompt: str, *, max_tokens: int, temperature: float) -> Generation:
        return openai_compat.chat(
            deployment.endpoint_url, deployment.endpoint_secret or "", model=deployment.model.name,
            prompt=prompt, max_tokens=max_tokens, temperature=temperature,
            pinned_certificate=str(deployment.provider_state.get("tls_certificate", "")),
        )  # fmt: skip

    def _provision(self, deployment: Deployment, progress: Progress, api_key: str) -> dict[str, Any]:
        cert_pem, key_pem = self_signed_pem(f"paitient-{deployment.public_id}", [f"{deployment.public_id}.runtime"], [])
        certificate, private_key = cert_pem.decode(), key_pem.decode()
        subnet_ids: list[str] = deployment.vpc_config["subnet_ids"]
        group_ids: list[str] = deployment.vpc_config["security_group_ids"]
        progress(10, "checking the VPC")
        subnets = self.ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        vpcs = {subnet["VpcId"] for subnet in subnets}
        if len(vpcs) != 1:
            raise ProviderError("the subnets must all belong to one VPC")
        vpc_id = vpcs.pop()
        self.ec2.describe_security_groups(GroupIds=group_ids)
        image_id = env_str("PAITIENT_AWS_AMI_ID")
        if not image_id:
            raise ProviderError("PAITIENT_AWS_AMI_ID is not configured (a GPU-ready Linux AMI in this region)")
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
        progress(35, "launching the instance")
        instance = self.ec2.run_instances(**launch)["Instances"][0]
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
        return state

    def _private_endpoint(
        self, deployment: Deployment, vpc_id: str, subnet_ids: list[str], group_ids: list[str], instance_id: str
    ) -> dict[str, Any]:
        name = f"paitient-{deployment.public_id.replace('_', '-')}"[:32]
        balancer = self.elb.create_load_balancer(
            Name=name, Subnets=subnet_ids, Scheme="internal", Type="network", Tags=_tags(deployment)
        )["LoadBalancers"][0]
        target_group = self.elb.create_target_group(
            Name=name, Protocol="TCP", Port=RUNTIME_PORT, VpcId=vpc_id, TargetType="instance"
        )["TargetGroups"][0]
        self.elb.register_targets(TargetGroupArn=target_group["TargetGroupArn"], Targets=[{"Id": instance_id}])
        self.elb.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="TCP",
            Port=RUNTIME_PORT,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}],
        )
        service = self.ec2.create_vpc_endpoint_service_configuration(
            NetworkLoadBalancerArns=[balancer["LoadBalancerArn"]], AcceptanceRequired=False
        )["ServiceConfiguration"]
        endpoint = self.ec2.create_vpc_endpoint(
            VpcEndpointType="Interface",
            VpcId=vpc_id,
            ServiceName=service["ServiceName"],
            SubnetIds=subnet_ids,
            SecurityGroupIds=group_ids,
            PrivateDnsEnabled=False,
        )["VpcEndpoint"]
        return {
            "load_balancer_arn": balancer["LoadBalancerArn"],
            "target_group_arn": target_group["TargetGroupArn"],
            "endpoint_service_id": service["ServiceId"],
            "vpc_endpoint_id": endpoint["VpcEndpointId"],
            "endpoint_dns": (endpoint.get("DnsEntries") or [{}])[0].get("DnsName", ""),
        }

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
