import { useConnect, useWallets, type UiWallet } from '@wallet-standard/react';
import { useState } from 'react';
import { useWallet } from '../../context/WalletContext';
import { canSign } from '../../wallet/standardSigner';
import { short } from '../common/Address';

function StandardWalletButton({ wallet, onDone }: { wallet: UiWallet; onDone: () => void }) {
  const { selectStandardAccount } = useWallet();
  const [connecting, connect] = useConnect(wallet);
  const [error, setError] = useState<string | null>(null);
  return (
    <button
      className="wallet-option"
      disabled={connecting}
      onClick={async () => {
        setError(null);
        try {
          const accounts = await connect();
          const account = accounts.find(canSign);
          if (!account) throw new Error(`${wallet.name} offers no account that can sign Solana transactions`);
          selectStandardAccount(account, wallet.name);
          onDone();
        } catch (e) {
          setError(e instanceof Error ? e.message : String(e));
        }
      }}
    >
      {wallet.icon && <img src={wallet.icon} alt="" width={18} height={18} />}
      {wallet.name}
      {error && <span className="error small"> {error}</span>}
    </button>
  );
}

/** Wallet Standard wallets (Phantom, Backpack, Solflare…) and the local dev wallet. */
export function WalletMenu() {
  const { wallet, connectDev, disconnect, connecting, error, newDevWallet } = useWallet();
  const wallets = useWallets().filter((w) => w.chains.some((c) => c.startsWith('solana:')) && w.features.includes('standard:connect'));
  const [open, setOpen] = useState(false);

  if (wallet) {
    return (
      <div className="wallet">
        <span className="badge" data-testid="wallet-kind">
          {wallet.label}
        </span>
        <span className="mono" data-testid="wallet-address" title={wallet.address}>
          {short(wallet.address)}
        </span>
        {wallet.kind === 'dev' && (
          <button className="link" onClick={() => void newDevWallet()} title="Forget this key and generate a new one">
            new key
          </button>
        )}
        <button onClick={disconnect}>Disconnect</button>
      </div>
    );
  }
  return (
    <div className="wallet">
      <button className="primary" data-testid="connect-button" onClick={() => setOpen((o) => !o)}>
        Connect wallet
      </button>
      {open && (
        <div className="wallet-menu" role="menu">
          {wallets.map((w) => (
            <StandardWalletButton key={w.name} wallet={w} onDone={() => setOpen(false)} />
          ))}
          {wallets.length === 0 && <div className="muted small">No browser wallet found (Phantom, Backpack, Solflare…).</div>}
          <button
            className="wallet-option"
            data-testid="connect-dev-wallet"
            disabled={connecting}
            onClick={async () => {
              await connectDev();
              setOpen(false);
            }}
          >
            Dev wallet (key kept in this browser)
          </button>
        </div>
      )}
      {error && <span className="error small">{error}</span>}
    </div>
  );
}
