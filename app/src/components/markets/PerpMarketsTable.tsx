import { useMemo } from 'react';
import { useGroup } from '../../context/GroupContext';
import { useRiskEngine } from '../../hooks/useRiskEngine';
import { formatPct, formatPrice } from '../../lib/amounts';
import { marketRows } from '../../lib/market';
import { riskRequest } from '../../risk';
import { Section } from '../common/Section';

/** One perp market as the engine's `decode` reports it. */
type PerpMarketRow = {
  market_index: number;
  asset_index: number;
  long_oi: number;
  short_oi: number;
  long_oi_cap: number;
  short_oi_cap: number;
  funding_rate_per_day: number;
  funding_cap_per_day: number;
  long_funding_index: number;
  short_funding_index: number;
  base_spread: number;
  upnl_initial_weight: number;
  upnl_maintenance_weight: number;
  liquidation_fee: number;
};

type PerpsDecoded = { vault_tokens: number; max_utilization: number; market_count: number; markets: PerpMarketRow[] };

const num = (v: number, digits = 2) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—');

/**
 * The group's perp markets: the oracle price, open interest against its caps, the funding rate the skew sets now and
 * the funding indices (computed by the program's own engine through WebAssembly), the spread and
 * profit weights; the vault's tokens. Nothing when the group lists no perps.
 */
export function PerpMarketsTable() {
  const { state } = useGroup();
  const { engine, error } = useRiskEngine();
  const decoded = useMemo(() => {
    if (!state?.perps || !engine) return null;
    const out = engine.decode(riskRequest(state, null)) as { ok: boolean; error: string | null; perps: PerpsDecoded | null };
    return out.ok ? out.perps : null;
  }, [state, engine]);
  if (!state?.perps) return null;
  const symbol = (asset: number) => state.assets[asset]?.symbol ?? `#${asset}`;
  // The oracle price a trade fills around (the asset's Pyth feed, as the program reads it).
  const prices = marketRows(state).map((r) => r.price);
  return (
    <Section
      title="Perpetual futures"
      aside={
        <span className="muted small">
          vault {decoded ? `${num(decoded.vault_tokens, 0)} ${symbol(state.assets.findIndex((a) => a.address === state.perps!.vault.quoteAsset))}` : '—'}
          {decoded ? `, max utilisation ${formatPct(decoded.max_utilization)}` : ''}
        </span>
      }
    >
      {!decoded && <p className="muted small">{error ?? 'computing…'}</p>}
      {decoded && (
        <div className="table-wrap">
          <table data-testid="perp-markets-table">
            <thead>
              <tr>
                <th>Market</th>
                <th className="num">Oracle price</th>
                <th className="num">Long OI / cap</th>
                <th className="num">Short OI / cap</th>
                <th className="num" title="clamp(k·(L−S)/(L+S), ±cap), per day: longs pay when positive">
                  Funding (day)
                </th>
                <th className="num">Funding indices (long / short, USD per token)</th>
                <th className="num">Half-spread</th>
                <th className="num" title="unrealized profit counted for initial / maintenance health">
                  Profit weights
                </th>
                <th className="num">Liquidation fee</th>
              </tr>
            </thead>
            <tbody>
              {decoded.markets.map((m) => (
                <tr key={m.market_index} data-testid={`perp-${symbol(m.asset_index)}`}>
                  <td>
                    <strong>{symbol(m.asset_index)}-PERP</strong>
                  </td>
                  <td className="num" data-testid="perp-price">
                    {prices[m.asset_index] == null ? '—' : formatPrice(prices[m.asset_index]!)}
                  </td>
                  <td className="num">
                    {num(m.long_oi, 4)} / {num(m.long_oi_cap, 0)}
                  </td>
                  <td className="num">
                    {num(m.short_oi, 4)} / {num(m.short_oi_cap, 0)}
                  </td>
                  <td className="num" data-testid="funding" title={`cap ±${formatPct(m.funding_cap_per_day, 3)}`}>
                    {formatPct(m.funding_rate_per_day, 4)}
                  </td>
                  <td className="num">
                    {num(m.long_funding_index, 6)} / {num(m.short_funding_index, 6)}
                  </td>
                  <td className="num">{formatPct(m.base_spread, 3)}</td>
                  <td className="num">
                    {formatPct(m.upnl_initial_weight, 0)} / {formatPct(m.upnl_maintenance_weight, 0)}
                  </td>
                  <td className="num">{formatPct(m.liquidation_fee, 2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
