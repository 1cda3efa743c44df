import type { Address } from '@solana/kit';
import { useCallback, useEffect, useState } from 'react';
import { useCluster } from '../context/ClusterContext';
import { ownerTokenAccount } from '../lib/actions';
import { marginAccountAddress } from '../lib/pda';
import { fetchRaw } from '../lib/rpc';
import { decodeToken, loadMarginAccount, type GroupState, type MarginAccountView } from '../lib/state';
import { usePolling } from './usePolling';

export type TraderData = {
  account: MarginAccountView | null;
  /** Wallet token balance per asset index (native units; 0 without a token account). */
  balances: bigint[];
  lamports: bigint;
};

/** The trader's margin account number `index`, wallet balances and SOL, polled. */
export function useTrader(state: GroupState | null, owner: Address | null, index: number) {
  const { rpc } = useCluster();
  const [accountAddress, setAccountAddress] = useState<Address | null>(null);
  const group = state?.address ?? null;
  useEffect(() => {
    let live = true;
    setAccountAddress(null);
    if (group && owner) void marginAccountAddress(group, owner, index).then((a) => live && setAccountAddress(a));
    return () => {
      live = false;
    };
  }, [group, owner, index]);

  const assets = state?.assets;
  const load = useCallback(async (): Promise<TraderData | null> => {
    if (!accountAddress || !owner || !assets) return null;
    const atas = await Promise.all(assets.map((a) => ownerTokenAccount(owner, a)));
    const [account, tokens, balance] = await Promise.all([
      loadMarginAccount(rpc, accountAddress),
      fetchRaw(rpc, atas),
      rpc.getBalance(owner, { commitment: 'confirmed' }).send(),
    ]);
    return { account, balances: tokens.map((t) => decodeToken(t)?.amount ?? 0n), lamports: balance.value };
    // The asset list is re-read every poll; its addresses only change with the group.
  }, [rpc, accountAddress, owner, assets?.length, group]);
  const polled = usePolling(load, 4000);
  return { accountAddress, ...polled };
}
