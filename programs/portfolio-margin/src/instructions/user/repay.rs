use anchor_lang::prelude::*;
use risk_engine::{Fx, FxExt};

use super::balance::{accrue, transfer_in, ReduceRisk};
use crate::error::ErrorCode;
use crate::events::{BalanceAction, BalanceChanged};

/// Repays `amount` native units of debt (at most the debt); works while oracles are down.
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
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let slot = acc.find(asset.index).ok_or(error!(ErrorCode::NoDebt))?;
        let shares = acc.positions[slot].shares.get();
        if shares >= Fx::ZERO {
            return err!(ErrorCode::NoDebt);
        }
        let owed_shares = shares.neg_checked().map_err(|_| error!(ErrorCode::MathOverflow))?;
        let debt = pool.borrow_value(owed_shares).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let debt_native = risk_engine::fixed_point::ceil_to_int(debt);
        if amount as i128 > debt_native {
            msg!("debt is {} native units", debt_native);
            return err!(ErrorCode::RepayExceedsDebt);
        }
        let burned = pool.repay(amount, owed_shares).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let after = shares.add_checked(burned).map_err(|_| error!(ErrorCode::MathOverflow))?;
        acc.positions[slot].shares.set(after);
        acc.close_empty();
        asset.set_pool(&pool);
        after
    };
    let a = &ctx.accounts;
    transfer_in(&a.token_program, &a.owner_tokens, &a.vault, &a.mint, &a.owner, amount)?;
    emit!(BalanceChanged {
        margin_account: a.margin_account.key(),
        owner: a.owner.key(),
        asset: asset_key,
        action: BalanceAction::Repay,
        amount,
        shares_after_bits: shares_after.to_bits(),
        equity_bits: 0,
        initial_margin_bits: 0,
    });
    Ok(())
}
