import { formatUsd } from '../../lib/amounts';
import type { Health, PreviewResult } from '../../risk';
import { formatHealth } from './HealthBar';
import { bindingLabel } from './HealthPanel';

const ROWS: [string, (h: Health) => string][] = [
  ['Equity', (h) => formatUsd(h.equity)],
  ['Maintenance margin', (h) => formatUsd(h.maintenance_margin)],
  ['Initial margin', (h) => formatUsd(h.initial_margin)],
  ['Free (initial health)', (h) => formatUsd(h.initial_health)],
  ['Health', (h) => formatHealth(h)],
  ['Binding term', (h) => bindingLabel(h.binding)],
];

/** Before → after of the previewed action, and the engine's verdict. */
export function PreviewTable({ preview }: { preview: PreviewResult }) {
  const { before, after } = preview;
  return (
    <div className="preview" data-testid="preview">
      {(before || after) && (
        <table>
          <thead>
            <tr>
              <th />
              <th className="num">Now</th>
              <th className="num">After</th>
            </tr>
          </thead>
          <tbody>
            {ROWS.map(([label, f]) => (
              <tr key={label}>
                <td>{label}</td>
                <td className="num">{before ? f(before) : '—'}</td>
                <td className="num" data-testid={`preview-after-${label.split(' ')[0]!.toLowerCase()}`}>
                  {after ? f(after) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.ok ? (
        <p className="small ok" data-testid="preview-verdict">
          The program accepts this.
        </p>
      ) : (
        <p className="small error" data-testid="preview-verdict">
          The program would refuse this: {preview.error?.replace(/\.?$/, '.')}
        </p>
      )}
    </div>
  );
}
