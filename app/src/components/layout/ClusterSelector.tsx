import { useState } from 'react';
import { useCluster } from '../../context/ClusterContext';
import type { ClusterId } from '../../lib/clusters';

export function ClusterSelector() {
  const { cluster, setCluster } = useCluster();
  const [custom, setCustom] = useState(cluster.id === 'custom' ? cluster.rpcUrl : '');
  const [editing, setEditing] = useState(cluster.id === 'custom');
  return (
    <div className="cluster">
      <select
        aria-label="Cluster"
        data-testid="cluster-select"
        value={editing ? 'custom' : cluster.id}
        onChange={(e) => {
          const id = e.target.value as ClusterId;
          if (id === 'custom') setEditing(true);
          else {
            setEditing(false);
            setCluster(id);
          }
        }}
      >
        <option value="localnet">Localnet</option>
        <option value="devnet">Devnet</option>
        <option value="mainnet-beta">Mainnet beta</option>
        <option value="custom">Custom URL…</option>
      </select>
      {editing && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setCluster('custom', custom);
          }}
        >
          <input aria-label="Custom RPC URL" placeholder="http://127.0.0.1:8899" value={custom} onChange={(e) => setCustom(e.target.value)} />
          <button type="submit">Use</button>
        </form>
      )}
      {!editing && (
        <span className="muted mono small" title="RPC endpoint">
          {cluster.rpcUrl}
        </span>
      )}
    </div>
  );
}
