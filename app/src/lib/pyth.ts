// Pyth PriceUpdateV2 accounts (an external program's account, not this program's: decoded with the
// layout of pyth-solana-receiver-sdk 2.0.0 — discriminator, write authority, verification level
// (borsh enum: Partial{num_signatures} | Full), the price message, posted slot).
import {
  fixDecoderSize,
  getAddressDecoder,
  getBytesDecoder,
  getDiscriminatedUnionDecoder,
  getI32Decoder,
  getI64Decoder,
  getStructDecoder,
  getU64Decoder,
  getU8Decoder,
  getUnitDecoder,
  type Address,
  type ReadonlyUint8Array,
} from '@solana/kit';

/** sha256("account:PriceUpdateV2")[..8]. */
export const PRICE_UPDATE_V2_DISCRIMINATOR = new Uint8Array([34, 241, 35, 99, 157, 126, 244, 205]);

export type VerificationLevel = { __kind: 'Partial'; numSignatures: number } | { __kind: 'Full' };

export type PriceUpdateV2 = {
  writeAuthority: Address;
  verificationLevel: VerificationLevel;
  feedId: ReadonlyUint8Array;
  price: bigint;
  conf: bigint;
  exponent: number;
  publishTime: bigint;
  prevPublishTime: bigint;
  emaPrice: bigint;
  emaConf: bigint;
  postedSlot: bigint;
};

const decoder = getStructDecoder([
  ['discriminator', fixDecoderSize(getBytesDecoder(), 8)],
  ['writeAuthority', getAddressDecoder()],
  [
    'verificationLevel',
    getDiscriminatedUnionDecoder([
      ['Partial', getStructDecoder([['numSignatures', getU8Decoder()]])],
      ['Full', getUnitDecoder()],
    ]),
  ],
  ['feedId', fixDecoderSize(getBytesDecoder(), 32)],
  ['price', getI64Decoder()],
  ['conf', getU64Decoder()],
  ['exponent', getI32Decoder()],
  ['publishTime', getI64Decoder()],
  ['prevPublishTime', getI64Decoder()],
  ['emaPrice', getI64Decoder()],
  ['emaConf', getU64Decoder()],
  ['postedSlot', getU64Decoder()],
]);

/** Decodes PriceUpdateV2 account data; null when it is not one. */
export function decodePriceUpdate(data: ReadonlyUint8Array): PriceUpdateV2 | null {
  if (data.length < 8 || PRICE_UPDATE_V2_DISCRIMINATOR.some((b, i) => data[i] !== b)) return null;
  try {
    const { discriminator: _d, ...rest } = decoder.decode(data) as PriceUpdateV2 & { discriminator: unknown };
    return rest;
  } catch {
    return null;
  }
}

/** A mantissa at a decimal exponent as a double (display only). */
export function scaled(mantissa: bigint, exponent: number): number {
  return Number(mantissa) * 10 ** exponent;
}

export type Quote = { price: number; conf: number; publishTime: number; verified: boolean };

export function quote(u: PriceUpdateV2): Quote {
  return {
    price: scaled(u.price, u.exponent),
    conf: scaled(u.conf, u.exponent),
    publishTime: Number(u.publishTime),
    verified: u.verificationLevel.__kind === 'Full',
  };
}
