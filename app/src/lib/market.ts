// What the Markets view shows per asset, from one GroupState.
import { bits, toNumber } from './fixed';
import { hex } from './feeds';
import { PYTH_RECEIVER } from './pda';
import { quote } from './pyth';
import { poolRates, totalBorrows, totalDeposits } from './rates';
import type { AssetView, GroupState } from './state';
import { annualise } from './volatility';

export type OracleStatus = 'ok' | 'missing' | 'wrong owner' | 'feed mismatch' | 'partially verified' | 'stale' | 'not positive' | 'too wide';

export type MarketRow = {
  index: number;
  symbol: string;
  asset: AssetView;
  price: number | null;
  conf: number | null;
  publishTime: number | null;
  age: number | null;
  status: OracleStatus;
  volPerSample: number;
  volAnnual: number;
  deposits: number;
  borrows: number;
  utilization: number;
  borrowRate: number;
  depositRate: number;
  depositCap: number;
  borrowCap: number;
  /** The kinked curve in words: base → rate at the kink → maximum. */
  curve: string;
  /** The mint's freeze authority recorded at registration (it could freeze the vault), or null. */
  freezeAuthority: string | null;
};

/** Whether the program would accept this oracle now (src/oracle.rs: owner, feed, Full, age, price, confidence). */
export function oracleStatus(a: AssetView, now: number, maxAge: number, maxConfRatio: number): OracleStatus {
  const { raw, update } = a.oracle;
  if (!raw) return 'missing';
  if (raw.owner !== PYTH_RECEIVER || !update) return 'wrong owner';
  if (hex(update.feedId) !== hex(a.account.feedId)) return 'feed mismatch';
  if (update.verificationLevel.__kind !== 'Full') return 'partially verified';
  const q = quote(update);
  if (now - q.publishTime > maxAge) return 'stale';
  if (!(q.price > 0)) return 'not positive';
  if (q.conf / q.price > maxConfRatio) return 'too wide';
  return 'ok';
}

const pct = (b: bigint) => `${Number((toNumber(b) * 100).toPrecision(6))}%`;

export function describeCurve(c: { baseRate: bigint; optimalUtilization: bigint; rateAtOptimal: bigint; maxRate: bigint }, protocolShare: bigint): string {
  return `borrow rate ${pct(c.baseRate)} at 0% utilisation → ${pct(c.rateAtOptimal)} at ${pct(c.optimalUtilization)} (kink) → ${pct(c.maxRate)} at 100%; protocol keeps ${pct(protocolShare)} of interest`;
}

export function marketRows(s: GroupState): MarketRow[] {
  const p = s.group.params;
  const now = Number(s.now);
  const maxAge = p.oracleMaxAgeSeconds;
  const maxConf = toNumber(bits(p.maxConfRatio));
  const unit = (a: AssetView) => 10 ** a.account.decimals;
  return s.assets.map((a) => {
    const pool = {
      depositIndex: bits(a.account.depositIndex),
      borrowIndex: bits(a.account.borrowIndex),
      depositShares: bits(a.account.depositShares),
      borrowShares: bits(a.account.borrowShares),
      protocolFees: bits(a.account.protocolFees),
    };
    const curve = {
      baseRate: bits(a.account.baseRate),
      optimalUtilization: bits(a.account.optimalUtilization),
      rateAtOptimal: bits(a.account.rateAtOptimal),
      maxRate: bits(a.account.maxRate),
    };
    const rates = poolRates(pool, curve, bits(a.account.protocolShare));
    const q = a.oracle.update ? quote(a.oracle.update) : null;
    const volPerSample = toNumber(bits(s.model.volatility[a.index]!));
    return {
      index: a.index,
      symbol: a.symbol,
      asset: a,
      price: q?.price ?? null,
      conf: q?.conf ?? null,
      publishTime: q?.publishTime ?? null,
      age: q ? now - q.publishTime : null,
      status: oracleStatus(a, now, maxAge, maxConf),
      volPerSample,
      volAnnual: annualise(volPerSample, p.sampleIntervalSeconds),
      deposits: toNumber(totalDeposits(pool)) / unit(a),
      borrows: toNumber(totalBorrows(pool)) / unit(a),
      utilization: rates.utilization,
      borrowRate: rates.borrowRate,
      depositRate: rates.depositRate,
      curve: describeCurve(curve, bits(a.account.protocolShare)),
      depositCap: Number(a.account.depositCap) / unit(a),
      borrowCap: Number(a.account.borrowCap) / unit(a),
      freezeAuthority: a.account.hasFreezeAuthority === 1 ? a.account.freezeAuthority : null,
    };
  });
}
