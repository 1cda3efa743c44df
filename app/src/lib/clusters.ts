// Clusters the app can talk to, and explorer links for each.
export type ClusterId = 'localnet' | 'devnet' | 'mainnet-beta' | 'custom';

export type Cluster = { id: ClusterId; label: string; rpcUrl: string };

export const PRESETS: Record<Exclude<ClusterId, 'custom'>, Cluster> = {
  localnet: { id: 'localnet', label: 'Localnet', rpcUrl: 'http://127.0.0.1:8899' },
  devnet: { id: 'devnet', label: 'Devnet', rpcUrl: 'https://api.devnet.solana.com' },
  'mainnet-beta': { id: 'mainnet-beta', label: 'Mainnet beta', rpcUrl: 'https://api.mainnet-beta.solana.com' },
};

export function clusterFor(id: ClusterId, customUrl?: string): Cluster {
  if (id === 'custom') return { id, label: 'Custom', rpcUrl: customUrl?.trim() || PRESETS.localnet.rpcUrl };
  return PRESETS[id];
}

/** Whether the cluster is a local surfpool network (faucet, airdrops, cheatcodes). */
export function isLocal(c: Cluster): boolean {
  try {
    const host = new URL(c.rpcUrl).hostname;
    return c.id === 'localnet' || host === '127.0.0.1' || host === 'localhost';
  } catch {
    return false;
  }
}

function explorerQuery(c: Cluster): string {
  switch (c.id) {
    case 'mainnet-beta':
      return '';
    case 'devnet':
      return '?cluster=devnet';
    default:
      return `?cluster=custom&customUrl=${encodeURIComponent(c.rpcUrl)}`;
  }
}

export function explorerTx(c: Cluster, signature: string): string {
  return `https://explorer.solana.com/tx/${signature}${explorerQuery(c)}`;
}

export function explorerAddress(c: Cluster, address: string): string {
  return `https://explorer.solana.com/address/${address}${explorerQuery(c)}`;
}

/** Websocket URL beside an HTTP RPC URL (surfpool: port + 1, like solana-test-validator). */
export function wsUrlFor(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.port) u.port = String(Number(u.port) + 1);
  return u.toString();
}
