// One consistent read of a group: the group, its risk model, its assets (by index), each asset's
// Pyth oracle and vaults, and the chain clock. Decoding is the generated client's.
import { getAddressEncoder, type Address } from '@solana/kit';
import { fetchSysvarClock } from '@solana/sysvars';
import { getTokenDecoder, type Token } from '@solana-program/token';
import {
  ASSET_DISCRIMINATOR,
  GROUP_DISCRIMINATOR,
  MARGIN_ACCOUNT_DISCRIMINATOR,
  PERP_MARKET_DISCRIMINATOR,
  PORTFOLIO_MARGIN_PROGRAM_ADDRESS,
  getAssetDecoder,
  getGroupDecoder,
  getMarginAccountDecoder,
  getPerpMarketDecoder,
  getPerpVaultDecoder,
  getRiskModelDecoder,
  type Asset,
  type Group,
  type MarginAccount,
  type PerpMarket,
  type PerpVault,
  type RiskModel,
} from '../generated';
import { perpVaultAddress, perpVaultTokensAddress } from './pda';
import { symbolFor } from './feeds';
import { decodePriceUpdate, type PriceUpdateV2 } from './pyth';
import { fetchRaw, programAccounts, type RawAccount, type SolanaRpc } from './rpc';

export type TokenAccountView = { address: Address; raw: RawAccount | null; token: Token | null };

export type OracleView = { address: Address; raw: RawAccount | null; update: PriceUpdateV2 | null };

export type AssetView = {
  address: Address;
  index: number;
  symbol: string;
  account: Asset;
  raw: RawAccount;
  oracle: OracleView;
  vault: TokenAccountView;
  insurance: TokenAccountView;
};

/** The group's perp vault, its token account and its markets (by market index). */
export type PerpsView = {
  vault: PerpVault;
  vaultRaw: RawAccount;
  tokensRaw: RawAccount;
  markets: { address: Address; account: PerpMarket; raw: RawAccount }[];
};

export type GroupState = {
  address: Address;
  group: Group;
  groupRaw: RawAccount;
  model: RiskModel;
  modelRaw: RawAccount;
  assets: AssetView[];
  /** Perpetual futures, when the group has a perp vault. */
  perps?: PerpsView | null;
  /** Chain clock (unix seconds) and slot at the read. */
  now: bigint;
  slot: bigint;
  fetchedAt: number;
};

export type MarginAccountView = { address: Address; account: MarginAccount; raw: RawAccount };

const addr = getAddressEncoder();

/** SPL Token / Token-2022 account (base layout; extensions after byte 165 are ignored). */
export function decodeToken(raw: RawAccount | null): Token | null {
  if (!raw || raw.data.length < 165) return null;
  try {
    return getTokenDecoder().decode(raw.data.subarray(0, 165));
  } catch {
    return null;
  }
}

/** Every group of the program on this cluster. */
export async function listGroups(rpc: SolanaRpc): Promise<{ address: Address; group: Group }[]> {
  const found = await programAccounts(rpc, PORTFOLIO_MARGIN_PROGRAM_ADDRESS, [{ offset: 0, bytes: new Uint8Array(GROUP_DISCRIMINATOR) }]);
  return found
    .map((a) => ({ address: a.address, group: getGroupDecoder().decode(a.data) }))
    .sort((a, b) => a.group.groupId - b.group.groupId || (a.address < b.address ? -1 : 1));
}

