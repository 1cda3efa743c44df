import type { Address, TransactionSigner } from '@solana/kit';
import type { UiWalletAccount } from '@wallet-standard/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { loadDevWallet, resetDevWallet } from '../wallet/devWallet';
import { chainFor, standardSigner } from '../wallet/standardSigner';
import { useCluster } from './ClusterContext';

export type WalletKind = 'dev' | 'standard';

type Connected = { kind: WalletKind; address: Address; signer: TransactionSigner; label: string };

type WalletState = {
  wallet: Connected | null;
  connecting: boolean;
  error: string | null;
  connectDev: () => Promise<void>;
  selectStandardAccount: (account: UiWalletAccount, walletName: string) => void;
  disconnect: () => void;
  newDevWallet: () => Promise<void>;
};

const Ctx = createContext<WalletState | null>(null);
const LAST = 'pm.wallet';

export function WalletProvider({ children }: { children: ReactNode }) {
  const { cluster } = useCluster();
  const [wallet, setWallet] = useState<Connected | null>(null);
  const [standard, setStandard] = useState<{ account: UiWalletAccount; name: string } | null>(null);
  const [connecting, setConnecting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const connectDev = useCallback(async () => {
    setConnecting(true);
    setError(null);
    try {
      const signer = await loadDevWallet();
      localStorage.setItem(LAST, 'dev');
      setStandard(null);
      setWallet({ kind: 'dev', address: signer.address, signer, label: 'Dev wallet' });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setConnecting(false);
    }
  }, []);

  const selectStandardAccount = useCallback((account: UiWalletAccount, name: string) => {
    localStorage.setItem(LAST, 'standard');
    setStandard({ account, name });
  }, []);

  // A standard wallet's signer depends on the chain the cluster names.
  useEffect(() => {
    if (!standard) return;
    try {
      const signer = standardSigner(standard.account, chainFor(cluster.id));
      setWallet({ kind: 'standard', address: signer.address, signer, label: standard.name });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [standard, cluster.id]);

  const disconnect = useCallback(() => {
    localStorage.removeItem(LAST);
    setStandard(null);
    setWallet(null);
  }, []);

  const newDevWallet = useCallback(async () => {
    resetDevWallet();
    await connectDev();
  }, [connectDev]);

  // Reconnect the dev wallet after a reload (standard wallets ask the user again).
  useEffect(() => {
    if (localStorage.getItem(LAST) === 'dev') void connectDev();
  }, [connectDev]);

  const value = useMemo(
    () => ({ wallet, connecting, error, connectDev, selectStandardAccount, disconnect, newDevWallet }),
    [wallet, connecting, error, connectDev, selectStandardAccount, disconnect, newDevWallet],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useWallet(): WalletState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useWallet outside WalletProvider');
  return v;
}
