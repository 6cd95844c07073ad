import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, onUnauthorized, session, signInSettings, type Me } from './api/management-api.ts';
import { completeSignIn, isSignInCallback, providerSignOutUrl } from './auth/oidc-sign-in.ts';
import { describeSignInFailure } from './auth/sign-in-failure.ts';
import { AuditPage } from './pages/audit-page.tsx';
import { EnvironmentsPage } from './pages/environments-page.tsx';
import { FlagPage } from './pages/flag-page.tsx';
import { FlagsTable } from './pages/flags-table.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { TenantPicker } from './pages/tenant-picker.tsx';
import { routeOf, type Route } from './route.ts';

// A development link carries its token in the fragment (never sent to a server, never in a log): removed from
// the address bar, and taken into this tab's session only where the API says such links sign in (local mode).
// Elsewhere anyone could send a link with a token of their own, and whoever opened it would work as them.
let signInFailure: string | null = null;
const linked = new URLSearchParams(location.hash.slice(1)).get('token');
if (linked) {
  history.replaceState(null, '', `${location.pathname}#/`);
  if ((await signInSettings()).token_link) session.signIn(linked);
  else signInFailure = 'This console does not sign in from a link with a token in it; sign in here instead.';
}

// The OpenID provider's answer to a sign-in (a code, or an error) in the query: the code leaves the address bar
// before anything else, then is exchanged for the ID token this tab holds as its bearer token.
if (isSignInCallback(location.search)) {
  const callback = new URL(location.href);
  history.replaceState(null, '', `${location.pathname}#/`);
  try {
    const signedIn = await completeSignIn(callback);
    session.signIn(signedIn.idToken, signedIn.endSession);
  } catch (error) {
    signInFailure = describeSignInFailure(error);
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const changed = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [failureShown, setFailureShown] = useState(signInFailure);
  // any 401, from a call or the event stream (a token that expired meanwhile, say), comes back to sign-in
  useEffect(
    () =>
      onUnauthorized(() => {
        setMe(null);
        setFailure(new ApiError(401, 'Unauthorized', undefined));
      }),
    [],
  );
  useEffect(() => {
    call<Me>('GET', '/api/v1/me').then(
      ({ body }) => (setMe(body), setFailure(null)),
      (error: ApiError) => setFailure(error),
    );
  }, [attempt]);

  if (failure?.status === 401)
    return (
      <SignIn
        failure={failureShown}
        onSignedIn={() => (setFailureShown(null), setAttempt((count) => count + 1))}
      />
    );
  if (failure)
    return (
      <main>
        <p role="alert">
          {failure.title}: {failure.message}
        </p>
      </main>
    );
  if (!me)
    return (
      <main>
        <p>Loading…</p>
      </main>
    );
  const tenant = route.tenant ? me.tenants.find((entry) => entry.namespace === route.tenant) : undefined;
  const signOut = () => {
    // a provider's session ends there too, and it sends the browser back here
    const providerSignOut = providerSignOutUrl(session.signOut());
    if (providerSignOut) return location.assign(providerSignOut);
    setMe(null);
    setAttempt((count) => count + 1);
    location.hash = '#/';
  };
  return (
    <>
      <header>
        <a href="#/" class="brand">
          Exclusive-Change
        </a>
        {tenant && (
          <span class="tenant">
            {tenant.namespace} · {tenant.role}
          </span>
        )}
        <span class="who">{me.email ?? me.subject}</span>
        {session.token() && (
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main>
        {route.tenant && !tenant ? (
          <p role="alert">You have no role in tenant “{route.tenant}”.</p>
        ) : route.page === 'environments' && tenant ? (
          <EnvironmentsPage tenant={tenant} />
        ) : route.page === 'audit' && tenant ? (
          <AuditPage tenant={tenant} {...(route.resource ? { resource: route.resource } : {})} />
        ) : route.page === 'flag' && tenant ? (
          <FlagPage tenant={tenant} flagKey={route.flag!} />
        ) : route.page === 'flags' && tenant ? (
          <FlagsTable tenant={tenant} />
        ) : (
          <TenantPicker me={me} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.replaceChildren(); // the page's own "Loading…", for before the script runs
render(<App />, root);
