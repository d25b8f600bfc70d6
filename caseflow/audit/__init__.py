"""Access records: who saw which case's My Number, when and from where; hash-chained, append-only."""
