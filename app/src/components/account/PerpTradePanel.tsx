import type { Address } from '@solana/kit';
import { useMemo, useState } from 'react';
import { useCluster } from '../../context/ClusterContext';
import { useWallet } from '../../context/WalletContext';
import { usePreviewTrade } from '../../hooks/usePreview';
import { tradePerpInstructions } from '../../lib/actions';
import { formatAmount, formatPrice, formatTokens } from '../../lib/amounts';
import { baseDelta, closingTrade, entryPrice, limitPriceE6, parseBase, parseSlippage, type PerpSide } from '../../lib/perps';
import type { GroupState, MarginAccountView } from '../../lib/state';
import { sendAndConfirm, type TxStatus } from '../../lib/tx';
import type { RiskEngine, RiskTrade } from '../../risk';
import { PerpPositionsTable } from './PerpPositionsTable';
import { PreviewTable } from './PreviewTable';
import { TxStatusView } from './TxStatusView';

/** What the trader has typed: market, side, size in whole tokens, slippage in percent. */
export type PerpTicket = { market: number; side: PerpSide; size: string; slippage: string };

export const DEFAULT_SLIPPAGE = '1';

type Props = {
  state: GroupState;
  engine: RiskEngine | null;
  accountAddress: Address;
  account: MarginAccountView | null;
  onDone: () => void;
};

const SIDES: PerpSide[] = ['long', 'short'];

/**
 * The account's perp positions and a trade ticket: market, side, size and slippage, previewed by
 * the program's own `trade_perp` replay as the trader types (fill, position and health after, or
 * the program's refusal), sent with the limit price fill × (1 ± slippage).
 */
