// A small, consistent group in memory (two assets, two accounts) built from the generated types,
// for the invariant checks and the views. Tests break one thing at a time.
import type { Address } from '@solana/kit';
import type { Asset, Group, MarginAccount, Position, RiskModel } from '../src/generated';
import { fromDecimalString, fromInt, mulCeil, mulFloor, sqrtCeil, wrap } from '../src/lib/fixed';
import { PYTH_RECEIVER } from '../src/lib/pda';
import type { RawAccount } from '../src/lib/rpc';
import type { AssetView, GroupState, MarginAccountView } from '../src/lib/state';
import { triIndex } from '../src/lib/volatility';

export const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA' as Address;
export const GROUP = 'Grp1111111111111111111111111111111111111111' as Address;
const ZERO32 = new Uint8Array(32);
const key = (c: string) => c.repeat(32).slice(0, 32).replace(/^./, 'K') as Address;

const fx = (s: string) => wrap(fromDecimalString(s));
const raw = (address: Address, owner: Address, data = new Uint8Array(0)): RawAccount => ({ address, owner, lamports: 1n, data });

export function feed(i: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? i + 1 : 7));
}

function asset(i: number, over: Partial<Asset> = {}): Asset {
  return {
    discriminator: new Uint8Array(8),
    group: GROUP,
    mint: key(`M${i}`),
    tokenProgram: TOKEN,
    vault: key(`V${i}`),
    insuranceVault: key(`I${i}`),
    feedId: feed(i),
    depositIndex: fx('1.25'),
    borrowIndex: fx('1.5'),
    depositShares: wrap(0n),
    borrowShares: wrap(0n),
    protocolFees: fx('0.5'),
    baseRate: fx('0'),
    optimalUtilization: fx('0.8'),
    rateAtOptimal: fx('0.1'),
    maxRate: fx('1'),
    protocolShare: fx('0.1'),
    floorRate: fx('0.01'),
    depositCap: 10n ** 15n,
    borrowCap: 10n ** 15n,
    lastAccrual: 0n,
    index: i,
    decimals: 6,
    bump: 255,
    vaultBump: 255,
    insuranceBump: 255,
    padding: new Uint8Array(2),
    oracle: key(`O${i}`),
    freezeAuthority: '11111111111111111111111111111111' as Address,
    depositEpoch: 0,
    hasFreezeAuthority: 0,
    padding2: new Uint8Array(3),
    reserved: new Uint8Array(56),
    ...over,
  };
}

const emptySlot = (): Position => ({
  shares: wrap(0n),
  assetIndex: 0,
  active: 0,
  depositEpochLe: new Uint8Array(4),
  padding: new Uint8Array(1),
});

export function account(owner: string, positions: [number, bigint][], index = 0): MarginAccountView {
  const slots = Array.from({ length: 16 }, emptySlot);
  positions.forEach(([asset, shares], slot) => (slots[slot] = { shares: wrap(shares), assetIndex: asset, active: 1, depositEpochLe: new Uint8Array(4), padding: new Uint8Array(1) }));
  const acc: MarginAccount = {
    discriminator: new Uint8Array(8),
    group: GROUP,
    owner: key(owner),
    positions: slots,
    index,
    bump: 255,
    padding: new Uint8Array(6),
    reserved: new Uint8Array(64),
    perps: Array.from({ length: 16 }, () => ({
      baseLe: new Uint8Array(16),
      quote: wrap(0n),
      fundingIndex: wrap(0n),
      marketIndex: 0,
      active: 0,
      padding: new Uint8Array(5),
    })),
  };
  return { address: key(`A${owner}${index}`), account: acc, raw: raw(key(`A${owner}${index}`), 'GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX' as Address) };
}

function model(n: number, variances: string[], covs: Record<string, string>, sampled = true): RiskModel {
  const covariance = Array.from({ length: 2080 }, () => wrap(0n));
  const volatility = Array.from({ length: 64 }, () => wrap(0n));
  variances.forEach((v, i) => {
    covariance[triIndex(i, i)] = fx(v);
    volatility[i] = wrap(sqrtCeil(fromDecimalString(v))!);
  });
  for (const [ij, v] of Object.entries(covs)) {
    const [i, j] = ij.split(',').map(Number) as [number, number];
    covariance[triIndex(i, j)] = fx(v);
  }
  return {
    discriminator: new Uint8Array(8),
    group: GROUP,
    lastSampleTime: sampled ? 1_700_000_000n : 0n,
    sampleCount: sampled ? 3n : 0n,
    pendingSampleTime: 0n,
    pendingMask: 0n,
    pendingMissing: 0n,
    assetCount: n,
    padding: new Uint8Array(6),
    lastPrices: Array.from({ length: 64 }, () => wrap(0n)),
    pendingPrices: Array.from({ length: 64 }, () => wrap(0n)),
    volatility,
    // Slow memory equal to the fast variance and no scale (d = 1): the fixture's margins are Σ's.
    slowVariance: Array.from({ length: 64 }, (_, i) => (variances[i] !== undefined ? fx(variances[i]!) : wrap(0n))),
    shortVariance: Array.from({ length: 64 }, (_, i) => (variances[i] !== undefined ? fx(variances[i]!) : wrap(0n))),
    volScale: Array.from({ length: 64 }, () => wrap(1n << 48n)),
    depegGap: Array.from({ length: 64 }, () => wrap(0n)),
    feedIds: Array.from({ length: 64 }, (_, i) => (i < n ? feed(i) : ZERO32)),
    oracles: Array.from({ length: 64 }, (_, i) => (i < n ? key(`O${i}`) : ('11111111111111111111111111111111' as Address))),
    covariance,
    // The margin kernel is the program's (`RiskModel::refresh_kernel`): tests that price books go
    // through the WebAssembly engine, which reads the raw account bytes, not this object.
    kernelExponent: Array.from({ length: 64 }, () => 0),
    kernelExact: new Uint8Array(64),
    kernelDim: 0,
    kernelPadding: new Uint8Array(6),
    kernelVol: Array.from({ length: 64 }, () => 0),
    kernelScale: Array.from({ length: 64 }, () => 0),
    kernelCov: Array.from({ length: 2080 }, () => 0),
  };
}

