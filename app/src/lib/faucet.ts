// Test funds on a local surfpool network only: SOL by airdrop, tokens of the group's mints through
// surfpool's `surfnet_setTokenAccount` cheatcode (sets the owner's associated token account; the
// mints' authority — the admin key — is not needed and never reaches the browser).
import { lamports, type Address } from '@solana/kit';
import type { SolanaRpc } from './rpc';
import type { AssetView } from './state';
import { decodeToken } from './state';
import { fetchRaw } from './rpc';
import { ownerTokenAccount } from './actions';
import { quote } from './pyth';

/** USD value of each asset granted per faucet press. */
export const GRANT_USD = 100_000;

async function cheatcode(rpcUrl: string, method: string, params: unknown[], bigints: Record<string, bigint> = {}): Promise<void> {
  // u64 amounts go into the JSON as exact integer literals.
  let body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  for (const [k, v] of Object.entries(bigints)) body = body.replace(`"${k}"`, v.toString());
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
}

/** Native units worth about GRANT_USD at the oracle price (1000 whole tokens without a price). */
export function grantAmount(a: AssetView): bigint {
  const scale = 10n ** BigInt(a.account.decimals);
  const price = a.oracle.update ? quote(a.oracle.update).price : 0;
  const whole = price > 0 ? GRANT_USD / price : 1000;
  return (BigInt(Math.max(1, Math.round(whole * 1e6))) * scale) / 1_000_000n;
}

export async function airdropIfLow(rpc: SolanaRpc, owner: Address, minSol = 1, grantSol = 10): Promise<void> {
  const { value } = await rpc.getBalance(owner, { commitment: 'confirmed' }).send();
  if (value >= BigInt(minSol * 1e9)) return;
  const sig = await rpc.requestAirdrop(owner, lamports(BigInt(grantSol * 1e9)), { commitment: 'confirmed' }).send();
  for (let i = 0; i < 60; i++) {
    const { value: s } = await rpc.getSignatureStatuses([sig]).send();
    if (s[0]?.confirmationStatus === 'confirmed' || s[0]?.confirmationStatus === 'finalized') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('The airdrop was not confirmed');
}

/** SOL for fees and GRANT_USD of every asset, added to what `owner` already holds. */
export async function fundFromFaucet(rpc: SolanaRpc, rpcUrl: string, owner: Address, assets: AssetView[]): Promise<void> {
  await airdropIfLow(rpc, owner);
  const atas = await Promise.all(assets.map((a) => ownerTokenAccount(owner, a)));
  const existing = await fetchRaw(rpc, atas);
  for (const [i, a] of assets.entries()) {
    const held = decodeToken(existing[i] ?? null)?.amount ?? 0n;
    const amount = held + grantAmount(a);
    await cheatcode(rpcUrl, 'surfnet_setTokenAccount', [owner, a.account.mint, { amount: '__AMOUNT__' }, a.account.tokenProgram], {
      __AMOUNT__: amount,
    });
  }
}
