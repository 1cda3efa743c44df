// Thin helpers over @solana/kit's RPC: batched account reads and filtered program accounts.
import {
  createSolanaRpc,
  fetchEncodedAccounts,
  getBase58Decoder,
  type Address,
  type Base58EncodedBytes,
  type Rpc,
  type SolanaRpcApi,
} from '@solana/kit';

export type SolanaRpc = Rpc<SolanaRpcApi>;

export type RawAccount = { address: Address; owner: Address; lamports: bigint; data: Uint8Array };

const rpcs = new Map<string, SolanaRpc>();

/** One RPC client per URL. */
export function rpcFor(url: string): SolanaRpc {
  let rpc = rpcs.get(url);
  if (!rpc) {
    rpc = createSolanaRpc(url) as unknown as SolanaRpc;
    rpcs.set(url, rpc);
  }
  return rpc;
}

/** Reads accounts (100 per request); null where an account does not exist. */
export async function fetchRaw(rpc: SolanaRpc, addresses: Address[]): Promise<(RawAccount | null)[]> {
  const out: (RawAccount | null)[] = [];
  for (let i = 0; i < addresses.length; i += 100) {
    const chunk = addresses.slice(i, i + 100);
    const accounts = await fetchEncodedAccounts(rpc, chunk, { commitment: 'confirmed' });
    for (const a of accounts) {
      out.push(
        a.exists ? { address: a.address, owner: a.programAddress, lamports: BigInt(a.lamports), data: new Uint8Array(a.data) } : null,
      );
    }
  }
  return out;
}

export type Memcmp = { offset: number; bytes: Uint8Array };

/** Program accounts whose data matches every memcmp filter. */
export async function programAccounts(rpc: SolanaRpc, program: Address, filters: Memcmp[]): Promise<RawAccount[]> {
  const b58 = getBase58Decoder();
  const res = await rpc
    .getProgramAccounts(program, {
      encoding: 'base64',
      commitment: 'confirmed',
      filters: filters.map((f) => ({
        memcmp: { offset: BigInt(f.offset), bytes: b58.decode(f.bytes) as Base58EncodedBytes, encoding: 'base58' as const },
      })),
    })
    .send();
  return res.map((r) => ({
    address: r.pubkey,
    owner: r.account.owner,
    lamports: BigInt(r.account.lamports),
    data: Uint8Array.from(atob(r.account.data[0]), (c) => c.charCodeAt(0)),
  }));
}

export function toBase64(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(s);
}
