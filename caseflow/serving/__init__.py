"""Serving CaseFlow in production: gunicorn behind a reverse proxy (`caseflow serve`, deploy/)."""
