// I80F48 fixed point as the program stores it: `WrappedI80F48` = 16 bytes, the i128 bits in
// little-endian order; value = bits / 2^48. Arithmetic mirrors risk_engine::fixed_point (exact
// products and quotients with explicit floor/ceil) so off-chain checks agree bit for bit.
import type { WrappedI80F48 } from '../generated';

export const FRAC_BITS = 48n;
export const ONE = 1n << FRAC_BITS;
const FRAC_MASK = ONE - 1n;
const I128_MIN = -(1n << 127n);

/** Signed 128-bit integer from 16 little-endian bytes. */
export function bitsFromBytes(bytes: ArrayLike<number>): bigint {
  if (bytes.length !== 16) throw new Error(`I80F48 needs 16 bytes, got ${bytes.length}`);
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v >= 1n << 127n ? v - (1n << 128n) : v;
}

/** Bits of a decoded `WrappedI80F48`. */
export function bits(w: WrappedI80F48): bigint {
  return bitsFromBytes(w.bytes);
}

/** 16 little-endian bytes of signed 128-bit bits (fixtures, tests). */
export function bytesFromBits(b: bigint): Uint8Array {
  if (b < I128_MIN || b >= 1n << 127n) throw new Error('out of i128 range');
  let v = b < 0n ? b + (1n << 128n) : b;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function wrap(b: bigint): WrappedI80F48 {
  return { bytes: bytesFromBits(b) };
}

/** Exact decimal string of the value (bits / 2^48 always has a finite decimal expansion). */
export function toDecimalString(b: bigint, maxFractionDigits = 48): string {
  const mag = b < 0n ? -b : b;
  const int = mag >> FRAC_BITS;
  // frac / 2^48 = frac · 5^48 / 10^48: exactly 48 decimal digits; truncated toward zero if asked.
  const digits = ((mag & FRAC_MASK) * 5n ** 48n)
    .toString()
    .padStart(48, '0')
    .slice(0, Math.max(0, Math.min(48, maxFractionDigits)))
    .replace(/0+$/, '');
  if (int === 0n && digits.length === 0) return '0';
  return `${b < 0n ? '-' : ''}${int}${digits.length > 0 ? `.${digits}` : ''}`;
}

/** Nearest double (for display and charts; never for decisions). */
export function toNumber(b: bigint): number {
  const int = b >> FRAC_BITS; // floor
  const frac = b & FRAC_MASK; // ≥ 0
  return Number(int) + Number(frac) / 2 ** 48;
}

export function fromInt(v: bigint | number): bigint {
  return BigInt(v) << FRAC_BITS;
}

/** Bits of a decimal string like "-12.5" (rounded toward −∞). */
export function fromDecimalString(s: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`not a decimal number: ${s}`);
  const [, sign, int, frac = ''] = m;
  const scale = 10n ** BigInt(frac.length);
  const num = BigInt(int! + frac) << FRAC_BITS;
  const signed = sign ? -num : num;
  return floorDiv(signed, scale);
}

export function floorDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('division by zero');
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('division by zero');
  const q = a / b;
  return (a % b !== 0n && (a < 0n) === (b < 0n)) ? q + 1n : q;
}

/** a·b rounded toward −∞. */
export function mulFloor(a: bigint, b: bigint): bigint {
  return floorDiv(a * b, ONE);
}

/** a·b rounded toward +∞. */
export function mulCeil(a: bigint, b: bigint): bigint {
  return ceilDiv(a * b, ONE);
}

/** a/b rounded toward −∞. */
export function divFloor(a: bigint, b: bigint): bigint {
  return floorDiv(a << FRAC_BITS, b);
}

/** a/b rounded toward +∞. */
export function divCeil(a: bigint, b: bigint): bigint {
  return ceilDiv(a << FRAC_BITS, b);
}

/** Integer square root (floor) of a non-negative bigint. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new Error('isqrt of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton steps from a close start; fix up to the exact floor.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

function leadingZeros128(a: bigint): bigint {
  return 128n - BigInt(a.toString(2).length);
}

/**
 * Square root as the engine's `sqrt_ceil` computes it (same grid: shift by an even amount ≤ 48 that
 * keeps 128 bits, integer root, rescale, round up unless exact). Returns null for negative input.
 */
export function sqrtCeil(a: bigint): bigint | null {
  if (a < 0n) return null;
  if (a === 0n) return 0n;
  const s = (leadingZeros128(a) < FRAC_BITS ? leadingZeros128(a) : FRAC_BITS) & ~1n;
  const n = a << s;
  const r = isqrt(n);
  const scale = (FRAC_BITS - s) / 2n;
  let root = r << scale;
  const exact = r * r === n && scale === 0n;
  if (!exact) root += 1n << scale;
  return root;
}

/** Floor of the value as an integer. */
export function floorToInt(b: bigint): bigint {
  return b >> FRAC_BITS;
}

/** Ceiling of the value as an integer. */
export function ceilToInt(b: bigint): bigint {
  const q = b >> FRAC_BITS;
  return (b & FRAC_MASK) !== 0n ? q + 1n : q;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
