import { useMemo } from 'react';
import { useList } from '../api/hooks';
import { useFormat } from '../session';
import { MoneyInput } from './inputs';

export interface EditLine {
  key: string;
  productId: string | null;
  description: string;
  quantity: number | null;
  unitAmount: number | null;
}
export interface ApiLine {
  description?: string;
  quantity?: number;
  unitAmount?: number;
  amount?: number;
  productId?: string | null;
}

let seq = 0;
export const newLine = (): EditLine => ({ key: `l${++seq}`, productId: null, description: '', quantity: 1, unitAmount: null });
export const toEditLines = (lines: ApiLine[] | undefined): EditLine[] =>
  (lines ?? []).map((l) => ({
    key: `l${++seq}`,
    productId: l.productId ?? null,
    description: l.description ?? '',
    quantity: l.quantity ?? 1,
    unitAmount: l.unitAmount ?? 0,
  }));
export const toApiLines = (lines: EditLine[]): ApiLine[] =>
  lines
    .filter((l) => l.description.trim() || l.productId || l.unitAmount)
    .map((l) => ({
      description: l.description,
      quantity: l.quantity ?? 1,
      unitAmount: l.unitAmount ?? 0,
      ...(l.productId ? { productId: l.productId } : {}),
    }));

export function lineTotals(lines: EditLine[], tax: number | null) {
  const subtotal = lines.reduce((s, l) => s + (l.quantity ?? 0) * (l.unitAmount ?? 0), 0);
  return { subtotal, tax: tax ?? 0, total: subtotal + (tax ?? 0) };
}

/** The line items of a quote, order or invoice, with live subtotal, tax and total. */
export function LineItemsEditor({
  lines, onChange, tax, onTaxChange, currency, editable,
}: {
  lines: EditLine[];
  onChange: (l: EditLine[]) => void;
  tax: number | null;
  onTaxChange: (v: number | null) => void;
  currency: string;
  editable: boolean;
}) {
  const fmt = useFormat();
  const products = useList<{ id: string; name: string; unitAmount: number; currency: string; active: boolean }>(editable ? 'products' : null, {
    filter: [{ field: 'active', op: 'eq', value: true }],
    orderBy: [{ field: 'name', direction: 'AscNullsLast' }],
    limit: 200,
  });
  const totals = useMemo(() => lineTotals(lines, tax), [lines, tax]);
  const set = (i: number, patch: Partial<EditLine>) => onChange(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const productList = (products.data?.data ?? []).filter((p) => p.currency === currency);

  return (
    <div className="lines">
      <table className="table lines-table">
        <thead>
          <tr>
            {editable && <th className="col-product">Product</th>}
            <th>Description</th>
            <th className="num col-qty">Qty</th>
            <th className="num col-price">Unit price</th>
            <th className="num col-amount">Amount</th>
            {editable && <th className="col-remove"><span className="visually-hidden">Remove</span></th>}
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => (
            <tr key={l.key}>
              {editable && (
                <td>
                  <select
                    className="input"
                    aria-label={`Line ${i + 1} product`}
                    value={l.productId ?? ''}
                    onChange={(e) => {
                      const p = productList.find((x) => x.id === e.target.value);
                      set(i, p ? { productId: p.id, description: p.name, unitAmount: p.unitAmount } : { productId: null });
                    }}
                  >
                    <option value="">Custom</option>
                    {productList.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                </td>
              )}
              <td>
                {editable ? (
                  <input
                    className="input"
                    aria-label={`Line ${i + 1} description`}
                    value={l.description}
                    onChange={(e) => set(i, { description: e.target.value })}
                  />
                ) : (
                  l.description
                )}
              </td>
              <td className="num">
                {editable ? (
                  <input
                    className="input num"
                    type="number"
                    min={1}
                    step={1}
                    aria-label={`Line ${i + 1} quantity`}
                    value={l.quantity ?? ''}
                    onChange={(e) => set(i, { quantity: e.target.value === '' ? null : Math.trunc(Number(e.target.value)) })}
                  />
                ) : (
                  l.quantity
                )}
              </td>
              <td className="num">
                {editable ? (
                  <MoneyInput label={`Line ${i + 1} unit price`} value={l.unitAmount} currency={currency} onChange={(v) => set(i, { unitAmount: v })} />
                ) : (
                  fmt.money(l.unitAmount, currency)
                )}
              </td>
              <td className="num" data-testid={`line-${i + 1}-amount`}>{fmt.money((l.quantity ?? 0) * (l.unitAmount ?? 0), currency)}</td>
              {editable && (
                <td>
                  <button type="button" className="btn btn-ghost btn-icon" aria-label={`Remove line ${i + 1}`} onClick={() => onChange(lines.filter((_, j) => j !== i))}>
                    ×
                  </button>
                </td>
              )}
            </tr>
          ))}
          {lines.length === 0 && (
            <tr>
              <td colSpan={editable ? 6 : 4} className="muted">
                No line items yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {editable && (
        <button type="button" className="btn btn-small" onClick={() => onChange([...lines, newLine()])}>
          + Add line
        </button>
      )}
      <dl className="totals" aria-label="Totals">
        <dt>Subtotal</dt>
        <dd data-testid="subtotal">{fmt.money(totals.subtotal, currency)}</dd>
        <dt>{editable ? <label htmlFor="tax-amount">Tax</label> : 'Tax'}</dt>
        <dd>
          {editable ? <MoneyInput id="tax-amount" value={tax} currency={currency} onChange={onTaxChange} className="tax-input" /> : fmt.money(totals.tax, currency)}
        </dd>
        <dt className="total">Total</dt>
        <dd className="total" data-testid="total">{fmt.money(totals.total, currency)}</dd>
      </dl>
    </div>
  );
}
