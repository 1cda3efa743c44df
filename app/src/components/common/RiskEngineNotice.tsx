import { Notice } from './Notice';

/** Shown wherever numbers need the WebAssembly engine and it is not there. */
export function RiskEngineNotice({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <Notice kind="warn" testId="risk-engine-missing">
      {error}. Balances are shown; equity, margin and health need the program's own health code.
    </Notice>
  );
}
