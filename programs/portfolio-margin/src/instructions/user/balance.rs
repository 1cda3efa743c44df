//! What deposit, withdraw, borrow and repay share: the accounts, and the tail of withdraw and
//! borrow (health check, transfer out, event).
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::Fx;

use crate::error::ErrorCode;
use crate::events::{BalanceAction, BalanceChanged};
use crate::health::{account_levels, require_initial_health};
use crate::state::{Asset, Group, MarginAccount, RiskModel};
use crate::token::transfer_signed_by_asset;

/// Accounts of deposit and repay (no prices needed: they only reduce risk).
#[derive(Accounts)]
pub struct ReduceRisk<'info> {
    pub owner: Signer<'info>,
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = owner, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// The owner's token account the tokens come from.
    #[account(mut, token::mint = mint, token::authority = owner, token::token_program = token_program)]
    pub owner_tokens: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Accounts of withdraw and borrow; remaining accounts: (asset, oracle) per open position after the
/// action, in position order.
#[derive(Accounts)]
pub struct AddRisk<'info> {
    pub owner: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(mut, has_one = owner, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// Where the tokens go (any account of this mint).
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub destination: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// What withdraw and borrow share once the books are updated: initial health ≥ 0 from fresh prices
/// of every position (remaining accounts), the tokens out of the vault, the event.
pub fn finish_add_risk<'info>(
    ctx: &Context<'info, AddRisk<'info>>,
    action: BalanceAction,
    amount: u64,
    shares_after: Fx,
    asset_bump: u8,
    now: i64,
) -> Result<()> {
    let group_key = ctx.accounts.group.key();
    let health = {
        let group = ctx.accounts.group.load()?;
        let model = ctx.accounts.risk_model.load()?;
        let acc = ctx.accounts.margin_account.load()?;
        account_levels(&group_key, &group, &model, &acc, ctx.remaining_accounts, now)?
    };
    require_initial_health(&health)?;
    crate::probe!("check");
    let a = &ctx.accounts;
    transfer_signed_by_asset(
        &a.token_program,
        a.vault.to_account_info(),
        &a.mint,
        a.destination.to_account_info(),
        a.asset.to_account_info(),
        &group_key,
        asset_bump,
        amount,
    )?;
    crate::probe!("transfer");
    emit!(BalanceChanged {
        margin_account: a.margin_account.key(),
        owner: a.owner.key(),
        asset: a.asset.key(),
        action,
        amount,
        shares_after_bits: shares_after.to_bits(),
        equity_bits: health.equity.to_bits(),
        initial_margin_bits: health.initial.to_bits(),
    });
    Ok(())
}
