import { useEffect, useState } from 'preact/hooks';
import { session, signInSettings } from '../api/management-api.ts';
import { beginSignIn, type OidcSettings } from '../auth/oidc-sign-in.ts';
import { describeSignInFailure } from '../auth/sign-in-failure.ts';

/**
 * Signing in: with the OpenID provider the management API names (`GET /api/v1/sign-in`), or with a bearer
 * token it accepts (the development token `npm start` prints, or one from the identity provider). Behind an
 * auth proxy that adds the token, this page is never shown.
 */
export function SignIn({ failure, onSignedIn }: { failure: string | null; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [oidc, setOidc] = useState<OidcSettings | null>(null);
  const [problem, setProblem] = useState(failure);
  const [leaving, setLeaving] = useState(false);
  const hadToken = session.token() !== null;
  useEffect(() => {
    void signInSettings().then((settings) => setOidc(settings.oidc));
  }, []);
  const withProvider = async (settings: OidcSettings) => {
    setProblem(null);
    setLeaving(true);
    try {
      await beginSignIn(settings);
    } catch (error) {
      setProblem(describeSignInFailure(error));
      setLeaving(false);
    }
  };
  return (
    <main>
      <h1>Sign in</h1>
      {problem && <p role="alert">{problem}</p>}
      {hadToken && !problem && (
        <p role="alert">The management API did not accept the token (expired or not valid).</p>
      )}
      {oidc && (
        <p>
          <button type="button" disabled={leaving} onClick={() => withProvider(oidc)}>
            Sign in with {new URL(oidc.issuer).host}
          </button>
        </p>
      )}
      {oidc && <h2>Or with a bearer token</h2>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          session.signIn(token.trim());
          onSignedIn();
        }}
      >
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={token.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
