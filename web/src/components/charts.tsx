// Hand-rolled SVG charts: a picture where it reads better than a number, no chart library.

export interface Bar {
  label: string;
  value: number;
  color?: string;
  title?: string;
}

/** Vertical bars with a value label above each; `format` turns a value into text. */
export function BarChart({
  bars, format, height = 180, label, showValues = true, labelEvery = 1, empty,
}: {
  /** Shown instead of the chart when every bar is zero. */
  empty?: string;
  bars: Bar[];
  format: (v: number) => string;
  height?: number;
  label: string;
  showValues?: boolean;
  labelEvery?: number;
}) {
  const width = 520;
  const pad = { top: 22, bottom: 26, left: 6, right: 6 };
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - pad.left - pad.right) / Math.max(1, bars.length);
  const barW = Math.max(2, Math.min(64, slot * 0.62));
  const plotH = height - pad.top - pad.bottom;
  if (empty && bars.every((b) => b.value === 0))
    return (
      <figure className="chart">
        <div className="chart-empty" role="img" aria-label={`${label}: ${empty}`}>
          {empty}
        </div>
      </figure>
    );
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
        <line x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} className="axis" />
        {bars.map((b, i) => {
          const h = b.value > 0 ? Math.max(2, (b.value / max) * plotH) : 0;
          const x = pad.left + slot * i + (slot - barW) / 2;
          const y = height - pad.bottom - h;
          return (
            <g key={b.label + i}>
              <rect x={x} y={y} width={barW} height={h} rx={3} fill={b.color ?? 'var(--accent)'}>
                <title>{b.title ?? `${b.label}: ${format(b.value)}`}</title>
              </rect>
              {showValues && (
                <text x={x + barW / 2} y={y - 6} textAnchor="middle" className="chart-value">
                  {format(b.value)}
                </text>
              )}
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={height - 8} textAnchor="middle" className="chart-label">
                  {b.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{label}</caption>
        <tbody>
          {bars.map((b, i) => (
            <tr key={i}>
              <th>{b.label}</th>
              <td>{format(b.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** One horizontal bar split into parts (e.g. orders by status). */
export function SplitBar({ parts, label }: { parts: Bar[]; label: string }) {
  const total = parts.reduce((s, p) => s + p.value, 0);
  return (
    <div className="splitbar" role="img" aria-label={`${label}: ${parts.map((p) => `${p.label} ${p.value}`).join(', ')}`}>
      {total === 0 ? (
        <div className="splitbar-empty" />
      ) : (
        parts
          .filter((p) => p.value > 0)
          .map((p) => <div key={p.label} style={{ flexGrow: p.value, background: p.color }} title={`${p.label}: ${p.value}`} />)
      )}
    </div>
  );
}

/** A legend line per bar. */
export function Legend({ items }: { items: { label: string; color: string; text: string }[] }) {
  return (
    <ul className="legend">
      {items.map((i) => (
        <li key={i.label}>
          <span className="swatch" style={{ background: i.color }} aria-hidden="true" />
          {i.label} <span className="muted">{i.text}</span>
        </li>
      ))}
    </ul>
  );
}
