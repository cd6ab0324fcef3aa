import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { useRecordRef, labelOf } from '../api/refs';
import type { ApiError } from '../api/client';
import { useFormat } from '../session';

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  const tone = statusTone(status);
  return <span className={`badge badge-${tone}`}>{status}</span>;
}

export function statusTone(status: string): string {
  switch (status) {
    case 'Paid': case 'Accepted': case 'Fulfilled': case 'Invoiced': case 'Completed': case 'DONE': case 'succeeded':
    case 'processed': case 'VALIDATED': case 'synced': case 'ACTIVE': case 'COMPLETED': case 'sent':
      return 'green';
    case 'RUNNING': case 'WAITING': case 'queued':
      return 'blue';
    case 'FAILED':
      return 'red';
    case 'DEACTIVATED': case 'ARCHIVED': case 'SKIPPED':
      return 'muted';
    case 'Open': case 'In Progress': case 'Active': case 'IN_PROGRESS': case 'Partially Paid': case 'pending':
      return 'blue';
    case 'Pending Fulfillment': case 'Planned': case 'TODO': case 'PENDING': case 'On Hold': case 'Draft':
      return 'grey';
    case 'Payment Failed': case 'failed': case 'Uncollectible':
      return 'red';
    case 'Void': case 'Canceled': case 'Cancelled': case 'Expired': case 'ignored': case 'Refunded': case 'Partially Refunded':
    case 'cancelled':
      return 'muted';
    default:
      return 'grey';
  }
}

export function Money({ value, currency }: { value: number | null | undefined; currency?: string | null }) {
  const fmt = useFormat();
  return <span className="num">{fmt.money(value, currency)}</span>;
}

export function RefLink({ object, id }: { object?: string; id: string | null | undefined }) {
  const r = useRecordRef(object, id);
  if (!id || !object) return <span className="muted">—</span>;
  return (
    <Link to={`/${object}/${id}`} className="ref-link" onClick={(e) => e.stopPropagation()}>
      {r === undefined ? <span className="muted">…</span> : labelOf(object, r, id)}
    </Link>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-live="polite">
      <span className="visually-hidden">{label}…</span>
    </span>
  );
}

export function ErrorBox({ error, onRetry, title }: { error: ApiError | Error | null | undefined; onRetry?: () => void; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      <div>
        {title && <strong>{title} </strong>}
        {error.message}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Card({ title, actions, children, className = '' }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className}`}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, select, textarea, button');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      prev?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <header className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'error';
}
const ToastCtx = createContext<(text: string, tone?: Toast['tone']) => void>(() => {});

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((text: string, tone: Toast['tone'] = 'ok') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-3), { id, text, tone }]);
    window.setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 5000);
  }, []);
  return (
    <ToastCtx.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`}>
            {t.text}
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  );
}

export function useToast() {
  return useContext(ToastCtx);
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API needs a secure context; fall back to a selection copy.
      const ta = document.createElement('textarea');
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setDone(true);
    window.setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" className="btn btn-small" onClick={copy}>
      {done ? 'Copied' : label}
    </button>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
