"""The `k8s_fedora_atomic` Heat driver: Kubernetes on Fedora Atomic."""
