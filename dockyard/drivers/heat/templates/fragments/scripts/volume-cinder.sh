#!/bin/sh
# volume_driver cinder: kubelet and the API server use the OpenStack cloud provider.
set -eu
mkdir -p /etc/kubernetes
cat > /etc/kubernetes/cloud-config <<CONF
[Global]
auth-url=@AUTH_URL@
region=@REGION@
CONF
