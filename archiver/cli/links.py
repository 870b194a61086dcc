"""``archiver links`` (placeholder until the harvester lands)."""
