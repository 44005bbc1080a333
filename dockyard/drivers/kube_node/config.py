"""The files and command lines of one Kubernetes 1.20 node (see the package docstring).

Every certificate is issued from the cluster's three CAs as Magnum makes them: the cluster CA
(API serving, every client: admin, kubelets, controllers, kube-proxy), the etcd CA (etcd
serving and peers, the API's etcd client) and the front-proxy CA (the aggregation layer).
A certificate already written by the same CA is kept (see `NodeFiles.reusable`), so a
restarted node keeps its identity and a rotated CA replaces everything.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from dockyard.certs.x509 import KeyPair, issue
from dockyard.providers.kube_local.node import PREP_SCRIPT, prep_script

API_PORT = 6443
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
KUBELET_PORT = 10250
CLUSTER_DOMAIN = "cluster.local"
PAUSE_IMAGE = "dockyard/pause:3.4"
MASTER = "master"
WORKER = "worker"
#: Labels on every node (set by the driver through the API: kubelets may not set
#: node-role labels themselves under NodeRestriction).
ROLE_LABEL = "magnum.openstack.org/role"
NODEGROUP_LABEL = "magnum.openstack.org/nodegroup"
MASTER_TAINT = "node-role.kubernetes.io/master=:NoSchedule"


@dataclass(frozen=True, slots=True)
class ClusterCAs:
    """The cluster's three CAs (certificate and key)."""

    ca: KeyPair
    etcd: KeyPair
    front_proxy: KeyPair


@dataclass(frozen=True, slots=True)
class Member:
    """One node as the others see it."""

    hostname: str
    address: str
    role: str
    pod_subnet: str


@dataclass(frozen=True, slots=True)
class ClusterShape:
    """What every node of a cluster shares."""

    uuid: str
    masters: tuple[Member, ...]
    #: Where nodes reach the API (the load balancer on the cluster network).
    api_host: str
    service_cidr: str
    pod_cidr: str
    #: The RSA key that signs service account tokens (PEM), the same on every master.
    service_account_key: bytes
    service_account_pub: bytes
    #: Extra SANs of the API certificate (the user's endpoint: 127.0.0.1, localhost).
    api_sans: tuple[str, ...] = ("127.0.0.1", "localhost")

    @property
    def service_ip(self) -> str:
        """The `kubernetes` service's address: the first of the service range."""
        return str(ipaddress.IPv4Network(self.service_cidr).network_address + 1)


@dataclass(frozen=True, slots=True)
class NodeDirs:
    """Where the node keeps things, as paths the node's processes see."""

    config: str  # certificates, kubeconfigs, kubelet and CNI configuration
    data: str  # etcd, kubelet root
    run: str  # docker socket, dockershim, CNI cache and IPAM state
    bin_dir: str  # the Kubernetes server binaries
    cni_bin: str
    etcd: str
    cgroup: str  # the node's cgroup path; kubelet's cgroup root goes below it

    @property
    def pki(self) -> str:
        return os.path.join(self.config, "pki")

    @property
    def docker_socket(self) -> str:
        return os.path.join(self.run, "docker.sock")


@dataclass(slots=True)
class NodeFiles:
    """What one node gets: files (path relative to NodeDirs.config -> content and mode) and
    its components' command lines, in start order (dockerd among them, given by the caller)."""

    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    commands: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, path: str, data: bytes | str, mode: int = 0o644) -> str:
        self.files[path] = (data.encode() if isinstance(data, str) else data, mode)
        return path


class Issuer:
    """Issues a node's certificates, reusing those a previous call wrote from the same CA."""

    def __init__(self, cas: ClusterCAs, days: int, existing: Mapping[str, bytes]) -> None:
        self.cas = cas
        self.days = days
        self.existing = existing  # "pki/<name>.crt|key" -> PEM on the node's disk

    def pair(self, name: str, ca: KeyPair, **kwargs: object) -> KeyPair:
        cert = self.existing.get(f"pki/{name}.crt")
        key = self.existing.get(f"pki/{name}.key")
        signer = self.existing.get(f"pki/{name}.ca")
        if cert and key and signer == ca.cert_pem:
            return KeyPair(cert, key)
        return issue(ca, validity_days=self.days, **kwargs)  # type: ignore[arg-type]


