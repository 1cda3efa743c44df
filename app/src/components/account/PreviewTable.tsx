import { formatUsd } from '../../lib/amounts';
import type { GroupState } from '../../lib/state';
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

/**
 * Before → after of the previewed action, and the engine's verdict.
 *
 * The exact figures the program's `BalanceChanged` event will carry are data attributes of the
 * "After" header (I80F48 bits as decimal strings: equity, initial and maintenance margin after, the
 * position's shares after), and the inputs' time on the preview: the chain clock (`data-now`, the
 * `now` the engine ran at), the slot of that read and each asset's oracle publish time. The preview
 * is exact for a transaction that executes at the same clock second with the same oracle prices.
 */
export function PreviewTable({ preview, state }: { preview: PreviewResult; state?: GroupState }) {
  const { before, after } = preview;
  return (
    <div
      className="preview"
      data-testid="preview"
      data-now={state?.now.toString()}
      data-slot={state?.slot.toString()}
      data-oracle-publish-times={state?.assets.map((a) => a.oracle.update?.publishTime.toString() ?? '').join(',')}
    >
      {(before || after) && (
        <table>
          <thead>
            <tr>
              <th />
              <th className="num">Now</th>
              <th
                className="num"
                data-testid="preview-after"
                data-equity-bits={after?.equity_bits}
                data-initial-margin-bits={after?.initial_margin_bits}
                data-maintenance-margin-bits={after?.maintenance_margin_bits}
                data-shares-after-bits={preview.shares_after_bits ?? undefined}
              >
                After
              </th>
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
