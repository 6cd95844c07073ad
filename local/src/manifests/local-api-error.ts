/**
 * An error shaped like the Kubernetes client's (`code` is the HTTP status), so the operator's 404 and 409
 * handling (operator/src/kube/kube-errors.ts) applies unchanged in local mode.
 */
export class LocalApiError extends Error {
  readonly code: 404 | 409;

  constructor(code: 404 | 409, message: string) {
    super(message);
    this.name = 'LocalApiError';
    this.code = code;
  }
}