function group(n: number): Group {
  const p = (s: string) => fx(s);
  return {
    discriminator: new Uint8Array(8),
    admin: key('a'),
    riskAuthority: key('r'),
    params: {
      lambda: p('0.94'),
      z: p('2.326348'),
      spikeAlpha: p('0.25'),
      breakdownBeta: p('0.05'),
      stressVolMultiplier: p('1.25'),
      jointMoveSigmas: p('2.4'),
      initialMultiplier: p('1.5'),
      confK: p('1'),
      maxConfRatio: p('0.02'),
      liquidatorFee: p('0.025'),
      insuranceFee: p('0.025'),
      hedgeFloor: p('0.4'),
      slowLambda: p('0.995'),
      volFloorWeight: p('0.7'),
      shortLambda: p('0.7'),
      shortVolWeight: p('0.8'),
      sampleIntervalSeconds: 86_400,
      horizonSeconds: 86_400,
      oracleMaxAgeSeconds: 60,
      reserved: 0,
    },
    groupId: 0,
    assetCount: n,
    bump: 255,
    padding: 0,
    createdAt: 0n,
    riskModel: key('R'),
    lookupTables: ['11111111111111111111111111111111' as Address, '11111111111111111111111111111111' as Address],
    reserved: new Uint8Array(160),
  };
}

/** A token account view: 165 bytes would be real data; the checks read the decoded token. */
function tokenView(address: Address, mint: Address, owner: Address, amount: bigint) {
  return {
    address,
    raw: raw(address, TOKEN, new Uint8Array(165)),
    token: {
      mint,
      owner,
      amount,
      delegate: { __option: 'None' as const },
      state: 1,
      isNative: { __option: 'None' as const },
      delegatedAmount: 0n,
      closeAuthority: { __option: 'None' as const },
    },
  } as unknown as AssetView['vault'];
}

/**
 * Two assets; accounts: alice deposits 100 shares of asset 0 and owes 20 shares of asset 1; bob
 * deposits 40 shares of asset 1. Vault balances cover the books with some to spare.
 */
export function fixture(): { state: GroupState; accounts: MarginAccountView[] } {
  const accounts = [account('alice', [[0, fromInt(100)], [1, -fromInt(20)]]), account('bob', [[1, fromInt(40)]])];
  const shares = [
    { dep: fromInt(100), bor: 0n },
    { dep: fromInt(40), bor: fromInt(20) },
  ];
  const assets: AssetView[] = shares.map(({ dep, bor }, i) => {
    const a = asset(i, { depositShares: wrap(dep), borrowShares: wrap(bor) });
    const address = key(`S${i}`);
    const deposits = mulFloor(dep, fromDecimalString('1.25'));
    const borrows = mulCeil(bor, fromDecimalString('1.5'));
    const books = deposits - borrows + fromDecimalString('0.5');
    const balance = (books >> 48n) + 2n;
    return {
      address,
      index: i,
      symbol: i === 0 ? 'BTC' : 'USDC',
      account: a,
      raw: raw(address, 'GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX' as Address),
      oracle: { address: key(`O${i}`), raw: raw(key(`O${i}`), PYTH_RECEIVER), update: null },
      vault: tokenView(a.vault, a.mint, address, balance),
      insurance: tokenView(a.insuranceVault, a.mint, address, 0n),
    };
  });
  const state: GroupState = {
    address: GROUP,
    group: group(2),
    groupRaw: raw(GROUP, 'GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX' as Address),
    model: model(2, ['0.0016', '0.0001'], { '0,1': '0.0002' }),
    modelRaw: raw(key('R'), 'GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX' as Address),
    assets,
    now: 1_700_000_100n,
    slot: 1n,
    fetchedAt: 0,
  };
  return { state, accounts };
}
