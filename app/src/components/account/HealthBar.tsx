import type { Health } from '../../risk';

/**
 * Health in [0, 1]: 1 − maintenance margin / equity (0 = liquidatable, 1 = no risk); null for an
 * empty book (no equity, no margin).
 */
export function healthRatio(h: Health): number | null {
  const equity = Number(h.equity);
  const mm = Number(h.maintenance_margin);
  if (!(equity > 0)) return mm > 0 ? 0 : null;
  return Math.max(0, Math.min(1, 1 - mm / equity));
}

export function formatHealth(h: Health): string {
  const r = healthRatio(h);
  return r === null ? '—' : `${(r * 100).toFixed(1)}%`;
}

export function healthState(h: Health): 'healthy' | 'restricted' | 'liquidatable' {
  if (Number(h.maintenance_health) < 0) return 'liquidatable';
  if (Number(h.initial_health) < 0) return 'restricted';
  return 'healthy';
}

/** Equity as the full bar; the maintenance and initial margins marked on it. */
export function HealthBar({ health }: { health: Health }) {
  const equity = Math.max(Number(health.equity), 0);
  const pct = (v: number) => (equity > 0 ? Math.min(100, (Math.max(v, 0) / equity) * 100) : 100);
  const mm = pct(Number(health.maintenance_margin));
  const im = pct(Number(health.initial_margin));
  const state = healthState(health);
  return (
    <div className={`healthbar healthbar-${state}`} data-testid="health-bar" aria-label={`health ${formatHealth(health)}`}>
      <div className="healthbar-used" style={{ width: `${im}%` }} />
      <div className="healthbar-mark mm" style={{ left: `${mm}%` }} title="maintenance margin" />
      <div className="healthbar-mark im" style={{ left: `${im}%` }} title="initial margin" />
    </div>
  );
}
