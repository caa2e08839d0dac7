import { KubeConfig } from '@kubernetes/client-node';

/**
 * How we reach the Kubernetes API: a kubeconfig file when one is configured, else the pod's
 * service account (in a cluster), else $KUBECONFIG or ~/.kube/config.
 */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  if (!config.getCurrentCluster()) {
    throw new Error(file ? `${file} names no current cluster` : 'no Kubernetes API found: not in a cluster and no kubeconfig (set kubeconfig in the tenancy config file)');
  }
  return config;
}
