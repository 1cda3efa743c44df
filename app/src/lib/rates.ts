// Lending-pool rates, as risk_engine::interest computes them (I80F48 with the same rounding).
import { ONE, divCeil, divFloor, mulCeil, mulFloor, toNumber, min, max } from './fixed';

export type Curve = { baseRate: bigint; optimalUtilization: bigint; rateAtOptimal: bigint; maxRate: bigint };

export type PoolBooks = {
  depositIndex: bigint;
  borrowIndex: bigint;
  depositShares: bigint;
  borrowShares: bigint;
  protocolFees: bigint;
};

/** Total deposits, native units (bits), rounded down. */
export function totalDeposits(p: PoolBooks): bigint {
  return mulFloor(p.depositShares, p.depositIndex);
}

/** Total borrows, native units (bits), rounded up. */
export function totalBorrows(p: PoolBooks): bigint {
  return mulCeil(p.borrowShares, p.borrowIndex);
}

/** Borrows / deposits in [0, 1] (1 when something is borrowed and nothing deposited). */
export function utilization(p: PoolBooks): bigint {
  const d = totalDeposits(p);
  if (d <= 0n) return p.borrowShares > 0n ? ONE : 0n;
  return min(divCeil(totalBorrows(p), d), ONE);
}

/** Annual borrow rate at utilisation `u`: linear to the kink, then linear to the maximum. */
export function borrowRate(c: Curve, u: bigint): bigint {
  const uc = min(max(u, 0n), ONE);
  if (uc <= c.optimalUtilization) {
    const slope = c.rateAtOptimal - c.baseRate;
    return c.baseRate + divFloor(mulFloor(slope, uc), c.optimalUtilization);
  }
  const slope = c.maxRate - c.rateAtOptimal;
  const over = uc - c.optimalUtilization;
  const span = ONE - c.optimalUtilization;
  return c.rateAtOptimal + divFloor(mulFloor(slope, over), span);
}

/** What depositors earn a year at this utilisation: borrow rate × U × (1 − protocol share). */
export function depositRate(borrow: number, u: number, protocolShare: number): number {
  return borrow * u * (1 - protocolShare);
}

export type Rates = { utilization: number; borrowRate: number; depositRate: number };

export function poolRates(p: PoolBooks, c: Curve, protocolShare: bigint): Rates {
  const u = utilization(p);
  const b = borrowRate(c, u);
  return {
    utilization: toNumber(u),
    borrowRate: toNumber(b),
    depositRate: depositRate(toNumber(b), toNumber(u), toNumber(protocolShare)),
  };
}
