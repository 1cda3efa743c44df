// The app's decoding and invariant checks against `keeper inspect --json` on the same live group:
// same addresses, balances, books, volatilities, correlations, and the same checks passing.
// Skipped when the keeper binary is not built. Environment: RPC_URL, REPO_ROOT, KEEPER, KEEPER_KEYPAIR.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bits, sqrtCeil, toNumber } from '../src/lib/fixed';
import { runChecks, vaultBooks } from '../src/lib/invariants';
import { marketRows } from '../src/lib/market';
import { rpcFor } from '../src/lib/rpc';
import { listGroups, loadGroupState, loadMarginAccounts } from '../src/lib/state';
import { correlationMatrix, triIndex } from '../src/lib/volatility';

const RPC_URL = process.env.RPC_URL ?? 'http://127.0.0.1:8899';
const ROOT = resolve(process.env.REPO_ROOT ?? '..');
const KEEPER = resolve(process.env.KEEPER ?? `${ROOT}/target/debug/keeper`);
const KEYPAIR = resolve(process.env.KEEPER_KEYPAIR ?? `${ROOT}/target/localnet/admin.json`);

type Inspect = {
  group: string;
  admin: string;
  risk_authority: string;
  risk_model: string;
  sample_count: number;
  last_sample_time: number;
  accounts: number;
  assets: {
    index: number;
    mint: string;
    vault: string;
    vault_balance: number;
    insurance_balance: number;
    deposits: number;
    borrows: number;
    protocol_fees: number;
    utilization: number;
    volatility_per_sample: number;
  }[];
  correlation: number[][];
  checks: { name: string; ok: boolean; detail: string }[];
};

const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

describe.skipIf(!existsSync(KEEPER) || !existsSync(KEYPAIR))('decoding agrees with keeper inspect', () => {
  it('reads the same group, books, model and invariants', async () => {
    const rpc = rpcFor(RPC_URL);
    const [first] = await listGroups(rpc);
    expect(first).toBeDefined();
    const group = first!.address;
    const state = await loadGroupState(rpc, group);
    const accounts = await loadMarginAccounts(rpc, group);
    const out = execFileSync(KEEPER, ['inspect', '--json', '--rpc-url', RPC_URL, '--keypair', KEYPAIR, '--group', group], {
      encoding: 'utf8',
      cwd: ROOT, // inspect reads migrations/localnet.toml
      env: { ...process.env, KEEPER_LOG: 'error', RUST_BACKTRACE: '0' },
    });
    const inspect = JSON.parse(out.slice(out.indexOf('{'))) as Inspect;

    expect(inspect.group).toBe(group);
    expect(inspect.admin).toBe(state.group.admin);
    expect(inspect.risk_authority).toBe(state.group.riskAuthority);
    expect(inspect.risk_model).toBe(state.group.riskModel);
    expect(inspect.sample_count).toBe(Number(state.model.sampleCount));
    expect(inspect.last_sample_time).toBe(Number(state.model.lastSampleTime));
    expect(inspect.accounts).toBe(accounts.length);

    const rows = marketRows(state);
    expect(inspect.assets).toHaveLength(state.assets.length);
    for (const [i, a] of inspect.assets.entries()) {
      const mine = state.assets[i]!;
      const books = vaultBooks(mine);
      expect(a.index).toBe(mine.index);
      expect(a.mint).toBe(mine.account.mint);
      expect(a.vault).toBe(mine.account.vault);
      expect(a.vault_balance).toBe(Number(books.balance));
      expect(a.insurance_balance).toBe(Number(mine.insurance.token?.amount ?? 0n));
      expect(close(a.deposits, toNumber(books.deposits))).toBe(true);
      expect(close(a.borrows, toNumber(books.borrows))).toBe(true);
      expect(close(a.protocol_fees, toNumber(books.fees))).toBe(true);
      expect(close(a.utilization, rows[i]!.utilization)).toBe(true);
      expect(close(a.volatility_per_sample, rows[i]!.volPerSample, 1e-12)).toBe(true);
      // The engine's stored volatility is ⌈√var⌉ on its grid: the app's sqrtCeil agrees bit for bit.
      expect(sqrtCeil(bits(state.model.covariance[triIndex(i, i)]!))).toBe(bits(state.model.volatility[i]!));
    }

    const corr = correlationMatrix((k) => toNumber(bits(state.model.covariance[k]!)), state.assets.length);
    inspect.correlation.forEach((row, i) => row.forEach((v, j) => expect(close(v, corr[i]![j]!, 1e-12)).toBe(true)));

    const checks = runChecks(state, accounts);
    expect(checks.map((c) => [c.name, c.ok])).toEqual(inspect.checks.map((c) => [c.name, c.ok]));
    expect(checks.every((c) => c.ok)).toBe(true);
  });
});
