/**
 * The cloud-init user data of each node of a cluster (README "Kubernetes clusters"): containerd, kubelet, kubeadm
 * and kubectl of the chosen version from the Kubernetes package repository (pkgs.k8s.io), then `kubeadm init` on the
 * first control plane — with the cluster CA maas-mcp made placed where kubeadm looks for it — and `kubeadm join` on
 * every other node (control planes with the certificate key, workers with the token and the CA's pin). No machine
 * calls back: everything a node needs is in its own user data, and nothing more — workers never get the CA key or
 * the certificate key, joining control planes never get the CA key.
 */
import { toYaml, toYamlDocuments, type YamlValue } from '../../base/yaml.ts';
import type { ClusterRole } from '../../store/clusters.ts';
import type { ClusterSecrets } from './secrets.ts';

export interface NodeUserData {
  cluster: string;
  uid: string;
  role: ClusterRole;
  /** The control plane that runs `kubeadm init` (index 0). */
  first: boolean;
  /** Its place among the control planes (0, 1, 2 …; 0 for workers): joining control planes wait their turn. */
  index: number;
  /** `1.34` or `1.34.2`. */
  kubernetesVersion: string;
  /**
   * The API endpoint the joining nodes reach (`host:port`). For the first control plane of a single-control-plane
   * cluster it is not known yet (its own address, given by MAAS when it deploys): undefined.
   */
  endpoint: string | undefined;
  /** Names the API server's certificate must also hold (the machine's FQDN). */
  certSans: readonly string[];
  podCidr: string;
  serviceCidr: string;
  caCertPem: string;
  caCertHash: string;
  tokenTtlH: number;
  /** More than one control plane: init uploads the control-plane certificates, the others download them. */
  ha: boolean;
  secrets: ClusterSecrets;
}

const SCRIPT = '/usr/local/sbin/maas-mcp-kubeadm';
const CONFIG = '/etc/kubernetes/maas-mcp-kubeadm.yaml';
const LOG = '/var/log/maas-mcp-kubeadm.log';
const CRI = 'unix:///run/containerd/containerd.sock';
const VERSION_MARK = '@KUBEADM_VERSION@';

/** kubeadm's configuration API (v1beta4: Kubernetes 1.31 on, the oldest kubernetes_version takes). */
const KUBEADM_API = 'kubeadm.k8s.io/v1beta4';

/** kubeadm's duration: `24h0m0s`; `0s` never expires. */
const ttl = (hours: number) => (hours === 0 ? '0s' : `${hours}h0m0s`);

function kubeadmConfig(n: NodeUserData): string {
  const registration = { criSocket: CRI };
  if (!n.first) {
    const join: Record<string, YamlValue> = {
      apiVersion: KUBEADM_API,
      kind: 'JoinConfiguration',
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: n.endpoint ?? '',
          token: n.secrets.token,
          caCertHashes: [n.caCertHash],
        },
      },
      nodeRegistration: registration,
    };
    if (n.role === 'control-plane') join.controlPlane = { certificateKey: n.secrets.certificate_key };
    return toYaml(join);
  }
  const init: Record<string, YamlValue> = {
    apiVersion: KUBEADM_API,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token: n.secrets.token,
        ttl: ttl(n.tokenTtlH),
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
        usages: ['signing', 'authentication'],
        description: `maas-mcp: joins the nodes of cluster ${n.cluster}`,
      },
    ],
    nodeRegistration: registration,
  };
  if (n.ha) init.certificateKey = n.secrets.certificate_key;
  const cluster: Record<string, YamlValue> = {
    apiVersion: KUBEADM_API,
    kind: 'ClusterConfiguration',
    clusterName: n.cluster,
    kubernetesVersion: VERSION_MARK,
    networking: { podSubnet: n.podCidr, serviceSubnet: n.serviceCidr },
    apiServer: { certSANs: [...(n.endpoint ? [n.endpoint.replace(/:\d+$/, '')] : []), ...n.certSans] },
  };
  if (n.endpoint) cluster.controlPlaneEndpoint = n.endpoint;
  const kubelet = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    cgroupDriver: 'systemd',
  };
  return toYamlDocuments([init, cluster, kubelet]);
}

