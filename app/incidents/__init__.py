"""Incidents: the workflow of statuses, the service that records them, and the assembled timeline."""
