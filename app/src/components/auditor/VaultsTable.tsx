import { formatAmount } from '../../lib/amounts';
import { floorToInt } from '../../lib/fixed';
import { vaultBooks } from '../../lib/invariants';
import type { GroupState } from '../../lib/state';
import { AddressLink } from '../common/Address';

/** Each vault's token balance beside its books: deposits − borrows + fees (native units, shown in tokens). */
export function VaultsTable({ state }: { state: GroupState }) {
  return (
    <table data-testid="vaults-table">
      <thead>
        <tr>
          <th>Asset</th>
          <th>Vault</th>
          <th className="num">Vault balance</th>
          <th className="num">Deposits</th>
          <th className="num">Borrows</th>
          <th className="num">Fees</th>
          <th className="num">Books</th>
          <th className="num">Surplus</th>
          <th className="num">Insurance</th>
        </tr>
      </thead>
      <tbody>
        {state.assets.map((a) => {
          const b = vaultBooks(a);
          const d = a.account.decimals;
          const t = (bitsValue: bigint) => formatAmount(floorToInt(bitsValue), d);
          const surplus = b.balance === null ? null : (b.balance << 48n) - b.books;
          return (
            <tr key={a.index}>
              <td>{a.symbol}</td>
              <td>
                <AddressLink address={a.vault.address} />
              </td>
              <td className="num">{b.balance === null ? 'missing' : formatAmount(b.balance, d)}</td>
              <td className="num">{t(b.deposits)}</td>
              <td className="num">{t(b.borrows)}</td>
              <td className="num">{t(b.fees)}</td>
              <td className="num">{t(b.books)}</td>
              <td className={`num ${surplus !== null && surplus < 0n ? 'neg' : ''}`}>{surplus === null ? '—' : t(surplus)}</td>
              <td className="num">{a.insurance.token ? formatAmount(a.insurance.token.amount, d) : 'missing'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
