"""Dockyard: container infrastructure management, wire-compatible with OpenStack Magnum v1."""

__version__ = "0.1.0"
