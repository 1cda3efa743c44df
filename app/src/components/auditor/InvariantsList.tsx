import type { Check } from '../../lib/invariants';

export function InvariantsList({ checks }: { checks: Check[] }) {
  const failed = checks.filter((c) => !c.ok).length;
  return (
    <>
      <p className={failed === 0 ? 'ok' : 'error'} data-testid="invariants-summary">
        {failed === 0 ? `All ${checks.length} invariant checks pass` : `${failed} of ${checks.length} invariant checks FAIL`}
      </p>
      <ul className="checks" data-testid="invariants">
        {checks.map((c) => (
          <li key={c.name} className={c.ok ? 'pass' : 'fail'} data-testid="invariant">
            <span className={`pill ${c.ok ? 'pill-ok' : 'pill-bad'}`}>{c.ok ? 'pass' : 'FAIL'}</span> <strong>{c.name}</strong>
            <span className="muted small"> {c.detail}</span>
          </li>
        ))}
      </ul>
    </>
  );
}
