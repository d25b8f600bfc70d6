"""Manual intake: cases opened by hand (one at a time, or a list at once) for errors found outside an inspection."""
