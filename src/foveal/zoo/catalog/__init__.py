"""Zoo entries, one module per task. Every module here is imported when the registry is first
used."""
