#!/bin/sh
# Mesos @COE_VERSION@ master on Ubuntu: ZooKeeper, mesos-master, Marathon (@API_PORT@).
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
echo "@ETCD_SERVER@" > /dev/null  # Mesos uses ZooKeeper, not etcd
echo "zk://@MASTER_ADDRESS@:2181/mesos" > /etc/mesos/zk
echo "@TLS_DISABLED@ @DOCKER_STORAGE_DRIVER@" > /etc/mesos/dockyard-settings
service zookeeper restart || true
service mesos-master restart || true
service marathon restart || true
