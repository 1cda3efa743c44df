import { getAddressEncoder, getI32Encoder, getI64Encoder, getU64Encoder, type Address } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { hex, symbolFor } from '../src/lib/feeds';
import { PYTH_RECEIVER, pythPriceFeedAddress } from '../src/lib/pda';
import { PRICE_UPDATE_V2_DISCRIMINATOR, decodePriceUpdate, quote } from '../src/lib/pyth';

const BTC_FEED = Uint8Array.from(Buffer.from('e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43', 'hex'));

/** PriceUpdateV2 bytes as the receiver (and `keeper feed`) writes them. */
function priceUpdate(level: 'Full' | { partial: number }, price: bigint, conf: bigint, exponent: number, publishTime: bigint): Uint8Array {
  const parts: Uint8Array[] = [
    PRICE_UPDATE_V2_DISCRIMINATOR,
    new Uint8Array(getAddressEncoder().encode(PYTH_RECEIVER as Address)),
    level === 'Full' ? Uint8Array.of(1) : Uint8Array.of(0, level.partial),
    BTC_FEED,
    new Uint8Array(getI64Encoder().encode(price)),
    new Uint8Array(getU64Encoder().encode(conf)),
    new Uint8Array(getI32Encoder().encode(exponent)),
    new Uint8Array(getI64Encoder().encode(publishTime)),
    new Uint8Array(getI64Encoder().encode(publishTime - 1n)),
    new Uint8Array(getI64Encoder().encode(price)),
    new Uint8Array(getU64Encoder().encode(conf)),
    new Uint8Array(getU64Encoder().encode(0n)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('Pyth PriceUpdateV2', () => {
  it('decodes a fully verified price', () => {
    const u = decodePriceUpdate(priceUpdate('Full', 3_860_982_000_000n, 1_930_491_000n, -8, 1_700_000_000n))!;
    expect(u.verificationLevel).toEqual({ __kind: 'Full' });
    expect(hex(u.feedId)).toBe(hex(BTC_FEED));
    const q = quote(u);
    expect(q.price).toBeCloseTo(38_609.82, 6);
    expect(q.conf).toBeCloseTo(19.30491, 6);
    expect(q.publishTime).toBe(1_700_000_000);
    expect(q.verified).toBe(true);
  });

  it('decodes a partially verified price (one byte longer)', () => {
    const u = decodePriceUpdate(priceUpdate({ partial: 5 }, 100n, 1n, -2, 5n))!;
    expect(u.verificationLevel).toEqual({ __kind: 'Partial', numSignatures: 5 });
    expect(quote(u).price).toBe(1);
    expect(quote(u).verified).toBe(false);
  });

  it('refuses other accounts', () => {
    expect(decodePriceUpdate(new Uint8Array(134))).toBeNull();
    expect(decodePriceUpdate(PRICE_UPDATE_V2_DISCRIMINATOR)).toBeNull();
  });

  it('derives the push-oracle address of a feed on shard 0 and names known feeds', async () => {
    const a = await pythPriceFeedAddress(BTC_FEED, 0);
    expect(a).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(await pythPriceFeedAddress(BTC_FEED, 1)).not.toBe(a);
    expect(symbolFor(BTC_FEED, 0)).toBe('BTC');
    expect(symbolFor(new Uint8Array(32), 3)).toBe('asset 3');
  });
});
