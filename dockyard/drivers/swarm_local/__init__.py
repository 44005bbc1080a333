"""The `local` cluster driver: Docker swarm-mode clusters of namespaced dockerds on this host.

`driver.LocalDriver` checks the host and hands each call to the module that does it (the calls
both local drivers make alike are in `dockyard.drivers.swarm_local.driver_base.LocalDriverBase`):

* `provisioning`     create (or finish creating) a cluster: state, network, registry, nodes, swarm
* `resize`           add workers, or drain and remove the ones `scaling` chooses
* `removal`          delete a cluster; sweep an orphan the database no longer knows
* `recovery`         at conductor start: restart dead nodes, sweep orphans (with `removal`)
* `cert_rollout`     CA rotation and node certificate renewal, nodes restarted in waves
* `upgrade`          another template's node settings, by rolling, drained restarts
* `health`           the health of a settled cluster
* `healing`          down nodes restarted, workers replaced (healing_loop's loop)
* `volume_plugin`    Dockyard's volume plugin on rexray clusters: socket dirs, loading it
* `checks`           what is refused before anything is touched (host, create, upgrade)

What they share:

* `parts`            `DriverParts`: settings, state store, node manager and swarm calls
* `results`          cluster facts and COMPLETE results for the conductor
* `layout`           a cluster's state, the names and paths derived from it, the state store
* `nodes`            node lifecycle: network, certificates, dockerd, teardown
* `cluster_swarm`    swarm-mode calls: a manager client, init and joins, readiness, leader
* `cluster_registry` the cluster registry (registry_enabled) and the nodes' trust in it
* `engine`           the nodes' daemon.json, storage driver and volume size, from the template
* `tls`              node and registry certificates, issued from the cluster CA
* `rolling`          the order of rolling restarts; `scaling` which workers go in a shrink
* `settings`         `LocalSettings`; `options` reads them from `[local_driver]`
"""
