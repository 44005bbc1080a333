#!/bin/sh
# Swarm @COE_VERSION@ agent of nodegroup @NODEGROUP@ on Fedora Atomic, joining @MASTER_ADDRESS@.
# With a bundle its engine verifies clients against the cluster CA (tls_servers.py).
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/sysconfig/docker-storage-setup
tls="$(cat /etc/dockyard/tls/docker.flags 2>/dev/null || true)"
# The nodegroup's node labels (k=v,k=v) as engine labels, so services can be placed on it.
labels=""
for label in $(echo "@NODE_LABELS@" | tr ',' ' '); do labels="$labels --label=$label"; done
echo "OPTIONS='-H tcp://0.0.0.0:@API_PORT@ -H unix:///var/run/docker.sock $tls $labels'" \
  > /etc/sysconfig/docker-tls
mkdir -p /etc/swarm
cat > /etc/swarm/agent.env <<CONF
SWARM_DISCOVERY=etcd://@ETCD_SERVER@/v2/keys/swarm
SWARM_MANAGER=@MASTER_ADDRESS@:@API_PORT@
TLS_DISABLED=@TLS_DISABLED@
CONF
systemctl enable --now docker swarm-agent || true
systemctl restart docker swarm-agent || true
if [ -x /etc/dockyard/signal ]; then /etc/dockyard/signal SUCCESS "swarm agent configured"; fi
