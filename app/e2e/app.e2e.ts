// End to end against a live local network and the built app (scripts/app-test starts both):
// dev wallet → faucet → a lender's deposit → deposit → refused over-withdrawal (nothing changes) →
// borrow → repay → auditor (heatmap, every invariant passing). Screenshots: test-results/.
//
// Environment: APP_URL (default http://127.0.0.1:4173), RPC_URL (http://127.0.0.1:8899),
// SCREENSHOT_DIR (test-results), CHROMIUM (/usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './browser';

const APP_URL = process.env.APP_URL ?? 'http://127.0.0.1:4173';
const RPC_URL = process.env.RPC_URL ?? 'http://127.0.0.1:8899';
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? 'test-results');
const TX_TIMEOUT = 90_000;

let page: Page;
let close: () => Promise<void>;
const errors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });
}

const text = async (testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

/** Waits until `f` (run in the test) returns true, re-reading the page. */
async function until(what: string, f: () => Promise<boolean>, timeout = TX_TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await f().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await page.waitForTimeout(250);
  }
}

const dollars = (s: string) => Number(s.replace(/[$,]/g, ''));

/** A position's token amount as a number (debts negative). */
const tokens = (s: string) => (s.startsWith('debt ') ? -1 : 1) * Number(s.replace(/^debt /, '').replace(/,/g, ''));
const near = (v: number, want: number, tolerance = 0.01) => Math.abs(v - want) <= tolerance;

async function positionText(symbol: string) {
  return ((await page.getByTestId(`position-${symbol}`).getByTestId('position-amount').textContent()) ?? '').trim();
}

/** Runs one action through the panel and returns the transaction status text once final. */
async function act(kind: 'deposit' | 'withdraw' | 'borrow' | 'repay', symbol: string, amount: string, screenshot?: string) {
  await page.getByTestId(`action-${kind}`).click();
  await page.getByTestId('action-asset').selectOption({ label: symbol });
  await page.getByTestId('action-amount').fill(amount);
  await page.getByTestId('preview').waitFor({ timeout: 20_000 });
  if (screenshot) await shot(screenshot);
  await page.getByTestId('action-submit').click();
  await until(`${kind} ${amount} ${symbol} to finish`, async () => /^Confirmed/.test(await text('tx-status')) || (await page.getByTestId('tx-error').count()) > 0);
  return text('tx-status');
}

/** Raw account data (base64) straight from the RPC, for "nothing changed" checks. */
async function accountData(address: string): Promise<string | null> {
  const res = await fetch(RPC_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getAccountInfo', params: [address, { encoding: 'base64', commitment: 'confirmed' }] }),
  });
  const json = (await res.json()) as { result?: { value: { data: [string, string] } | null } };
  return json.result?.value?.data[0] ?? null;
}

async function selectAccount(index: number) {
  await page.getByTestId('account-index').selectOption(String(index));
  await until(`account #${index} to load`, async () => (await page.getByTestId('positions-table').count()) > 0, 30_000);
}

