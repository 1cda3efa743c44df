import { useCallback, useEffect, useRef, useState } from 'react';

export type Polled<T> = { data: T | undefined; error: string | null; loading: boolean; refresh: () => void };

/**
 * Runs `load` now and every `intervalMs` (and on `refresh()`); a new `load` (its inputs changed)
 * drops the old data. Results of superseded runs are ignored.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    setData(undefined);
    setError(null);
    setLoading(true);
  }, [load]);

  useEffect(() => {
    const gen = ++generation.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const v = await load();
        if (gen !== generation.current) return;
        setData(v);
        setError(null);
      } catch (e) {
        if (gen !== generation.current) return;
        setError(e instanceof Error ? e.message : String(e));
      } finally {
        if (gen === generation.current) {
          setLoading(false);
          timer = setTimeout(run, intervalMs);
        }
      }
    };
    void run();
    return () => {
      generation.current++;
      if (timer) clearTimeout(timer);
    };
  }, [load, intervalMs, tick]);

  return { data, error, loading, refresh };
}
