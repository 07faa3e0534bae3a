"""Serving the hub past one process: replicas behind HAProxy (deploy/replicas.py)."""
