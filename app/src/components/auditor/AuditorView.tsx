import { useCallback } from 'react';
import { useCluster } from '../../context/ClusterContext';
import { useGroup } from '../../context/GroupContext';
import { usePolling } from '../../hooks/usePolling';
import { useRiskEngine } from '../../hooks/useRiskEngine';
import { runChecks } from '../../lib/invariants';
import { loadMarginAccounts } from '../../lib/state';
import { Notice } from '../common/Notice';
import { RiskEngineNotice } from '../common/RiskEngineNotice';
import { Section } from '../common/Section';
import { AccountsTable } from './AccountsTable';
import { CorrelationHeatmap } from './CorrelationHeatmap';
import { GroupParams } from './GroupParams';
import { InvariantsList } from './InvariantsList';
import { VaultsTable } from './VaultsTable';
import { VolatilityTable } from './VolatilityTable';

/** Read-only: everything an auditor checks, no wallet needed. */
export function AuditorView() {
  const { rpc } = useCluster();
  const { state, error, groupAddress } = useGroup();
  const { engine, error: engineError } = useRiskEngine();
  const load = useCallback(() => (groupAddress ? loadMarginAccounts(rpc, groupAddress) : Promise.resolve([])), [rpc, groupAddress]);
  const accounts = usePolling(load, 8000);

  if (error) return <Notice kind="error">{error}</Notice>;
  if (!state) return <Notice>Loading the group…</Notice>;
  const checks = accounts.data ? runChecks(state, accounts.data) : null;
  return (
    <>
      <Section title="Invariants (as keeper inspect checks them)" testId="invariants-section">
        {accounts.error && <Notice kind="error">{accounts.error}</Notice>}
        {checks ? <InvariantsList checks={checks} /> : <p className="muted">Reading every margin account…</p>}
      </Section>
      <Section title="Group parameters and authorities">
        <GroupParams state={state} />
      </Section>
      <div className="grid2">
        <Section title="Correlation (on-chain covariance)">
          <CorrelationHeatmap state={state} />
        </Section>
        <Section title="Volatility">
          <VolatilityTable state={state} />
        </Section>
      </div>
      <Section title="Vaults and books">
        <VaultsTable state={state} />
      </Section>
      <Section title={`Margin accounts${accounts.data ? ` (${accounts.data.length})` : ''}, least healthy first`}>
        <RiskEngineNotice error={engineError} />
        {accounts.data && <AccountsTable state={state} accounts={accounts.data} engine={engine} />}
      </Section>
    </>
  );
}
