use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::ProtocolFeesCollected;
use crate::interest::accrue;
use crate::state::Asset;
use crate::token::transfer_signed_by_asset;

/// Permissionless: moves the protocol's accrued share of interest from the vault to the asset's
/// insurance vault, as far as unborrowed liquidity allows.
#[derive(Accounts)]
pub struct CollectProtocolFees<'info> {
    #[account(mut, has_one = vault, has_one = insurance_vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handle_collect_protocol_fees(ctx: Context<CollectProtocolFees>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let (amount, group, bump, remaining) = {
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let fees = asset.protocol_fees.get();
        // Whole tokens only, never more than the vault holds.
        let owed = risk_engine::fixed_point::floor_to_int(fees).max(0) as u64;
        let amount = owed.min(ctx.accounts.vault.amount);
        if amount == 0 {
            return err!(ErrorCode::ZeroAmount);
        }
        let left = fees.sub_checked(Fx::from_num(amount)).map_err(math)?;
        asset.protocol_fees.set(left);
        (amount, asset.group, asset.bump, left)
    };
    let a = &ctx.accounts;
    transfer_signed_by_asset(
        &a.token_program,
        a.vault.to_account_info(),
        &a.mint,
        a.insurance_vault.to_account_info(),
        a.asset.to_account_info(),
        &group,
        bump,
        amount,
    )?;
    emit!(ProtocolFeesCollected { asset: asset_key, amount, remaining_bits: remaining.to_bits() });
    Ok(())
}
