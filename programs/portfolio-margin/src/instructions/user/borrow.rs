use anchor_lang::prelude::*;
use risk_engine::{Fx, FxExt};

use super::balance::{accrue, available_liquidity, finish_add_risk, AddRisk};
use crate::error::ErrorCode;
use crate::events::BalanceAction;

/// Borrows `amount` native units from the pool; the account must stay at initial health ≥ 0,
/// priced from fresh oracles of every position (remaining accounts).
pub fn handler<'info>(ctx: Context<'info, AddRisk<'info>>, amount: u64) -> Result<()> {
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let (shares_after, bump) = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        if amount > available_liquidity(&asset, ctx.accounts.vault.amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        let mut pool = asset.pool();
        let owed = pool.borrow_shares_for(amount).map_err(|_| error!(ErrorCode::MathOverflow))?;
        pool.borrow_shares = pool.borrow_shares.add_checked(owed).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let total = pool.total_borrows().map_err(|_| error!(ErrorCode::MathOverflow))?;
        if total > Fx::from_num(asset.borrow_cap) {
            return err!(ErrorCode::BorrowCapExceeded);
        }
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let slot = acc.find_or_open(asset.index).ok_or(error!(ErrorCode::TooManyPositions))?;
        let shares = acc.positions[slot].shares.get();
        if shares > Fx::ZERO {
            return err!(ErrorCode::BorrowAgainstOwnDeposit);
        }
        let after = shares.sub_checked(owed).map_err(|_| error!(ErrorCode::MathOverflow))?;
        acc.positions[slot].shares.set(after);
        asset.set_pool(&pool);
        (after, asset.bump)
    };
    finish_add_risk(&ctx, BalanceAction::Borrow, amount, shares_after, bump, now)
}
