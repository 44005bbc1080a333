#!/bin/sh
# network_driver calico: calico-node on every server, pods from @POD_CIDR@.
set -eu
mkdir -p /etc/calico
cat > /etc/calico/calico.env <<CONF
ETCD_ENDPOINTS=@ETCD_SERVER@
CALICO_IPV4POOL_CIDR=@POD_CIDR@
CONF
