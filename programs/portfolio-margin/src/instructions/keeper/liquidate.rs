use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};
use risk_engine::liquidation::{flows_for, health_after, max_repay_by_collateral, target_health, LiquidationFlows};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::Liquidated;
use crate::health::{holdings_health, load_holdings};
use crate::instructions::user::balance::{accrue, available_liquidity, transfer_signed_by_asset};
use crate::state::{Asset, Group, MarginAccount, ModelView, RiskModel};

/// Permissionless liquidation of one liability against one collateral of an account below its
/// maintenance margin. Remaining accounts: the account's health accounts (asset, oracle per open
/// position, in position order).
#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(mut, has_one = group)]
    pub account: AccountLoader<'info, MarginAccount>,
    /// Must differ from the collateral asset (Anchor refuses a mutable account passed twice).
    #[account(mut, has_one = group)]
    pub liability_asset: AccountLoader<'info, Asset>,
    #[account(mut, address = liability_asset.load()?.vault)]
    pub liability_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(address = liability_asset.load()?.mint)]
    pub liability_mint: InterfaceAccount<'info, Mint>,
    /// The liquidator's tokens that repay the liability.
    #[account(mut, token::mint = liability_mint, token::authority = liquidator, token::token_program = liability_token_program)]
    pub liquidator_liability_tokens: InterfaceAccount<'info, TokenAccount>,
    #[account(address = liability_asset.load()?.token_program)]
    pub liability_token_program: Interface<'info, TokenInterface>,
    #[account(mut, has_one = group)]
    pub collateral_asset: AccountLoader<'info, Asset>,
    #[account(mut, address = collateral_asset.load()?.vault)]
    pub collateral_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, address = collateral_asset.load()?.insurance_vault)]
    pub collateral_insurance_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(address = collateral_asset.load()?.mint)]
    pub collateral_mint: InterfaceAccount<'info, Mint>,
    /// Where the liquidator receives the collateral.
    #[account(mut, token::mint = collateral_mint, token::token_program = collateral_token_program)]
    pub liquidator_collateral_tokens: InterfaceAccount<'info, TokenAccount>,
    #[account(address = collateral_asset.load()?.token_program)]
    pub collateral_token_program: Interface<'info, TokenInterface>,
}

