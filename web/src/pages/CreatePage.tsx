import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api/client';
import { mutate, store } from '../api/store';
import { rememberRecord } from '../api/refs';
import { OBJECT_BY_NAME, fieldOf } from '../lib/objects';
import { FieldInput } from '../components/inputs';
import { Card, ErrorBox, useToast } from '../components/ui';
import { LineItemsEditor, newLine, toApiLines, type EditLine } from '../components/LineItems';
import { useFormat } from '../session';

export function CreatePage({ object }: { object: string }) {
  const meta = OBJECT_BY_NAME[object];
  const fmt = useFormat();
  const navigate = useNavigate();
  const toast = useToast();
  const [params] = useSearchParams();
  const [values, setValues] = useState<Record<string, unknown>>(() => {
    const v: Record<string, unknown> = {};
    for (const name of meta.createFields) {
      const f = fieldOf(meta, name);
      if (f?.kind === 'currency') v[name] = fmt.currency;
      if (params.get(name)) v[name] = params.get(name);
    }
    if (object === 'tasks') v.status = 'TODO';
    if (object === 'projects') v.status = 'Planned';
    if (object === 'expenses') v.date = new Date().toISOString().slice(0, 10);
    return v;
  });
  const [lines, setLines] = useState<EditLine[]>(() => [newLine()]);
  const [tax, setTax] = useState<number | null>(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(values)) if (v !== '' && v !== null && v !== undefined) body[k] = v;
      if (meta.hasLineItems) {
        body.lineItems = toApiLines(lines);
        body.taxAmount = tax ?? 0;
      }
      const out = await mutate<Record<string, unknown> & { id: string }>('POST', `/rest/${object}`, body);
      store.prime(`/rest/${object}/${out.id}`, out);
      rememberRecord(object, out);
      toast(`${meta.singular[0].toUpperCase()}${meta.singular.slice(1)} created`);
      navigate(`/${object}/${out.id}`, { replace: true });
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  const currency = (values.currency as string) || fmt.currency;
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to={`/${object}`}>{meta.label}</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">New {meta.singular}</span>
      </nav>
      <h1>New {meta.singular}</h1>
      <form onSubmit={submit} className="create-form" noValidate={false}>
        <Card title="Details">
          <div className="fields">
            {meta.createFields.map((name) => {
              const f = fieldOf(meta, name)!;
              const id = `new-${name}`;
              return (
                <div className="field" key={name}>
                  <label htmlFor={id} className="field-label">
                    {f.label}
                    {f.required && <span aria-hidden="true" className="req"> *</span>}
                  </label>
                  <div className="field-value">
                    <FieldInput id={id} field={f} value={values[name]} record={values} onChange={(v) => setValues((s) => ({ ...s, [name]: v }))} />
                  </div>
                </div>
              );
            })}
          </div>
        </Card>
        {meta.hasLineItems && (
          <Card title="Line items">
            <LineItemsEditor lines={lines} onChange={setLines} tax={tax} onTaxChange={setTax} currency={currency} editable />
          </Card>
        )}
        <ErrorBox error={error} title={error?.field ? `${error.field}:` : undefined} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : `Create ${meta.singular}`}
          </button>
          <Link to={`/${object}`} className="btn btn-ghost">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}
