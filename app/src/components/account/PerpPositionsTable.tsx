import { useMemo } from 'react';
import { formatPrice, formatTokens, formatUsd } from '../../lib/amounts';
import { toNumber } from '../../lib/fixed';
import { activePerps, entryPrice } from '../../lib/perps';
import type { GroupState, MarginAccountView } from '../../lib/state';
import { riskRequest, type DecodedPerpPosition, type RiskEngine } from '../../risk';

type Props = {
  state: GroupState;
  engine: RiskEngine | null;
  account: MarginAccountView | null;
  /** Prepares the trade that closes the position in `market` (`base`: its signed size). */
  onClose: (market: number, base: bigint) => void;
};

/** The account's perp positions in slot order, as the engine's `decode` values them now. */
export function perpPositions(engine: RiskEngine | null, state: GroupState, account: MarginAccountView | null): DecodedPerpPosition[] {
  if (!account) return [];
  if (engine) {
    try {
      const out = engine.decode(riskRequest(state, account)) as { ok: boolean; account?: { perp_positions?: DecodedPerpPosition[] } | null };
      if (out.ok && out.account?.perp_positions) return out.account.perp_positions;
    } catch {
      // Below: size and booked cash from the account alone.
    }
  }
  return activePerps(account.account).map((p) => ({
    market_index: p.marketIndex,
    base: p.base.toString(),
    quote: toNumber(p.quoteBits),
    pnl: null,
    funding_owed: null,
    price: null,
  }));
}

/**
 * Size, entry price (|booked cash / size|), the oracle (mark) price, the PnL at it (realized PnL
 * not yet settled and funding included) and the funding owed of each perp position, with a button
 * that prepares its closing trade. Positions traded to zero stay until their PnL is settled.
 */
export function PerpPositionsTable({ state, engine, account, onClose }: Props) {
  const rows = useMemo(() => perpPositions(engine, state, account), [engine, state, account]);
  if (rows.length === 0) {
    return (
      <p className="small muted" data-testid="no-perp-positions">
        No perp positions.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table data-testid="perp-positions-table">
        <thead>
          <tr>
            <th>Market</th>
            <th className="num">Size</th>
            <th className="num">Entry price</th>
            <th className="num">Mark price</th>
            <th className="num" title="at the oracle price, realized PnL not yet settled and funding included">
              Unrealized PnL
            </th>
            <th className="num" title="> 0: owed by you">
              Funding owed
            </th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => {
            const m = state.perps?.markets.find((x) => x.account.marketIndex === p.market_index);
            const symbol = m ? (state.assets[m.account.assetIndex]?.symbol ?? `#${m.account.assetIndex}`) : `#${p.market_index}`;
            const decimals = m?.account.decimals ?? 0;
            const base = BigInt(p.base);
            const entry = entryPrice(base, p.quote, decimals);
            return (
              <tr key={p.market_index} data-testid={`perp-position-${symbol}`}>
                <td>
                  <strong>{symbol}-PERP</strong>
                </td>
                <td className={`num ${base < 0n ? 'neg' : ''}`} data-testid="perp-size">
                  {base === 0n ? 'closed' : `${base > 0n ? 'long' : 'short'} ${formatTokens(base < 0n ? -base : base, decimals)}`}
                </td>
                <td className="num" data-testid="perp-entry">
                  {entry === null ? '—' : formatPrice(entry)}
                </td>
                <td className="num" data-testid="perp-mark">
                  {p.price === null ? '—' : formatPrice(p.price)}
                </td>
                <td className={`num ${p.pnl !== null && p.pnl < 0 ? 'neg' : ''}`} data-testid="perp-pnl">
                  {formatUsd(p.pnl)}
                </td>
                <td className="num" data-testid="perp-funding">
                  {formatUsd(p.funding_owed)}
                </td>
                <td>
                  {base !== 0n && (
                    <button data-testid="perp-close" onClick={() => onClose(p.market_index, base)}>
                      Close
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
