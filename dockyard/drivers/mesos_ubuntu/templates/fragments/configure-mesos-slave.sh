#!/bin/sh
# Mesos @COE_VERSION@ slave of nodegroup @NODEGROUP@ on Ubuntu, registered with the master at @MASTER_ADDRESS@.
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
# With a bundle (dockyard/drivers/heat/tls_servers.py) libprocess speaks TLS and requires
# a peer certificate of the cluster CA: one of a rotated-out CA is refused.
if [ -s /etc/dockyard/tls/libprocess.env ]; then cp /etc/dockyard/tls/libprocess.env /etc/default/mesos-tls; fi
echo "zk://@MASTER_ADDRESS@:2181/mesos" > /etc/mesos/zk
mkdir -p /etc/mesos-slave
echo "docker,mesos" > /etc/mesos-slave/containerizers
# The nodegroup's node labels (k=v,k=v) as agent attributes (k:v;k:v).
echo "@NODE_LABELS@" | tr ',=' ';:' > /etc/mesos-slave/attributes
[ -n "@MESOS_SLAVE_ISOLATION@" ] && echo "@MESOS_SLAVE_ISOLATION@" > /etc/mesos-slave/isolation
[ -n "@MESOS_SLAVE_IMAGE_PROVIDERS@" ] && echo "@MESOS_SLAVE_IMAGE_PROVIDERS@" > /etc/mesos-slave/image_providers
[ -n "@MESOS_SLAVE_WORK_DIR@" ] && echo "@MESOS_SLAVE_WORK_DIR@" > /etc/mesos-slave/work_dir
[ -n "@MESOS_SLAVE_EXECUTOR_ENV_VARIABLES@" ] && echo "file://@MESOS_SLAVE_EXECUTOR_ENV_VARIABLES@" > /etc/mesos-slave/executor_environment_variables
echo "@ETCD_SERVER@ @API_PORT@ @TLS_DISABLED@ @DOCKER_STORAGE_DRIVER@" > /etc/mesos-slave/dockyard-settings
service mesos-slave restart || true
if [ -x /etc/dockyard/signal ]; then /etc/dockyard/signal SUCCESS "mesos slave configured"; fi
