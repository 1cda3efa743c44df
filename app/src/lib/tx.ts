// Sending a transaction and following it to confirmation (polling signature statuses, so any RPC
// works without a websocket). As the Rust client does: a v0 message compressed through the
// group's address lookup tables, the compute-unit limit from a simulation (+10% and 1,000 units),
// the priority fee from the recent prioritization fees of the accounts it writes (75th
// percentile, capped), and a clear refusal when even that does not fit a packet.
import { getSetComputeUnitLimitInstruction, getSetComputeUnitPriceInstruction } from '@solana-program/compute-budget';
import {
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  fetchAddressesForLookupTables,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Instruction,
  type Signature,
  type TransactionSigner,
} from '@solana/kit';
import { explainError, type Explained } from './errors';
import type { SolanaRpc } from './rpc';

export type TxStatus =
  | { state: 'signing' }
  | { state: 'pending'; signature: Signature }
  | { state: 'confirmed'; signature: Signature }
  | { state: 'failed'; signature?: Signature; error: Explained };

export class TxFailed extends Error {
  constructor(
    readonly explained: Explained,
    readonly signature?: Signature,
  ) {
    super(explained.message);
    this.name = 'TxFailed';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Largest serialized transaction a validator accepts. */
export const PACKET_DATA_SIZE = 1232;
/** Most compute units a transaction may ask for. */
export const MAX_COMPUTE_UNIT_LIMIT = 1_400_000;
const UNSET = '11111111111111111111111111111111';

export type SendOptions = {
  /** The group's lookup tables (`Group.lookupTables`; unset entries ignored). */
  lookupTables?: readonly Address[];
  /** Priority fee override, micro-lamports per compute unit. */
  computeUnitPrice?: bigint;
  /** Cap on the fee taken from recent fees (default 1,000,000). */
  maxComputeUnitPrice?: bigint;
};

/** The limit asked for after a simulation used `units`: 10% and 1,000 above, at most 1.4M. */
export function computeUnitMargin(units: number): number {
  return Math.min(MAX_COMPUTE_UNIT_LIMIT, units + Math.floor(units / 10) + 1_000);
}

/** The 75th percentile of recent per-slot prioritization fees, at most `cap`; 0 without any. */
export function priorityFee(fees: readonly bigint[], cap: bigint): bigint {
  if (fees.length === 0) return 0n;
  const sorted = [...fees].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const p75 = sorted[Math.ceil((sorted.length * 3) / 4) - 1]!;
  return p75 < cap ? p75 : cap;
}

/** Accounts the instructions write (not their signers): what the priority fee competes for. */
export function writtenAccounts(instructions: readonly Instruction[]): Address[] {
  const out = new Set<Address>();
  for (const ix of instructions) for (const a of ix.accounts ?? []) if (a.role === AccountRole.WRITABLE) out.add(a.address);
  return [...out].sort();
}

/** Signs, sends and waits for `confirmed`; reports each step. Simulates first (the limit, and a
 * refusal never costs a fee: its logs explain it). */
export async function sendAndConfirm(
  rpc: SolanaRpc,
  signer: TransactionSigner,
  instructions: Instruction[],
  onStatus: (s: TxStatus) => void = () => undefined,
  options: SendOptions = {},
  timeoutMs = 60_000,
): Promise<Signature> {
  const programs = instructions.map((i) => i.programAddress as string);
  let signature: Signature | undefined;
  try {
    onStatus({ state: 'signing' });
    const tables = (options.lookupTables ?? []).filter((t) => t !== UNSET);
    const [{ value: blockhash }, byTable, price] = await Promise.all([
      rpc.getLatestBlockhash({ commitment: 'confirmed' }).send(),
      tables.length > 0 ? fetchAddressesForLookupTables([...tables], rpc) : Promise.resolve({}),
      options.computeUnitPrice !== undefined
        ? Promise.resolve(options.computeUnitPrice)
        : rpc
            .getRecentPrioritizationFees(writtenAccounts(instructions).slice(0, 128))
            .send()
            .then((fees) => priorityFee(fees.map((f) => BigInt(f.prioritizationFee)), options.maxComputeUnitPrice ?? 1_000_000n)),
    ]);
    // The message's instructions: the compute-budget ones first (for attributing an error index).
    const budget = 'ComputeBudget111111111111111111111111111111';
    const messagePrograms = [budget, ...(price > 0n ? [budget] : []), ...programs];
    const messageWith = (units: number) =>
      pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(signer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
        (m) =>
          appendTransactionMessageInstructions(
            [
              getSetComputeUnitLimitInstruction({ units }),
              ...(price > 0n ? [getSetComputeUnitPriceInstruction({ microLamports: price })] : []),
              ...instructions,
            ],
            m,
          ),
        (m) => compressTransactionMessageUsingAddressLookupTables(m, byTable),
      );
    const trial = compileTransaction(messageWith(MAX_COMPUTE_UNIT_LIMIT));
    const bytes = getTransactionEncoder().encode(trial).length;
    if (bytes > PACKET_DATA_SIZE) {
      throw new TxFailed({
        message: `The transaction is ${bytes} bytes, over the ${PACKET_DATA_SIZE}-byte limit${tables.length > 0 ? ' even through the group\'s lookup table' : ' and the group has no lookup table'}.`,
        logs: [],
      });
    }
    const { value: sim } = await rpc
      .simulateTransaction(getBase64EncodedWireTransaction(trial), {
        encoding: 'base64',
        sigVerify: false,
        replaceRecentBlockhash: true,
        commitment: 'confirmed',
      })
      .send();
    if (sim.err) {
      throw new TxFailed(explainError({ ...(sim.err as object), logs: [...(sim.logs ?? [])] }, messagePrograms));
    }
    const message = messageWith(computeUnitMargin(Number(sim.unitsConsumed ?? 200_000n)));
    const signed = await signTransactionMessageWithSigners(message);
    signature = getSignatureFromTransaction(signed);
    await rpc
      .sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64', preflightCommitment: 'confirmed' })
      .send();
    onStatus({ state: 'pending', signature });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { value } = await rpc.getSignatureStatuses([signature]).send();
      const s = value[0];
      if (s?.err) {
        const logs = await transactionLogs(rpc, signature);
        throw new TxFailed(explainError({ ...(s.err as object), logs }, messagePrograms), signature);
      }
      if (s && (s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized')) break;
      if (Date.now() > deadline) throw new TxFailed({ message: 'The transaction was not confirmed in time; check the explorer.', logs: [] }, signature);
      await sleep(500);
    }
    onStatus({ state: 'confirmed', signature });
    return signature;
  } catch (e) {
    const failed = e instanceof TxFailed ? e : new TxFailed(explainError(e, programs), undefined);
    onStatus({ state: 'failed', ...(failed.signature ? { signature: failed.signature } : {}), error: failed.explained });
    throw failed;
  }
}

async function transactionLogs(rpc: SolanaRpc, signature: Signature): Promise<string[]> {
  try {
    const tx = await rpc.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'json' }).send();
    return tx?.meta?.logMessages ? [...tx.meta.logMessages] : [];
  } catch {
    return [];
  }
}
