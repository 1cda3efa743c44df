import type { Address } from '@solana/kit';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { listGroups, loadGroupState, type GroupState } from '../lib/state';
import { usePolling } from '../hooks/usePolling';
import { useCluster } from './ClusterContext';

type GroupCtx = {
  groups: Address[];
  groupAddress: Address | null;
  setGroup: (a: Address) => void;
  state: GroupState | null;
  error: string | null;
  refresh: () => void;
};

const Ctx = createContext<GroupCtx | null>(null);
const POLL_MS = 4000;

function storageKey(rpcUrl: string) {
  return `pm.group.${rpcUrl}`;
}

export function GroupProvider({ children }: { children: ReactNode }) {
  const { cluster, rpc } = useCluster();
  const [groups, setGroups] = useState<Address[]>([]);
  const [groupAddress, setGroupAddress] = useState<Address | null>(null);
  const [listError, setListError] = useState<string | null>(null);

  // Which groups exist here; ?group= or the last choice wins when present.
  useEffect(() => {
    let live = true;
    setGroups([]);
    setGroupAddress(null);
    setListError(null);
    listGroups(rpc)
      .then((found) => {
        if (!live) return;
        const list = found.map((g) => g.address);
        setGroups(list);
        const wanted = new URLSearchParams(window.location.search).get('group') ?? localStorage.getItem(storageKey(cluster.rpcUrl));
        setGroupAddress((wanted as Address | null) && list.includes(wanted as Address) ? (wanted as Address) : (list[0] ?? null));
        if (list.length === 0) setListError('No portfolio-margin group exists on this cluster.');
      })
      .catch((e: unknown) => live && setListError(`Cannot list groups at ${cluster.rpcUrl}: ${e instanceof Error ? e.message : String(e)}`));
    return () => {
      live = false;
    };
  }, [rpc, cluster.rpcUrl]);

  const setGroup = useCallback(
    (a: Address) => {
      localStorage.setItem(storageKey(cluster.rpcUrl), a);
      setGroupAddress(a);
    },
    [cluster.rpcUrl],
  );

  const load = useCallback(() => (groupAddress ? loadGroupState(rpc, groupAddress) : Promise.resolve(null)), [rpc, groupAddress]);
  const { data: state, error, refresh } = usePolling(load, POLL_MS);

  const value = useMemo(
    () => ({ groups, groupAddress, setGroup, state: state ?? null, error: listError ?? error, refresh }),
    [groups, groupAddress, setGroup, state, listError, error, refresh],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useGroup(): GroupCtx {
  const v = useContext(Ctx);
  if (!v) throw new Error('useGroup outside GroupProvider');
  return v;
}
