"""The user guide's (seed 002) CLI transcripts, verbatim, and the legacy `magnum` command
(python-magnumclient 4.11) that runs them: shared by the standalone and the Keystone + Heat
runs of the guide (tests/integration/test_user_guide_cli.py,
tests/functional/test_user_guide_cli_heat.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

INSTALLER = Path(__file__).resolve().parents[2] / "scripts" / "install-legacy-magnumclient"

# -- the guide's transcripts, verbatim ----------------------------------------------------
# Not in the guide: the template its first examples name (see the module docstring).
MYTEMPLATE = (
    "magnum cluster-template-create mytemplate --image fedora-atomic-latest "
    "--keypair testkey --external-network public --flavor m1.small --coe swarm"
)
INTRO_CREATE = """magnum cluster-create mycluster \\
                  --cluster-template mytemplate \\
                  --node-count 8 \\
                  --master-count 3"""
K8S_TEMPLATE = """magnum cluster-template-create k8s-cluster-template \\
                           --image fedora-atomic-latest \\
                           --keypair testkey \\
                           --external-network public \\
                           --dns-nameserver 8.8.8.8 \\
                           --flavor m1.small \\
                           --docker-volume-size 5 \\
                           --network-driver flannel \\
                           --coe kubernetes"""
K8S_CLUSTER = """magnum cluster-create k8s-cluster \\
                      --cluster-template k8s-cluster-template \\
                      --master-count 3 \\
                      --node-count 8"""
SWARM_TEMPLATE = """magnum cluster-template-create swarm-cluster-template \\
                           --image fedora-atomic-latest \\
                           --keypair testkey \\
                           --external-network public \\
                           --dns-nameserver 8.8.8.8 \\
                           --flavor m1.small \\
                           --docker-volume-size 5 \\
                           --coe swarm"""
SWARM_CLUSTER = """magnum cluster-create swarm-cluster \\
                  --cluster-template swarm-cluster-template \\
                  --master-count 3 \\
                  --node-count 8"""
MESOS_TEMPLATE = """magnum cluster-template-create mesos-cluster-template \\
                       --image ubuntu-mesos \\
                       --keypair testkey \\
                       --external-network public \\
                       --dns-nameserver 8.8.8.8 \\
                       --flavor m1.small \\
                       --coe mesos"""
MESOS_CLUSTER = """magnum cluster-create mesos-cluster \\
                  --cluster-template mesos-cluster-template \\
                  --master-count 3 \\
                  --node-count 8"""
MESOS_API = "API_ADDRESS=$(magnum cluster-show mesos-cluster | awk '/ api_address /{print $4}')"
SECURE_TEMPLATE = """magnum cluster-template-create secure-kubernetes \\
                           --keypair default \\
                           --external-network public \\
                           --image fedora-atomic-latest \\
                           --dns-nameserver 8.8.8.8 \\
                           --flavor m1.small \\
                           --docker-volume-size 3 \\
                           --coe kubernetes \\
                           --network-driver flannel"""
SECURE_CLUSTER = """magnum cluster-create secure-k8s-cluster \\
                      --cluster-template secure-kubernetes \\
                      --node-count 1"""
CLIENT_CONF = """cat > client.conf << END
[req]
distinguished_name = req_distinguished_name
req_extensions     = req_ext
prompt = no
[req_distinguished_name]
CN = Your Name
[req_ext]
extendedKeyUsage = clientAuth
END"""
KEY_AND_CSR = """openssl genrsa -out key.pem 4096
openssl req -new -days 365 \\
    -config client.conf \\
    -key key.pem \\
    -out client.csr"""
DOCKER_MANUAL_TLS = """docker -H {host} --tlsverify \\
       --tlscacert ca.pem \\
       --tlskey key.pem \\
       --tlscert cert.pem \\
       info"""
CINDER_TEMPLATE = """magnum cluster-template-create k8s-cluster-template \\
                           --image fedora-23-atomic-7 \\
                           --keypair testkey \\
                           --external-network public \\
                           --dns-nameserver 8.8.8.8 \\
                           --flavor m1.small \\
                           --docker-volume-size 5 \\
                           --network-driver flannel \\
                           --coe kubernetes \\
                           --volume-driver cinder"""
CINDER_CLUSTER = """magnum cluster-create k8s-cluster \\
                      --cluster-template k8s-cluster-template \\
                      --node-count 1"""
REXRAY_TEMPLATE = """magnum cluster-template-create mesos-cluster-template \\
                           --image ubuntu-mesos \\
                           --keypair testkey \\
                           --external-network public \\
                           --dns-nameserver 8.8.8.8 \\
                           --master-flavor m1.magnum \\
                           --docker-volume-size 4 \\
                           --tls-disabled \\
                           --flavor m1.magnum \\
                           --coe mesos \\
                           --volume-driver rexray \\
                           --labels rexray-preempt=true"""
REXRAY_CLUSTER = """magnum cluster-create mesos-cluster \\
                      --cluster-template mesos-cluster-template \\
                      --node-count 1"""


def legacy_magnum() -> str:
    """The legacy client's `magnum`, installed on first use (skips without PyPI, except
    under CI=true, where a missing prerequisite fails)."""
    done = subprocess.run([str(INSTALLER)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        reason = f"python-magnumclient 4.11 could not be installed: {done.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return done.stdout.strip().splitlines()[-1]
