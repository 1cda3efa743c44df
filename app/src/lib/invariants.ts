// The invariant checks of `keeper inspect` (keeper/src/inspect.rs), over the same decoded state.
import type { Address } from '@solana/kit';
import { bits, bitsFromBytes, fromInt, mulFloor, sqrtCeil, toDecimalString, toNumber } from './fixed';
import { hex } from './feeds';
import { totalBorrows, totalDeposits } from './rates';
import type { AssetView, GroupState, MarginAccountView } from './state';
import { triIndex } from './volatility';

export type Check = { name: string; ok: boolean; detail: string };

type State = Pick<GroupState, 'address' | 'group' | 'model' | 'assets' | 'perps'>;

const int = (b: bigint) => toDecimalString(b, 0);
const shares = (b: bigint) => toDecimalString(b, 6);

/** Why an account's stored state is inconsistent, if it is. */
export function accountProblem(m: MarginAccountView, group: Address, assetCount: number): string | null {
  const { account: acc, address } = m;
  if (acc.group !== group) return `${address}: belongs to another group`;
  const seen = new Set<number>();
  for (const [slot, p] of acc.positions.entries()) {
    if (p.active === 0) {
      const dirty =
        p.assetIndex !== 0 ||
        p.shares.bytes.some((b) => b !== 0) ||
        p.depositEpochLe.some((b) => b !== 0) ||
        p.padding.some((b) => b !== 0);
      if (dirty) return `${address}: free slot ${slot} not zeroed`;
    } else if (p.active === 1) {
      if (p.assetIndex >= assetCount) return `${address}: slot ${slot} names asset ${p.assetIndex} (group has ${assetCount})`;
      if (seen.has(p.assetIndex)) return `${address}: asset ${p.assetIndex} held in two slots`;
      seen.add(p.assetIndex);
      if (bits(p.shares) === 0n) return `${address}: slot ${slot} open with zero shares`;
    } else {
      return `${address}: slot ${slot} has active flag ${p.active}`;
    }
  }
  return null;
}

function vaultOk(a: AssetView, which: 'vault' | 'insurance'): boolean {
  const v = a[which];
  return (
    v.raw !== null &&
    v.token !== null &&
    v.raw.owner === a.account.tokenProgram &&
    v.raw.data.length >= 72 &&
    v.token.mint === a.account.mint &&
    v.token.owner === a.address
  );
}

/** diag > 0; stored volatility = ⌈√var⌉ once sampled; |cov_ij| ≤ σ_iσ_j. */
export function covarianceCheck(model: State['model'], n: number): Check {
  const name = 'covariance';
  const cov = (k: number) => bits(model.covariance[k]!);
  const v = (i: number) => cov(triIndex(i, i));
  for (let i = 0; i < n; i++) {
    if (v(i) <= 0n) return { name, ok: false, detail: `variance of asset ${i} is ${toDecimalString(v(i))} (must be > 0)` };
    if (model.sampleCount > 0n) {
      const expect = sqrtCeil(v(i));
      const got = bits(model.volatility[i]!);
      if (got !== expect) {
        return { name, ok: false, detail: `volatility ${i} is ${toDecimalString(got)} but √var is ${expect === null ? '—' : toDecimalString(expect)}` };
      }
    }
    for (let j = 0; j < i; j++) {
      const c = toNumber(cov(triIndex(j, i)));
      const bound = toNumber(v(i)) * toNumber(v(j));
      if (c * c > bound * (1 + 1e-9) + 1e-30) return { name, ok: false, detail: `|cov(${j},${i})| = ${c} exceeds σ${j}σ${i}` };
    }
  }
  return { name, ok: true, detail: `${n}×${n}: symmetric (packed), diagonal > 0, |cov_ij| ≤ σ_iσ_j, volatilities = √diag` };
}