describe('portfolio-margin web app on the local network', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const b = await launch();
    close = b.close;
    page = b.context.pages()[0] ?? (await b.context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await close?.();
  });

  it('shows every market with a live Pyth price', async () => {
    await page.goto(`${APP_URL}/?cluster=custom&rpc=${encodeURIComponent(RPC_URL)}#/markets`);
    await until('markets with prices', async () => {
      const prices = await page.getByTestId('price').allTextContents();
      return prices.length > 0 && prices.every((p) => /\d/.test(p));
    }, 60_000);
    const rows = await page.locator('[data-testid^="market-"]').count();
    expect(rows).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId('markets-table').textContent()).resolves.toMatch(/ok/);
    await shot('01-markets');
  });

  it('connects the dev wallet and gets test tokens', async () => {
    await page.getByTestId('nav-account').click();
    await page.getByTestId('connect-button').click();
    await page.getByTestId('connect-dev-wallet').click();
    await page.getByTestId('wallet-address').waitFor();
    expect(await page.getByTestId('risk-engine-missing').count()).toBe(0);
    await page.getByTestId('faucet').click();
    await until('the faucet', async () => /Added/.test(await text('faucet-result')), 60_000);
    await until('wallet balances', async () => (await page.getByTestId('position-USDC').getByTestId('wallet-balance').textContent()) !== '0');
  });

  it('supplies USDC from a second margin account (the lender)', async () => {
    await selectAccount(1);
    const status = await act('deposit', 'USDC', '50000');
    expect(status).toMatch(/Confirmed/);
    await until('the lender position', async () => near(tokens(await positionText('USDC')), 50_000));
  });

  it('deposits BTC and sees equity and health', async () => {
    await selectAccount(0);
    const status = await act('deposit', 'BTC', '1', '02-deposit-preview');
    expect(status).toMatch(/Confirmed/);
    expect(await page.getByTestId('tx-link').getAttribute('href')).toContain(`cluster=custom&customUrl=${encodeURIComponent(RPC_URL)}`);
    await until('equity after the deposit', async () => dollars(await text('equity')) > 0);
    expect(await positionText('BTC')).toBe('1');
    expect(dollars(await text('maintenance-margin'))).toBeGreaterThan(0);
    expect(await text('health-ratio')).toMatch(/%$/);
    await shot('03-after-deposit');
  });

  it('refuses a withdrawal larger than the deposit with a plain sentence, changing nothing', async () => {
    const account = (await page.getByTestId('margin-account-address').getAttribute('title'))!;
    const dataBefore = await accountData(account);
    const walletBefore = await page.getByTestId('position-BTC').getByTestId('wallet-balance').textContent();
    const status = await act('withdraw', 'BTC', '5');
    expect(await page.getByTestId('preview-verdict').textContent()).toMatch(/refuse/);
    expect(status).not.toMatch(/Confirmed/);
    const error = await text('tx-error');
    expect(error).toMatch(/^(The account has no deposit of this asset large enough for this withdrawal|The vault does not hold enough unborrowed tokens for this)\.$/);
    await page.waitForTimeout(5000); // a poll later
    expect(dataBefore).not.toBeNull();
    expect(await accountData(account)).toBe(dataBefore);
    expect(await positionText('BTC')).toBe('1');
    expect(await page.getByTestId('position-BTC').getByTestId('wallet-balance').textContent()).toBe(walletBefore);
    await shot('04-withdraw-refused');
  });

  it('borrows USDC against the BTC and the health drops', async () => {
    const healthBefore = parseFloat(await text('health-ratio'));
    const status = await act('borrow', 'USDC', '10000', '05-borrow-preview');
    expect(status).toMatch(/Confirmed/);
    await until('the debt', async () => near(tokens(await positionText('USDC')), -10_000));
    await until('the health to drop', async () => parseFloat(await text('health-ratio')) < healthBefore);
    await shot('06-after-borrow');
  });

  it('repays half of the debt', async () => {
    const status = await act('repay', 'USDC', '5000');
    expect(status).toMatch(/Confirmed/);
    await until('the smaller debt', async () => near(tokens(await positionText('USDC')), -5_000));
    await shot('07-after-repay');
  });

  it('shows the auditor view: heatmap and every invariant passing', async () => {
    await page.getByTestId('nav-auditor').click();
    await page.getByTestId('correlation-heatmap').waitFor();
    const assets = await page.locator('[data-testid="volatility-table"] tbody tr').count();
    expect(await page.locator('[data-testid="correlation-heatmap"] rect').count()).toBe(assets * assets);
    await until('the invariant checks', async () => (await page.getByTestId('invariant').count()) > 0, 30_000);
    const checks = await page.getByTestId('invariant').allTextContents();
    expect(checks.length).toBeGreaterThan(5);
    for (const c of checks) expect(c).toMatch(/^pass/);
    expect(await text('invariants-summary')).toMatch(/^All \d+ invariant checks pass$/);
    await until('accounts sorted by health', async () => (await page.locator('[data-testid="accounts-table"] tbody tr').count()) >= 2, 30_000);
    await shot('08-auditor');
    expect(errors).toEqual([]);
  });
});
