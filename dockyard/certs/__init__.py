"""Cluster certificates: pure X.509 operations (x509.py) and where they are kept."""
