import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '../api/hooks';
import { BarChart, Legend, SplitBar } from '../components/charts';
import { Card, ErrorBox, Spinner, StatusBadge } from '../components/ui';
import { AGE_LABELS, currenciesOf, dailySeries, receivablesSeries, totalIn, type Dashboard as Data } from '../lib/dashboard';
import { useFormat, useSession } from '../session';

const AGE_COLORS = ['#3b82f6', '#f59e0b', '#f97316', '#ef4444', '#991b1b'];

interface StripeEvent {
  id: string;
  type: string;
  status: string;
  receivedAt: string;
  attempts: number;
  lastError: string | null;
}

export function Dashboard() {
  const { me, isAdmin } = useSession();
  const fmt = useFormat();
  const { data, error, reload } = useQuery<Data>('/rest/dashboard', { poll: 30000 });
  const [currency, setCurrency] = useState<string | null>(null);
  if (!data)
    return (
      <div className="page">
        <h1>Home</h1>
        {error ? <ErrorBox error={error} onRetry={() => void reload()} /> : <Spinner />}
      </div>
    );
  const cur = currency ?? data.currency;
  const currencies = currenciesOf(data);
  const quotes = totalIn(data.openQuotes, cur);
  const pending = totalIn(data.ordersAwaitingFulfillment.filter((o) => o.status === 'Pending Fulfillment'), cur);
  const inProgress = totalIn(data.ordersAwaitingFulfillment.filter((o) => o.status === 'In Progress'), cur);
  const ages = receivablesSeries(data, cur);
  const receivable = ages.reduce((s, a) => s + a.amountDue, 0);
  const overdue = ages.slice(1).reduce((s, a) => s + a.amountDue, 0);
  const paid = totalIn(data.paymentsThisMonth.totals, cur);
  const days = dailySeries(data, cur);
  const month = new Date(data.asOf + 'T00:00:00Z').toLocaleDateString(fmt.locale, { month: 'long', timeZone: 'UTC' });
  const money = (v: number) => fmt.money(v, cur, true);

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Home</h1>
          <p className="muted small">
            {me?.workspace.name} · {fmt.date(data.asOf)}
          </p>
        </div>
        {currencies.length > 1 && (
          <label className="inline-field">
            <span className="small muted">Currency</span>
            <select className="input" value={cur} onChange={(e) => setCurrency(e.target.value)}>
              {currencies.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        )}
      </header>

      <div className="kpis">
        <Link className="kpi" to="/quotes?status=Open">
          <span className="kpi-label">Open quotes</span>
          <span className="kpi-value" data-testid="kpi-open-quotes">{fmt.money(quotes.total, cur)}</span>
          <span className="kpi-sub">{quotes.count} awaiting the customer</span>
        </Link>
        <Link className="kpi" to="/orders/board">
          <span className="kpi-label">Orders awaiting fulfilment</span>
          <span className="kpi-value">{pending.count + inProgress.count}</span>
          <span className="kpi-sub">{fmt.money(pending.total + inProgress.total, cur)} to deliver</span>
          <SplitBar
            label="Orders by status"
            parts={[
              { label: 'Pending', value: pending.count, color: '#94a3b8' },
              { label: 'In progress', value: inProgress.count, color: '#3b82f6' },
            ]}
          />
        </Link>
        <Link className="kpi" to={`/invoices?f=${encodeURIComponent(JSON.stringify([{ field: 'amountDue', op: 'gt', value: 0 }]))}`}>
          <span className="kpi-label">Receivables</span>
          <span className="kpi-value">{fmt.money(receivable, cur)}</span>
          <span className={`kpi-sub ${overdue > 0 ? 'text-red' : ''}`}>{fmt.money(overdue, cur)} overdue</span>
        </Link>
        <Link className="kpi" to="/payments">
          <span className="kpi-label">Payments in {month}</span>
          <span className="kpi-value">{fmt.money(paid.total, cur)}</span>
          <span className="kpi-sub">{paid.count === 1 ? "1 payment" : `${paid.count} payments`}</span>
        </Link>
      </div>

      <div className="dash-grid">
        <Card title="Receivables by age">
          <BarChart
            label={`Receivables by age in ${cur}`}
            bars={ages.map((a, i) => ({ label: AGE_LABELS[a.bucket], value: a.amountDue, color: AGE_COLORS[i], title: `${AGE_LABELS[a.bucket]}: ${fmt.money(a.amountDue, cur)} in ${a.count} invoices` }))}
            format={money}
            empty="No unpaid invoices"
          />
        </Card>
        <Card title={`Payments in ${month}`}>
          <BarChart
            label={`Payments per day in ${month}`}
            bars={days.map((d) => ({ label: String(Number(d.date.slice(8))), value: d.total, title: `${fmt.date(d.date)}: ${fmt.money(d.total, cur)}` }))}
            format={money}
            showValues={false}
            empty={`No payments received in ${month} yet`}
            labelEvery={Math.max(1, Math.ceil(days.length / 10))}
          />
        </Card>
        <Card title="Quote pipeline">
          <QuotePipeline data={data} currency={cur} />
        </Card>
        {isAdmin ? (
          <WebhookActivity />
        ) : (
          <Card title="Recent activity">
            <p className="muted">Stripe webhook activity is visible to admins.</p>
          </Card>
        )}
      </div>
    </div>
  );
}

function QuotePipeline({ data, currency }: { data: Data; currency: string }) {
  const fmt = useFormat();
  const colors: Record<string, string> = { Draft: '#cbd5e1', Open: '#3b82f6', Accepted: '#16a34a', Expired: '#f59e0b', Canceled: '#94a3b8' };
  const rows = ['Draft', 'Open', 'Accepted', 'Expired', 'Canceled'].map((s) => {
    const r = data.quotesByStatus.filter((q) => q.status === s && q.currency === currency);
    return { status: s, count: r.reduce((a, x) => a + x.count, 0), total: r.reduce((a, x) => a + x.total, 0) };
  });
  return (
    <>
      <SplitBar label="Quotes by status" parts={rows.map((r) => ({ label: r.status, value: r.total, color: colors[r.status] }))} />
      <Legend items={rows.map((r) => ({ label: r.status, color: colors[r.status], text: `${r.count} · ${fmt.money(r.total, currency, true)}` }))} />
    </>
  );
}

function WebhookActivity() {
  const fmt = useFormat();
  const { data, error } = useQuery<StripeEvent[]>('/rest/stripe/events?limit=8', { poll: 10000 });
  return (
    <Card title="Recent webhook activity" actions={<Link to="/settings/webhooks" className="small">All events</Link>}>
      <ErrorBox error={error} />
      {data && data.length === 0 && <p className="muted">No Stripe events received yet.</p>}
      {data && data.length > 0 && (
        <ul className="events">
          {data.map((e) => (
            <li key={e.id}>
              <code>{e.type}</code>
              <StatusBadge status={e.status} />
              <span className="muted small">{fmt.relative(e.receivedAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
