import { bits, toNumber } from '../../lib/fixed';
import type { GroupState } from '../../lib/state';
import { correlationMatrix } from '../../lib/volatility';

/** −1 blue · 0 white · +1 red. */
export function correlationColor(r: number): string {
  if (!Number.isFinite(r)) return '#ccc';
  const t = Math.max(-1, Math.min(1, r));
  const mix = (a: number, b: number, f: number) => Math.round(a + (b - a) * f);
  const [r0, g0, b0] = t >= 0 ? [214, 39, 40] : [31, 119, 180];
  const f = Math.abs(t);
  return `rgb(${mix(255, r0, f)}, ${mix(255, g0, f)}, ${mix(255, b0, f)})`;
}

export function CorrelationHeatmap({ state }: { state: GroupState }) {
  const n = state.assets.length;
  const m = correlationMatrix((k) => toNumber(bits(state.model.covariance[k]!)), n);
  const cell = 54;
  const pad = 56;
  const size = pad + n * cell;
  return (
    <svg
      className="heatmap"
      data-testid="correlation-heatmap"
      viewBox={`0 0 ${size} ${size}`}
      width={Math.min(size, 620)}
      role="img"
      aria-label="Correlation matrix from the on-chain covariance"
    >
      {state.assets.map((a, i) => (
        <g key={a.index}>
          <text x={pad - 6} y={pad + i * cell + cell / 2} textAnchor="end" dominantBaseline="middle" className="hm-label">
            {a.symbol}
          </text>
          <text x={pad + i * cell + cell / 2} y={pad - 8} textAnchor="middle" className="hm-label">
            {a.symbol}
          </text>
        </g>
      ))}
      {m.map((row, i) =>
        row.map((r, j) => (
          <g key={`${i}-${j}`}>
            <rect x={pad + j * cell} y={pad + i * cell} width={cell - 1} height={cell - 1} fill={correlationColor(r)}>
              <title>{`${state.assets[i]?.symbol} / ${state.assets[j]?.symbol}: ${r.toFixed(4)}`}</title>
            </rect>
            <text
              x={pad + j * cell + cell / 2}
              y={pad + i * cell + cell / 2}
              textAnchor="middle"
              dominantBaseline="middle"
              className="hm-value"
              fill={Math.abs(r) > 0.6 ? '#fff' : '#222'}
            >
              {Number.isFinite(r) ? r.toFixed(2) : '—'}
            </text>
          </g>
        )),
      )}
    </svg>
  );
}
