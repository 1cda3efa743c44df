import type { Address } from '@solana/kit';
import { useMemo, useState } from 'react';
import { useCluster } from '../../context/ClusterContext';
import { useWallet } from '../../context/WalletContext';
import { actionInstructions } from '../../lib/actions';
import { formatAmount, parseAmount } from '../../lib/amounts';
import type { ActionKind } from '../../lib/positions';
import type { GroupState, MarginAccountView } from '../../lib/state';
import { sendAndConfirm, type TxStatus } from '../../lib/tx';
import { riskRequest, type RiskAction, type RiskEngine } from '../../risk';
import { usePreview } from '../../hooks/usePreview';
import { PreviewTable } from './PreviewTable';
import { TxStatusView } from './TxStatusView';

const KINDS: ActionKind[] = ['deposit', 'withdraw', 'borrow', 'repay'];

type Props = {
  state: GroupState;
  engine: RiskEngine | null;
  accountAddress: Address;
  accountIndex: number;
  account: MarginAccountView | null;
  balances: bigint[];
  onDone: () => void;
};

export function ActionPanel({ state, engine, accountAddress, accountIndex, account, balances, onDone }: Props) {
  const { rpc } = useCluster();
  const { wallet } = useWallet();
  const [kind, setKind] = useState<ActionKind>('deposit');
  const [assetIndex, setAssetIndex] = useState(0);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<TxStatus | null>(null);
  const asset = state.assets[assetIndex] ?? state.assets[0];
  const decimals = asset?.account.decimals ?? 0;
  const amount = text.trim() === '' ? null : parseAmount(text, decimals);
  const invalid = text.trim() !== '' && amount === null;

  const action: RiskAction | null = useMemo(
    () => (asset && amount !== null && amount > 0n ? { kind, asset: asset.index, amount: amount.toString() } : null),
    [kind, asset, amount],
  );
  const preview = usePreview(engine, state, account, action);
  const busy = status?.state === 'signing' || status?.state === 'pending';

  if (!asset) return null;

  const setMax = () => {
    let max: bigint | null = null;
    if (engine) {
      const r = engine.maxAmount(riskRequest(state, account, { kind, asset: asset.index, amount: '0' }));
      if (r.ok && r.amount !== undefined) max = BigInt(r.amount);
    }
    // Deposits and repayments also stop at what the wallet holds.
    if (kind === 'deposit' || kind === 'repay') {
      const held = balances[asset.index] ?? 0n;
      max = max === null || held < max ? held : max;
    }
    if (max !== null) setText(formatAmount(max, decimals));
  };

  const submit = async () => {
    if (!wallet || amount === null || amount <= 0n) return;
    setStatus({ state: 'signing' });
    try {
      const ixs = await actionInstructions({ state, owner: wallet.signer, accountAddress, accountIndex, account, kind, asset, amount });
      await sendAndConfirm(rpc, wallet.signer, ixs, setStatus, { lookupTables: state.group.lookupTables });
      setText('');
    } catch (e) {
      // sendAndConfirm reports its own failures; this catches building errors.
      setStatus((s) => (s?.state === 'failed' ? s : { state: 'failed', error: { message: e instanceof Error ? e.message : String(e), logs: [] } }));
    } finally {
      onDone();
    }
  };

  return (
    <div className="actions" data-testid="action-panel">
      <div className="tabs" role="tablist">
        {KINDS.map((k) => (
          <button
            key={k}
            role="tab"
            aria-selected={k === kind}
            className={k === kind ? 'active' : ''}
            data-testid={`action-${k}`}
            onClick={() => {
              setKind(k);
              setStatus(null);
            }}
          >
            {k[0]!.toUpperCase() + k.slice(1)}
          </button>
        ))}
      </div>
      <div className="action-form">
        <select
          aria-label="Asset"
          data-testid="action-asset"
          value={asset.index}
          onChange={(e) => {
            setAssetIndex(Number(e.target.value));
            setStatus(null);
          }}
        >
          {state.assets.map((a) => (
            <option key={a.index} value={a.index}>
              {a.symbol}
            </option>
          ))}
        </select>
        <input
          aria-label="Amount"
          data-testid="action-amount"
          inputMode="decimal"
          placeholder={`amount (${decimals} decimals)`}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setStatus(null);
          }}
          className={invalid ? 'invalid' : ''}
        />
        <button onClick={setMax} disabled={!engine && kind !== 'deposit' && kind !== 'repay'} data-testid="action-max">
          Max
        </button>
        <button className="primary" data-testid="action-submit" disabled={!wallet || busy || amount === null || amount <= 0n} onClick={() => void submit()}>
          {kind[0]!.toUpperCase() + kind.slice(1)} {asset.symbol}
        </button>
      </div>
      <p className="small muted">
        In wallet: {formatAmount(balances[asset.index] ?? 0n, decimals)} {asset.symbol}
        {invalid && <span className="error"> — not a valid amount with {decimals} decimals</span>}
      </p>
      {preview && action && <PreviewTable preview={preview} state={state} />}
      <TxStatusView status={status} />
    </div>
  );
}
