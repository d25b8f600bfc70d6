"""Administration: organisations and letterheads, programs, users, and the record of those changes."""
