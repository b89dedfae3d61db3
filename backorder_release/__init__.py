"""backorder-release: release stock committed to backordered order lines.

With the setting ``inventory.release_backorder_commitments`` on, a line's
unshipped commitment is released the moment it becomes a backorder, so newly
received units are sellable at once.  Two commands clean up the historical
backlog once: a read-only audit and a dry-run-first, idempotent release.
"""