export function runChecks(state: State, accounts: MarginAccountView[]): Check[] {
  const checks: Check[] = [];
  const n = state.assets.length;
  const { group, model } = state;
  const contiguous = state.assets.every((a, i) => a.index === i);
  checks.push({
    name: 'asset registry',
    ok: group.assetCount === n && model.assetCount === n && contiguous,
    detail: `group counts ${group.assetCount}, risk model ${model.assetCount}, asset accounts found ${n}${contiguous ? '' : ' (indices not contiguous)'}`,
  });
  checks.push({
    name: 'feed ids',
    ok: state.assets.every((a) => model.feedIds[a.index] !== undefined && hex(model.feedIds[a.index]!) === hex(a.account.feedId)),
    detail: "each asset's feed id equals the risk model's",
  });
  const DEFAULT_ADDRESS = '11111111111111111111111111111111';
  checks.push({
    name: 'oracles',
    ok: state.assets.every((a) => model.oracles[a.index] === a.account.oracle && a.account.oracle !== DEFAULT_ADDRESS),
    detail: "each asset's registered oracle equals the risk model's",
  });

  const sums = new Map<number, { dep: bigint; bor: bigint }>();
  const bad: string[] = [];
  for (const m of accounts) {
    const why = accountProblem(m, state.address, n);
    if (why) bad.push(why);
    for (const p of m.account.positions) {
      if (p.active !== 1) continue;
      const e = sums.get(p.assetIndex) ?? { dep: 0n, bor: 0n };
      const s = bits(p.shares);
      if (s > 0n) e.dep += s;
      else e.bor -= s;
      sums.set(p.assetIndex, e);
    }
  }
  checks.push({
    name: 'margin accounts well-formed',
    ok: bad.length === 0,
    detail: bad.length === 0 ? `${accounts.length} accounts: group, positions, slots consistent` : bad.join('; '),
  });

  for (const a of state.assets) {
    const i = a.index;
    for (const [which, label] of [['vault', 'vault'], ['insurance', 'insurance vault']] as const) {
      checks.push({ name: `asset ${i} ${label}`, ok: vaultOk(a, which), detail: "exists, holds the asset's mint, owned by the asset PDA" });
    }
    const pool = {
      depositIndex: bits(a.account.depositIndex),
      borrowIndex: bits(a.account.borrowIndex),
      depositShares: bits(a.account.depositShares),
      borrowShares: bits(a.account.borrowShares),
      protocolFees: bits(a.account.protocolFees),
    };
    const d = totalDeposits(pool);
    const b = totalBorrows(pool);
    const books = d - b + pool.protocolFees;
    const balance = a.vault.token?.amount ?? 0n;
    checks.push({
      name: `asset ${i} vault covers books`,
      ok: books <= fromInt(balance) && pool.protocolFees >= 0n,
      detail: `vault ${balance} ≥ deposits ${int(d)} − borrows ${int(b)} + fees ${int(pool.protocolFees)} = ${int(books)}`,
    });
    const { dep, bor } = sums.get(i) ?? { dep: 0n, bor: 0n };
    checks.push({
      name: `asset ${i} shares add up`,
      ok: dep === pool.depositShares && bor === pool.borrowShares,
      detail: `accounts hold ${shares(dep)} deposit / ${shares(bor)} borrow shares; pool books ${shares(pool.depositShares)} / ${shares(pool.borrowShares)} (compared exactly)`,
    });
  }
  if (state.perps) checks.push(...perpChecks(state.perps, accounts));
  checks.push(covarianceCheck(model, n));
  return checks;
}

/** `|native| / 10^decimals` as I80F48 bits, rounded down (the engine's `native_to_tokens_floor`). */
function tokensFloorBits(native: bigint, decimals: number): bigint {
  return (native << 48n) / 10n ** BigInt(decimals);
}

/**
 * Perps: every market's books (open interest per side, Σ of the positions' quote, the funding
 * bases) equal the sum of the positions in it, exactly; the vault lists every market.
 */
export function perpChecks(perps: NonNullable<GroupState['perps']>, accounts: MarginAccountView[]): Check[] {
  const zero = () => ({ long: 0n, short: 0n, quote: 0n, longBasis: 0n, shortBasis: 0n });
  const sums = perps.markets.map(zero);
  let unknown = 0;
  for (const m of accounts) {
    for (const slot of m.account.perps) {
      if (slot.active !== 1) continue;
      const market = perps.markets[slot.marketIndex];
      if (!market) {
        unknown++;
        continue;
      }
      const base = bitsFromBytes(slot.baseLe);
      const abs = base < 0n ? -base : base;
      const basis = mulFloor(tokensFloorBits(abs, market.account.decimals), bits(slot.fundingIndex));
      const e = sums[slot.marketIndex]!;
      if (base > 0n) {
        e.long += base;
        e.longBasis += basis;
      } else if (base < 0n) {
        e.short += abs;
        e.shortBasis += basis;
      }
      e.quote += bits(slot.quote);
    }
  }
  const checks: Check[] = perps.markets.map(({ account: mk }, i) => {
    const e = sums[i]!;
    const ok =
      unknown === 0 &&
      e.long === mk.longOi &&
      e.short === mk.shortOi &&
      e.quote === bits(mk.netQuote) &&
      e.longBasis === bits(mk.longFundingBasis) &&
      e.shortBasis === bits(mk.shortFundingBasis);
    return {
      name: `perp market ${i} books add up`,
      ok,
      detail: `positions: long ${e.long} short ${e.short} quote ${toDecimalString(e.quote, 6)} (${unknown} in unknown markets); market: long ${mk.longOi} short ${mk.shortOi} quote ${toDecimalString(bits(mk.netQuote), 6)}`,
    };
  });
  const tokens = perps.tokensRaw.data.length >= 72 ? new DataView(perps.tokensRaw.data.buffer, perps.tokensRaw.data.byteOffset + 64, 8).getBigUint64(0, true) : 0n;
  checks.push({
    name: 'perp vault',
    ok: perps.vault.marketCount === perps.markets.length,
    detail: `${perps.vault.marketCount} markets listed, ${perps.markets.length} found; ${tokens} quote tokens held`,
  });
  return checks;
}

/** Books of one asset for the vault table: deposits − borrows + fees beside the vault balance. */
export function vaultBooks(a: AssetView): { deposits: bigint; borrows: bigint; fees: bigint; books: bigint; balance: bigint | null } {
  const pool = {
    depositIndex: bits(a.account.depositIndex),
    borrowIndex: bits(a.account.borrowIndex),
    depositShares: bits(a.account.depositShares),
    borrowShares: bits(a.account.borrowShares),
    protocolFees: bits(a.account.protocolFees),
  };
  const deposits = totalDeposits(pool);
  const borrows = totalBorrows(pool);
  return { deposits, borrows, fees: pool.protocolFees, books: deposits - borrows + pool.protocolFees, balance: a.vault.token?.amount ?? null };
}
