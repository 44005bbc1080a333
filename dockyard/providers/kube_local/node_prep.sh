# Dockyard Kubernetes node preparation, sourced (as root, before any component starts) by
# kube_node.sh on local nodes and by the Heat drivers' kubernetes-node.sh on servers: the
# same file on both, shipped in the node's files (dockyard.drivers.kube_node.config).
# Needs KUBE_CGROUP: the node's cgroup path (kubelet.yaml cgroupRoot is /<KUBE_CGROUP>/pods).

# kubelet refuses to start until its cgroup root exists in every hierarchy (v1 and v2); a v1
# cpuset group needs cpus and mems before it can hold a task.
for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  [ -e "$hierarchy/cgroup.procs" ] || continue
  path="${hierarchy%/}"
  for part in ${KUBE_CGROUP//\// } pods; do
    parent="$path"
    path="$path/$part"
    mkdir -p "$path"
    if [ -e "$path/cpuset.cpus" ] && [ -z "$(cat "$path/cpuset.cpus")" ]; then
      cat "$parent/cpuset.cpus" >"$path/cpuset.cpus"
      cat "$parent/cpuset.mems" >"$path/cpuset.mems"
    fi
  done
done

# Pods' traffic is routed by the node (per network namespace on local nodes).
echo 1 >/proc/sys/net/ipv4/ip_forward
if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
fi
