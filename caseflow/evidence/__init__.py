"""Evidence of how a person's identity was verified: scans and documents attached to a case."""
