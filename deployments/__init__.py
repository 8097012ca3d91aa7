"""Model catalog, deployments and providers, provisioning tasks and the inference gateway (issue 8)."""
