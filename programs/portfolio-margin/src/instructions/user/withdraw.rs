use anchor_lang::prelude::*;

use super::balance::{finish_add_risk, AddRisk};
use crate::error::ErrorCode;
use crate::events::BalanceAction;
use crate::interest::accrue;

/// Withdraws `amount` native units of a deposit; the account must stay at initial health ≥ 0,
/// priced from fresh oracles of every position (remaining accounts). Withdrawing the position's
/// whole value (its shares' value rounded down) burns every share and frees the slot.
pub fn handle_withdraw<'info>(ctx: Context<'info, AddRisk<'info>>, amount: u64) -> Result<()> {
    crate::probe!("handler");
    crate::probe!("calibrate"); // two marks in a row: the cost of one mark
    if amount == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let (shares_after, bump) = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let vault = ctx.accounts.vault.amount;
        (ctx.accounts.margin_account.load_mut()?.withdraw(&mut asset, amount, vault)?, asset.bump)
    };
    finish_add_risk(&ctx, BalanceAction::Withdraw, amount, shares_after, bump, now)
}
