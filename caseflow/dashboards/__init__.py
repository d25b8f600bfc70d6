"""Dashboards per role."""
