"""Deployments REST API: create, list, get, stop (`deployments.py`) and text generation (`generate.py`)."""
