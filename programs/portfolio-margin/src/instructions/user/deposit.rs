use anchor_lang::prelude::*;

use super::balance::ReduceRisk;
use crate::error::ErrorCode;
use crate::events::{BalanceAction, BalanceChanged};
use crate::interest::accrue;
use crate::token::transfer_in_accounts;

/// Deposits `amount` native units; never needs prices, so it works while oracles are down.
pub fn handle_deposit(ctx: Context<ReduceRisk>, amount: u64) -> Result<()> {
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let shares_after = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        ctx.accounts.margin_account.load_mut()?.deposit(&mut asset, amount)?
    };
    let a = &ctx.accounts;
    transfer_in_accounts(&a.token_program, &a.owner_tokens, &a.vault, &a.mint, &a.owner, amount)?;
    emit!(BalanceChanged {
        margin_account: a.margin_account.key(),
        owner: a.owner.key(),
        asset: asset_key,
        action: BalanceAction::Deposit,
        amount,
        shares_after_bits: shares_after.to_bits(),
        equity_bits: 0,
        initial_margin_bits: 0,
    });
    Ok(())
}
