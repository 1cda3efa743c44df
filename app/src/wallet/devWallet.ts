// The development wallet: a keypair generated in the browser and kept in localStorage (32-byte
// seed, hex). For local networks and tests only — anyone with access to this browser profile holds it.
import { createKeyPairSignerFromPrivateKeyBytes, type KeyPairSigner } from '@solana/kit';

export const DEV_WALLET_KEY = 'pm.devWallet.seed';

function fromHex(s: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/i.test(s)) return null;
  return Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The stored dev wallet, creating (and storing) a fresh one when there is none. */
export async function loadDevWallet(storage: Storage = localStorage): Promise<KeyPairSigner> {
  let seed = fromHex(storage.getItem(DEV_WALLET_KEY) ?? '');
  if (!seed) {
    seed = crypto.getRandomValues(new Uint8Array(32));
    storage.setItem(DEV_WALLET_KEY, toHex(seed));
  }
  return createKeyPairSignerFromPrivateKeyBytes(seed);
}

/** Forgets the stored key (a new one is generated on the next connect). */
export function resetDevWallet(storage: Storage = localStorage): void {
  storage.removeItem(DEV_WALLET_KEY);
}
