// Sending a transaction and following it to confirmation (polling signature statuses, so any RPC
// works without a websocket).
import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
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

/** Signs, sends (with preflight simulation) and waits for `confirmed`; reports each step. */
export async function sendAndConfirm(
  rpc: SolanaRpc,
  signer: TransactionSigner,
  instructions: Instruction[],
  onStatus: (s: TxStatus) => void = () => undefined,
  timeoutMs = 60_000,
): Promise<Signature> {
  const programs = instructions.map((i) => i.programAddress as string);
  let signature: Signature | undefined;
  try {
    onStatus({ state: 'signing' });
    const { value: blockhash } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(signer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
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
        throw new TxFailed(explainError({ ...(s.err as object), logs }, programs), signature);
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
