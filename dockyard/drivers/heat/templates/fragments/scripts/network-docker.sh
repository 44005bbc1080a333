#!/bin/sh
# network_driver docker: Docker's own (libnetwork) networking; its key-value store is etcd.
set -eu
mkdir -p /etc/docker
echo '{"cluster-store": "etcd://@ETCD_SERVER@"}' > /etc/docker/network-driver.json
