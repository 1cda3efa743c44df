import { formatTokens, formatUsd } from '../../lib/amounts';
import { activePositions, positionAmount } from '../../lib/positions';
import type { GroupState, MarginAccountView } from '../../lib/state';
import type { Health } from '../../risk';

type Props = { state: GroupState; account: MarginAccountView | null; balances: bigint[]; health: Health | null };

/** Every asset: the account's position (deposit > 0, debt < 0), its value and risk contribution, the wallet balance. */
export function PositionsTable({ state, account, balances, health }: Props) {
  const positions = account ? activePositions(account.account) : [];
  const byAsset = new Map(positions.map((p) => [p.assetIndex, p]));
  const risk = new Map((health?.positions ?? []).map((p) => [p.asset, p]));
  return (
    <div className="table-wrap">
      <table data-testid="positions-table">
        <thead>
          <tr>
            <th>Asset</th>
            <th className="num">Position</th>
            <th className="num">Value (USD)</th>
            <th className="num">Risk contribution</th>
            <th className="num">In wallet</th>
          </tr>
        </thead>
        <tbody>
          {state.assets.map((a) => {
            const p = byAsset.get(a.index);
            const amount = p ? positionAmount(a.account, p.shares) : 0n;
            const r = risk.get(a.index);
            return (
              <tr key={a.index} data-testid={`position-${a.symbol}`} className={p ? '' : 'dim'}>
                <td>{a.symbol}</td>
                <td className={`num ${amount < 0n ? 'neg' : ''}`} data-testid="position-amount">
                  {p ? `${amount < 0n ? 'debt ' : ''}${formatTokens(amount < 0n ? -amount : amount, a.account.decimals)}` : '—'}
                </td>
                <td className="num">{r ? formatUsd(r.value_usd) : '—'}</td>
                <td className="num">{r ? formatUsd(r.contribution_usd) : '—'}</td>
                <td className="num" data-testid="wallet-balance">
                  {formatTokens(balances[a.index] ?? 0n, a.account.decimals)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
