"""Rendering of records into Magnum's wire shapes (one module per resource)."""
