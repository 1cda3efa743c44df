// A kit transaction signer over a Wallet Standard account (Phantom, Backpack, Solflare, …) through
// its `solana:signTransaction` feature.
import {
  address,
  getTransactionDecoder,
  getTransactionEncoder,
  type Transaction,
  type TransactionModifyingSigner,
  type TransactionWithinSizeLimit,
  type TransactionWithLifetime,
} from '@solana/kit';
import { SolanaSignTransaction, type SolanaSignTransactionFeature } from '@solana/wallet-standard-features';
import type { IdentifierString } from '@wallet-standard/base';
import type { UiWalletAccount } from '@wallet-standard/react';
import { getWalletAccountFeature } from '@wallet-standard/react';
import { getWalletAccountForUiWalletAccount_DO_NOT_USE_OR_YOU_WILL_BE_FIRED as toWalletAccount } from '@wallet-standard/ui-registry';
import type { ClusterId } from '../lib/clusters';

export function chainFor(cluster: ClusterId): IdentifierString {
  switch (cluster) {
    case 'mainnet-beta':
      return 'solana:mainnet';
    case 'devnet':
      return 'solana:devnet';
    default:
      return 'solana:localnet';
  }
}

export function canSign(account: UiWalletAccount): boolean {
  return account.features.includes(SolanaSignTransaction);
}

export function standardSigner(account: UiWalletAccount, chain: IdentifierString): TransactionModifyingSigner {
  const feature = getWalletAccountFeature(account, SolanaSignTransaction) as SolanaSignTransactionFeature[typeof SolanaSignTransaction];
  const walletAccount = toWalletAccount(account);
  const encoder = getTransactionEncoder();
  const decoder = getTransactionDecoder();
  return {
    address: address(account.address),
    async modifyAndSignTransactions(transactions) {
      const out: (Transaction & TransactionWithinSizeLimit & TransactionWithLifetime)[] = [];
      for (const tx of transactions) {
        const [result] = await feature.signTransaction({ account: walletAccount, chain, transaction: new Uint8Array(encoder.encode(tx)) });
        if (!result) throw new Error('The wallet returned no signed transaction');
        const signed = decoder.decode(result.signedTransaction);
        // The wallet may not echo the lifetime; the message (and its blockhash) is unchanged.
        out.push({ ...signed, lifetimeConstraint: (tx as Transaction & TransactionWithLifetime).lifetimeConstraint } as Transaction &
          TransactionWithinSizeLimit &
          TransactionWithLifetime);
      }
      return out;
    },
  };
}
