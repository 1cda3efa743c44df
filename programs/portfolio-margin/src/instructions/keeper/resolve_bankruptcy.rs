use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::BankruptcyResolved;
use crate::interest::accrue;
use crate::state::{Asset, Group, MarginAccount};
use crate::token::transfer_signed_by_asset;

/// Permissionless. For an account with debts and no deposits left: the insurance fund covers what
/// it can of one debt (its vault's tokens, then the fees the asset's vault holds for it), the rest is
/// socialised over that asset's depositors by lowering the deposit index, and the debt is cleared.
///
/// Remaining accounts (writable): the asset account of every deposit position worth less than one
/// native unit ("dust" that rounding left behind, which no liquidation can take). Those shares are
/// cleared first; their sub-unit value stays in the pool, with its other depositors.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    pub group: AccountLoader<'info, Group>,
    #[account(mut, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group, has_one = vault, has_one = insurance_vault, has_one = mint, has_one = token_program)]
    pub asset: AccountLoader<'info, Asset>,
    #[account(mut)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Clears deposit positions worth less than one native unit, proven by their asset accounts
/// (deposits of a wiped-out generation are worth nothing and are cleared too).
fn clear_dust<'info>(
    acc: &mut MarginAccount,
    group: &Pubkey,
    dust_assets: &'info [AccountInfo<'info>],
    now: i64,
) -> Result<()> {
    for info in dust_assets {
        let loader = AccountLoader::<Asset>::try_from(info)?;
        let mut asset = loader.load_mut()?;
        if asset.group != *group {
            return err!(ErrorCode::WrongAssetAccount);
        }
        let slot = acc.find(asset.index).ok_or(error!(ErrorCode::WrongAssetAccount))?;
        let shares = acc.positions[slot].shares.get();
        if shares <= Fx::ZERO {
            return err!(ErrorCode::WrongAssetAccount);
        }
        let live = asset.live_shares(&acc.positions[slot]);
        if live > Fx::ZERO {
            if asset.position_amount(&asset.pool_at(now).map_err(math)?, &acc.positions[slot]).map_err(math)? > 0 {
                msg!("asset {} deposit is worth at least one native unit: liquidate it first", asset.index);
                return err!(ErrorCode::NotBankrupt);
            }
            let mut pool = asset.pool();
            pool.deposit_shares = pool.deposit_shares.sub_checked(live).map_err(math)?.max(Fx::ZERO);
            asset.set_pool(&pool);
        }
        acc.positions[slot].shares.set(Fx::ZERO);
    }
    Ok(())
}

pub fn handle_resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let asset_key = ctx.accounts.asset.key();
    let group_key = ctx.accounts.group.key();
    let (debt, paid, fees_applied, s, index_before, index_after, bump, group) = {
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        clear_dust(&mut acc, &group_key, ctx.remaining_accounts, now)?;
        if acc.active().any(|p| p.shares.get() > Fx::ZERO) {
            return err!(ErrorCode::NotBankrupt);
        }
        // Open perp positions carry PnL (a loss adds to the debt, a profit may cover it): they
        // are liquidated and settled before a debt is socialised.
        if acc.active_perps().next().is_some() {
            return err!(ErrorCode::PerpPositionsOpen);
        }
        let mut asset = ctx.accounts.asset.load_mut()?;
        accrue(&mut asset, asset_key, now)?;
        let slot = acc.find(asset.index).ok_or(error!(ErrorCode::NoDebt))?;
        let owed = acc.positions[slot].shares.get().neg_checked().map_err(math)?;
        if owed <= Fx::ZERO {
            return err!(ErrorCode::NoDebt);
        }
        let mut pool = asset.pool();
        let debt = u64::try_from(pool.borrow_native(owed).map_err(math)?).map_err(math)?;
        // The insurance fund pays first: the tokens in its vault, then what the vault of this asset
        // holds for it (uncollected protocol fees and liquidations' insurance fees, whole units).
        let paid = debt.min(ctx.accounts.insurance_vault.amount);
        let owed_to_fund =
            u64::try_from(risk_engine::fixed_point::floor_to_int(pool.protocol_fees).max(0)).map_err(math)?;
        let fees_applied = (debt - paid).min(owed_to_fund);
        pool.protocol_fees = pool.protocol_fees.sub_checked(Fx::from_num(fees_applied)).map_err(math)?;
        let index_before = pool.deposit_index;
        let s = pool.socialize_loss(Fx::from_num(debt - paid - fees_applied)).map_err(math)?;
        pool.borrow_shares = pool.borrow_shares.sub_checked(owed).map_err(math)?.max(Fx::ZERO);
        acc.positions[slot].shares.set(Fx::ZERO);
        acc.close_empty();
        asset.set_pool(&pool);
        if s.wiped_out {
            asset.deposit_epoch = asset.deposit_epoch.checked_add(1).ok_or_else(|| math("deposit epoch overflows"))?;
        }
        (debt, paid, fees_applied, s, index_before, pool.deposit_index, asset.bump, asset.group)
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
        account: ctx.accounts.margin_account.key(),
        asset: asset_key,
        debt,
        insurance_paid: paid,
        insurance_fees_applied: fees_applied,
        socialized_bits: s.spread.to_bits(),
        from_fees_bits: s.from_fees.to_bits(),
        deposits_wiped_out: s.wiped_out,
        deposit_index_before_bits: index_before.to_bits(),
        deposit_index_after_bits: index_after.to_bits(),
    });
    Ok(())
}
