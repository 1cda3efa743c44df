import { ClusterSelector } from './ClusterSelector';
import { GroupSelector } from './GroupSelector';
import { WalletMenu } from './WalletMenu';

export type Route = 'markets' | 'account' | 'auditor';

const TABS: [Route, string][] = [
  ['markets', 'Markets'],
  ['account', 'My account'],
  ['auditor', 'Auditor'],
];

export function Header({ route }: { route: Route }) {
  return (
    <header className="top">
      <div className="brand">Portfolio margin</div>
      <nav>
        {TABS.map(([r, label]) => (
          <a key={r} href={`#/${r}`} className={r === route ? 'active' : ''} data-testid={`nav-${r}`}>
            {label}
          </a>
        ))}
      </nav>
      <div className="spacer" />
      <GroupSelector />
      <ClusterSelector />
      <WalletMenu />
    </header>
  );
}
