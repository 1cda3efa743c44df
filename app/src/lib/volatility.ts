// The risk model stores volatility per sample interval; people read it per year.
export const SECONDS_PER_YEAR = 365 * 86_400;

/** Annualised volatility from a per-sample one: σ · √(year / sample interval). */
export function annualise(perSample: number, sampleIntervalSeconds: number): number {
  if (!(sampleIntervalSeconds > 0)) return Number.NaN;
  return perSample * Math.sqrt(SECONDS_PER_YEAR / sampleIntervalSeconds);
}

/** Correlation matrix from a column-packed upper-triangle covariance (entry (i,j), i ≤ j, at j(j+1)/2 + i). */
export function triIndex(i: number, j: number): number {
  const [a, b] = i <= j ? [i, j] : [j, i];
  return (b * (b + 1)) / 2 + a;
}

export function correlationMatrix(cov: (k: number) => number, n: number): number[][] {
  const c = (i: number, j: number) => cov(triIndex(i, j));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      const d = Math.sqrt(c(i, i) * c(j, j));
      return d > 0 ? c(i, j) / d : Number.NaN;
    }),
  );
}
