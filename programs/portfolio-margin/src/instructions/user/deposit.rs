use anchor_lang::prelude::*;
use risk_engine::{Fx, FxExt};

use super::balance::{accrue, transfer_in, ReduceRisk};
use crate::error::ErrorCode;
use crate::events::{BalanceAction, BalanceChanged};

/// Deposits `amount` native units; never needs prices, so it works while oracles are down.
pub fn handler(ctx: Context<ReduceRisk>, amount: u64) -> Result<()> {
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let shares_after = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let mut pool = asset.pool();
        let minted = pool.deposit_shares_for(amount).map_err(|_| error!(ErrorCode::MathOverflow))?;
        pool.deposit_shares = pool.deposit_shares.add_checked(minted).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let total = pool.total_deposits().map_err(|_| error!(ErrorCode::MathOverflow))?;
        if total > Fx::from_num(asset.deposit_cap) {
            return err!(ErrorCode::DepositCapExceeded);
        }
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let slot = acc.find_or_open(asset.index).ok_or(error!(ErrorCode::TooManyPositions))?;
        let shares = acc.positions[slot].shares.get();
        if shares < Fx::ZERO {
            return err!(ErrorCode::DepositIntoDebt);
        }
        let after = shares.add_checked(minted).map_err(|_| error!(ErrorCode::MathOverflow))?;
        acc.positions[slot].shares.set(after);
        asset.set_pool(&pool);
        after
    };
    let a = &ctx.accounts;
    transfer_in(&a.token_program, &a.owner_tokens, &a.vault, &a.mint, &a.owner, amount)?;
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
