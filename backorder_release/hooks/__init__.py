"""Hook implementations: release new backorders, warn about the old ones."""