export async function loadGroupState(rpc: SolanaRpc, group: Address): Promise<GroupState> {
  // The perp accounts are read beside the rest (the clock must stay close to what the previews use).
  const perps = loadPerps(rpc, group);
  perps.catch(() => undefined); // awaited below; an early throw here must not leave it unhandled
  const [groupRaw] = await fetchRaw(rpc, [group]);
  if (!groupRaw || groupRaw.owner !== PORTFOLIO_MARGIN_PROGRAM_ADDRESS) throw new Error(`group ${group} does not exist on this cluster`);
  const g = getGroupDecoder().decode(groupRaw.data);
  const assetAccounts = await programAccounts(rpc, PORTFOLIO_MARGIN_PROGRAM_ADDRESS, [
    { offset: 0, bytes: new Uint8Array(ASSET_DISCRIMINATOR) },
    { offset: 8, bytes: new Uint8Array(addr.encode(group)) },
  ]);
  const decoded = assetAccounts
    .map((raw) => ({ raw, account: getAssetDecoder().decode(raw.data) }))
    .sort((a, b) => a.account.index - b.account.index);
  // Each asset's registered oracle: the only account the program accepts for its price.
  const oracles = decoded.map((a) => a.account.oracle);
  const keys: Address[] = [g.riskModel];
  for (const [i, a] of decoded.entries()) keys.push(oracles[i]!, a.account.vault, a.account.insuranceVault);
  const [fetched, clock] = await Promise.all([fetchRaw(rpc, keys), fetchSysvarClock(rpc, { commitment: 'confirmed' })]);
  const modelRaw = fetched[0];
  if (!modelRaw) throw new Error(`the group's risk model ${g.riskModel} does not exist`);
  const assets: AssetView[] = decoded.map(({ raw, account }, i) => {
    const [o, v, ins] = [fetched[1 + 3 * i] ?? null, fetched[2 + 3 * i] ?? null, fetched[3 + 3 * i] ?? null];
    return {
      address: raw.address,
      index: account.index,
      symbol: symbolFor(account.feedId, account.index),
      account,
      raw,
      oracle: { address: oracles[i]!, raw: o, update: o ? decodePriceUpdate(o.data) : null },
      vault: { address: account.vault, raw: v, token: decodeToken(v) },
      insurance: { address: account.insuranceVault, raw: ins, token: decodeToken(ins) },
    };
  });
  return {
    address: group,
    group: g,
    groupRaw,
    model: getRiskModelDecoder().decode(modelRaw.data),
    modelRaw,
    assets,
    perps: await perps,
    now: clock.unixTimestamp,
    slot: clock.slot,
    fetchedAt: Date.now(),
  };
}

/** The group's perp vault and markets (null without a vault). */
export async function loadPerps(rpc: SolanaRpc, group: Address): Promise<PerpsView | null> {
  const [vaultRaw, tokensRaw] = await fetchRaw(rpc, [await perpVaultAddress(group), await perpVaultTokensAddress(group)]);
  if (!vaultRaw || !tokensRaw || vaultRaw.owner !== PORTFOLIO_MARGIN_PROGRAM_ADDRESS) return null;
  const found = await programAccounts(rpc, PORTFOLIO_MARGIN_PROGRAM_ADDRESS, [
    { offset: 0, bytes: new Uint8Array(PERP_MARKET_DISCRIMINATOR) },
    { offset: 8, bytes: new Uint8Array(addr.encode(group)) },
  ]);
  const markets = found
    .map((raw) => ({ address: raw.address, raw, account: getPerpMarketDecoder().decode(raw.data) }))
    .sort((a, b) => a.account.marketIndex - b.account.marketIndex);
  return { vault: getPerpVaultDecoder().decode(vaultRaw.data), vaultRaw, tokensRaw, markets };
}

/** Every margin account of `group`. */
export async function loadMarginAccounts(rpc: SolanaRpc, group: Address): Promise<MarginAccountView[]> {
  const found = await programAccounts(rpc, PORTFOLIO_MARGIN_PROGRAM_ADDRESS, [
    { offset: 0, bytes: new Uint8Array(MARGIN_ACCOUNT_DISCRIMINATOR) },
    { offset: 8, bytes: new Uint8Array(addr.encode(group)) },
  ]);
  return found.map((raw) => ({ address: raw.address, raw, account: getMarginAccountDecoder().decode(raw.data) }));
}

/** One margin account, or null when it does not exist yet. */
export async function loadMarginAccount(rpc: SolanaRpc, address: Address): Promise<MarginAccountView | null> {
  const [raw] = await fetchRaw(rpc, [address]);
  if (!raw || raw.owner !== PORTFOLIO_MARGIN_PROGRAM_ADDRESS) return null;
  return { address, raw, account: getMarginAccountDecoder().decode(raw.data) };
}
