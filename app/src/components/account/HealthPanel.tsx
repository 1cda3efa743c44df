import { formatUsd } from '../../lib/amounts';
import type { Health } from '../../risk';
import { HealthBar, formatHealth, healthState } from './HealthBar';

const TERM_LABELS: [keyof NonNullable<Health['terms']>, string][] = [
  ['var', 'VaR'],
  ['correlation_spike', 'Correlation spike'],
  ['correlation_breakdown', 'Correlation breakdown'],
  ['joint_move', 'Joint move'],
  ['hedge_floor', 'Hedge floor'],
  ['depeg', 'Stablecoin de-peg'],
  ['floor', 'Floor'],
];

const STATE_TEXT = {
  healthy: 'Healthy: withdrawals and borrows allowed up to the initial margin',
  restricted: 'Below initial margin: only deposits and repayments until it recovers',
  liquidatable: 'Below maintenance margin: liquidatable',
};

export function bindingLabel(binding: string): string {
  const b = binding.toLowerCase().replace(/[\s-]+/g, '_');
  return TERM_LABELS.find(([k]) => b === k || b.includes(k))?.[1] ?? binding;
}

export function HealthPanel({ health }: { health: Health }) {
  const state = healthState(health);
  return (
    <div className="health" data-testid="health-panel">
      <div className="kpis">
        <Kpi label="Equity" value={formatUsd(health.equity)} testId="equity" />
        <Kpi label="Maintenance margin" value={formatUsd(health.maintenance_margin)} testId="maintenance-margin" />
        <Kpi label="Initial margin" value={formatUsd(health.initial_margin)} testId="initial-margin" />
        <Kpi label="Free (initial health)" value={formatUsd(health.initial_health)} testId="initial-health" />
        <Kpi label="Health" value={formatHealth(health)} testId="health-ratio" />
        <Kpi label="Binding term" value={bindingLabel(health.binding)} testId="binding" />
      </div>
      <HealthBar health={health} />
      <p className={`small state-${state}`}>{STATE_TEXT[state]}</p>
      {health.terms && (
        <table className="terms">
          <tbody>
            <tr>
              {TERM_LABELS.map(([k, label]) => (
                <th key={k} className={`num ${bindingLabel(health.binding) === label ? 'binding' : ''}`}>
                  {label}
                </th>
              ))}
            </tr>
            <tr>
              {TERM_LABELS.map(([k]) => (
                <td key={k} className="num">
                  {formatUsd(health.terms![k])}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      )}
    </div>
  );
}

function Kpi({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="kpi">
      <div className="kpi-label">{label}</div>
      <div className="kpi-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
