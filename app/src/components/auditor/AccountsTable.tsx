import { formatUsd } from '../../lib/amounts';
import { activePositions } from '../../lib/positions';
import type { GroupState, MarginAccountView } from '../../lib/state';
import { riskRequest, type Health, type RiskEngine } from '../../risk';
import { formatHealth, healthRatio, healthState } from '../account/HealthBar';
import { AddressLink } from '../common/Address';

type Row = { m: MarginAccountView; health: Health | null; error: string | null };

/** Every margin account, least healthy first (health from the program's own code). */
export function AccountsTable({ state, accounts, engine }: { state: GroupState; accounts: MarginAccountView[]; engine: RiskEngine | null }) {
  const rows: Row[] = accounts.map((m) => {
    if (!engine) return { m, health: null, error: null };
    const r = engine.preview(riskRequest(state, m, null));
    return { m, health: r.before, error: r.before ? null : r.error };
  });
  // Least healthy first: health ratio, then maintenance health in USD; empty books and unknowns last.
  const ratio = (r: Row) => (r.health ? (healthRatio(r.health) ?? 2) : 3);
  const usd = (r: Row) => (r.health ? Number(r.health.maintenance_health) : 0);
  rows.sort((a, b) => ratio(a) - ratio(b) || usd(a) - usd(b) || (a.m.address < b.m.address ? -1 : 1));
  if (rows.length === 0) return <p className="muted">No margin accounts yet.</p>;
  return (
    <table data-testid="accounts-table">
      <thead>
        <tr>
          <th>Account</th>
          <th>Owner</th>
          <th className="num">Positions</th>
          <th className="num">Equity</th>
          <th className="num">Maintenance margin</th>
          <th className="num">Maintenance health</th>
          <th className="num">Health</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ m, health, error }) => (
          <tr key={m.address}>
            <td>
              <AddressLink address={m.address} /> <span className="muted small">#{m.account.index}</span>
            </td>
            <td>
              <AddressLink address={m.account.owner} />
            </td>
            <td className="num">{activePositions(m.account).length}</td>
            <td className="num">{health ? formatUsd(health.equity) : '—'}</td>
            <td className="num">{health ? formatUsd(health.maintenance_margin) : '—'}</td>
            <td className="num">{health ? formatUsd(health.maintenance_health) : '—'}</td>
            <td className="num">{health ? formatHealth(health) : '—'}</td>
            <td>{health ? healthState(health) : <span className="small muted">{error ?? 'needs the risk engine'}</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
