import { useState } from 'react';
import { useCluster } from '../../context/ClusterContext';
import { useGroup } from '../../context/GroupContext';
import { useWallet } from '../../context/WalletContext';
import { useRiskEngine } from '../../hooks/useRiskEngine';
import { usePreview } from '../../hooks/usePreview';
import { useTrader } from '../../hooks/useTrader';
import { formatAmount } from '../../lib/amounts';
import { isLocal } from '../../lib/clusters';
import { AddressLink } from '../common/Address';
import { Notice } from '../common/Notice';
import { RiskEngineNotice } from '../common/RiskEngineNotice';
import { Section } from '../common/Section';
import { ActionPanel } from './ActionPanel';
import { Faucet } from './Faucet';
import { HealthPanel } from './HealthPanel';
import { PerpTradePanel } from './PerpTradePanel';
import { PositionsTable } from './PositionsTable';

export function AccountView() {
  const { cluster } = useCluster();
  const { state, error, refresh: refreshGroup } = useGroup();
  const { wallet } = useWallet();
  const [index, setIndex] = useState(0);
  const trader = useTrader(state, wallet?.address ?? null, index);
  const { engine, error: engineError } = useRiskEngine();
  const data = trader.data ?? null;
  const current = usePreview(engine, state, data ? data.account : undefined, null);

  if (!wallet) return <Notice>Connect a wallet to see your margin account (the dev wallet works on localnet).</Notice>;
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!state || !trader.accountAddress) return <Notice>Loading the group…</Notice>;
  const refresh = () => {
    trader.refresh();
    refreshGroup();
  };

  return (
    <>
      <Section
        title="My account"
        testId="account-section"
        aside={
          <div className="row">
            <label className="small">
              account #
              <select aria-label="Margin account index" data-testid="account-index" value={index} onChange={(e) => setIndex(Number(e.target.value))}>
                {Array.from({ length: 8 }, (_, i) => (
                  <option key={i} value={i}>
                    {i}
                  </option>
                ))}
              </select>
            </label>
            <AddressLink address={trader.accountAddress} testId="margin-account-address" />
            <span className="small muted" data-testid="sol-balance">
              {data ? `${formatAmount(data.lamports, 9, 4)} SOL` : ''}
            </span>
            {isLocal(cluster) && <Faucet state={state} owner={wallet.address} onDone={refresh} />}
          </div>
        }
      >
        {trader.error && <Notice kind="error">{trader.error}</Notice>}
        {data && !data.account && (
          <Notice testId="no-account">No margin account #{index} yet: your first deposit creates it.</Notice>
        )}
        <RiskEngineNotice error={engineError} />
        {current?.before && data?.account && <HealthPanel health={current.before} />}
        {current && !current.before && current.error && <Notice kind="error">{current.error}</Notice>}
        {data && <PositionsTable state={state} account={data.account} balances={data.balances} health={current?.before ?? null} />}
      </Section>
      {data && (
        <Section title="Deposit · withdraw · borrow · repay">
          <ActionPanel
            state={state}
            engine={engine}
            accountAddress={trader.accountAddress}
            accountIndex={index}
            account={data.account}
            balances={data.balances}
            onDone={refresh}
          />
        </Section>
      )}
      {data && state.perps && state.perps.markets.length > 0 && (
        <Section title="Perpetual futures" testId="perp-section">
          <PerpTradePanel state={state} engine={engine} accountAddress={trader.accountAddress} account={data.account} onDone={refresh} />
        </Section>
      )}
    </>
  );
}
