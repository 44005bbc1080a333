#!/bin/sh
# network_driver flannel: the network range every flanneld takes its subnet from.
set -eu
mkdir -p /etc/sysconfig
cat > /etc/sysconfig/flannel-network.json <<JSON
{"Network": "@FLANNEL_NETWORK_CIDR@", "SubnetLen": @FLANNEL_NETWORK_SUBNETLEN@,
 "Backend": {"Type": "@FLANNEL_BACKEND@"}}
JSON
cat > /etc/sysconfig/flanneld <<CONF
FLANNEL_ETCD_ENDPOINTS="@ETCD_SERVER@"
FLANNEL_ETCD_PREFIX="/atomic.io/network"
CONF
systemctl enable --now flanneld || true
