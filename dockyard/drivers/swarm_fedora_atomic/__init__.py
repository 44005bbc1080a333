"""The `swarm_fedora_atomic` Heat driver: Docker Swarm on Fedora Atomic."""
