#!/bin/sh
# Swarm @COE_VERSION@ agent on Fedora Atomic, joining the manager at @MASTER_ADDRESS@.
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/sysconfig/docker-storage-setup
mkdir -p /etc/swarm
cat > /etc/swarm/agent.env <<CONF
SWARM_DISCOVERY=etcd://@ETCD_SERVER@/v2/keys/swarm
SWARM_MANAGER=@MASTER_ADDRESS@:@API_PORT@
TLS_DISABLED=@TLS_DISABLED@
CONF
systemctl enable --now docker swarm-agent || true