export function PerpTradePanel({ state, engine, accountAddress, account, onDone }: Props) {
  const { rpc } = useCluster();
  const { wallet } = useWallet();
  const markets = state.perps?.markets ?? [];
  const [ticket, setTicket] = useState<PerpTicket>({ market: markets[0]?.account.marketIndex ?? 0, side: 'long', size: '', slippage: DEFAULT_SLIPPAGE });
  const [status, setStatus] = useState<TxStatus | null>(null);
  const edit = (t: Partial<PerpTicket>) => {
    setTicket((old) => ({ ...old, ...t }));
    setStatus(null);
  };

  const m = markets.find((x) => x.account.marketIndex === ticket.market) ?? markets[0];
  const decimals = m?.account.decimals ?? 0;
  const symbol = m ? (state.assets[m.account.assetIndex]?.symbol ?? `#${m.account.assetIndex}`) : '';
  const size = ticket.size.trim() === '' ? null : parseBase(ticket.size, decimals);
  const invalidSize = ticket.size.trim() !== '' && size === null;
  const slippage = parseSlippage(ticket.slippage);
  const delta = size !== null && size > 0n ? baseDelta(ticket.side, size) : null;

  const trade: RiskTrade | null = useMemo(
    () => (m && delta !== null ? { market: m.account.marketIndex, base_delta: delta.toString() } : null),
    [m, delta],
  );
  const preview = usePreviewTrade(engine, state, account, trade);
  const fillBits = preview?.fill_price_bits ? BigInt(preview.fill_price_bits) : null;
  const limit = fillBits !== null && slippage !== null ? limitPriceE6(fillBits, ticket.side, slippage) : null;
  const after = preview?.position_after ?? null;
  const busy = status?.state === 'signing' || status?.state === 'pending';

  if (!m) return null;

  const submit = async () => {
    if (!wallet || delta === null || limit === null) return;
    setStatus({ state: 'signing' });
    try {
      const ixs = tradePerpInstructions({
        state,
        owner: wallet.signer,
        accountAddress,
        account,
        market: m.account.marketIndex,
        baseDelta: delta,
        limitPriceE6: limit,
      });
      await sendAndConfirm(rpc, wallet.signer, ixs, setStatus, { lookupTables: state.group.lookupTables });
      setTicket((t) => ({ ...t, size: '' }));
    } catch (e) {
      // sendAndConfirm reports its own failures; this catches building errors.
      setStatus((s) => (s?.state === 'failed' ? s : { state: 'failed', error: { message: e instanceof Error ? e.message : String(e), logs: [] } }));
    } finally {
      onDone();
    }
  };

  const close = (market: number, base: bigint) => {
    const c = closingTrade(base);
    const dec = markets.find((x) => x.account.marketIndex === market)?.account.decimals ?? 0;
    edit({ market, side: c.side, size: formatAmount(c.size, dec) });
  };

  const afterBase = after ? BigInt(after.base) : null;
  const afterEntry = after && afterBase !== null ? entryPrice(afterBase, Number(after.quote), decimals) : null;

  return (
    <div className="actions" data-testid="perp-panel">
      <PerpPositionsTable state={state} engine={engine} account={account} onClose={close} />
      <div className="tabs" role="tablist">
        {SIDES.map((s) => (
          <button
            key={s}
            role="tab"
            aria-selected={s === ticket.side}
            className={s === ticket.side ? 'active' : ''}
            data-testid={`perp-side-${s}`}
            onClick={() => edit({ side: s })}
          >
            {s === 'long' ? 'Long (buy)' : 'Short (sell)'}
          </button>
        ))}
      </div>
      <div className="action-form">
        <select aria-label="Perp market" data-testid="perp-market" value={m.account.marketIndex} onChange={(e) => edit({ market: Number(e.target.value) })}>
          {markets.map((x) => (
            <option key={x.account.marketIndex} value={x.account.marketIndex}>
              {state.assets[x.account.assetIndex]?.symbol ?? `#${x.account.assetIndex}`}-PERP
            </option>
          ))}
        </select>
        <input
          aria-label="Size"
          data-testid="perp-size-input"
          inputMode="decimal"
          placeholder={`size in ${symbol} (${decimals} decimals)`}
          value={ticket.size}
          onChange={(e) => edit({ size: e.target.value })}
          className={invalidSize ? 'invalid' : ''}
        />
        <label className="small">
          slippage %{' '}
          <input
            aria-label="Slippage (percent)"
            data-testid="perp-slippage"
            inputMode="decimal"
            style={{ width: 70 }}
            value={ticket.slippage}
            onChange={(e) => edit({ slippage: e.target.value })}
            className={slippage === null ? 'invalid' : ''}
          />
        </label>
        <button className="primary" data-testid="perp-submit" disabled={!wallet || busy || limit === null} onClick={() => void submit()}>
          {ticket.side === 'long' ? 'Buy' : 'Sell'} {symbol}-PERP
        </button>
      </div>
      <p className="small muted">
        {invalidSize && <span className="error">Not a valid size with {decimals} decimals. </span>}
        {slippage === null && <span className="error">The slippage must be a percentage below 100. </span>}
        {!engine && 'The limit price comes from the risk engine’s preview: it is not loaded.'}
      </p>
      {preview && trade && (
        <div data-testid="perp-preview">
          {fillBits !== null && (
            <dl className="kv small">
              <dt>Fill price</dt>
              <dd data-testid="perp-fill" data-fill-price-bits={preview.fill_price_bits ?? undefined}>
                {formatPrice(Number(preview.fill_price))} USD per {symbol}
              </dd>
              <dt>Limit price ({ticket.side === 'long' ? 'highest' : 'lowest'} fill accepted)</dt>
              <dd data-testid="perp-limit" data-limit-price-e6={limit?.toString()}>
                {limit === null ? '—' : `${formatPrice(Number(limit) / 1e6)} USD per ${symbol}`}
              </dd>
              <dt>Position after</dt>
              <dd data-testid="perp-position-after" data-base={after?.base} data-quote-bits={after?.quote_bits}>
                {afterBase === null
                  ? '—'
                  : afterBase === 0n
                    ? 'closed'
                    : `${afterBase > 0n ? 'long' : 'short'} ${formatTokens(afterBase < 0n ? -afterBase : afterBase, decimals)} ${symbol}` +
                      (afterEntry === null ? '' : ` at ${formatPrice(afterEntry)}`)}
              </dd>
            </dl>
          )}
          <PreviewTable preview={preview} state={state} />
        </div>
      )}
      <TxStatusView status={status} />
    </div>
  );
}
