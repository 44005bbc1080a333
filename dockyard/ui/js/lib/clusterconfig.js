// The files `openstack coe cluster config` writes, built in the browser from the same calls:
// GET /v1/clusters/{id}, GET /v1/clustertemplates/{template}, GET /v1/certificates/{id} (the
// CA), and POST /v1/certificates with a CSR for a key made here (csr.js). Kubernetes gets the
// CLI's kubeconfig with embedded certificates; Swarm gets a zip of ca.pem, cert.pem, key.pem
// and an env.sh with the exports the CLI prints.

import { api, enc } from '../api.js';
import { generateCsrAndKey } from './csr.js';
import { textToBase64 } from './der.js';
import { makeZip } from './zip.js';

export async function fetchTls(cluster, template) {
  if (template.tls_disabled) return null;
  const ca = await api.get(`/v1/certificates/${enc(cluster.uuid)}`);
  const { csr, key } = await generateCsrAndKey();
  const signed = await api.post('/v1/certificates', { cluster_uuid: cluster.uuid, csr });
  return { ca: ca.pem, cert: signed.pem, key };
}

// python-magnumclient common/utils.py: _config_cluster_kubernetes, byte for byte.
export function kubeconfig(cluster, tls) {
  const name = cluster.name;
  const server = cluster.api_address;
  if (!tls) {
    return 'apiVersion: v1\n'
      + 'clusters:\n'
      + '- cluster:\n'
      + `    server: ${server}\n`
      + `  name: ${name}\n`
      + 'contexts:\n'
      + '- context:\n'
      + `    cluster: ${name}\n`
      + `    user: ${name}\n`
      + `  name: ${name}\n`
      + `current-context: ${name}\n`
      + 'kind: Config\n'
      + 'preferences: {}\n'
      + 'users:\n'
      + `- name: ${name}\n`;
  }
  return 'apiVersion: v1\n'
    + 'clusters:\n'
    + '- cluster:\n'
    + `    certificate-authority-data: ${textToBase64(tls.ca)}\n`
    + `    server: ${server}\n`
    + `  name: ${name}\n`
    + 'contexts:\n'
    + '- context:\n'
    + `    cluster: ${name}\n`
    + '    user: admin\n'
    + '  name: default\n'
    + 'current-context: default\n'
    + 'kind: Config\n'
    + 'preferences: {}\n'
    + 'users:\n'
    + '- name: admin\n'
    + '  user:\n'
    + `    client-certificate-data: ${textToBase64(tls.cert)}\n`
    + `    client-key-data: ${textToBase64(tls.key)}\n`;
}

// The exports `openstack coe cluster config` prints for Swarm (_config_cluster_swarm), with
// DOCKER_CERT_PATH taken from the folder the file is sourced in.
export function swarmEnv(cluster, tls) {
  return `# Docker CLI settings for cluster ${cluster.name} (${cluster.uuid}).\n`
    + '# Unzip, change into the folder holding this file, then run: . ./env.sh\n'
    + `export DOCKER_HOST=${cluster.api_address}\n`
    + 'export DOCKER_CERT_PATH="$(pwd)"\n'
    + `export DOCKER_TLS_VERIFY=${tls ? 'True' : ''}\n`;
}

function safeName(name) {
  return String(name).replace(/[^A-Za-z0-9_.-]/g, '_');
}

// -> {filename, data (string|Uint8Array), type, usage (shell lines to show the user), note}
export async function buildClusterConfig(clusterIdent) {
  const cluster = await api.get(`/v1/clusters/${enc(clusterIdent)}`);
  if (!cluster.api_address) {
    throw new Error(`The API address of cluster ${cluster.name} is not known yet (status ${cluster.status}). `
      + 'Download its config once it is CREATE_COMPLETE.');
  }
  const template = await api.get(`/v1/clustertemplates/${enc(cluster.cluster_template_id)}`);
  const base = safeName(cluster.name || cluster.uuid);
  if (template.coe === 'kubernetes') {
    const tls = await fetchTls(cluster, template);
    const filename = `${base}.kubeconfig`;
    return {
      filename,
      data: kubeconfig(cluster, tls),
      type: 'application/yaml',
      usage: [`export KUBECONFIG=$HOME/Downloads/${filename}`, 'kubectl get nodes'],
      note: 'The file is what `openstack coe cluster config` writes.',
    };
  }
  if (template.coe === 'swarm' || template.coe === 'swarm-mode') {
    const tls = await fetchTls(cluster, template);
    const files = [{ name: `${base}/env.sh`, data: swarmEnv(cluster, tls), mode: 0o644 }];
    if (tls) {
      files.push(
        { name: `${base}/ca.pem`, data: tls.ca, mode: 0o644 },
        { name: `${base}/cert.pem`, data: tls.cert, mode: 0o644 },
        { name: `${base}/key.pem`, data: tls.key, mode: 0o600 },
      );
    }
    const filename = `${base}-docker.zip`;
    return {
      filename,
      data: makeZip(files),
      type: 'application/zip',
      usage: [`unzip ${filename} && cd ${base}`, '. ./env.sh', 'docker info'],
      note: 'The files and exports are what `openstack coe cluster config --output-certs` writes and prints.',
    };
  }
  throw new Error(`There is no client config for COE "${template.coe}" (only kubernetes, swarm and swarm-mode).`);
}