class _Builder:
    """Collects one node's files, issuing certificates through an `Issuer`."""

    def __init__(self, dirs: NodeDirs, issuer: Issuer) -> None:
        self.dirs = dirs
        self.issuer = issuer
        self.out = NodeFiles()

    def path(self, relative: str) -> str:
        """`relative` (to NodeDirs.config) as the node sees it."""
        return os.path.join(self.dirs.config, relative)

    def add(self, relative: str, data: bytes | str, mode: int = 0o644) -> str:
        self.out.add(relative, data, mode)
        return self.path(relative)

    def pair(self, name: str, ca: KeyPair, **kwargs: object) -> tuple[str, str]:
        """A certificate and key from `ca` (kept when already issued by it); their paths."""
        issued = self.issuer.pair(name, ca, **kwargs)
        self.add(f"pki/{name}.ca", ca.cert_pem)  # which CA issued it (see Issuer.pair)
        return (
            self.add(f"pki/{name}.crt", issued.cert_pem),
            self.add(f"pki/{name}.key", issued.key_pem, 0o600),
        )

    def kubeconfig(self, name: str, server: str, user: str, cert: str, key: str) -> str:
        return self.add(
            f"{name}.kubeconfig",
            _kubeconfig(self.path("pki/ca.crt"), server, user, cert, key),
            0o600,
        )

    def command(self, name: str, binary: str, values: Mapping[str, object]) -> None:
        self.out.commands.append((name, _flags(binary, values)))


def _kubeconfig(ca: str, server: str, user: str, cert: str, key: str) -> str:
    return str(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "cluster", "cluster": {"certificate-authority": ca, "server": server}}
                ],
                "users": [{"name": user, "user": {"client-certificate": cert, "client-key": key}}],
                "contexts": [{"name": "default", "context": {"cluster": "cluster", "user": user}}],
                "current-context": "default",
            },
            sort_keys=False,
        )
    )


def _flags(binary: str, values: Mapping[str, object]) -> list[str]:
    argv = [binary]
    for key, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        argv.append(f"--{key}={text}")
    return argv


def node_files(
    shape: ClusterShape,
    node: Member,
    dirs: NodeDirs,
    issuer: Issuer,
    dockerd: list[str],
    node_labels: Mapping[str, str] | None = None,
) -> NodeFiles:
    """Everything `node` runs with; `dockerd` is the node engine's command line."""
    b = _Builder(dirs, issuer)
    cas = issuer.cas
    b.add("pki/ca.crt", cas.ca.cert_pem)
    b.add(PREP_SCRIPT, prep_script())
    if node.role == MASTER:
        _master(b, shape, node)
    b.out.commands.append(("dockerd", dockerd))
    _kubelet(b, shape, node, node_labels or {})
    proxy_crt, proxy_key = b.pair(
        "kube-proxy", cas.ca, common_name="system:kube-proxy", client=True
    )
    api_url = f"https://{shape.api_host}:{API_PORT}"
    proxy_kc = b.kubeconfig("kube-proxy", api_url, "system:kube-proxy", proxy_crt, proxy_key)
    b.command(
        "kube-proxy",
        os.path.join(dirs.bin_dir, "kube-proxy"),
        {
            "kubeconfig": proxy_kc,
            "hostname-override": node.hostname,
            "proxy-mode": "iptables",
            "cluster-cidr": shape.pod_cidr,
            # 0 leaves the host-wide conntrack sysctls alone (they are not per namespace).
            "conntrack-max-per-core": 0,
            "conntrack-tcp-timeout-established": 0,
            "conntrack-tcp-timeout-close-wait": 0,
            "metrics-bind-address": "127.0.0.1:10249",
            "healthz-bind-address": "127.0.0.1:10256",
            "bind-address": node.address,
        },
    )
    return b.out


