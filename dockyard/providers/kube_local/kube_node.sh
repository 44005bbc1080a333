#!/bin/bash
# Dockyard Kubernetes node supervisor: PID 1 of the node's own PID namespace, run as
#   ip netns exec NETNS unshare --pid --fork --kill-child=SIGTERM --mount-proc --uts \
#     --propagation slave bash node_exec.sh bash kube_node.sh
# node_exec.sh (the Swarm nodes' wrapper) has already remounted the cgroup hierarchies, joined
# the node's cgroup, bound /etc/docker, /etc/resolv.conf and set the hostname.
#
# It confines what kubelet and kube-proxy would change on the host (see the comments below),
# then starts the components whose command lines dockyard.drivers.k8s_local.node_config wrote
# to $KUBE_DIR/run/NN-name.args (one argument per line), in name order, and restarts any that
# exits. SIGTERM stops them all; when this process exits, the kernel kills whatever is left
# in the PID namespace, containers included.
#
# Environment (set by dockyard.providers.kube_local.node):
#   KUBE_DIR      the node's directory (configuration, certificates, data, logs)
#   KUBE_RUN      the node's runtime directory (docker socket, exec-root, CNI state)
#   KUBE_CGROUP   the node's cgroup path; pods and containers go below it
#   KUBE_IMAGES   archives (docker save format) loaded into the node's dockerd before kubelet
#   KUBE_DOCKER   the docker CLI
#   KUBE_SETUP    optional: a command run (in the background, logged to logs/setup.log) once
#                 the node is confined, before the run/*.args start; the Heat drivers' tests
#                 run a server's fragment this way (it may start components itself)
set -uo pipefail

log() { printf '%s kube_node: %s\n' "$(date -u +%FT%T)" "$*"; }

# Slave: the host's later mounts (Dockyard volumes for pods, see flexvolume.py) reach the
# node, and the node's own mounts below stay in it.
mount --make-rslave /
mkdir -p "$KUBE_DIR"/{log,varlib-upper,varlib-work,sysctl,logs} "$KUBE_RUN"/containerd

# kubelet writes /var/log/pods and /var/log/containers, /var/lib/kubelet/device-plugins and
# /var/lib/cni: give it private copies instead of the host's.
mount --bind "$KUBE_DIR/log" /var/log
mount -t overlay overlay \
  -o "lowerdir=/var/lib,upperdir=$KUBE_DIR/varlib-upper,workdir=$KUBE_DIR/varlib-work" /var/lib
mkdir -p /run/containerd
mount --bind "$KUBE_RUN/containerd" /run/containerd

# kubelet sets vm.overcommit_memory, kernel.panic and kernel.panic_on_oops, which are not
# per-namespace: show it private files holding the values it wants instead.
for entry in vm/overcommit_memory:1 kernel/panic:10 kernel/panic_on_oops:1; do
  name="${entry%%:*}"
  file="$KUBE_DIR/sysctl/${name//\//_}"
  echo "${entry##*:}" >"$file"
  mount --bind "$file" "/proc/sys/$name"
done

# The kubelet's cgroup root in every hierarchy, IP forwarding: shared with the Heat servers.
# shellcheck source=node_prep.sh
. "$KUBE_DIR/node-prep.sh"

# Keep one component running: restart it (after a pause) whenever it exits.
keep() {
  local name="$1"
  shift
  while :; do
    "$@" >>"$KUBE_DIR/logs/$name.log" 2>&1
    log "$name exited with status $?; restarting in 2s" >>"$KUBE_DIR/logs/$name.log"
    sleep 2
  done
}

docker_ready() {
  local i
  for i in $(seq 1 600); do
    "$KUBE_DOCKER" -H "unix://$KUBE_RUN/docker.sock" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

load_images() {
  local archive
  for archive in $KUBE_IMAGES; do
    "$KUBE_DOCKER" -H "unix://$KUBE_RUN/docker.sock" load -q -i "$archive" >/dev/null ||
      log "could not load $archive"
  done
}

stop_all() {
  log "stopping"
  kill -TERM -1 2>/dev/null
  local i
  for i in $(seq 1 50); do
    [ -z "$(jobs -pr)" ] && break
    sleep 0.1
  done
  log "stopped"
  exit 0
}
trap stop_all TERM INT

log "node $(hostname) starting"
if [ -n "${KUBE_SETUP:-}" ]; then
  bash -c "$KUBE_SETUP" >>"$KUBE_DIR/logs/setup.log" 2>&1 &
  log "setup started"
fi
for args in "$KUBE_DIR"/run/*.args; do
  [ -e "$args" ] || continue
  name="$(basename "$args" .args)"
  name="${name#*-}"
  mapfile -t argv <"$args"
  keep "$name" "${argv[@]}" &
  log "started $name"
  if [ "$name" = dockerd ]; then
    if docker_ready; then load_images; else log "dockerd did not answer"; fi
    log "images loaded"
  fi
done
log "all components started"
while :; do
  wait
  sleep 1
done
