"""One definition of a Kubernetes node: the files and command lines a node runs with.

`config` turns a cluster's shape (masters, networks, API endpoint) and one node into
certificates, kubeconfigs, the kubelet's configuration, the CNI configuration and each
component's command line. The local Kubernetes driver (dockyard.drivers.k8s_local) writes
them into a node namespace's directory; nothing in here knows how a node is started.
"""
