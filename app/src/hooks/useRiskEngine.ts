import { useEffect, useState } from 'react';
import { loadRiskEngine, type RiskEngine } from '../risk';

/** The WebAssembly risk engine, or why it is unavailable. */
export function useRiskEngine(): { engine: RiskEngine | null; error: string | null } {
  const [engine, setEngine] = useState<RiskEngine | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    loadRiskEngine().then(
      (e) => live && setEngine(e),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, []);
  return { engine, error };
}
