import type { WrappedI80F48 } from '../../generated';
import { bits, toNumber } from '../../lib/fixed';
import type { GroupState } from '../../lib/state';
import { AddressLink } from '../common/Address';

/** Stored parameters come from ×10⁶/×10⁹ integers: 10 significant digits show them without I80F48 noise. */
const fx = (w: WrappedI80F48) => Number(toNumber(bits(w)).toPrecision(10)).toString();

export function GroupParams({ state }: { state: GroupState }) {
  const g = state.group;
  const p = g.params;
  const rows: [string, string][] = [
    ['EWMA decay λ', fx(p.lambda).toString()],
    ['VaR quantile z', fx(p.z)],
    ['Correlation spike α', fx(p.spikeAlpha).toString()],
    ['Correlation breakdown β', fx(p.breakdownBeta).toString()],
    ['Stress volatility multiplier m', fx(p.stressVolMultiplier).toString()],
    ['Joint move c (horizon σ)', fx(p.jointMoveSigmas).toString()],
    ['Hedge floor u (share of the legs\' standalone margin)', fx(p.hedgeFloor).toString()],
    ['Volatility floor κ (× slow volatility)', fx(p.volFloorWeight).toString()],
    ['Slow variance decay λ_s', fx(p.slowLambda).toString()],
    ['Short volatility floor κ_f (× short volatility)', fx(p.shortVolWeight).toString()],
    ['Short variance decay λ_f', fx(p.shortLambda).toString()],
    ['Initial / maintenance', fx(p.initialMultiplier).toString()],
    ['Confidence multiplier k', fx(p.confK).toString()],
    ['Max confidence / price', fx(p.maxConfRatio).toString()],
    ['Liquidator fee', fx(p.liquidatorFee).toString()],
    ['Insurance fee', fx(p.insuranceFee).toString()],
    ['Sample interval', `${p.sampleIntervalSeconds} s`],
    ['Horizon', `${p.horizonSeconds} s`],
    ['Oracle max age', `${p.oracleMaxAgeSeconds} s`],
  ];
  return (
    <div className="grid2" data-testid="group-params">
      <dl className="kv">
        <dt>Group</dt>
        <dd>
          <AddressLink address={state.address} full />
        </dd>
        <dt>Group id</dt>
        <dd>{g.groupId}</dd>
        <dt>Admin</dt>
        <dd>
          <AddressLink address={g.admin} full />
        </dd>
        <dt>Risk authority</dt>
        <dd>
          <AddressLink address={g.riskAuthority} full />
        </dd>
        <dt>Risk model</dt>
        <dd>
          <AddressLink address={g.riskModel} full />
        </dd>
        <dt>Assets</dt>
        <dd>{g.assetCount}</dd>
        <dt>Created</dt>
        <dd>{new Date(Number(g.createdAt) * 1000).toISOString()}</dd>
      </dl>
      <table className="params">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td className="num mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
