import { describe, expect, it } from 'vitest';
import { fromDecimalString as d, fromInt, toNumber } from '../src/lib/fixed';
import { borrowRate, depositRate, poolRates, totalBorrows, totalDeposits, utilization } from '../src/lib/rates';
import { SECONDS_PER_YEAR, annualise, correlationMatrix, triIndex } from '../src/lib/volatility';

const curve = { baseRate: 0n, optimalUtilization: d('0.8'), rateAtOptimal: d('0.1'), maxRate: d('1') };
const pool = (dep: number, bor: number) => ({
  depositIndex: fromInt(1),
  borrowIndex: fromInt(1),
  depositShares: fromInt(dep),
  borrowShares: fromInt(bor),
  protocolFees: 0n,
});

describe('kinked rate curve (risk_engine::interest tests, by hand)', () => {
  it('is linear to the kink and then to the maximum', () => {
    expect(toNumber(borrowRate(curve, d('0.4')))).toBeCloseTo(0.05, 12);
    expect(toNumber(borrowRate(curve, d('0.8')))).toBeCloseTo(0.1, 12);
    expect(toNumber(borrowRate(curve, d('0.9')))).toBeCloseTo(0.55, 12);
    expect(toNumber(borrowRate(curve, d('1')))).toBeCloseTo(1, 12);
  });
  it('clamps utilisation to [0, 1]', () => {
    expect(borrowRate(curve, d('1.5'))).toBe(borrowRate(curve, d('1')));
    expect(borrowRate({ ...curve, baseRate: d('0.02') }, -d('0.5'))).toBe(d('0.02'));
  });
});

describe('pool books', () => {
  it('utilisation is borrows / deposits, 1 with borrows and no deposits, 0 when empty', () => {
    expect(toNumber(utilization(pool(1000, 500)))).toBe(0.5);
    expect(utilization(pool(0, 5))).toBe(fromInt(1));
    expect(utilization(pool(0, 0))).toBe(0n);
    expect(utilization(pool(10, 50))).toBe(fromInt(1));
  });
  it('rounds deposits down and borrows up', () => {
    const p = { ...pool(3, 3), depositIndex: d('1.1'), borrowIndex: d('1.1') };
    expect(totalBorrows(p) - totalDeposits(p)).toBeGreaterThanOrEqual(0n);
    expect(toNumber(totalDeposits(p))).toBeCloseTo(3.3, 12);
  });
  it('deposit rate = borrow rate × U × (1 − protocol share)', () => {
    // 1000 deposited, 500 borrowed: U = 0.5 → 6.25%; depositors get 6.25% × 0.5 × 0.9.
    const r = poolRates(pool(1000, 500), curve, d('0.1'));
    expect(r.utilization).toBe(0.5);
    expect(r.borrowRate).toBeCloseTo(0.0625, 12);
    expect(r.depositRate).toBeCloseTo(0.0625 * 0.5 * 0.9, 12);
    expect(depositRate(0.1, 0, 0.1)).toBe(0);
  });
});

describe('volatility', () => {
  it('annualises a per-sample volatility with √(year / interval)', () => {
    expect(annualise(0.01, 86_400)).toBeCloseTo(0.01 * Math.sqrt(365), 12);
    expect(annualise(0.001, 3600)).toBeCloseTo(0.001 * Math.sqrt(365 * 24), 12);
    expect(annualise(0.02, SECONDS_PER_YEAR)).toBe(0.02);
    expect(annualise(0.02, 0)).toBeNaN();
  });
  it('indexes the column-packed upper triangle', () => {
    expect([triIndex(0, 0), triIndex(0, 1), triIndex(1, 1), triIndex(0, 2), triIndex(2, 1), triIndex(2, 2)]).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('derives correlations from covariances', () => {
    // var 4, var 9, cov 3 → ρ = 3 / (2·3) = 0.5
    const packed = [4, 3, 9];
    const m = correlationMatrix((k) => packed[k]!, 2);
    expect(m[0]![1]).toBeCloseTo(0.5, 12);
    expect(m[1]![0]).toBeCloseTo(0.5, 12);
    expect(m[1]![1]).toBeCloseTo(1, 12);
  });
});
