"""The `k8s_coreos` Heat driver: Kubernetes on CoreOS."""
