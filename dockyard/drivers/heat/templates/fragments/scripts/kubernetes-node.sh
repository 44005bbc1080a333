#!/bin/bash
# Kubernetes @KUBE_TAG@ @ROLE@ from Dockyard's bundle (dockyard/drivers/heat/kubernetes.py):
# the same files and command lines as a local Kubernetes node (dockyard.drivers.kube_node),
# rendered by the driver with certificates from the cluster's CAs and written by
# write-bundle.sh before this part runs.
#
# 1. unpack the bundle (/etc/kubernetes: pki, kubeconfigs, kubelet and CNI configuration,
#    run/NN-name.args: each component's command line, one argument a line; node.env);
# 2. one systemd unit per command line, started in order (restarted when already running,
#    so a rebuilt or re-run server takes new certificates);
# 3. poll the API with the node's own kubeconfig identity until the node is Ready, then
#    signal the server's wait condition SUCCESS (FAILURE when it is not Ready in time).
#
# Overridable for tests (the defaults are a VM's): DOCKYARD_DIR (bundle and wait
# condition), SYSTEMD_UNIT_DIR, READY_TIMEOUT (seconds).
set -euo pipefail
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
DOCKYARD_DIR="${DOCKYARD_DIR:-/etc/dockyard}"
UNIT_DIR="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
READY_TIMEOUT="${READY_TIMEOUT:-1800}"

log() { printf '%s kubernetes-node: %s\n' "$(date -u +%FT%T)" "$*"; }

# Heat's curl_cli (a shell-quoted curl command) with the signal's JSON body.
signal() {
  local status="$1" reason="$2" command
  command="$(cat "$DOCKYARD_DIR/wait-condition")"
  eval "set -- $command"
  "$@" --silent --show-error --output /dev/null --fail --data-binary \
    "{\"status\": \"$status\", \"reason\": \"$reason\", \"id\": \"${NODE_NAME:-$(hostname)}\"}"
  log "wait condition signalled $status: $reason"
}

fail() {
  log "$1"
  signal FAILURE "$1" || true
  exit 1
}
trap 'fail "configuration failed at line $LINENO"' ERR

[ -s "$DOCKYARD_DIR/node-bundle" ] || fail "no bundle in $DOCKYARD_DIR/node-bundle"
umask 077
base64 -d <"$DOCKYARD_DIR/node-bundle" | tar -xzf - -C / --no-same-owner
bundle_env="$(base64 -d <"$DOCKYARD_DIR/node-bundle" | tar -tzf - | grep '/node\.env$')"
# shellcheck disable=SC1090
. "/$bundle_env"
log "bundle of $NODE_ROLE $NODE_NAME ($NODE_ADDRESS) unpacked in $KUBE_CONFIG_DIR"

# etcd on its own Cinder volume when the cluster has one (etcd_volume_size, /dev/vdc).
if [ "$NODE_ROLE" = master ] && [ -b /dev/vdc ]; then
  mkdir -p "$KUBE_DATA_DIR/etcd"
  blkid /dev/vdc >/dev/null 2>&1 || mkfs.ext4 -q /dev/vdc
  mountpoint -q "$KUBE_DATA_DIR/etcd" || mount /dev/vdc "$KUBE_DATA_DIR/etcd"
fi

# The kubelet's cgroup root in every hierarchy, IP forwarding (the local nodes' file).
# shellcheck disable=SC1091
. "$KUBE_CONFIG_DIR/node-prep.sh"

# One unit per command line. ExecStart quotes every argument; the renderer's arguments never
# hold "$" or "%" (systemd would expand them), which is checked here.
mkdir -p "$UNIT_DIR" "$KUBE_DATA_DIR" "$KUBE_RUN_DIR"
units=()
previous=""
for args in "$KUBE_CONFIG_DIR"/run/*.args; do
  name="$(basename "$args" .args)"
  unit="dockyard-${name#*-}.service"
  exec_start=""
  while IFS= read -r arg; do
    case "$arg" in *'$'* | *'%'*) fail "argument of $name holds \$ or %: $arg" ;; esac
    arg="${arg//\\/\\\\}"
    exec_start+=" \"${arg//\"/\\\"}\""
  done <"$args"
  cat >"$UNIT_DIR/$unit.tmp" <<UNIT
# Written by Dockyard's kubernetes-node.sh from $args.
[Unit]
Description=Kubernetes ${name#*-} (Dockyard)
${previous:+After=$previous}

[Service]
ExecStart=${exec_start# }
Restart=always
RestartSec=2
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
UNIT
  mv "$UNIT_DIR/$unit.tmp" "$UNIT_DIR/$unit"
  units+=("$unit")
  previous="$unit"
done
# Units of an earlier bundle that this one no longer has.
for old in "$UNIT_DIR"/dockyard-*.service; do
  [ -e "$old" ] || continue
  case " ${units[*]} " in *" $(basename "$old") "*) continue ;; esac
  systemctl disable --now "$(basename "$old")" || true
  rm -f "$old"
done
systemctl daemon-reload
started_at="$(date -u +%FT%TZ)"
for unit in "${units[@]}"; do
  systemctl enable "$unit"
  systemctl restart "$unit"
  log "started $unit"
done

# Ready: the node's own identity (system:node:<name>) may read its Node object; its Ready
# condition must be True and reported by a kubelet heartbeat since the units (re)started
# (a re-run with new certificates must not take the Ready of the kubelet before it).
ready() {
  local heartbeat
  heartbeat="$(curl --silent --fail --max-time 10 --noproxy '*' \
    --cacert "$KUBE_CONFIG_DIR/pki/ca.crt" \
    --cert "$KUBE_CONFIG_DIR/pki/kubelet-client.crt" \
    --key "$KUBE_CONFIG_DIR/pki/kubelet-client.key" \
    "$KUBE_API/api/v1/nodes/$NODE_NAME" | tr -d ' \n' |
    grep -o '"type":"Ready","status":"True","lastHeartbeatTime":"[^"]*"' | cut -d'"' -f12)" ||
    return 1
  [ -n "$heartbeat" ] && ! [[ "$heartbeat" < "$started_at" ]]
}
trap - ERR
deadline=$((SECONDS + READY_TIMEOUT))
until ready; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "node $NODE_NAME not Ready within ${READY_TIMEOUT}s"
  fi
  sleep 2
done
log "node $NODE_NAME is Ready"
signal SUCCESS "node $NODE_NAME Ready"
