import { useCluster } from '../../context/ClusterContext';
import { explorerTx } from '../../lib/clusters';
import type { TxStatus } from '../../lib/tx';
import { short } from '../common/Address';

export function TxStatusView({ status }: { status: TxStatus | null }) {
  const { cluster } = useCluster();
  if (!status) return null;
  const signature = 'signature' in status ? status.signature : undefined;
  const link = signature && (
    <a href={explorerTx(cluster, signature)} target="_blank" rel="noreferrer" className="mono" data-testid="tx-link">
      {short(signature, 6)}
    </a>
  );
  switch (status.state) {
    case 'signing':
      return <div className="tx tx-pending" data-testid="tx-status">Waiting for the wallet's signature…</div>;
    case 'pending':
      return (
        <div className="tx tx-pending" data-testid="tx-status" data-signature={signature}>
          Pending: sent, waiting for confirmation {link}
        </div>
      );
    case 'confirmed':
      return (
        <div className="tx tx-ok" data-testid="tx-status" data-signature={signature}>
          Confirmed {link}
        </div>
      );
    case 'failed':
      return (
        <div className="tx tx-failed" role="alert" data-testid="tx-status" data-signature={signature}>
          <strong data-testid="tx-error">{status.error.message}</strong> {link}
          {status.error.logs.length > 0 && (
            <details>
              <summary className="small">program logs</summary>
              <pre className="logs">{status.error.logs.join('\n')}</pre>
            </details>
          )}
        </div>
      );
  }
}
