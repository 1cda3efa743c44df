import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthPanel } from '../src/components/account/HealthPanel';
import { PerpPositionsTable } from '../src/components/account/PerpPositionsTable';
import { PreviewTable } from '../src/components/account/PreviewTable';
import { CorrelationHeatmap, correlationColor } from '../src/components/auditor/CorrelationHeatmap';
import { InvariantsList } from '../src/components/auditor/InvariantsList';
import { runChecks } from '../src/lib/invariants';
import type { PerpMarket } from '../src/generated';
import { bytesFromBits, fromDecimalString, wrap } from '../src/lib/fixed';
import type { Health, RiskEngine } from '../src/risk';
import { fixture } from './fixtures';

afterEach(cleanup);

const health = (over: Partial<Health> = {}): Health => ({
  equity: '1000',
  maintenance_margin: '100',
  initial_margin: '150',
  initial_health: '850',
  maintenance_health: '900',
  binding: 'correlation_breakdown',
  terms: { var: '80', correlation_spike: '90', correlation_breakdown: '100', joint_move: '70', hedge_floor: '60', depeg: '0', floor: '10' },
  positions: [],
  equity_bits: '0',
  initial_margin_bits: '0',
  maintenance_margin_bits: '0',
  ...over,
});

describe('HealthPanel', () => {
  it('shows equity, margins, health and the binding term', () => {
    render(<HealthPanel health={health()} />);
    expect(screen.getByTestId('equity').textContent).toBe('$1,000.00');
    expect(screen.getByTestId('maintenance-margin').textContent).toBe('$100.00');
    expect(screen.getByTestId('health-ratio').textContent).toBe('90.0%');
    expect(screen.getByTestId('binding').textContent).toBe('Correlation breakdown');
    expect(screen.getByText(/Healthy/)).toBeTruthy();
  });

  it('says when the account is below initial or maintenance margin', () => {
    render(<HealthPanel health={health({ initial_health: '-1', binding: 'Var' })} />);
    expect(screen.getByText(/Below initial margin/)).toBeTruthy();
    expect(screen.getByTestId('binding').textContent).toBe('VaR');
    cleanup();
    render(<HealthPanel health={health({ equity: '90', initial_health: '-60', maintenance_health: '-10' })} />);
    expect(screen.getByText(/liquidatable/)).toBeTruthy();
    expect(screen.getByTestId('health-ratio').textContent).toBe('0.0%');
  });
});

describe('PreviewTable', () => {
  it('shows before and after, and the refusal in plain words', () => {
    render(<PreviewTable preview={{ ok: false, error: 'The action would leave the account below its initial margin requirement', before: health(), after: health({ equity: '500' }) }} />);
    expect(screen.getByTestId('preview-after-equity').textContent).toBe('$500.00');
    expect(screen.getByTestId('preview-verdict').textContent).toBe(
      'The program would refuse this: The action would leave the account below its initial margin requirement.',
    );
  });
});

describe('PreviewTable exact figures', () => {
  it('exposes the after-state bits and the time of its inputs as data attributes', () => {
    const { state } = fixture();
    const after = health({ equity_bits: '-170141183460469231731687303715884105728', initial_margin_bits: '42', maintenance_margin_bits: '7' });
    render(<PreviewTable preview={{ ok: true, error: null, before: health(), after, shares_after_bits: '-281474976710656' }} state={state} />);
    const th = screen.getByTestId('preview-after');
    expect(th.dataset.equityBits).toBe('-170141183460469231731687303715884105728');
    expect(th.dataset.initialMarginBits).toBe('42');
    expect(th.dataset.maintenanceMarginBits).toBe('7');
    expect(th.dataset.sharesAfterBits).toBe('-281474976710656');
    const preview = screen.getByTestId('preview');
    expect(preview.dataset.now).toBe('1700000100');
    expect(preview.dataset.slot).toBe('1');
    // One entry per asset (empty without a decodable price update).
    expect(preview.dataset.oraclePublishTimes).toBe(state.assets.map(() => '').join(','));
  });
});

