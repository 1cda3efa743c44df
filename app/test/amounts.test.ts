import { describe, expect, it } from 'vitest';
import { U64_MAX, formatAmount, formatTokens, parseAmount } from '../src/lib/amounts';

describe('token amounts', () => {
  it('parses decimal input into native units', () => {
    expect(parseAmount('1.5', 6)).toBe(1_500_000n);
    expect(parseAmount('.25', 2)).toBe(25n);
    expect(parseAmount('10', 0)).toBe(10n);
    expect(parseAmount(' 3. ', 8)).toBe(300_000_000n);
  });
  it('rejects malformed, over-precise and out-of-range input', () => {
    expect(parseAmount('', 6)).toBeNull();
    expect(parseAmount('.', 6)).toBeNull();
    expect(parseAmount('1.2345678', 6)).toBeNull();
    expect(parseAmount('-1', 6)).toBeNull();
    expect(parseAmount('1e3', 6)).toBeNull();
    expect(parseAmount((U64_MAX + 1n).toString(), 0)).toBeNull();
    expect(parseAmount(U64_MAX.toString(), 0)).toBe(U64_MAX);
  });
  it('formats native units', () => {
    expect(formatAmount(1_500_000n, 6)).toBe('1.5');
    expect(formatAmount(-2_000_000n, 6)).toBe('-2');
    expect(formatAmount(123n, 6)).toBe('0.000123');
    expect(formatAmount(123n, 6, 2)).toBe('0');
    expect(formatTokens(1_234_567_890_000n, 6)).toBe('1,234,567.89');
  });
});
