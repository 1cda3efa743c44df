import { describe, expect, it } from 'vitest';
import {
  bitsFromBytes,
  bytesFromBits,
  ceilToInt,
  divCeil,
  divFloor,
  floorToInt,
  fromDecimalString,
  fromInt,
  isqrt,
  mulCeil,
  mulFloor,
  ONE,
  sqrtCeil,
  toDecimalString,
  toNumber,
} from '../src/lib/fixed';

describe('WrappedI80F48 bits', () => {
  it('reads little-endian i128 bits, negative values included', () => {
    const one = new Uint8Array(16);
    one[6] = 1; // 2^48
    expect(bitsFromBytes(one)).toBe(ONE);
    expect(bitsFromBytes(new Uint8Array(16).fill(0xff))).toBe(-1n);
    const minusHalf = bytesFromBits(-(ONE / 2n));
    expect(bitsFromBytes(minusHalf)).toBe(-(ONE / 2n));
    expect(() => bitsFromBytes(new Uint8Array(15))).toThrow();
  });

  it('round-trips through bytes at the extremes', () => {
    for (const b of [0n, 1n, -1n, (1n << 127n) - 1n, -(1n << 127n), 123456789n * ONE + 42n]) {
      expect(bitsFromBytes(bytesFromBits(b))).toBe(b);
    }
  });

  it('prints exact decimals', () => {
    expect(toDecimalString(ONE)).toBe('1');
    expect(toDecimalString(3n * (ONE / 2n))).toBe('1.5');
    expect(toDecimalString(-(ONE / 4n))).toBe('-0.25');
    expect(toDecimalString(1n)).toBe('0.000000000000003552713678800500929355621337890625');
    expect(toDecimalString(-1n)).toBe('-0.000000000000003552713678800500929355621337890625');
    expect(toDecimalString(0n)).toBe('0');
    expect(toDecimalString(fromInt(-7))).toBe('-7');
    // I80F48::MAX
    expect(toDecimalString((1n << 127n) - 1n)).toBe('604462909807314587353087.999999999999996447286321199499070644378662109375');
  });

  it('truncates decimals for display when asked', () => {
    expect(toDecimalString(fromDecimalString('2.123456789'), 4)).toBe('2.1234');
    expect(toDecimalString(1n, 6)).toBe('0');
    expect(toDecimalString(-1n, 6)).toBe('0');
  });

  it('converts to numbers', () => {
    expect(toNumber(3n * (ONE / 2n))).toBe(1.5);
    expect(toNumber(-(ONE / 4n))).toBe(-0.25);
    expect(toNumber(fromDecimalString('0.94'))).toBeCloseTo(0.94, 14);
  });

  it('parses decimal strings rounding toward −∞', () => {
    expect(fromDecimalString('1.5')).toBe(3n * (ONE / 2n));
    expect(fromDecimalString('-1')).toBe(-ONE);
    expect(fromDecimalString('0.1') <= ONE / 10n + 1n).toBe(true);
    expect(fromDecimalString('-0.1')).toBe(-fromDecimalString('0.1') - 1n);
    expect(() => fromDecimalString('1e5')).toThrow();
  });
});

describe('directed rounding like risk_engine::fixed_point', () => {
  const third = divFloor(ONE, fromInt(3));
  it('multiplies with floor and ceil, negative values toward −∞ / +∞', () => {
    expect(mulFloor(fromInt(6), ONE / 2n)).toBe(fromInt(3));
    expect(mulCeil(third, fromInt(3))).toBe(mulFloor(third, fromInt(3)));
    expect(mulFloor(1n, 1n)).toBe(0n);
    expect(mulCeil(1n, 1n)).toBe(1n);
    expect(mulFloor(-1n, 1n)).toBe(-1n);
    expect(mulCeil(-1n, 1n)).toBe(0n);
  });
  it('divides with floor and ceil', () => {
    expect(divCeil(ONE, fromInt(3)) - divFloor(ONE, fromInt(3))).toBe(1n);
    expect(divFloor(-ONE, fromInt(3))).toBe(-divCeil(ONE, fromInt(3)));
    expect(divFloor(fromInt(10), fromInt(4))).toBe(fromDecimalString('2.5'));
  });
  it('rounds to integers', () => {
    expect(floorToInt(fromDecimalString('2.5'))).toBe(2n);
    expect(ceilToInt(fromDecimalString('2.5'))).toBe(3n);
    expect(floorToInt(fromDecimalString('-2.5'))).toBe(-3n);
    expect(ceilToInt(fromDecimalString('-2.5'))).toBe(-2n);
    expect(ceilToInt(fromInt(4))).toBe(4n);
  });
  it('takes square roots on the engine grid (exact roots stay exact, others round up)', () => {
    expect(isqrt(99n)).toBe(9n);
    expect(isqrt(10n ** 40n)).toBe(10n ** 20n);
    expect(sqrtCeil(fromInt(4))).toBe(fromInt(2));
    expect(sqrtCeil(0n)).toBe(0n);
    expect(sqrtCeil(-1n)).toBeNull();
    const r = sqrtCeil(fromInt(2))!;
    expect(mulFloor(r, r) >= fromInt(2)).toBe(true);
    expect(toNumber(r)).toBeCloseTo(Math.SQRT2, 12);
    // Large values use a coarser grid (shift < 48): still an upper bound.
    const big = fromInt(10n ** 20n);
    expect(sqrtCeil(big)! >= fromInt(10n ** 10n)).toBe(true);
  });
});
