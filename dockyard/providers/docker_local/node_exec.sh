#!/bin/bash
# Dockyard local node wrapper, run as
#   ip netns exec NETNS unshare --uts bash node_exec.sh dockerd ARGS...
# It prepares the node's private mount and UTS namespaces, then execs dockerd. Every step of
# the chain execs, so dockerd keeps the PID the driver recorded when it started the chain.
#
# Environment (set by dockyard.providers.docker_local.daemon):
#   NODE_CGROUP_MOUNTS  lines "fstype source options target" of the host's cgroup mounts
#   NODE_CGROUP         the node's cgroup path; dockerd joins NODE_CGROUP/daemon
#   NODE_ETC_DOCKER     directory bound over /etc/docker (own key.json and daemon.json)
#   NODE_PLUGINS        directory bound over /run/docker/plugins (no host plugin sockets)
#   NODE_RESOLV         file bound over /etc/resolv.conf (no reachable DNS server)
#   NODE_HOSTNAME       the node's hostname, as swarm shows it
#   NODE_VOLUME         an ext4 image to loop-mount on NODE_DATA_ROOT (docker_volume_size);
#                       the loop device autoclears when this mount namespace goes away
#   NODE_LISTEN_FD      a listening socket to hand to dockerd as fd 3 (`-H fd://`)
set -euo pipefail

# `ip netns exec` remounts /sys, which hides the cgroup hierarchies: mount them again. A v1
# controller mounted again attaches to the same hierarchy as on the host.
if [ -n "${NODE_CGROUP_MOUNTS:-}" ] && [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
  while read -r fstype source options target; do
    [ -n "$fstype" ] || continue
    mkdir -p "$target"
    mount -t "$fstype" -o "${options:-rw}" "$source" "$target"
  done <<<"$NODE_CGROUP_MOUNTS"
fi

if [ -n "${NODE_CGROUP:-}" ]; then
  while read -r fstype source options target; do
    case "$fstype" in cgroup | cgroup2) ;; *) continue ;; esac
    leaf="$target/$NODE_CGROUP/daemon"
    if [ -d "$leaf" ]; then echo $$ >"$leaf/cgroup.procs"; fi
  done <<<"$NODE_CGROUP_MOUNTS"
fi

if [ -n "${NODE_VOLUME:-}" ]; then
  mkdir -p "$NODE_DATA_ROOT"
  mount -t ext4 -o loop,noatime "$NODE_VOLUME" "$NODE_DATA_ROOT"
fi
if [ -n "${NODE_ETC_DOCKER:-}" ]; then
  mkdir -p /etc/docker
  mount --bind "$NODE_ETC_DOCKER" /etc/docker
fi
if [ -n "${NODE_PLUGINS:-}" ]; then
  # dockerd creates this directory anyway; bound over, it shows the node only its own plugins
  # and keeps the node's plugin sockets away from any other engine on the host.
  mkdir -p /run/docker/plugins
  mount --bind "$NODE_PLUGINS" /run/docker/plugins
fi
if [ -n "${NODE_RESOLV:-}" ]; then
  mount --bind "$NODE_RESOLV" /etc/resolv.conf
fi
if [ -n "${NODE_HOSTNAME:-}" ]; then
  hostname "$NODE_HOSTNAME"
fi

if [ -n "${NODE_LISTEN_FD:-}" ]; then
  if [ "$NODE_LISTEN_FD" != 3 ]; then
    eval "exec 3<&$NODE_LISTEN_FD $NODE_LISTEN_FD<&-"
  fi
  # systemd socket activation: dockerd serves fd 3 when LISTEN_PID is its own PID.
  export LISTEN_FDS=1 LISTEN_PID=$$
fi

unset NODE_CGROUP_MOUNTS NODE_CGROUP NODE_ETC_DOCKER NODE_PLUGINS NODE_RESOLV NODE_HOSTNAME \
  NODE_LISTEN_FD NODE_VOLUME NODE_DATA_ROOT
exec "$@"
