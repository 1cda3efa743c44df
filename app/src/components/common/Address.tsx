import { useCluster } from '../../context/ClusterContext';
import { explorerAddress } from '../../lib/clusters';

export function short(a: string, n = 4): string {
  return a.length > 2 * n + 1 ? `${a.slice(0, n)}…${a.slice(-n)}` : a;
}

/** An address, shortened, linking to the explorer (full address on hover). */
export function AddressLink({ address, full = false, testId }: { address: string; full?: boolean; testId?: string }) {
  const { cluster } = useCluster();
  return (
    <a className="mono" href={explorerAddress(cluster, address)} target="_blank" rel="noreferrer" title={address} data-testid={testId}>
      {full ? address : short(address)}
    </a>
  );
}
