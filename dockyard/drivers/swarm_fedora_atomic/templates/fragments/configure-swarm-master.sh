#!/bin/sh
# Swarm @COE_VERSION@ manager on Fedora Atomic: etcd discovery, strategy @SWARM_STRATEGY@.
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/sysconfig/docker-storage-setup
mkdir -p /etc/swarm
cat > /etc/swarm/manager.env <<CONF
SWARM_DISCOVERY=etcd://@ETCD_SERVER@/v2/keys/swarm
SWARM_STRATEGY=@SWARM_STRATEGY@
SWARM_API_PORT=@API_PORT@
TLS_DISABLED=@TLS_DISABLED@
CONF
systemctl enable --now etcd docker swarm-manager || true
