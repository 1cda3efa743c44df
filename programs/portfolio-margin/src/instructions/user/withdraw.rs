use anchor_lang::prelude::*;
use risk_engine::{Fx, FxExt};

use super::balance::{accrue, available_liquidity, finish_add_risk, AddRisk};
use crate::error::ErrorCode;
use crate::events::BalanceAction;

/// Withdraws `amount` native units of a deposit; the account must stay at initial health ≥ 0,
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
        // The account's own deposit first (the clearer refusal), then what the vault can pay.
        let mut pool = asset.pool();
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let slot = acc.find(asset.index).ok_or(error!(ErrorCode::InsufficientDeposit))?;
        let shares = acc.positions[slot].shares.get();
        let burned = pool.withdraw_shares_for(amount).map_err(|_| error!(ErrorCode::MathOverflow))?;
        if shares <= Fx::ZERO || burned > shares {
            return err!(ErrorCode::InsufficientDeposit);
        }
        if amount > available_liquidity(&asset, ctx.accounts.vault.amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        pool.deposit_shares = pool.deposit_shares.sub_checked(burned).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let after = shares.sub_checked(burned).map_err(|_| error!(ErrorCode::MathOverflow))?;
        acc.positions[slot].shares.set(after);
        acc.close_empty();
        asset.set_pool(&pool);
        (after, asset.bump)
    };
    finish_add_risk(&ctx, BalanceAction::Withdraw, amount, shares_after, bump, now)
}
