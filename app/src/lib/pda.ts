// Every address the app derives (the IDL carries no PDA seeds; these mirror
// programs/portfolio-margin/src/state/seeds.rs and clients/rust/src/address.rs).
import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  getU32Encoder,
  type Address,
} from '@solana/kit';
import { PORTFOLIO_MARGIN_PROGRAM_ADDRESS } from '../generated';

/** Pyth's push-oracle program: PriceUpdateV2 accounts at PDAs of (shard, feed id). */
export const PYTH_PUSH_ORACLE = 'pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT' as Address;
/** The Pyth receiver program that owns every PriceUpdateV2 account. */
export const PYTH_RECEIVER = 'rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ' as Address;

const enc = getAddressEncoder();
const text = (s: string) => new TextEncoder().encode(s);

async function pda(seeds: Uint8Array[]): Promise<Address> {
  const [address] = await getProgramDerivedAddress({ programAddress: PORTFOLIO_MARGIN_PROGRAM_ADDRESS, seeds });
  return address;
}

export function groupAddress(admin: Address, groupId: number): Promise<Address> {
  return pda([text('group'), new Uint8Array(enc.encode(admin)), new Uint8Array(getU32Encoder().encode(groupId))]);
}

export function assetAddress(group: Address, mint: Address): Promise<Address> {
  return pda([text('asset'), new Uint8Array(enc.encode(group)), new Uint8Array(enc.encode(mint))]);
}

export function vaultAddress(asset: Address): Promise<Address> {
  return pda([text('vault'), new Uint8Array(enc.encode(asset))]);
}

export function insuranceVaultAddress(asset: Address): Promise<Address> {
  return pda([text('insurance'), new Uint8Array(enc.encode(asset))]);
}

export function marginAccountAddress(group: Address, owner: Address, index: number): Promise<Address> {
  return pda([text('margin_account'), new Uint8Array(enc.encode(group)), new Uint8Array(enc.encode(owner)), new Uint8Array([index])]);
}

/** The Pyth push-oracle account of `feedId` on `shard` (shard 0 is the one Pyth keeps updated). */
export async function pythPriceFeedAddress(feedId: Uint8Array | ReadonlyArray<number>, shard = 0): Promise<Address> {
  const [address] = await getProgramDerivedAddress({
    programAddress: PYTH_PUSH_ORACLE,
    seeds: [new Uint8Array(getU16Encoder().encode(shard)), Uint8Array.from(feedId)],
  });
  return address;
}

/** The group's perp liquidity vault. */
export function perpVaultAddress(group: Address): Promise<Address> {
  return pda([text('perp_vault'), new Uint8Array(enc.encode(group))]);
}

/** The perp vault's quote-token account. */
export function perpVaultTokensAddress(group: Address): Promise<Address> {
  return pda([text('perp_vault_tokens'), new Uint8Array(enc.encode(group))]);
}
