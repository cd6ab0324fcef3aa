import { useCallback, useEffect, useSyncExternalStore } from 'react';
import { store, type Snapshot } from './store';
import { listQueryString, type ListParams } from './query';
import type { ListResponse } from './client';

const NONE: Snapshot<never> = { loading: false, at: 0 };

/** Reads a GET path through the shared cache; `poll` (ms) refetches while mounted. */
export function useQuery<T>(path: string | null, opts: { poll?: number | false } = {}) {
  const subscribe = useCallback((fn: () => void) => (path ? store.subscribe(path, fn) : () => {}), [path]);
  const getSnap = useCallback(() => (path ? store.snapshot<T>(path) : (NONE as Snapshot<T>)), [path]);
  const snap = useSyncExternalStore(subscribe, getSnap, getSnap);
  const poll = opts.poll;
  useEffect(() => {
    if (!path || !poll) return;
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') void store.fetch(path);
    }, poll);
    return () => window.clearInterval(t);
  }, [path, poll]);
  const reload = useCallback(() => (path ? store.fetch<T>(path) : Promise.resolve(undefined)), [path]);
  return { ...snap, reload };
}

export function listPath(object: string, params: ListParams): string {
  const q = listQueryString(params);
  return `/rest/${object}${q ? '?' + q : ''}`;
}

export function useList<T = Record<string, unknown>>(object: string | null, params: ListParams, opts: { poll?: number | false } = {}) {
  return useQuery<ListResponse<T>>(object ? listPath(object, params) : null, opts);
}
