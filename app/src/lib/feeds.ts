// Names for Pyth feed ids (the program stores only the feed id of each asset). The ids of
// migrations/localnet.toml, localnet-wide.toml and devnet.toml, plus a few common mainnet feeds.
const KNOWN: Record<string, string> = {
  e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43: 'BTC',
  ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace: 'ETH',
  '2f95862b045670cd22bee3114c39763a4a08beeb663b145d283c31d7d1101c4f': 'BNB',
  ec5d399846a9209f3fe5881d70aae9268c94339ff9817e8d18ff19fa05eea1c8: 'XRP',
  '555f0e2765b4a495ef32b5141d336f0de505bcee2caabf36f7425de9efcfdd67': 'ADA',
  dcef50dd0a4cd2dcc17e45df1676dcb336a11a61c69df7a0299b0150c672d25c: 'DOGE',
  '8ac0c70fff57e9aefdf5edf44b51d62c2d433653cbb2cf5cc06bb115af04d221': 'LINK',
  '2957ffef245e9ef5cb4ee3378cf3d407397376bfc07498d612c672bd1459d17d': 'LTC',
  eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a: 'USDC',
  ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d: 'SOL',
  '2b89b9dc8fdf9f34709a5b106b472f0f39bb6ca9ce04b0fd7f2e971688e2e53b': 'USDT',
  '93da3352f9f1d105fdfe4971cfa80e9dd777bfc5d0f683ebb6e1294b92137bb7': 'AVAX',
  ca3eed9b267293f6595901c734c7525ce8ef49adafe8284606ceb307afa2ca5b: 'DOT',
  '5de33a9112c2b700b8d30b8a3402c103578ccfa2765696471cc672bd5cf6ac52': 'MATIC',
};

export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes as ArrayLike<number>, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A short name for an asset: its feed's symbol, else "asset N". */
export function symbolFor(feedId: ArrayLike<number>, index: number): string {
  return KNOWN[hex(feedId)] ?? `asset ${index}`;
}
