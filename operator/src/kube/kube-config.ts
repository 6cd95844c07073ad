import { KubeConfig } from '@kubernetes/client-node';

interface DispatcherFactory {
  createDispatcher(cluster: unknown, options: unknown): { close?: () => Promise<void> } | undefined;
}

/**
 * client-node 2.x builds a new undici Agent, and so a new TLS connection, for every API request: at thousands of
 * requests the handshakes dominated the operator's CPU (bench/operator). This keeps one dispatcher per
 * KubeConfig, connections kept alive, and rebuilds it every `refreshMs` so rotated certificates are picked up.
 */
export function reuseConnections(kubeConfig: KubeConfig, refreshMs = 10 * 60_000): KubeConfig {
  const target = kubeConfig as unknown as DispatcherFactory;
  const build = target.createDispatcher.bind(kubeConfig);
  let cached: { at: number; dispatcher: ReturnType<DispatcherFactory['createDispatcher']> } | null = null;
  target.createDispatcher = (cluster, options) => {
    const now = Date.now();
    if (!cached || now - cached.at > refreshMs) {
      const previous = cached?.dispatcher;
      cached = { at: now, dispatcher: build(cluster, options) };
      void previous?.close?.().catch(() => {}); // lets in-flight requests finish
    }
    return cached.dispatcher;
  };
  return kubeConfig;
}

/** The kubeconfig from the usual places ($KUBECONFIG, ~/.kube/config, in-cluster), with connections reused. */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return reuseConnections(kubeConfig);
}
