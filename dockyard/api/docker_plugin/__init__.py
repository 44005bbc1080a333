"""Dockyard's Docker volume plugin (`docker volume create -d dockyard`): legacy v1 protocol.

* `protocol`  one plugin call (JSON in, JSON out) mapped to `services.volume_plugin`
* `server`    `PluginSockets`: one unix socket per engine, resynced with the engines every
  second; recovery and reconciliation on start
"""
