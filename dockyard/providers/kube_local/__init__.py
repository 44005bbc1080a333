"""Kubernetes nodes on this machine, from Debian's Kubernetes 1.20 sources.

Each node is a network namespace on its cluster's bridge (as the Swarm nodes are, see
dockyard.providers.docker_local) plus a PID and mount namespace of its own, whose first
process is `kube_node.sh`: it confines the kubelet and starts the node's components.

Modules, one job each:

* `binaries`      where the built Kubernetes binaries, etcd, the CNI plugins and haproxy are,
  and what is missing on this host
* `node`          launching a node's supervisor in its namespaces, and its identity
* `images`        the pause image, built in Python as a deterministic `docker save` archive
* `loadbalancer`  the cluster's API endpoint: haproxy in a namespace of its own, serving the
  masters on one loopback port and on the cluster bridge
* `api`           the Kubernetes API calls the driver makes (nodes, drain, pods)
"""
