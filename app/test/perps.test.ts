import { AccountRole, createNoopSigner, type Address } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { getTradePerpInstructionDataDecoder, type MarginAccount, type PerpMarket } from '../src/generated';
import { tradePerpInstructions } from '../src/lib/actions';
import { bytesFromBits, fromDecimalString, fromInt, wrap } from '../src/lib/fixed';
import {
  activePerps,
  baseDelta,
  closingTrade,
  entryPrice,
  limitPriceE6,
  parseBase,
  parseSlippage,
  perpMarketsAfterTrade,
  tradeHealthAccounts,
} from '../src/lib/perps';
import type { GroupState, PerpsView } from '../src/lib/state';
import { account, fixture } from './fixtures';

const key = (c: string) => c.repeat(32).slice(0, 32).replace(/^./, 'P') as Address;

/** Opens perp slot `slot` of `acc` in `market` with `base` native units and `quote` USD booked. */
function openPerp(acc: MarginAccount, slot: number, market: number, base: bigint, quote = '0') {
  acc.perps[slot] = { ...acc.perps[slot]!, baseLe: bytesFromBits(base), quote: wrap(fromDecimalString(quote)), marketIndex: market, active: 1 };
}

/** Two perp markets (BTC = market 0 on asset 0, a second = market 1 on asset 1) on the fixture group. */
function withPerps(state: GroupState): GroupState {
  const raw = (address: Address) => ({ address, owner: state.groupRaw.owner, lamports: 1n, data: new Uint8Array(0) });
  const market = (i: number) => ({
    address: key(`M${i}`),
    account: { marketIndex: i, assetIndex: i, oracle: state.assets[i]!.oracle.address, decimals: 8 } as PerpMarket,
    raw: raw(key(`M${i}`)),
  });
  const perps: PerpsView = { vault: {} as never, vaultRaw: raw(key('V')), tokensRaw: raw(key('T')), markets: [market(0), market(1)] };
  return { ...state, perps };
}

describe('perp slots', () => {
  it('reads active slots with their signed i128 base and quote bits', () => {
    const a = account('x', []);
    openPerp(a.account, 2, 1, -123_456_789n, '-12.5');
    openPerp(a.account, 0, 0, 5n);
    expect(activePerps(a.account)).toEqual([
      { slot: 0, marketIndex: 0, base: 5n, quoteBits: 0n },
      { slot: 2, marketIndex: 1, base: -123_456_789n, quoteBits: fromDecimalString('-12.5') },
    ]);
  });

  it('keeps a held market in its slot and opens a new one in the lowest free slot', () => {
    const a = account('x', []);
    openPerp(a.account, 1, 4, 1n);
    openPerp(a.account, 2, 7, -1n);
    expect(perpMarketsAfterTrade(a.account, 7)).toEqual([4, 7]);
    expect(perpMarketsAfterTrade(a.account, 9)).toEqual([9, 4, 7]);
    expect(perpMarketsAfterTrade(null, 3)).toEqual([3]);
    // A position traded to zero keeps its slot until settled.
    openPerp(a.account, 1, 4, 0n, '3');
    expect(perpMarketsAfterTrade(a.account, 4)).toEqual([4, 7]);
  });

  it('opens no slot past 25 positions of both kinds (the program refuses the trade)', () => {
    const spot: [number, bigint][] = Array.from({ length: 16 }, (_, i) => [i, fromInt(1)]);
    const a = account('x', spot);
    for (let s = 0; s < 9; s++) openPerp(a.account, s, s, 1n);
    expect(perpMarketsAfterTrade(a.account, 20)).toHaveLength(9);
    expect(perpMarketsAfterTrade(a.account, 3)).toHaveLength(9);
    a.account.positions[0] = { ...a.account.positions[0]!, active: 0 };
    expect(perpMarketsAfterTrade(a.account, 20)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 20]);
  });
});

