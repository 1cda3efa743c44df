import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { clusterFor, type Cluster, type ClusterId } from '../lib/clusters';
import { rpcFor, type SolanaRpc } from '../lib/rpc';

type ClusterState = { cluster: Cluster; rpc: SolanaRpc; setCluster: (id: ClusterId, customUrl?: string) => void };

const Ctx = createContext<ClusterState | null>(null);
const STORAGE_KEY = 'pm.cluster';
const IDS: ClusterId[] = ['localnet', 'devnet', 'mainnet-beta', 'custom'];

function defaultCluster(): ClusterId {
  const configured = import.meta.env.VITE_DEFAULT_CLUSTER as string | undefined;
  if (configured && (IDS as string[]).includes(configured)) return configured as ClusterId;
  return import.meta.env.DEV ? 'localnet' : 'devnet';
}

/** ?cluster=…&rpc=… first, then the last choice, then the build's default (localnet in dev). */
function initial(): Cluster {
  const q = new URLSearchParams(window.location.search);
  const id = q.get('cluster');
  if (id && (IDS as string[]).includes(id)) return clusterFor(id as ClusterId, q.get('rpc') ?? undefined);
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as { id: ClusterId; rpcUrl: string } | null;
    if (saved && IDS.includes(saved.id)) return clusterFor(saved.id, saved.rpcUrl);
  } catch {
    // ignore a corrupt entry
  }
  return clusterFor(defaultCluster());
}

export function ClusterProvider({ children }: { children: ReactNode }) {
  const [cluster, set] = useState<Cluster>(initial);
  const setCluster = useCallback((id: ClusterId, customUrl?: string) => {
    const c = clusterFor(id, customUrl);
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ id: c.id, rpcUrl: c.rpcUrl }));
    set(c);
  }, []);
  const value = useMemo(() => ({ cluster, rpc: rpcFor(cluster.rpcUrl), setCluster }), [cluster, setCluster]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useCluster(): ClusterState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useCluster outside ClusterProvider');
  return v;
}
