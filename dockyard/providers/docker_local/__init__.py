"""Docker Engine "nodes" on this machine: one network namespace and one dockerd per node.

Modules, one job each:

* `commands`  running ip/iptables and friends, with errors that say what failed
* `network`   the address pool's blackhole route, per-cluster bridges, host firewall rules,
  node namespaces and veths, and the route check made before connecting to a node address
* `cgroups`   the cgroup subtree of each node: what runs there, killing it, removing it
* `procs`     starting processes in their own session, and their identity (PID + start time)
  so only processes we started are signalled
* `daemon`    launching a node's dockerd (node_exec.sh wrapper, socket activation on loopback)
* `image`     the deterministic busybox base image, built in Python as a docker-save archive
* `volumes`   a node's data-root volume: sparse ext4 image, loop-mounted inside the node
* `swarm`     swarm-mode calls through the docker SDK
* `registry`  a cluster's image registry (docker-registry) in a namespace of its own
* `host`      what this machine must have to run any of it
* `host_engine`  a standalone container host: one dockerd in a namespace with no uplink
* `volume_users` which containers of an engine use which volumes of a volume plugin
"""