describe('auditor components', () => {
  it('lists invariant checks with pass/fail', () => {
    const { state, accounts } = fixture();
    render(<InvariantsList checks={runChecks(state, accounts)} />);
    expect(screen.getByTestId('invariants-summary').textContent).toBe('All 13 invariant checks pass');
    cleanup();
    render(<InvariantsList checks={[{ name: 'x', ok: false, detail: 'broken' }, { name: 'y', ok: true, detail: '' }]} />);
    expect(screen.getByTestId('invariants-summary').textContent).toBe('1 of 2 invariant checks FAIL');
    expect(screen.getAllByTestId('invariant')[0]!.textContent).toMatch(/^FAIL x broken/);
  });

  it('draws an n×n heatmap of the on-chain correlation', () => {
    const { state } = fixture();
    render(<CorrelationHeatmap state={state} />);
    const svg = screen.getByTestId('correlation-heatmap');
    expect(svg.querySelectorAll('rect')).toHaveLength(4);
    // cov 0.0002 / (0.04 · 0.01) = 0.5
    expect(svg.querySelectorAll('rect')[1]!.textContent).toMatch(/BTC \/ USDC: 0\.500/);
    expect(correlationColor(1)).toBe('rgb(214, 39, 40)');
    expect(correlationColor(0)).toBe('rgb(255, 255, 255)');
    expect(correlationColor(-1)).toBe('rgb(31, 119, 180)');
  });
});

describe('PerpPositionsTable', () => {
  const setup = () => {
    const { state, accounts } = fixture();
    const raw = { ...state.groupRaw };
    state.perps = {
      vault: {} as never,
      vaultRaw: raw,
      tokensRaw: raw,
      markets: [0, 1].map((i) => ({ address: state.address, raw, account: { marketIndex: i, assetIndex: i, decimals: 8, oracle: state.address } as PerpMarket })),
    };
    const acc = accounts[0]!;
    // Market 1 short 2 tokens for $4,000 received; market 0 closed with $12.5 of PnL to settle.
    acc.account.perps[0] = { ...acc.account.perps[0]!, active: 1, marketIndex: 1, baseLe: bytesFromBits(-200_000_000n), quote: wrap(fromDecimalString('-4000')) };
    acc.account.perps[3] = { ...acc.account.perps[3]!, active: 1, marketIndex: 0, baseLe: bytesFromBits(0n), quote: wrap(fromDecimalString('-12.5')) };
    return { state, acc };
  };

  it('shows size, entry and, from the engine, mark, PnL and funding; close prepares the opposite trade', () => {
    const { state, acc } = setup();
    const engine = {
      decode: () => ({
        ok: true,
        account: {
          perp_positions: [
            { market_index: 1, base: '-200000000', quote: -4000, pnl: -150.25, funding_owed: 1.5, price: 2075.125 },
            { market_index: 0, base: '0', quote: -12.5, pnl: 12.5, funding_owed: 0, price: 60000 },
          ],
        },
      }),
    } as unknown as RiskEngine;
    const closed: [number, bigint][] = [];
    render(<PerpPositionsTable state={state} engine={engine} account={acc} onClose={(m, b) => closed.push([m, b])} />);
    const row = screen.getByTestId('perp-position-USDC');
    const cell = (id: string) => row.querySelector(`[data-testid="${id}"]`)!.textContent;
    expect(cell('perp-size')).toBe('short 2');
    expect(cell('perp-entry')).toBe('2,000.00');
    expect(cell('perp-mark')).toBe('2,075.13');
    expect(cell('perp-pnl')).toBe('-$150.25');
    expect(cell('perp-funding')).toBe('$1.50');
    expect(screen.getByTestId('perp-position-BTC').querySelector('[data-testid="perp-size"]')!.textContent).toBe('closed');
    expect(screen.getAllByTestId('perp-close')).toHaveLength(1);
    screen.getByTestId('perp-close').click();
    expect(closed).toEqual([[1, -200_000_000n]]);
  });

  it('falls back to the account alone without the engine', () => {
    const { state, acc } = setup();
    render(<PerpPositionsTable state={state} engine={null} account={acc} onClose={() => undefined} />);
    const row = screen.getByTestId('perp-position-USDC');
    expect(row.querySelector('[data-testid="perp-entry"]')!.textContent).toBe('2,000.00');
    expect(row.querySelector('[data-testid="perp-pnl"]')!.textContent).toBe('—');
  });
});
