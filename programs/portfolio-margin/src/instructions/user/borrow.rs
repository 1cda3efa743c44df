use anchor_lang::prelude::*;

use super::balance::{finish_add_risk, AddRisk};
use crate::error::ErrorCode;
use crate::events::BalanceAction;
use crate::interest::accrue;

/// Borrows `amount` native units from the pool; the account must stay at initial health ≥ 0,
/// priced from fresh oracles of every position (remaining accounts).
pub fn handle_borrow<'info>(ctx: Context<'info, AddRisk<'info>>, amount: u64) -> Result<()> {
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let (shares_after, bump) = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let vault = ctx.accounts.vault.amount;
        (ctx.accounts.margin_account.load_mut()?.borrow(&mut asset, amount, vault)?, asset.bump)
    };
    finish_add_risk(&ctx, BalanceAction::Borrow, amount, shares_after, bump, now)
}
