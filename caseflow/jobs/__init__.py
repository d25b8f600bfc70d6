"""Background jobs: long work (imports, print runs) run by a worker, with a progress page."""
