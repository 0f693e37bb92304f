import { useState } from 'preact/hooks';
import { saveSession, sessionFromToken, type Session } from '../session';

export function SignIn(props: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    try {
      const session = sessionFromToken(token);
      saveSession(session);
      setToken('');
      props.onSignedIn(session);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <h1>IPT Course Ledger console</h1>
      <p>
        Paste a bearer token. It is kept in this tab’s session storage only and sent to the API with
        each request. In the embedded mode, mint one with{' '}
        <code>npm run token -- --clinic clinic-a --role clinician --role auditor</code>.
      </p>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} autocomplete="off">
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={5}
          spellcheck={false}
          required
          value={token}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'token-error' : undefined}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
        />
        {error && (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
