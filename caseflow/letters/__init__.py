"""Notification letters to residents: rendering to PDF, checks before printing, print runs."""