/** The script cloud-init runs once: everything is logged to {@link LOG} on the node. */
function bootstrapScript(n: NodeUserData): string {
  const [major, minor, patch] = n.kubernetesVersion.split('.');
  const repo = `v${major}.${minor}`;
  const pin = patch === undefined ? '' : `=${n.kubernetesVersion}-*`;
  const what = n.first
    ? 'kubeadm init'
    : n.role === 'control-plane'
      ? 'kubeadm join --control-plane'
      : 'kubeadm join';
  const lines = [
    '#!/bin/bash',
    `# maas-mcp: ${what} for Kubernetes ${n.kubernetesVersion} cluster ${n.cluster}`,
    'set -euo pipefail',
    `exec >>${LOG} 2>&1`,
    'export DEBIAN_FRONTEND=noninteractive',
    'swapoff -a',
    "sed -ri '/\\sswap\\s/s/^#?/#/' /etc/fstab",
    'modprobe overlay',
    'modprobe br_netfilter',
    'sysctl --system',
    'apt-get update',
    'apt-get install -y containerd apt-transport-https ca-certificates curl gpg',
    'mkdir -p /etc/containerd',
    'containerd config default > /etc/containerd/config.toml',
    "sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml",
    'systemctl restart containerd',
    'install -d -m 0755 /etc/apt/keyrings',
    `curl -fsSL https://pkgs.k8s.io/core:/stable:/${repo}/deb/Release.key | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
    `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/${repo}/deb/ /' > /etc/apt/sources.list.d/kubernetes.list`,
    'apt-get update',
    `apt-get install -y 'kubelet${pin}' 'kubeadm${pin}' 'kubectl${pin}'`,
    'apt-mark hold kubelet kubeadm kubectl',
    'systemctl enable --now kubelet',
  ];
  if (n.first) {
    lines.push(
      `sed -i "s/${VERSION_MARK}/$(kubeadm version -o short)/" ${CONFIG}`,
      `kubeadm init --config ${CONFIG}${n.ha ? ' --upload-certs' : ''}`,
    );
  } else {
    // Nodes boot together: wait until the first control plane answers, then join (control planes one at a time:
    // etcd takes one new member at once), trying again a few times before giving up.
    lines.push(
      `endpoint='${n.endpoint ?? ''}'`,
      'for i in $(seq 1 360); do curl -fsk --max-time 5 "https://$endpoint/readyz" >/dev/null && break; sleep 10; done',
      ...(n.role === 'control-plane' && n.index > 1 ? [`sleep ${(n.index - 1) * 120}`] : []),
      'for attempt in 1 2 3 4 5; do',
      `  if kubeadm join --config ${CONFIG}; then break; fi`,
      '  if [ "$attempt" = 5 ]; then exit 1; fi',
      '  kubeadm reset -f || true',
      '  sleep $((attempt * 60))',
      'done',
    );
  }
  lines.push(`shred -u ${CONFIG}`, `echo "$(date -Is) maas-mcp: ${what} done"`);
  return `${lines.join('\n')}\n`;
}

/** A node's user data: `#cloud-config` with the files it needs and the script that runs kubeadm. */
export function renderUserData(n: NodeUserData): string {
  const files: YamlValue[] = [
    { path: '/etc/modules-load.d/k8s.conf', permissions: '0644', content: 'overlay\nbr_netfilter\n' },
    {
      path: '/etc/sysctl.d/99-kubernetes.conf',
      permissions: '0644',
      content:
        'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n',
    },
    { path: CONFIG, permissions: '0600', content: kubeadmConfig(n) },
    { path: SCRIPT, permissions: '0700', content: bootstrapScript(n) },
  ];
  if (n.first) {
    // kubeadm init uses a CA it finds here instead of making one: the cluster's, whose pin the others carry.
    files.push(
      { path: '/etc/kubernetes/pki/ca.crt', permissions: '0644', content: n.caCertPem },
      { path: '/etc/kubernetes/pki/ca.key', permissions: '0600', content: n.secrets.ca_key_pem },
    );
  }
  const doc = { write_files: files, runcmd: [[SCRIPT]] };
  return `#cloud-config\n# maas-mcp: ${n.role} of Kubernetes cluster ${n.cluster} (${n.uid})\n${toYaml(doc)}`;
}
