"""Lifecycle hook implementations: release at the moment a line becomes a backorder."""
