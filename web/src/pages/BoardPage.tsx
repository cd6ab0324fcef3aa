import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useList } from '../api/hooks';
import { ApiError, countText } from '../api/client';
import { mutate } from '../api/store';
import { OBJECT_BY_NAME } from '../lib/objects';
import { ORDER_STATUSES, PROJECT_STATUSES, boardMove, explainRefusal } from '../lib/lifecycle';
import { Money, RefLink, useToast } from '../components/ui';
import { useFormat } from '../session';

type Card = Record<string, unknown> & { id: string; status: string };

/** Kanban by status. Dropping a card runs the lifecycle action of that move; a refused move says why. */
export function BoardPage({ object }: { object: 'orders' | 'projects' }) {
  const meta = OBJECT_BY_NAME[object];
  const statuses = object === 'orders' ? ORDER_STATUSES : PROJECT_STATUSES;
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'ok' } | null>(null);
  const [dragging, setDragging] = useState<Card | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const toast = useToast();

  const move = async (card: Card, to: string) => {
    const name = meta.title(card);
    const plan = boardMove(object, card.status, to, card);
    if (plan.refused) {
      setMessage({ text: `${name} cannot go to ${to}. ${plan.refused}`, tone: 'error' });
      return;
    }
    if (!plan.action && !plan.patch) return;
    setBusy(card.id);
    setMessage(null);
    try {
      if (plan.action) await mutate('POST', `/rest/${object}/${card.id}/${plan.action}`, {});
      else await mutate('PATCH', `/rest/${object}/${card.id}`, plan.patch);
      toast(`${name} moved to ${to}`);
    } catch (e) {
      const err = e as ApiError;
      setMessage({ text: `${name} cannot go to ${to}. ${err.status === 409 ? explainRefusal(err) : err.message}`, tone: 'error' });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="page page-wide">
      <header className="page-head">
        <div>
          <h1>{meta.label} board</h1>
          <p className="muted small">Drag a card to another column, or use its “Move to” menu.</p>
        </div>
        <div className="page-actions">
          <Link className="btn" to={`/${object}`}>
            Table
          </Link>
          <Link className="btn btn-primary" to={`/${object}/new`}>
            New {meta.singular}
          </Link>
        </div>
      </header>
      {message && (
        <div className={`alert ${message.tone === 'error' ? 'alert-error' : 'alert-ok'}`} role="alert">
          <div>{message.text}</div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setMessage(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <div className="board">
        {statuses.map((s) => (
          <Column
            key={s}
            object={object}
            status={s}
            statuses={statuses as readonly string[]}
            over={over === s}
            busy={busy}
            onDragEnter={() => setOver(s)}
            onDrop={() => {
              setOver(null);
              if (dragging) void move(dragging, s);
              setDragging(null);
            }}
            onDragStart={setDragging}
            onMove={move}
          />
        ))}
      </div>
    </div>
  );
}

function Column({
  object, status, statuses, over, busy, onDragEnter, onDrop, onDragStart, onMove,
}: {
  object: 'orders' | 'projects';
  status: string;
  statuses: readonly string[];
  over: boolean;
  busy: string | null;
  onDragEnter: () => void;
  onDrop: () => void;
  onDragStart: (c: Card | null) => void;
  onMove: (c: Card, to: string) => void;
}) {
  const meta = OBJECT_BY_NAME[object];
  const fmt = useFormat();
  const { data } = useList<Card>(object, {
    filter: [{ field: 'status', op: 'eq', value: status }],
    orderBy: [{ field: 'createdAt', direction: 'DescNullsLast' }],
    limit: 50,
  });
  const cards = data?.data ?? [];
  const moneyField = object === 'orders' ? 'totalAmount' : 'budget';
  const sum = cards.reduce((s, c) => s + ((c[moneyField] as number) || 0), 0);
  return (
    <section
      className={`board-col ${over ? 'over' : ''}`}
      aria-label={status}
      data-status={status}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
      }}
      onDragEnter={onDragEnter}
      onDrop={(e) => {
        e.preventDefault();
        onDrop();
      }}
    >
      <header className="board-col-head">
        <h2>{status}</h2>
        <span className="count">{data ? countText(data) : '…'}</span>
        {cards.length > 0 && <span className="muted small col-sum">{fmt.money(sum, cards[0].currency as string, true)}</span>}
      </header>
      <ul className="board-cards">
        {cards.map((c) => (
          <li
            key={c.id}
            className={`board-card ${busy === c.id ? 'busy' : ''}`}
            draggable
            data-id={c.id}
            onDragStart={(e) => {
              e.dataTransfer.setData('text/plain', c.id);
              e.dataTransfer.effectAllowed = 'move';
              onDragStart(c);
            }}
            onDragEnd={() => onDragStart(null)}
          >
            <Link to={`/${object}/${c.id}`} className="card-title">
              {meta.title(c)}
            </Link>
            <div className="small">
              <RefLink object="companies" id={c.companyId as string} />
            </div>
            <div className="card-foot">
              <Money value={c[moneyField] as number} currency={c.currency as string} />
              <label className="visually-hidden" htmlFor={`mv-${c.id}`}>
                Move {meta.title(c)} to
              </label>
              <select
                id={`mv-${c.id}`}
                className="input input-small"
                value=""
                onChange={(e) => e.target.value && onMove(c, e.target.value)}
              >
                <option value="">Move to…</option>
                {statuses
                  .filter((s) => s !== status)
                  .map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
              </select>
            </div>
          </li>
        ))}
        {data && cards.length === 0 && <li className="board-empty muted small">Nothing here</li>}
      </ul>
    </section>
  );
}
