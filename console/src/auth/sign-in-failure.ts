import { AuthorizationResponseError, ResponseBodyError } from 'oauth4webapi';

/** Why a sign-in with the OpenID provider stopped, where the provider itself said nothing. */
export type SignInFailureCode = 'not-started' | 'state-mismatch' | 'unreachable';

export class SignInError extends Error {
  readonly code: SignInFailureCode;

  constructor(code: SignInFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const providerWords = (error: { error: string; error_description?: string | undefined }) =>
  error.error_description ? `${error.error}: ${error.error_description}` : error.error;

/** What the sign-in page says of a failed sign-in, with the provider's own error code when it gave one. */
export function describeSignInFailure(error: unknown): string {
  if (error instanceof SignInError) return error.message;
  if (error instanceof AuthorizationResponseError)
    return `The identity provider refused the sign-in (${providerWords(error)}).`;
  if (error instanceof ResponseBodyError)
    return `The identity provider's token endpoint refused the sign-in (${providerWords(error)}).`;
  const detail = error instanceof Error ? error.message : String(error);
  return `The identity provider's answer could not be verified (${detail}).`;
}
