#!/bin/sh
# Swarm @COE_VERSION@ manager on Fedora Atomic: etcd discovery, strategy @SWARM_STRATEGY@.
# With a bundle (dockyard/drivers/heat/tls_servers.py) the engine and the manager verify
# clients against the cluster CA (--tlsverify): a certificate of a rotated-out CA is refused.
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/sysconfig/docker-storage-setup
tls="$(cat /etc/dockyard/tls/docker.flags 2>/dev/null || true)"
echo "OPTIONS='-H tcp://0.0.0.0:@API_PORT@ -H unix:///var/run/docker.sock $tls'" > /etc/sysconfig/docker-tls
mkdir -p /etc/swarm
cat > /etc/swarm/manager.env <<CONF
SWARM_DISCOVERY=etcd://@ETCD_SERVER@/v2/keys/swarm
SWARM_STRATEGY=@SWARM_STRATEGY@
SWARM_API_PORT=@API_PORT@
TLS_DISABLED=@TLS_DISABLED@
SWARM_TLS_OPTIONS=$tls
CONF
systemctl enable --now etcd docker swarm-manager || true
systemctl restart docker swarm-manager || true
if [ -x /etc/dockyard/signal ]; then /etc/dockyard/signal SUCCESS "swarm manager configured"; fi
