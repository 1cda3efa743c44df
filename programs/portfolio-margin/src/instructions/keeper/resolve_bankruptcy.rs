use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::BankruptcyResolved;
use crate::instructions::user::balance::{accrue, transfer_signed_by_asset};
use crate::state::{Asset, Group, MarginAccount};

/// Permissionless. For an account with debts and no deposits left: the asset's insurance vault
/// covers what it can of one debt, the rest is socialised over that asset's depositors by lowering
/// the deposit index, and the debt is cleared.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = insurance_vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handler(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let (debt, paid, socialized, index_before, index_after, bump, group) = {
        let mut acc = ctx.accounts.account.load_mut()?;
        if acc.active().any(|p| p.shares.get() > Fx::ZERO) {
            return err!(ErrorCode::NotBankrupt);
        }
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let slot = acc.find(asset.index).ok_or(error!(ErrorCode::NoDebt))?;
        let owed = acc.positions[slot].shares.get().neg_checked().map_err(math)?;
        if owed <= Fx::ZERO {
            return err!(ErrorCode::NoDebt);
        }
        let mut pool = asset.pool();
        let debt = risk_engine::fixed_point::ceil_to_int(pool.borrow_value(owed).map_err(math)?) as u64;
        let paid = debt.min(ctx.accounts.insurance_vault.amount);
        let index_before = pool.deposit_index;
        let socialized = pool.socialize_loss(Fx::from_num(debt - paid)).map_err(math)?;
        pool.borrow_shares = pool.borrow_shares.sub_checked(owed).map_err(math)?.max(Fx::ZERO);
        acc.positions[slot].shares.set(Fx::ZERO);
        acc.close_empty();
        asset.set_pool(&pool);
        (debt, paid, socialized, index_before, pool.deposit_index, asset.bump, asset.group)
    };
    if paid > 0 {
        let a = &ctx.accounts;
        transfer_signed_by_asset(
            &a.token_program,
            a.insurance_vault.to_account_info(),
            &a.mint,
            a.vault.to_account_info(),
            a.asset.to_account_info(),
            &group,
            bump,
            paid,
        )?;
    }
    emit!(BankruptcyResolved {
        account: ctx.accounts.account.key(),
        asset: asset_key,
        debt,
        insurance_paid: paid,
        socialized_bits: socialized.to_bits(),
        deposit_index_before_bits: index_before.to_bits(),
        deposit_index_after_bits: index_after.to_bits(),
    });
    Ok(())
}
