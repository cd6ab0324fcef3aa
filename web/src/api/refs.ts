// Names of referenced records (a quote's company, a payment's invoice) for tables and
// links. Requests made in the same tick are batched into one list call per object:
// GET /rest/companies?filter=id[in]:[...]&limit=200.
import { useEffect, useState } from 'react';
import { api, type ListResponse } from './client';
import { listQueryString } from './query';
import { OBJECT_BY_NAME } from '../lib/objects';

type Rec = Record<string, unknown>;
const records = new Map<string, Rec | null>(); // `${object}/${id}` → record (null: not found)
const pending = new Map<string, Set<string>>(); // object → ids to fetch
const listeners = new Set<() => void>();
let scheduled = false;

function key(object: string, id: string) {
  return `${object}/${id}`;
}

export function labelOf(object: string, r: Rec | null | undefined, id?: string): string {
  if (!r) return id ? `${id.slice(0, 10)}…` : '—';
  const meta = OBJECT_BY_NAME[object];
  return meta ? meta.title(r) : String(r.id ?? '');
}

export function rememberRecord(object: string, r: Rec): void {
  if (typeof r.id === 'string') records.set(key(object, r.id), r);
}

export function forgetRefs(object?: string): void {
  if (!object) records.clear();
  else for (const k of [...records.keys()]) if (k.startsWith(object + '/')) records.delete(k);
  listeners.forEach((l) => l());
}

async function flush() {
  scheduled = false;
  const batch = [...pending.entries()];
  pending.clear();
  await Promise.all(
    batch.map(async ([object, idSet]) => {
      const ids = [...idSet];
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        try {
          const q = listQueryString({ filter: [{ field: 'id', op: 'in', value: chunk }], limit: 200 });
          const res = await api.get<ListResponse<Rec>>(`/rest/${object}?${q}`);
          for (const id of chunk) records.set(key(object, id), null);
          for (const r of res.data) rememberRecord(object, r);
        } catch {
          for (const id of chunk) records.set(key(object, id), null);
        }
      }
    }),
  );
  listeners.forEach((l) => l());
}

function request(object: string, id: string) {
  if (records.has(key(object, id))) return;
  let s = pending.get(object);
  if (!s) pending.set(object, (s = new Set()));
  s.add(id);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(() => void flush());
  }
}

/** The referenced record (or undefined while loading, null if it does not exist). */
export function useRecordRef(object: string | undefined, id: string | null | undefined): Rec | null | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  if (!object || !id) return null;
  const k = key(object, id);
  if (!records.has(k)) {
    request(object, id);
    return undefined;
  }
  return records.get(k);
}
