// The instructions of a trader's action, built with the generated client.
import { AccountRole, type Address, type Instruction, type TransactionSigner } from '@solana/kit';
import { findAssociatedTokenPda, getCreateAssociatedTokenIdempotentInstruction } from '@solana-program/token';
import {
  getBorrowInstruction,
  getCreateMarginAccountInstruction,
  getDepositInstruction,
  getRepayInstruction,
  getTradePerpInstruction,
  getWithdrawInstruction,
} from '../generated';
import { tradeHealthAccounts } from './perps';
import { healthAssetsAfter, type ActionKind } from './positions';
import type { AssetView, GroupState, MarginAccountView } from './state';

export type ActionInput = {
  state: GroupState;
  owner: TransactionSigner;
  /** The margin account's address and current state (null: not created yet). */
  accountAddress: Address;
  accountIndex: number;
  account: MarginAccountView | null;
  kind: ActionKind;
  asset: AssetView;
  amount: bigint;
};

export async function ownerTokenAccount(owner: Address, a: AssetView): Promise<Address> {
  const [ata] = await findAssociatedTokenPda({ owner, mint: a.account.mint, tokenProgram: a.account.tokenProgram });
  return ata;
}

export async function actionInstructions(x: ActionInput): Promise<Instruction[]> {
  const { state, owner, asset: a, amount } = x;
  const common = {
    owner,
    group: state.address,
    marginAccount: x.accountAddress,
    asset: a.address,
    vault: a.account.vault,
    mint: a.account.mint,
    tokenProgram: a.account.tokenProgram,
  };
  const tokens = await ownerTokenAccount(owner.address, a);
  const out: Instruction[] = [];
  if (x.kind === 'deposit' || x.kind === 'repay') {
    if (!x.account) {
      if (x.kind === 'repay') throw new Error('This margin account does not exist yet: it has nothing to repay.');
      out.push(getCreateMarginAccountInstruction({ owner, group: state.address, marginAccount: x.accountAddress, index: x.accountIndex }));
    }
    const build = x.kind === 'deposit' ? getDepositInstruction : getRepayInstruction;
    out.push(build({ ...common, ownerTokens: tokens, amount }));
    return out;
  }
  if (!x.account) throw new Error(`This margin account does not exist yet: deposit collateral before you ${x.kind}.`);
  const health = healthAssetsAfter(x.account.account, x.kind, a.index, amount, a.account).flatMap((i) => {
    const h = state.assets[i];
    if (!h) throw new Error(`asset ${i} is not loaded`);
    return [
      { address: h.address, role: AccountRole.READONLY },
      { address: h.oracle.address, role: AccountRole.READONLY },
    ];
  });
  out.push(
    getCreateAssociatedTokenIdempotentInstruction({
      payer: owner,
      ata: tokens,
      owner: owner.address,
      mint: a.account.mint,
      tokenProgram: a.account.tokenProgram,
    }),
  );
  const build = x.kind === 'withdraw' ? getWithdrawInstruction : getBorrowInstruction;
  const ix = build({ ...common, riskModel: state.group.riskModel, destination: tokens, amount });
  out.push({ ...ix, accounts: [...ix.accounts, ...health] });
  return out;
}

export type TradeInput = {
  state: GroupState;
  owner: TransactionSigner;
  accountAddress: Address;
  account: MarginAccountView | null;
  /** The perp market's index. */
  market: number;
  /** Signed native base units (> 0 buys). */
  baseDelta: bigint;
  /** USD × 10⁶ per whole token: a buy's highest fill, a sell's lowest. */
  limitPriceE6: bigint;
};

/** `trade_perp` with the account's health accounts after the trade. */
export function tradePerpInstructions(x: TradeInput): Instruction[] {
  const { state } = x;
  if (!x.account) throw new Error('This margin account does not exist yet: deposit collateral before you trade perps.');
  const perps = state.perps;
  const m = perps?.markets.find((p) => p.account.marketIndex === x.market);
  if (!perps || !m) throw new Error(`perp market ${x.market} is not loaded`);
  const ix = getTradePerpInstruction({
    owner: x.owner,
    group: state.address,
    riskModel: state.group.riskModel,
    marginAccount: x.accountAddress,
    perpVault: perps.vaultRaw.address,
    tokens: perps.tokensRaw.address,
    perpMarket: m.address,
    oracle: m.account.oracle,
    baseDelta: x.baseDelta,
    limitPriceE6: x.limitPriceE6,
  });
  return [{ ...ix, accounts: [...ix.accounts, ...tradeHealthAccounts(state, x.account.account, x.market)] }];
}
