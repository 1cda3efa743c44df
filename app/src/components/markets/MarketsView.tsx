import { useGroup } from '../../context/GroupContext';
import { formatPct, formatPrice } from '../../lib/amounts';
import { marketRows } from '../../lib/market';
import { Notice } from '../common/Notice';
import { Section } from '../common/Section';
import { PerpMarketsTable } from './PerpMarketsTable';

const num = (v: number, digits = 2) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—');

export function MarketsView() {
  const { state, error } = useGroup();
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!state) return <Notice>Loading the group…</Notice>;
  const rows = marketRows(state);
  const interval = state.group.params.sampleIntervalSeconds;
  return (
    <>
    <Section title="Markets" aside={<span className="muted small">prices from Pyth PriceUpdateV2 (shard 0); chain time {new Date(Number(state.now) * 1000).toISOString().replace('.000', '')}</span>}>
      <div className="table-wrap">
        <table data-testid="markets-table">
          <thead>
            <tr>
              <th>Asset</th>
              <th className="num">Price (USD)</th>
              <th className="num">Confidence</th>
              <th>Oracle</th>
              <th className="num" title={`σ per ${interval} s sample × √(year / ${interval} s)`}>
                Volatility (annual)
              </th>
              <th className="num">Deposits</th>
              <th className="num">Borrows</th>
              <th className="num">Utilisation</th>
              <th className="num">Deposit APR</th>
              <th className="num">Borrow APR</th>
              <th className="num">Deposit cap</th>
              <th className="num">Borrow cap</th>
              <th title="The mint's freeze authority could freeze the vault and lock every depositor">Freeze authority</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.index} data-testid={`market-${r.symbol}`}>
                <td>
                  <strong>{r.symbol}</strong>
                </td>
                <td className="num" data-testid="price">
                  {r.price === null ? '—' : formatPrice(r.price)}
                </td>
                <td className="num">
                  {r.conf === null || r.price === null ? '—' : `±${formatPrice(r.conf)} (${formatPct(r.conf / r.price, 3)})`}
                </td>
                <td>
                  <span className={`pill ${r.status === 'ok' ? 'pill-ok' : 'pill-bad'}`}>{r.status}</span>
                  {r.age !== null && <span className="muted small"> {r.age}s ago</span>}
                </td>
                <td className="num" title={`${r.volPerSample.toFixed(5)} per sample`}>
                  {formatPct(r.volAnnual, 1)}
                </td>
                <td className="num">{num(r.deposits, 4)}</td>
                <td className="num">{num(r.borrows, 4)}</td>
                <td className="num">{formatPct(r.utilization)}</td>
                <td className="num" title={r.curve}>
                  {formatPct(r.depositRate)}
                </td>
                <td className="num" title={r.curve}>
                  {formatPct(r.borrowRate)}
                </td>
                <td className="num">{num(r.depositCap, 0)}</td>
                <td className="num">{num(r.borrowCap, 0)}</td>
                <td className="small" data-testid="freeze-authority" title={r.freezeAuthority ?? 'no freeze authority'}>
                  {r.freezeAuthority === null ? 'none' : `${r.freezeAuthority.slice(0, 4)}…${r.freezeAuthority.slice(-4)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
    <PerpMarketsTable />
    </>
  );
}
