import { useState } from 'preact/hooks';
import { session } from '../api/management-api.ts';

/**
 * Signing in with a bearer token the management API accepts (the development token `npm start` prints, or one
 * from the identity provider). Behind an auth proxy that adds the token, this page is never shown.
 */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const hadToken = session.token() !== null;
  return (
    <main>
      <h1>Sign in</h1>
      {hadToken && <p role="alert">The management API did not accept the token (expired or not valid).</p>}
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
