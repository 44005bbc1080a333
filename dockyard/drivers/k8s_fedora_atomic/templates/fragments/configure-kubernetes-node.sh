#!/bin/sh
# Kubernetes @KUBE_TAG@ node on Fedora Atomic: kubelet and kube-proxy.
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
mkdir -p /etc/kubernetes
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/sysconfig/docker-storage-setup
cat > /etc/kubernetes/kubelet <<CONF
KUBELET_API_SERVER="--api-servers=https://@MASTER_ADDRESS@:@API_PORT@"
TLS_DISABLED="@TLS_DISABLED@"
CONF
for unit in kubelet kube-proxy; do
  atomic install --system --name="$unit" "docker.io/openstackmagnum/$unit:@KUBE_TAG@" || true
  systemctl enable --now "$unit" || true
done
