#!/bin/sh
# Mesos @COE_VERSION@ master on Ubuntu: ZooKeeper, mesos-master, Marathon (@API_PORT@).
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
# With a bundle (dockyard/drivers/heat/tls_servers.py) libprocess speaks TLS and requires
# a peer certificate of the cluster CA: one of a rotated-out CA is refused.
if [ -s /etc/dockyard/tls/libprocess.env ]; then cp /etc/dockyard/tls/libprocess.env /etc/default/mesos-tls; fi
echo "@ETCD_SERVER@" > /dev/null  # Mesos uses ZooKeeper, not etcd
echo "zk://@MASTER_ADDRESS@:2181/mesos" > /etc/mesos/zk
echo "@TLS_DISABLED@ @DOCKER_STORAGE_DRIVER@" > /etc/mesos/dockyard-settings
service zookeeper restart || true
service mesos-master restart || true
service marathon restart || true
if [ -x /etc/dockyard/signal ]; then /etc/dockyard/signal SUCCESS "mesos master configured"; fi