describe('trade_perp accounts', () => {
  const { state: base, accounts } = fixture();
  const state = withPerps(base);
  const alice = accounts[0]!; // spot: asset 0 deposit (slot 0), asset 1 debt (slot 1)

  it('lists spot pairs, the perp pairs after the trade (a new slot included), then the vault and its tokens', () => {
    const acc = structuredClone(alice.account);
    openPerp(acc, 1, 0, 10n);
    const metas = tradeHealthAccounts(state, acc, 1);
    expect(metas.every((m) => m.role === AccountRole.READONLY)).toBe(true);
    expect(metas.map((m) => m.address)).toEqual([
      state.assets[0]!.address,
      state.assets[0]!.oracle.address,
      state.assets[1]!.address,
      state.assets[1]!.oracle.address,
      key('M1'), // market 1 opens slot 0, before market 0 in slot 1
      state.assets[1]!.oracle.address,
      key('M0'),
      state.assets[0]!.oracle.address,
      key('V'),
      key('T'),
    ]);
  });

  it('builds trade_perp with the signed size, the limit and those accounts', () => {
    const owner = createNoopSigner(alice.account.owner);
    const [ix, ...rest] = tradePerpInstructions({ state, owner, accountAddress: alice.address, account: alice, market: 1, baseDelta: -2_500n, limitPriceE6: 99_000_000n });
    expect(rest).toHaveLength(0);
    const data = getTradePerpInstructionDataDecoder().decode(ix!.data!);
    expect(data.baseDelta).toBe(-2_500n);
    expect(data.limitPriceE6).toBe(99_000_000n);
    const accounts = ix!.accounts!.map((a) => a.address);
    // owner, group, risk model, margin account, perp vault, tokens, market, oracle; then health.
    expect(accounts.slice(0, 8)).toEqual([alice.account.owner, state.address, state.group.riskModel, alice.address, key('V'), key('T'), key('M1'), state.assets[1]!.oracle.address]);
    expect(accounts.slice(8)).toEqual(tradeHealthAccounts(state, alice.account, 1).map((m) => m.address));
    expect(ix!.accounts![3]!.role).toBe(AccountRole.WRITABLE);
    expect(ix!.accounts![6]!.role).toBe(AccountRole.WRITABLE);
  });

  it('refuses to build without an account or without perps', () => {
    const owner = createNoopSigner(alice.account.owner);
    expect(() => tradePerpInstructions({ state, owner, accountAddress: alice.address, account: null, market: 0, baseDelta: 1n, limitPriceE6: 1n })).toThrow(/deposit collateral/);
    expect(() => tradeHealthAccounts(base, alice.account, 0)).toThrow(/no perp markets/);
  });
});

describe('limit price', () => {
  const ONE = 1n << 48n;

  it('is the fill × (1 + s) rounded up for a buy, × (1 − s) rounded down for a sell, in USD × 10⁶', () => {
    const fill = fromInt(100); // $100
    expect(limitPriceE6(fill, 'long', 10_000n)).toBe(101_000_000n);
    expect(limitPriceE6(fill, 'short', 10_000n)).toBe(99_000_000n);
    expect(limitPriceE6(fill, 'long', 0n)).toBe(100_000_000n);
    // A fill off the 10⁻⁶ grid: $1 + 2⁻⁴⁸ rounds the buy's limit up, the sell's down.
    expect(limitPriceE6(ONE + 1n, 'long', 0n)).toBe(1_000_001n);
    expect(limitPriceE6(ONE + 1n, 'short', 0n)).toBe(1_000_000n);
    expect(limitPriceE6(fromDecimalString('0.0000005'), 'short', 10_000n)).toBe(0n);
  });

  it('never lets a buy fill above it nor a sell below it (at zero slippage, the fill itself passes)', () => {
    for (const f of [fromDecimalString('64123.456789'), fromDecimalString('0.12345678'), 7n, ONE * 3n + 12345n]) {
      const buy = limitPriceE6(f, 'long', 0n);
      const sell = limitPriceE6(f, 'short', 0n);
      // limit/10⁶ ≥ fill ⇔ limit·2⁴⁸ ≥ fill_bits·10⁶
      expect(buy * ONE >= f * 1_000_000n).toBe(true);
      expect(sell * ONE <= f * 1_000_000n).toBe(true);
      expect((buy - 1n) * ONE < f * 1_000_000n).toBe(true);
    }
  });

  it('caps a buy at u64 and floors a sell at 0', () => {
    expect(limitPriceE6(1n << 100n, 'long', 10_000n)).toBe((1n << 64n) - 1n);
    expect(limitPriceE6(fromInt(5), 'short', 1_000_000n)).toBe(0n);
  });

  it('parses the slippage in percent into parts per million', () => {
    expect(parseSlippage('1')).toBe(10_000n);
    expect(parseSlippage('0.25')).toBe(2_500n);
    expect(parseSlippage('0')).toBe(0n);
    expect(parseSlippage('99.9999')).toBe(999_999n);
    expect(parseSlippage('100')).toBeNull();
    expect(parseSlippage('0.00001')).toBeNull();
    expect(parseSlippage('-1')).toBeNull();
    expect(parseSlippage('')).toBeNull();
  });
});

describe('perp sizes', () => {
  it('converts tokens to native base units within i64', () => {
    expect(parseBase('0.01', 8)).toBe(1_000_000n);
    expect(parseBase('1.5', 6)).toBe(1_500_000n);
    expect(parseBase('0.000000001', 8)).toBeNull();
    expect(parseBase('92233720368.54775807', 8)).toBe((1n << 63n) - 1n);
    expect(parseBase('92233720368.54775808', 8)).toBeNull();
    expect(baseDelta('long', 5n)).toBe(5n);
    expect(baseDelta('short', 5n)).toBe(-5n);
  });

  it('closes a position with the opposite trade of the same size', () => {
    expect(closingTrade(-3n)).toEqual({ side: 'long', size: 3n });
    expect(closingTrade(7n)).toEqual({ side: 'short', size: 7n });
  });

  it('prices the entry as |quote / base| per whole token', () => {
    expect(entryPrice(50_000_000n, 30_000, 8)).toBe(60_000);
    expect(entryPrice(-2_000_000n, -4_000, 6)).toBe(2_000);
    expect(entryPrice(0n, 12, 8)).toBeNull();
  });
});
