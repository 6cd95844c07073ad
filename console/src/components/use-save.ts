import { useState } from 'preact/hooks';
import type { ApiError } from '../api/management-api.ts';

/** A write through PATCH, with the version read (412 when someone else changed it meanwhile). */
export type Patch = (body: Record<string, unknown>) => Promise<void>;

/** Runs a save; a refusal stays on the form that was used, and a stale version says to read it again. */
export function useSave(): [ApiError | null, boolean, (work: () => Promise<void>) => Promise<void>] {
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setSaved(false);
    try {
      await work();
      setError(null);
      setSaved(true);
    } catch (caught) {
      setError(caught as ApiError);
    }
  };
  return [error, saved, run];
}
