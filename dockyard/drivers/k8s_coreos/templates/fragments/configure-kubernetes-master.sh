#!/bin/sh
# Kubernetes @KUBE_TAG@ control plane on CoreOS (hyperkube static pods).
set -eu
export HTTP_PROXY="@HTTP_PROXY@" HTTPS_PROXY="@HTTPS_PROXY@" NO_PROXY="@NO_PROXY@"
mkdir -p /etc/kubernetes /var/lib/etcd
echo "STORAGE_DRIVER=@DOCKER_STORAGE_DRIVER@" > /etc/coreos/docker-storage
cat > /etc/kubernetes/apiserver <<CONF
KUBE_API_ADDRESS="--bind-address=0.0.0.0 --secure-port=@API_PORT@"
KUBE_ETCD_SERVERS="--etcd-servers=@ETCD_SERVER@"
KUBE_ADMISSION_CONTROL="--admission-control=@ADMISSION_CONTROL_LIST@"
KUBE_SERVICE_ADDRESSES="--service-cluster-ip-range=10.254.0.0/16"
TLS_DISABLED="@TLS_DISABLED@"
CONF
for unit in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  mkdir -p /etc/kubernetes/manifests; echo "image: gcr.io/google_containers/hyperkube:@KUBE_TAG@" > "/etc/kubernetes/manifests/$unit.yaml"
  systemctl enable --now "$unit" || true
done
[ "@KUBE_DASHBOARD_ENABLED@" = "True" ] && echo "dashboard: enabled" >> /etc/kubernetes/addons
[ "@PROMETHEUS_MONITORING@" = "True" ] && echo "monitoring: @GRAFANA_ADMIN_PASSWD@" >> /etc/kubernetes/addons
echo "pods: @FLANNEL_NETWORK_CIDR@" >> /etc/kubernetes/addons
