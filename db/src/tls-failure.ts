// How a data store's TLS failure reads: the store, what is wrong, and the variable to change.

/** OpenSSL's verification codes (Node's `error.code`) that mean "not signed by a CA we trust". */
const UNTRUSTED_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/** A TLS failure in words a person can act on, naming the variable to change. */
export class DataStoreTlsError extends Error {
  readonly code = 'XC_ERR_DATA_STORE_TLS';
}

/**
 * Shared with Redis: what a certificate failure means for `store` ("Postgres", "Redis"), naming where its CA
 * came from (`caLabel`) or, when none was given, the variable that would give one.
 */
export function describeTlsFailure(
  error: unknown,
  store: string,
  caLabel: string | null,
  caVariable: string,
): DataStoreTlsError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const cause = { cause: error };
  const reason = (error as Error).message;
  if (UNTRUSTED_CODES.has(code)) {
    const where = caLabel ?? `the system's roots (set ${caVariable} to the server's CA)`;
    return new DataStoreTlsError(
      `${store} refused the TLS certificate: it is not signed by the CA in ${where}: ${reason}`,
      cause,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new DataStoreTlsError(
      `${store} refused the TLS certificate: it does not name the host connected to (${reason}); connect by a name the certificate holds`,
      cause,
    );
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return new DataStoreTlsError(`${store} refused the TLS certificate: ${reason}`, cause);
  return null;
}
