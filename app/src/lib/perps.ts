// Perp trades: sizes typed in tokens <-> signed native base units, the limit price from a previewed
// fill and a slippage, and the health accounts `trade_perp` takes, in the program's order.
import { AccountRole, type AccountMeta, type Address } from '@solana/kit';
import type { MarginAccount } from '../generated';
import { parseAmount, U64_MAX } from './amounts';
import { bitsFromBytes, ceilDiv, floorDiv, FRAC_BITS } from './fixed';
import { activePositions } from './positions';
import type { GroupState } from './state';

export type PerpSide = 'long' | 'short';

/** Most positions of both kinds one account holds (`MAX_TOTAL_POSITIONS` in margin_account.rs). */
export const MAX_TOTAL_POSITIONS = 25;
export const I64_MAX = (1n << 63n) - 1n;
/** Slippage is carried in parts per million (1% = 10,000). */
export const PPM = 1_000_000n;

export type PerpSlotView = { slot: number; marketIndex: number; base: bigint; quoteBits: bigint };

/** Active perp slots in slot order (`MarginAccount::active_perps`). */
export function activePerps(acc: MarginAccount): PerpSlotView[] {
  return acc.perps.flatMap((p, slot) =>
    p.active === 1 ? [{ slot, marketIndex: p.marketIndex, base: bitsFromBytes(p.baseLe), quoteBits: bitsFromBytes(p.quote.bytes) }] : [],
  );
}

/**
 * Market indices of the perp slots open after a trade in `marketIndex`, in slot order: a market
 * already held keeps its slot; a new one takes the lowest free slot (`find_or_open_perp`), unless
 * the account already holds MAX_TOTAL_POSITIONS positions (the program then refuses the trade).
 * A trade never frees a slot: a position traded to zero stays open until its PnL is settled.
 */
export function perpMarketsAfterTrade(acc: MarginAccount | null, marketIndex: number): number[] {
  const slots: (number | null)[] = Array.from({ length: acc?.perps.length ?? 16 }, () => null);
  const perps = acc ? activePerps(acc) : [];
  for (const p of perps) slots[p.slot] = p.marketIndex;
  if (!slots.includes(marketIndex)) {
    const open = (acc ? activePositions(acc).length : 0) + perps.length;
    const free = slots.indexOf(null);
    if (free >= 0 && open < MAX_TOTAL_POSITIONS) slots[free] = marketIndex;
  }
  return slots.filter((s): s is number => s !== null);
}

/**
 * The remaining accounts of `trade_perp` (the account's health accounts after the trade): (asset,
 * oracle) per spot position in slot order, (perp market, oracle) per perp slot after the trade in
 * slot order, then the perp vault and its token account.
 */
export function tradeHealthAccounts(state: GroupState, acc: MarginAccount | null, marketIndex: number): AccountMeta[] {
  const perps = state.perps;
  if (!perps) throw new Error('this group has no perp markets');
  const read = (address: Address): AccountMeta => ({ address, role: AccountRole.READONLY });
  const spot = (acc ? activePositions(acc) : []).flatMap((p) => {
    const a = state.assets[p.assetIndex];
    if (!a) throw new Error(`asset ${p.assetIndex} is not loaded`);
    return [read(a.address), read(a.oracle.address)];
  });
  const markets = perpMarketsAfterTrade(acc, marketIndex).flatMap((i) => {
    const m = perps.markets.find((x) => x.account.marketIndex === i);
    if (!m) throw new Error(`perp market ${i} is not loaded`);
    return [read(m.address), read(m.account.oracle)];
  });
  return [...spot, ...markets, read(perps.vaultRaw.address), read(perps.tokensRaw.address)];
}

/** Parses a slippage in percent ("1", "0.25") into parts per million; null when malformed or ≥ 100%. */
export function parseSlippage(text: string): bigint | null {
  // Percent with 4 decimals in units of 10⁻⁴ % = parts per million.
  const ppm = parseAmount(text, 4);
  return ppm !== null && ppm < PPM ? ppm : null;
}

/**
 * The limit price of a trade, USD × 10⁶ per whole token, from the previewed fill (I80F48 bits) and
 * the slippage: a buy pays at most fill × (1 + s), rounded up, a sell receives at least
 * fill × (1 − s), rounded down (the program refuses a buy filling above it, a sell below it).
 */
export function limitPriceE6(fillBits: bigint, side: PerpSide, slippagePpm: bigint): bigint {
  if (fillBits < 0n || slippagePpm < 0n) throw new Error('negative fill or slippage');
  // fill × 10⁶ × (10⁶ ± s) / 10⁶ = fill_bits × (10⁶ ± s) / 2⁴⁸.
  if (side === 'long') {
    const v = ceilDiv(fillBits * (PPM + slippagePpm), 1n << FRAC_BITS);
    return v > U64_MAX ? U64_MAX : v;
  }
  const keep = slippagePpm >= PPM ? 0n : PPM - slippagePpm;
  return floorDiv(fillBits * keep, 1n << FRAC_BITS);
}

/** A size typed in whole tokens as native base units; null when malformed, too precise or past i64. */
export function parseBase(text: string, decimals: number): bigint | null {
  const v = parseAmount(text, decimals);
  return v !== null && v <= I64_MAX ? v : null;
}

/** The signed `base_delta` of a trade (a long buys: > 0). */
export function baseDelta(side: PerpSide, size: bigint): bigint {
  return side === 'long' ? size : -size;
}

/** Native base units as whole tokens (display; not exact past 2⁵³). */
export function baseToTokens(base: bigint, decimals: number): number {
  return Number(base) / 10 ** decimals;
}

/** The trade that closes a position of `base` native units: the opposite side, the same size. */
export function closingTrade(base: bigint): { side: PerpSide; size: bigint } {
  return base > 0n ? { side: 'short', size: base } : { side: 'long', size: -base };
}

/** Entry price in USD per whole token: |quote / base|, base in whole tokens; null without a base. */
export function entryPrice(base: bigint, quote: number, decimals: number): number | null {
  if (base === 0n) return null;
  return Math.abs(quote / baseToTokens(base, decimals));
}
