import { describe, expect, it } from 'vitest';
import { fromInt, wrap } from '../src/lib/fixed';
import { covarianceCheck, runChecks } from '../src/lib/invariants';
import { triIndex } from '../src/lib/volatility';
import { account, fixture } from './fixtures';

const failing = (checks: { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe('keeper inspect invariants', () => {
  it('pass on a consistent group', () => {
    const { state, accounts } = fixture();
    const checks = runChecks(state, accounts);
    expect(checks.map((c) => c.name)).toEqual([
      'asset registry',
      'feed ids',
      'oracles',
      'margin accounts well-formed',
      'asset 0 vault',
      'asset 0 insurance vault',
      'asset 0 vault covers books',
      'asset 0 shares add up',
      'asset 1 vault',
      'asset 1 insurance vault',
      'asset 1 vault covers books',
      'asset 1 shares add up',
      'covariance',
    ]);
    expect(failing(checks)).toEqual([]);
  });

  it('catch a vault short of its books', () => {
    const { state, accounts } = fixture();
    const v = state.assets[1]!.vault.token!;
    (v as { amount: bigint }).amount = v.amount - 3n;
    expect(failing(runChecks(state, accounts))).toEqual(['asset 1 vault covers books']);
  });

  it('catch shares that do not add up to the pool', () => {
    const { state, accounts } = fixture();
    accounts.pop(); // bob's 40 deposit shares of asset 1
    expect(failing(runChecks(state, accounts))).toEqual(['asset 1 shares add up']);
  });

  it('catch malformed accounts: dirty free slot, duplicate asset, zero shares, foreign group', () => {
    const { state, accounts } = fixture();
    const dirty = account('c', [[0, fromInt(1)]]);
    dirty.account.positions[3] = { ...dirty.account.positions[3]!, assetIndex: 1 };
    const dup = account('d', [[0, fromInt(1)], [0, fromInt(1)]]);
    const zero = account('e', [[1, 0n]]);
    const foreign = account('f', []);
    (foreign.account as { group: string }).group = 'Other11111111111111111111111111111111111111';
    for (const [bad, why] of [
      [dirty, 'free slot 3 not zeroed'],
      [dup, 'asset 0 held in two slots'],
      [zero, 'slot 0 open with zero shares'],
      [foreign, 'belongs to another group'],
    ] as const) {
      const checks = runChecks(state, [...accounts, bad]);
      const wf = checks.find((c) => c.name === 'margin accounts well-formed')!;
      expect(wf.ok).toBe(false);
      expect(wf.detail).toContain(why);
    }
  });

  it('catch a vault held by someone else and a missing insurance vault', () => {
    const { state, accounts } = fixture();
    (state.assets[0]!.vault.token as { owner: string }).owner = 'Thief111111111111111111111111111111111111111';
    state.assets[1]!.insurance = { ...state.assets[1]!.insurance, raw: null, token: null };
    expect(failing(runChecks(state, accounts))).toEqual(['asset 0 vault', 'asset 1 insurance vault']);
  });

  it('catch registry and feed-id disagreements', () => {
    const { state, accounts } = fixture();
    state.group = { ...state.group, assetCount: 3 };
    state.model.feedIds[1] = new Uint8Array(32);
    expect(failing(runChecks(state, accounts))).toEqual(['asset registry', 'feed ids']);
  });

  it('catch an asset whose registered oracle differs from the risk model\'s', () => {
    const { state, accounts } = fixture();
    state.model.oracles[1] = state.model.oracles[0]!;
    expect(failing(runChecks(state, accounts))).toEqual(['oracles']);
  });

  it('check the covariance: stored volatility = √var, |cov| ≤ σσ, var > 0', () => {
    const { state } = fixture();
    expect(covarianceCheck(state.model, 2).ok).toBe(true);
    const m = state.model;
    const vol = m.volatility[0]!;
    m.volatility[0] = wrap(1n);
    expect(covarianceCheck(m, 2).detail).toMatch(/^volatility 0 is/);
    m.volatility[0] = vol;
    const cov = m.covariance[triIndex(0, 1)]!;
    m.covariance[triIndex(0, 1)] = wrap(fromInt(1));
    expect(covarianceCheck(m, 2).detail).toMatch(/exceeds/);
    m.covariance[triIndex(0, 1)] = cov;
    m.covariance[triIndex(1, 1)] = wrap(0n);
    expect(covarianceCheck(m, 2).detail).toMatch(/variance of asset 1 is 0/);
    // Before the first sample the stored volatility is not compared.
    const fresh = fixture().state.model;
    fresh.volatility[1] = wrap(5n);
    expect(covarianceCheck({ ...fresh, sampleCount: 0n }, 2).ok).toBe(true);
  });
});
