import { useEffect, useId, useRef, useState } from 'react';
import { moneyInputValue, parseMoney, toDateTimeLocal, fromDateTimeLocal } from '../lib/format';
import { useFormat } from '../session';
import { useList } from '../api/hooks';
import { searchFilter } from '../api/query';
import { labelOf, rememberRecord, useRecordRef } from '../api/refs';
import { CURRENCIES, OBJECT_BY_NAME, type Field } from '../lib/objects';

/** An amount typed in major units, held as minor units. */
export function MoneyInput({
  id, value, currency, onChange, disabled, label, className = '', required,
}: {
  id?: string;
  value: number | null | undefined;
  currency: string;
  onChange: (minor: number | null) => void;
  disabled?: boolean;
  label?: string;
  className?: string;
  required?: boolean;
}) {
  const { locale } = useFormat();
  const [text, setText] = useState(moneyInputValue(value, currency, locale));
  const [focused, setFocused] = useState(false);
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    if (!focused) setText(moneyInputValue(value, currency, locale));
  }, [value, currency, locale, focused]);
  return (
    <input
      id={id}
      className={`input num ${invalid ? 'invalid' : ''} ${className}`}
      inputMode="decimal"
      aria-label={label}
      aria-invalid={invalid || undefined}
      value={text}
      disabled={disabled}
      required={required}
      onFocus={() => setFocused(true)}
      onBlur={() => {
        setFocused(false);
        const v = parseMoney(text, currency, locale);
        if (v !== null) setText(moneyInputValue(v, currency, locale));
      }}
      onChange={(e) => {
        setText(e.target.value);
        const v = parseMoney(e.target.value, currency, locale);
        setInvalid(e.target.value.trim() !== '' && v === null);
        onChange(e.target.value.trim() === '' ? null : v);
      }}
    />
  );
}

/** A searchable picker of one record of `object` (a combobox over the list API). */
export function RefSelect({
  id, object, value, onChange, disabled, label, required, filterExtra,
}: {
  id?: string;
  object: string;
  value: string | null | undefined;
  onChange: (id: string | null, record?: Record<string, unknown>) => void;
  disabled?: boolean;
  label?: string;
  required?: boolean;
  filterExtra?: Parameters<typeof useList>[1]['filter'];
}) {
  const meta = OBJECT_BY_NAME[object];
  const current = useRecordRef(object, value);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const search = searchFilter(meta?.search ?? [], text);
  const { data, loading } = useList<Record<string, unknown>>(open ? object : null, {
    filter: [...(search ? [search] : []), ...(filterExtra ?? [])],
    orderBy: [meta.defaultSort],
    limit: 8,
  });
  const options = data?.data ?? [];
  useEffect(() => setActive(0), [text]);
  const choose = (r: Record<string, unknown> | null) => {
    if (r) rememberRecord(object, r);
    onChange(r ? (r.id as string) : null, r ?? undefined);
    setOpen(false);
    setText('');
  };
  const shown = open ? text : value ? labelOf(object, current, value) : '';
  return (
    <div className="combo">
      <input
        id={id}
        ref={inputRef}
        className="input"
        role="combobox"
        aria-label={label}
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && options[active] ? `${listId}-${active}` : undefined}
        placeholder={`Search ${meta?.label.toLowerCase() ?? object}…`}
        value={shown}
        disabled={disabled}
        required={required && !value}
        autoComplete="off"
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter' && open && options[active]) {
            e.preventDefault();
            choose(options[active]);
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {value && !disabled && !required && (
        <button type="button" className="combo-clear" aria-label={`Clear ${label ?? ''}`} onClick={() => choose(null)}>
          ×
        </button>
      )}
      {open && (
        <ul className="combo-list" role="listbox" id={listId}>
          {loading && options.length === 0 && <li className="combo-empty">Searching…</li>}
          {!loading && options.length === 0 && <li className="combo-empty">No match</li>}
          {options.map((r, i) => (
            <li
              key={r.id as string}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(r);
              }}
            >
              {labelOf(object, r)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The input for one catalog field. */
export function FieldInput({
  field, value, onChange, record, disabled, id,
}: {
  field: Field;
  value: unknown;
  onChange: (v: unknown) => void;
  record: Record<string, unknown>;
  disabled?: boolean;
  id: string;
}) {
  const fmt = useFormat();
  const currency = (record[field.currencyField ?? 'currency'] as string) || fmt.currency;
  switch (field.kind) {
    case 'money':
      return <MoneyInput id={id} value={value as number | null} currency={currency} onChange={onChange} disabled={disabled} required={field.required} />;
    case 'ref':
      return <RefSelect id={id} object={field.ref!} value={value as string | null} onChange={(v) => onChange(v)} disabled={disabled} required={field.required} />;
    case 'enum':
      return (
        <select id={id} className="input" value={(value as string) ?? ''} disabled={disabled} onChange={(e) => onChange(e.target.value || null)}>
          {!field.required && <option value="">—</option>}
          {field.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case 'currency':
      return (
        <select id={id} className="input" value={(value as string) || fmt.currency} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          {[...new Set([fmt.currency, ...CURRENCIES, ...(value ? [value as string] : [])])].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      );
    case 'bool':
      return <input id={id} type="checkbox" className="checkbox" checked={!!value} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />;
    case 'date':
      return <input id={id} type="date" className="input" value={(value as string) ?? ''} disabled={disabled} onChange={(e) => onChange(e.target.value || null)} />;
    case 'datetime':
      return (
        <input
          id={id}
          type="datetime-local"
          className="input"
          value={toDateTimeLocal(value as string)}
          disabled={disabled}
          onChange={(e) => onChange(fromDateTimeLocal(e.target.value))}
        />
      );
    case 'longtext':
      return <textarea id={id} className="input" rows={3} value={(value as string) ?? ''} disabled={disabled} onChange={(e) => onChange(e.target.value)} />;
    default:
      return (
        <input
          id={id}
          type={field.kind === 'email' ? 'email' : 'text'}
          className="input"
          value={(value as string) ?? ''}
          disabled={disabled}
          required={field.required}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}
