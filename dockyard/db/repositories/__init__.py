"""Repositories: every query Dockyard makes, one module per table family."""