def _master(b: _Builder, shape: ClusterShape, node: Member) -> None:
    """etcd, kube-apiserver, kube-controller-manager and kube-scheduler of one master."""
    cas, dirs = b.issuer.cas, b.dirs
    here = [node.hostname, node.address, "127.0.0.1", "localhost"]
    b.add("pki/etcd-ca.crt", cas.etcd.cert_pem)
    b.add("pki/front-proxy-ca.crt", cas.front_proxy.cert_pem)
    b.add("pki/ca.key", cas.ca.key_pem, 0o600)  # controller-manager signs kubelet CSRs
    b.add("pki/sa.key", shape.service_account_key, 0o600)
    b.add("pki/sa.pub", shape.service_account_pub)
    etcd_crt, etcd_key = b.pair(
        "etcd", cas.etcd, common_name=node.hostname, server=True, client=True, sans=here
    )
    peers = ",".join(f"{m.hostname}=https://{m.address}:{ETCD_PEER_PORT}" for m in shape.masters)
    etcd_ca = b.path("pki/etcd-ca.crt")
    b.command(
        "etcd",
        dirs.etcd,
        {
            "name": node.hostname,
            "data-dir": os.path.join(dirs.data, "etcd"),
            "listen-client-urls": f"https://{node.address}:{ETCD_CLIENT_PORT},"
            f"https://127.0.0.1:{ETCD_CLIENT_PORT}",
            "advertise-client-urls": f"https://{node.address}:{ETCD_CLIENT_PORT}",
            "listen-peer-urls": f"https://{node.address}:{ETCD_PEER_PORT}",
            "initial-advertise-peer-urls": f"https://{node.address}:{ETCD_PEER_PORT}",
            "initial-cluster": peers,
            "initial-cluster-state": "new",
            "initial-cluster-token": shape.uuid,
            "listen-metrics-urls": "http://127.0.0.1:2381",
            "cert-file": etcd_crt,
            "key-file": etcd_key,
            "client-cert-auth": True,
            "trusted-ca-file": etcd_ca,
            "peer-cert-file": etcd_crt,
            "peer-key-file": etcd_key,
            "peer-client-cert-auth": True,
            "peer-trusted-ca-file": etcd_ca,
        },
    )
    api_crt, api_key = b.pair(
        "apiserver", cas.ca, common_name="kube-apiserver", server=True,
        sans=[*here, shape.api_host, shape.service_ip, *shape.api_sans, "kubernetes",
              "kubernetes.default", "kubernetes.default.svc",
              f"kubernetes.default.svc.{CLUSTER_DOMAIN}"],
    )  # fmt: skip
    kubelet_crt, kubelet_key = b.pair(
        "apiserver-kubelet-client", cas.ca, common_name="kube-apiserver-kubelet-client",
        organization="system:masters", client=True,
    )  # fmt: skip
    etcd_client_crt, etcd_client_key = b.pair(
        "apiserver-etcd-client", cas.etcd, common_name="kube-apiserver-etcd-client", client=True
    )
    proxy_crt, proxy_key = b.pair(
        "front-proxy-client", cas.front_proxy, common_name="front-proxy-client", client=True
    )
    etcd_servers = ",".join(f"https://{m.address}:{ETCD_CLIENT_PORT}" for m in shape.masters)
    b.command(
        "kube-apiserver",
        os.path.join(dirs.bin_dir, "kube-apiserver"),
        {
            "advertise-address": node.address,
            "bind-address": "0.0.0.0",
            "secure-port": API_PORT,
            "insecure-port": 0,
            "etcd-servers": etcd_servers,
            "etcd-cafile": etcd_ca,
            "etcd-certfile": etcd_client_crt,
            "etcd-keyfile": etcd_client_key,
            "service-cluster-ip-range": shape.service_cidr,
            "client-ca-file": b.path("pki/ca.crt"),
            "tls-cert-file": api_crt,
            "tls-private-key-file": api_key,
            "kubelet-client-certificate": kubelet_crt,
            "kubelet-client-key": kubelet_key,
            "kubelet-preferred-address-types": "InternalIP",
            "service-account-key-file": b.path("pki/sa.pub"),
            "service-account-signing-key-file": b.path("pki/sa.key"),
            "service-account-issuer": f"https://kubernetes.default.svc.{CLUSTER_DOMAIN}",
            "authorization-mode": "Node,RBAC",
            "enable-admission-plugins": "NodeRestriction",
            "allow-privileged": True,
            "requestheader-client-ca-file": b.path("pki/front-proxy-ca.crt"),
            "requestheader-allowed-names": "front-proxy-client",
            "requestheader-extra-headers-prefix": "X-Remote-Extra-",
            "requestheader-group-headers": "X-Remote-Group",
            "requestheader-username-headers": "X-Remote-User",
            "proxy-client-cert-file": proxy_crt,
            "proxy-client-key-file": proxy_key,
            "cert-dir": os.path.join(dirs.data, "apiserver"),
        },
    )
    local_api = f"https://127.0.0.1:{API_PORT}"
    several = len(shape.masters) > 1
    for name, user, port in (
        ("kube-controller-manager", "system:kube-controller-manager", 10257),
        ("kube-scheduler", "system:kube-scheduler", 10259),
    ):
        crt, key = b.pair(name, cas.ca, common_name=user, client=True)
        kubeconfig = b.kubeconfig(name, local_api, user, crt, key)
        values: dict[str, object] = {
            "kubeconfig": kubeconfig,
            "authentication-kubeconfig": kubeconfig,
            "authorization-kubeconfig": kubeconfig,
            "bind-address": "127.0.0.1",
            "secure-port": port,
            "port": 0,
            "leader-elect": several,
        }
        if name == "kube-controller-manager":
            values.update(
                {
                    "cluster-signing-cert-file": b.path("pki/ca.crt"),
                    "cluster-signing-key-file": b.path("pki/ca.key"),
                    "root-ca-file": b.path("pki/ca.crt"),
                    "service-account-private-key-file": b.path("pki/sa.key"),
                    "use-service-account-credentials": True,
                    "service-cluster-ip-range": shape.service_cidr,
                    "cluster-cidr": shape.pod_cidr,
                    "allocate-node-cidrs": False,
                }
            )
        b.command(name, os.path.join(dirs.bin_dir, name), values)


