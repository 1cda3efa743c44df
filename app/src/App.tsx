import { useEffect, useState } from 'react';
import { AccountView } from './components/account/AccountView';
import { AuditorView } from './components/auditor/AuditorView';
import { Header, type Route } from './components/layout/Header';
import { MarketsView } from './components/markets/MarketsView';
import { ClusterProvider } from './context/ClusterContext';
import { GroupProvider } from './context/GroupContext';
import { WalletProvider } from './context/WalletContext';

function routeFromHash(): Route {
  const r = window.location.hash.replace(/^#\/?/, '');
  return r === 'account' || r === 'auditor' ? r : 'markets';
}

function useRoute(): Route {
  const [route, setRoute] = useState(routeFromHash);
  useEffect(() => {
    const on = () => setRoute(routeFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App() {
  const route = useRoute();
  return (
    <ClusterProvider>
      <WalletProvider>
        <GroupProvider>
          <Header route={route} />
          <main>
            {route === 'markets' && <MarketsView />}
            {route === 'account' && <AccountView />}
            {route === 'auditor' && <AuditorView />}
          </main>
        </GroupProvider>
      </WalletProvider>
    </ClusterProvider>
  );
}
