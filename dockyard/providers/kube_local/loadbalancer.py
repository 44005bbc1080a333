"""A local Kubernetes cluster's API endpoint: haproxy in a namespace of its own.

It plays the part of Magnum's API load balancer. It listens on two addresses:

* 127.0.0.1:<port> on the host, for users: the socket is made in the host's namespace and
  handed to haproxy (`bind fd@N`), so nothing listens on any other host address;
* <lb address>:6443 on the cluster bridge, for the nodes' kubelets and kube-proxies.

Both forward TCP (TLS stays end to end) to whichever masters pass haproxy's health check, so
the API keeps answering while one master of three is down: a connection that a dead master
refuses is redispatched to another before the health check has noticed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dockyard.providers.commands import which
from dockyard.providers.docker_local import daemon
from dockyard.providers.docker_local.procs import ProcessRef, log_tail, spawn

API_PORT = 6443


class LoadBalancerError(RuntimeError):
    """haproxy did not start."""


@dataclass(frozen=True, slots=True)
class LoadBalancerConfig:
    netns: str
    address: str  # on the cluster bridge
    masters: tuple[tuple[str, str], ...]  # (name, address)
    directory: str
    haproxy: str = "haproxy"

    @property
    def config_file(self) -> str:
        return os.path.join(self.directory, "haproxy.cfg")

    @property
    def log_file(self) -> str:
        return os.path.join(self.directory, "haproxy.log")


def render(cfg: LoadBalancerConfig, loopback_fd: int) -> str:
    """haproxy.cfg for `cfg`, serving the host socket `loopback_fd` too."""
    servers = "\n".join(
        f"  server {name} {address}:{API_PORT} check" for name, address in cfg.masters
    )
    return f"""# Written by Dockyard: the API endpoint of one local Kubernetes cluster.
global
  log stdout format raw local0 notice
  maxconn 512

defaults
  mode tcp
  log global
  # A master that refuses the connection (its processes are gone, its address stays) is
  # left for another at once, before the health check has marked it down.
  retries 3
  option redispatch 1
  timeout connect 3s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h

frontend kube-apiserver
  bind fd@{loopback_fd}
  bind {cfg.address}:{API_PORT}
  default_backend masters

backend masters
  default-server inter 1s fall 2 rise 1
{servers}
"""


def start(cfg: LoadBalancerConfig, port: int) -> tuple[ProcessRef, int]:
    """Start haproxy; returns its identity and the loopback port (`port`, or a free one when
    `port` is 0 or taken by something else)."""
    os.makedirs(cfg.directory, mode=0o700, exist_ok=True)
    try:
        sock = daemon.listener(port)
    except OSError:
        sock = daemon.listener(0)
    try:
        fd = sock.fileno()
        with open(cfg.config_file, "w", encoding="utf-8") as handle:
            handle.write(render(cfg, fd))
        argv = [
            which("ip") or "ip", "netns", "exec", cfg.netns,
            which(cfg.haproxy) or cfg.haproxy, "-db", "-f", cfg.config_file,
        ]  # fmt: skip
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        ref = spawn(argv, cfg.log_file, env, cfg.directory, (fd,))
        bound = int(sock.getsockname()[1])
    finally:
        sock.close()  # haproxy holds its own copy
    if ref is None:
        raise LoadBalancerError(f"haproxy exited at once: {log_tail(cfg.log_file)}")
    return ref, bound
