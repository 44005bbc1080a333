"""The `local` cluster driver: Docker swarm-mode clusters of namespaced dockerds on this host."""