def _kubelet(b: _Builder, shape: ClusterShape, node: Member, labels: Mapping[str, str]) -> None:
    cas, dirs = b.issuer.cas, b.dirs
    client_crt, client_key = b.pair(
        "kubelet-client", cas.ca, common_name=f"system:node:{node.hostname}",
        organization="system:nodes", client=True,
    )  # fmt: skip
    serving_crt, serving_key = b.pair(
        "kubelet", cas.ca, common_name=node.hostname, server=True,
        sans=[node.hostname, node.address],
    )  # fmt: skip
    api_url = f"https://{shape.api_host}:{API_PORT}"
    kubeconfig = b.kubeconfig(
        "kubelet", api_url, f"system:node:{node.hostname}", client_crt, client_key
    )
    config = b.add("kubelet.yaml", _kubelet_config(b, node, serving_crt, serving_key))
    b.add("cni/10-dockyard.conflist", _cni_config(node, dirs))
    values: dict[str, object] = {
        "config": config,
        "kubeconfig": kubeconfig,
        "container-runtime": "docker",
        "docker-endpoint": f"unix://{dirs.docker_socket}",
        "network-plugin": "cni",
        "cni-bin-dir": dirs.cni_bin,
        "cni-conf-dir": b.path("cni"),
        "cni-cache-dir": os.path.join(dirs.run, "cni-cache"),
        "pod-infra-container-image": PAUSE_IMAGE,
        # Under the short runtime dir: the kubelet puts unix sockets in it (108-byte limit).
        "root-dir": os.path.join(dirs.run, "kubelet"),
        "cert-dir": os.path.join(dirs.data, "kubelet-pki"),
        "experimental-dockershim-root-directory": os.path.join(dirs.run, "dockershim"),
        "volume-plugin-dir": os.path.join(dirs.data, "volume-plugins"),
        "hostname-override": node.hostname,
        "node-ip": node.address,
        "oom-score-adj": 0,
        # cAdvisor must look at the node's engine, not at a host one.
        "docker": f"unix://{dirs.docker_socket}",
    }
    if labels:
        values["node-labels"] = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    if node.role == MASTER:
        values["register-with-taints"] = MASTER_TAINT
    # Without CAP_SYS_RESOURCE a negative oom_score_adj is refused: scripts/build-kubernetes
    # patches dockershim to clamp it to 0 when this variable is set.
    argv = ["env", "KUBELET_NO_NEGATIVE_OOM_SCORE_ADJ=1", *_flags(
        os.path.join(dirs.bin_dir, "kubelet"), values
    )]  # fmt: skip
    b.out.commands.append(("kubelet", argv))


def _kubelet_config(b: _Builder, node: Member, cert: str, key: str) -> str:
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": node.address,
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": b.path("pki/ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        "tlsCertFile": cert,
        "tlsPrivateKeyFile": key,
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": f"/{b.dirs.cgroup}/pods",
        "cgroupsPerQOS": True,
        "enforceNodeAllocatable": ["pods"],
        "clusterDomain": CLUSTER_DOMAIN,
        "failSwapOn": False,
        "podCIDR": node.pod_subnet,
        "resolvConf": "/etc/resolv.conf",
        "serializeImagePulls": False,
        "nodeStatusUpdateFrequency": "4s",
        # No registry is reachable: never collect the images a node was given.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        # The host's disk is shared by every node: evict on nearly full only.
        "evictionHard": {
            "memory.available": "50Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "rotateCertificates": False,
    }
    return str(yaml.safe_dump(config, sort_keys=False))


def _cni_config(node: Member, dirs: NodeDirs) -> str:
    """A bridge on the node for its pods' subnet; other nodes' pods are routed host-gw style
    over the cluster network (the driver sets those routes)."""
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "dockyard",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "cni0",
                    "isGateway": True,
                    "ipMasq": False,
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": node.pod_subnet}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": os.path.join(dirs.run, "ipam"),
                    },
                }
            ],
        },
        indent=1,
    )
