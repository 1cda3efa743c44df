import { formatPct } from '../../lib/amounts';
import { bits, toDecimalString, toNumber } from '../../lib/fixed';
import type { GroupState } from '../../lib/state';
import { annualise, triIndex } from '../../lib/volatility';

const lastPrice = (v: number) => (v > 0 ? v.toLocaleString('en-US', { maximumFractionDigits: 6 }) : '—');

export function VolatilityTable({ state }: { state: GroupState }) {
  const m = state.model;
  const interval = state.group.params.sampleIntervalSeconds;
  const last = Number(m.lastSampleTime);
  return (
    <>
      <p className="small" data-testid="model-samples">
        <strong>{m.sampleCount.toString()}</strong> samples applied; last sample{' '}
        <strong>{last > 0 ? new Date(last * 1000).toISOString() : 'none yet (bootstrap covariance)'}</strong>
        {m.pendingSampleTime > 0n && ` · a sample is pending since ${new Date(Number(m.pendingSampleTime) * 1000).toISOString()}`} · sample
        interval {interval} s
      </p>
      <table data-testid="volatility-table">
        <thead>
          <tr>
            <th>Asset</th>
            <th className="num">σ per sample</th>
            <th className="num">σ annualised</th>
            <th className="num">Variance (exact)</th>
            <th className="num">Last sampled price</th>
          </tr>
        </thead>
        <tbody>
          {state.assets.map((a) => {
            const vol = toNumber(bits(m.volatility[a.index]!));
            return (
              <tr key={a.index}>
                <td>{a.symbol}</td>
                <td className="num">{vol.toFixed(6)}</td>
                <td className="num">{formatPct(annualise(vol, interval), 1)}</td>
                <td className="num mono small">{toDecimalString(bits(m.covariance[triIndex(a.index, a.index)]!), 12)}</td>
                <td className="num">{lastPrice(toNumber(bits(m.lastPrices[a.index]!)))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
