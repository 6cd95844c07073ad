/** Loopback hosts, where a browser counts plain http as a secure context (so an OpenID issuer may use it). */
export const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
