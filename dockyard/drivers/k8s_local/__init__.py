"""The `k8s_local` cluster driver: Kubernetes 1.20 clusters of namespaced nodes on this host.

The Kubernetes counterpart of `swarm_local`, whose network, cgroup, state-file and teardown
machinery it shares (one state_dir and one address pool for both). `driver.LocalKubernetesDriver`
checks the host and hands each call to the module that does it (the calls both local drivers
make alike are in `dockyard.drivers.swarm_local.driver_base.LocalDriverBase`):

* `provisioning`  create (or finish creating): state, network, load balancer, nodes, Ready
* `resize`        add workers, or cordon, drain and remove the ones the heuristic chooses
* `removal`       delete a cluster (the load balancer's namespace, then swarm_local's teardown)
* `recovery`      at conductor start: restart dead nodes and load balancers, sweep orphans
* `cert_rollout`  CA rotation: every node's certificates re-issued, nodes restarted
* `healing`       down nodes restarted, workers replaced (healing_loop's loop)
* `volumes`       the volume plugin's socket of each node, for the `dockyard/volume`
  FlexVolume driver every node has (Dockyard volumes for pods)
* `health`        node conditions and API readiness of a settled cluster
* `checks`        what is refused before anything is touched

What they share:

* `layout`        `KubeState` (swarm_local's state plus the load balancer and networks)
* `nodes`         `KubeNodes`: node files from `dockyard.drivers.kube_node`, supervisors,
  routes between the nodes' pod subnets, the load balancer, API access
* `settings`      `KubeSettings`; `options` reads them from `[local_driver]` and
  `[local_kubernetes]`
"""
