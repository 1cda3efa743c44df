import type { Address } from '@solana/kit';
import { useGroup } from '../../context/GroupContext';
import { short } from '../common/Address';

export function GroupSelector() {
  const { groups, groupAddress, setGroup } = useGroup();
  if (groups.length <= 1) return groupAddress ? <span className="muted small mono" title={groupAddress}>group {short(groupAddress)}</span> : null;
  return (
    <select aria-label="Group" value={groupAddress ?? ''} onChange={(e) => setGroup(e.target.value as Address)}>
      {groups.map((g) => (
        <option key={g} value={g}>
          group {short(g)}
        </option>
      ))}
    </select>
  );
}
