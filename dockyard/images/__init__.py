"""Dockyard's own image catalog for standalone mode (a cloud uses Glance instead)."""
