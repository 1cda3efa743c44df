import { useState } from 'react';
import { useCluster } from '../../context/ClusterContext';
import { GRANT_USD, fundFromFaucet } from '../../lib/faucet';
import type { Address } from '@solana/kit';
import type { GroupState } from '../../lib/state';

/** Local networks only: SOL by airdrop and test tokens of every asset by surfpool cheatcode. */
export function Faucet({ state, owner, onDone }: { state: GroupState; owner: Address; onDone: () => void }) {
  const { rpc, cluster } = useCluster();
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div className="faucet">
      <button
        data-testid="faucet"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setMsg(null);
          try {
            await fundFromFaucet(rpc, cluster.rpcUrl, owner, state.assets);
            setMsg({ ok: true, text: `Added about $${GRANT_USD.toLocaleString('en-US')} of every asset, and SOL for fees.` });
          } catch (e) {
            setMsg({ ok: false, text: e instanceof Error ? e.message : String(e) });
          } finally {
            setBusy(false);
            onDone();
          }
        }}
      >
        {busy ? 'Funding…' : 'Get test tokens (localnet)'}
      </button>
      {msg && (
        <span className={`small ${msg.ok ? 'ok' : 'error'}`} data-testid="faucet-result">
          {' '}
          {msg.text}
        </span>
      )}
    </div>
  );
}
