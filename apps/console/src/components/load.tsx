/** Loading and error states shared by every panel. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';

export type Loaded<T> =
  { state: 'loading' } | { state: 'done'; value: T } | { state: 'failed'; error: Error };

/** Runs `load` whenever `deps` change; a late answer for old deps is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => current && setResult({ state: 'done', value }),
      (error: Error) => current && setResult({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return result;
}

export function Failure(props: { error: Error; what: string }) {
  const e = props.error;
  if (e instanceof ApiError && e.routeMissing) {
    return (
      <p class="unavailable" data-state="unavailable">
        {props.what} is not available on this server (the API has no such route yet).
      </p>
    );
  }
  return (
    <p class="error" role="alert" data-state="failed">
      Could not load {props.what.toLowerCase()}: {e.message}
      {e instanceof ApiError ? ` (${e.problem.status} ${e.problem.code})` : ''}
    </p>
  );
}

export function Show<T>(props: {
  loaded: Loaded<T>;
  what: string;
  children: (value: T) => ComponentChildren;
}) {
  const l = props.loaded;
  if (l.state === 'loading')
    return (
      <p class="loading" aria-live="polite">
        Loading {props.what.toLowerCase()}…
      </p>
    );
  if (l.state === 'failed') return <Failure error={l.error} what={props.what} />;
  return <>{props.children(l.value)}</>;
}