/// Repays up to `max_repay` native units of the liability. The repay must improve the account's
/// initial health (or take the whole collateral position: see below) and, when it reaches initial health ≥ 0, must not exceed the smallest repay that
/// does by more than 0.01% (at least one native unit): liquidators size it with the same engine
/// (`risk_engine::liquidation::plan_liquidation`). A repay bounded by the collateral takes all of it
/// (the dust left goes to the insurance vault).
pub fn handler<'info>(ctx: Context<'info, Liquidate<'info>>, max_repay: u64) -> Result<()> {
    if max_repay == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let (owner, l_index, c_index) = {
        let acc = ctx.accounts.account.load()?;
        (acc.owner, ctx.accounts.liability_asset.load()?.index, ctx.accounts.collateral_asset.load()?.index)
    };
    if owner == ctx.accounts.liquidator.key() {
        return err!(ErrorCode::SelfLiquidation);
    }
    {
        let key = ctx.accounts.liability_asset.key();
        accrue(&mut *ctx.accounts.liability_asset.load_mut()?, key, now)?;
        let key = ctx.accounts.collateral_asset.key();
        accrue(&mut *ctx.accounts.collateral_asset.load_mut()?, key, now)?;
    }

    // Everything below is the engine on plain data, exactly as the liquidator computed it.
    let group = ctx.accounts.group.load()?;
    let model = ctx.accounts.risk_model.load()?;
    let holdings = {
        let acc = ctx.accounts.account.load()?;
        load_holdings(&group_key, &group, &acc, ctx.remaining_accounts, now)?
    };
    let l =
        holdings.iter().position(|h| h.asset == l_index as usize && h.amount < 0).ok_or(error!(ErrorCode::NoDebt))?;
    let c = holdings
        .iter()
        .position(|h| h.asset == c_index as usize && h.amount > 0)
        .ok_or(error!(ErrorCode::InsufficientDeposit))?;
    let before = holdings_health(&group, &model, &holdings)?;
    let maintenance_before = before.maintenance_health().map_err(math)?;
    if maintenance_before >= Fx::ZERO {
        msg!("maintenance health {} ≥ 0", maintenance_before);
        return err!(ErrorCode::NotLiquidatable);
    }
    let margin = group.params.margin_params()?;
    let liq = group.params.liquidation_params();
    let target_before = target_health(&before, liq.target).map_err(math)?;
    let by_collateral = max_repay_by_collateral(&holdings, l, c, &liq).map_err(math)?;
    let repay = (max_repay as i128).min(-holdings[l].amount).min(by_collateral);
    if repay <= 0 {
        return err!(ErrorCode::LiquidationDoesNotImprove);
    }
    let cov = ModelView { model: &model };
    let after = health_after(&cov, &holdings, l, c, repay, &margin, &liq).map_err(math)?;
    let target_after = target_health(&after, liq.target).map_err(math)?;
    // An insolvent book can be past helping: every repay costs more in fees than it frees in
    // margin. Closing out a whole collateral position is then still allowed, so the account winds
    // down to deposits-free debt that `resolve_bankruptcy` settles.
    let closes_out_collateral = repay == by_collateral;
    if target_after <= target_before && !closes_out_collateral {
        return err!(ErrorCode::LiquidationDoesNotImprove);
    }
    if target_after >= Fx::ZERO {
        let slack = core::cmp::max(1, repay / 10_000);
        if repay > slack {
            let less = health_after(&cov, &holdings, l, c, repay - slack, &margin, &liq).map_err(math)?;
            if target_health(&less, liq.target).map_err(math)? >= Fx::ZERO {
                msg!("repaying {} already restores initial health; lower the amount", repay - slack);
                return err!(ErrorCode::OverLiquidation);
            }
        }
    }
    let mut flows: LiquidationFlows = flows_for(&holdings, l, c, repay, &liq).map_err(math)?;
    // Dust rule: when the collateral bounds the repay, what is left of it is worth less than one
    // unit of the liability; it goes to the insurance vault so a bankrupt account can be resolved.
    if repay == by_collateral {
        let left = holdings[c].amount - flows.to_liquidator - flows.to_insurance;
        if left > 0 {
            flows.to_insurance += left;
        }
    }
    let (price_l, price_c) = (holdings[l].price, holdings[c].price);
    let collateral_held = holdings[c].amount;
    drop(model);
    drop(group);

    let repay_u64 = repay as u64;
    let taken = u64::try_from(flows.to_liquidator + flows.to_insurance).map_err(math)?;
    let (c_bump, c_group) = {
        let mut acc = ctx.accounts.account.load_mut()?;
        let mut la = ctx.accounts.liability_asset.load_mut()?;
        let mut ca = ctx.accounts.collateral_asset.load_mut()?;
        if taken > available_liquidity(&ca, ctx.accounts.collateral_vault.amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        // Liability: clear borrow shares (rounded down, never more than owed).
        let mut lp = la.pool();
        let ls = acc.find(la.index).ok_or(error!(ErrorCode::NoDebt))?;
        let owed = acc.positions[ls].shares.get().neg_checked().map_err(math)?;
        let cleared = lp.repay(repay_u64, owed).map_err(math)?;
        let v = acc.positions[ls].shares.get().add_checked(cleared).map_err(math)?;
        acc.positions[ls].shares.set(v);
        la.set_pool(&lp);
        // Collateral: burn deposit shares (rounded up).
        let mut cp = ca.pool();
        let cs = acc.find(ca.index).ok_or(error!(ErrorCode::InsufficientDeposit))?;
        let held = acc.positions[cs].shares.get();
        // Taking the whole position's value burns all its shares: the sub-unit remainder stays
        // in the pool rather than as dust no liquidation could take.
        let burned = if (taken as i128) >= collateral_held {
            held
        } else {
            cp.withdraw_shares_for(taken).map_err(math)?.min(held)
        };
        cp.deposit_shares = cp.deposit_shares.sub_checked(burned).map_err(math)?;
        acc.positions[cs].shares.set(held.sub_checked(burned).map_err(math)?);
        ca.set_pool(&cp);
        acc.close_empty();
        (ca.bump, ca.group)
    };

    let a = &ctx.accounts;
    token_interface::transfer_checked(
        CpiContext::new(
            a.liability_token_program.key(),
            TransferChecked {
                from: a.liquidator_liability_tokens.to_account_info(),
                mint: a.liability_mint.to_account_info(),
                to: a.liability_vault.to_account_info(),
                authority: a.liquidator.to_account_info(),
            },
        ),
        repay_u64,
        a.liability_mint.decimals,
    )?;
    for (to, amount) in [
        (a.liquidator_collateral_tokens.to_account_info(), flows.to_liquidator as u64),
        (a.collateral_insurance_vault.to_account_info(), flows.to_insurance as u64),
    ] {
        if amount > 0 {
            transfer_signed_by_asset(
                &a.collateral_token_program,
                a.collateral_vault.to_account_info(),
                &a.collateral_mint,
                to,
                a.collateral_asset.to_account_info(),
                &c_group,
                c_bump,
                amount,
            )?;
        }
    }
    emit!(Liquidated {
        account: a.account.key(),
        owner,
        liquidator: a.liquidator.key(),
        liability_asset: a.liability_asset.key(),
        collateral_asset: a.collateral_asset.key(),
        repaid: repay_u64,
        collateral_to_liquidator: flows.to_liquidator as u64,
        collateral_to_insurance: flows.to_insurance as u64,
        liability_price_bits: price_l.to_bits(),
        collateral_price_bits: price_c.to_bits(),
        maintenance_health_before_bits: maintenance_before.to_bits(),
        maintenance_health_after_bits: after.maintenance_health().map_err(math)?.to_bits(),
        initial_health_before_bits: target_before.to_bits(),
        initial_health_after_bits: target_after.to_bits(),
    });
    Ok(())
}
