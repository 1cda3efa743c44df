import { describe, expect, it } from 'vitest';
import { fromInt, fromDecimalString as d, wrap } from '../src/lib/fixed';
import { activePositions, healthAssetsAfter, positionAmount } from '../src/lib/positions';
import { account, fixture } from './fixtures';

describe('positions', () => {
  const { state } = fixture();
  const btc = state.assets[0]!.account; // deposit index 1.25, borrow index 1.5

  it('values deposits down and debts up', () => {
    expect(positionAmount(btc, fromInt(3))).toBe(3n); // 3.75 → 3
    expect(positionAmount(btc, -fromInt(3))).toBe(-5n); // 4.5 → −5
    expect(positionAmount(btc, 0n)).toBe(0n);
  });

  it('lists active positions in slot order', () => {
    const a = account('x', [[4, fromInt(1)], [2, -fromInt(1)]]);
    expect(activePositions(a.account).map((p) => [p.slot, p.assetIndex])).toEqual([
      [0, 4],
      [1, 2],
    ]);
  });

  it('drops a fully withdrawn position from the health accounts', () => {
    const a = account('x', [[0, fromInt(8)], [1, -fromInt(1)]]);
    // 10 native units at index 1.25 burn exactly 8 shares: the slot closes.
    expect(healthAssetsAfter(a.account, 'withdraw', 0, 10n, btc)).toEqual([1]);
    expect(healthAssetsAfter(a.account, 'withdraw', 0, 9n, btc)).toEqual([0, 1]);
  });

  it('opens the lowest free slot for a first borrow', () => {
    const a = account('x', [[3, fromInt(1)], [5, fromInt(1)]]);
    a.account.positions[0] = { ...a.account.positions[0]!, active: 0, assetIndex: 0, shares: wrap(0n) };
    expect(healthAssetsAfter(a.account, 'borrow', 7, 1n, { ...btc, depositIndex: wrap(d('1')) })).toEqual([7, 5]);
    expect(healthAssetsAfter(a.account, 'borrow', 5, 1n, btc)).toEqual([5]);
    expect(healthAssetsAfter(null, 'borrow', 2, 1n, btc)).toEqual([2]);
  });
});
