use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;
use risk_engine::liquidation::{judge_liquidation_with_perps, Acceptance, LiquidationFlows, Refusal};

use crate::error::{math, ErrorCode};
use crate::events::Liquidated;
use crate::health::{load_holdings, Loaded, Pricing};
use crate::interest::accrue;
use crate::state::{Asset, Group, MarginAccount, ModelView, RiskModel};
use crate::token::{check_token_account, transfer_in};

/// Permissionless liquidation of one liability against one collateral of an account below its
/// maintenance margin. Remaining accounts: the account's health accounts (asset, oracle per open
/// position, in position order).
#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    /// The account being liquidated (never by its owner, from any of the owner's accounts).
    #[account(
        mut,
        has_one = group,
        constraint = margin_account.load()?.owner != liquidator.key() @ ErrorCode::SelfLiquidation,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The liquidator's own margin account in this group: the seized collateral is credited to it
    /// as a deposit (no tokens leave the vault, so a lent-out pool cannot block a liquidation).
    #[account(
        mut,
        has_one = group @ ErrorCode::WrongLiquidatorAccount,
        constraint = liquidator_account.load()?.owner == liquidator.key() @ ErrorCode::WrongLiquidatorAccount,
        constraint = liquidator_account.key() != margin_account.key() @ ErrorCode::WrongLiquidatorAccount,
    )]
    pub liquidator_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = group)]
    pub liability_asset: AccountLoader<'info, Asset>,
    /// CHECK: the liability asset's vault, pinned by address (its mint and state are the token
    /// program's to check in the transfer; not deserialized here).
    #[account(mut, address = liability_asset.load()?.vault)]
    pub liability_vault: UncheckedAccount<'info>,
    /// CHECK: the liability asset's mint, pinned by address (the transfer checks the decimals).
    #[account(address = liability_asset.load()?.mint)]
    pub liability_mint: UncheckedAccount<'info>,
    /// CHECK: the liquidator's tokens that repay the liability: a token account of the liability's
    /// mint and token program owned by the liquidator, checked in place by `check_token_account`
    /// (Anchor's `token::` constraints' errors, without deserializing the account).
    #[account(mut)]
    pub liquidator_liability_tokens: UncheckedAccount<'info>,
    #[account(address = liability_asset.load()?.token_program)]
    pub liability_token_program: Interface<'info, TokenInterface>,
    #[account(mut, has_one = group, constraint = collateral_asset.key() != liability_asset.key() @ ErrorCode::LiquidationSameAsset)]
    pub collateral_asset: AccountLoader<'info, Asset>,
}

/// The liquidator's token account: of the liability's mint and token program, the liquidator's own.
pub(crate) fn check_liquidator_tokens(a: &Liquidate) -> Result<()> {
    check_token_account(
        &a.liquidator_liability_tokens,
        "liquidator_liability_tokens",
        a.liability_token_program.key,
        a.liability_mint.key,
        a.liquidator.key,
    )
}

/// Interest accrued on both assets of the pair; their indices.
pub(crate) fn accrue_pair(a: &Liquidate, now: i64) -> Result<(u16, u16)> {
    let key = a.liability_asset.key();
    let mut la = a.liability_asset.load_mut()?;
    accrue(&mut la, key, now)?;
    let key = a.collateral_asset.key();
    let mut ca = a.collateral_asset.load_mut()?;
    accrue(&mut ca, key, now)?;
    Ok((la.index, ca.index))
}

/// The holdings of the liability (a borrow) and the collateral (a deposit) of the pair.
pub(crate) fn pair_in(loaded: &Loaded, l_index: u16, c_index: u16) -> Result<(usize, usize)> {
    let holdings = &loaded.holdings;
    let l =
        holdings.iter().position(|h| h.asset == l_index as usize && h.amount < 0).ok_or(error!(ErrorCode::NoDebt))?;
    let c = match holdings.iter().position(|h| h.asset == c_index as usize && h.amount > 0) {
        Some(c) => c,
        None if loaded.unpriced & (1u64 << (c_index as u32 % 64)) != 0 => return err!(ErrorCode::CollateralUnpriced),
        None => return err!(ErrorCode::InsufficientDeposit),
    };
    Ok((l, c))
}

/// Books a spot step: the liability repaid from the liquidator's tokens, the collateral credited to
/// the liquidator's margin account (the insurance share to the fund). Returns (repaid, to the
/// liquidator, to insurance), native units.
pub(crate) fn book_spot_step(a: &Liquidate, flows: &LiquidationFlows) -> Result<(u64, u64, u64)> {
    let repay = u64::try_from(flows.repay).map_err(math)?;
    let to_liquidator = u64::try_from(flows.to_liquidator).map_err(math)?;
    let to_insurance = u64::try_from(flows.to_insurance).map_err(math)?;
    let taken = to_liquidator.checked_add(to_insurance).ok_or_else(|| math("collateral taken overflows"))?;
    {
        let mut acc = a.margin_account.load_mut()?;
        let mut liquidator_acc = a.liquidator_account.load_mut()?;
        let mut la = a.liability_asset.load_mut()?;
        let mut ca = a.collateral_asset.load_mut()?;
        acc.repay(&mut la, repay)?;
        acc.seize_deposit(&mut liquidator_acc, &mut ca, taken, to_liquidator)?;
    }
    let decimals = a.liability_asset.load()?.decimals;
    transfer_in(
        &a.liability_token_program,
        a.liquidator_liability_tokens.to_account_info(),
        a.liability_vault.to_account_info(),
        a.liability_mint.to_account_info(),
        decimals,
        &a.liquidator,
        repay,
    )?;
    Ok((repay, to_liquidator, to_insurance))
}

pub(crate) fn refusal(r: Refusal) -> Error {
    msg!("liquidation refused: {}", r.reason());
    match r {
        Refusal::NotLiquidatable => error!(ErrorCode::NotLiquidatable),
        Refusal::NothingToRepay | Refusal::DoesNotImprove => error!(ErrorCode::LiquidationDoesNotImprove),
        Refusal::SolventCloseOut => error!(ErrorCode::CloseOutOfSolventBook),
        Refusal::CloseOutWhileImprovable => error!(ErrorCode::CloseOutWhileImprovable),
        Refusal::OverLiquidation => error!(ErrorCode::OverLiquidation),
    }
}

/// Repays up to `max_repay` native units of the liability from the liquidator's tokens and credits
/// the collateral (with the liquidator's discount) to the liquidator's margin account; the
/// insurance fee is owed to the insurance fund. Accepted by `risk_engine::liquidation::
/// judge_liquidation` (liquidators size it with `plan_liquidation` on the same data): the step must
/// raise initial health and stop within 0.01% of the smallest repay that restores it, or be a
/// close-out of an insolvent book that no step of this pair can improve. A position whose oracle is
/// unusable counts as worth nothing when it is a deposit; a debt must be priced.
pub fn handle_liquidate<'info>(ctx: Context<'info, Liquidate<'info>>, max_repay: u64) -> Result<()> {
    if max_repay == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    check_liquidator_tokens(ctx.accounts)?;
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let owner = ctx.accounts.margin_account.load()?.owner;
    let (l_index, c_index) = accrue_pair(ctx.accounts, now)?;

    // Everything below is the engine on plain data, exactly as the liquidator computed it.
    let group = ctx.accounts.group.load()?;
    let model = ctx.accounts.risk_model.load()?;
    let loaded = {
        let acc = ctx.accounts.margin_account.load()?;
        load_holdings(&group_key, &group, &acc, ctx.remaining_accounts, now, Pricing::Liquidation)?
    };
    let holdings = &loaded.holdings;
    let (l, c) = pair_in(&loaded, l_index, c_index)?;
    let margin = group.params.margin_params()?;
    let liq = group.params.liquidation_params();
    let v = judge_liquidation_with_perps(
        &ModelView { model: &model },
        holdings,
        &loaded.perps,
        l,
        c,
        max_repay as i128,
        &margin,
        &liq,
    )
    .map_err(math)?
    .map_err(refusal)?;
    let (price_l, price_c) = (holdings[l].price, holdings[c].price);
    drop(model);
    drop(group);

    let (repay, to_liquidator, to_insurance) = book_spot_step(ctx.accounts, &v.flows)?;
    let a = &ctx.accounts;
    emit!(Liquidated {
        account: a.margin_account.key(),
        owner,
        liquidator: a.liquidator.key(),
        liquidator_account: a.liquidator_account.key(),
        liability_asset: a.liability_asset.key(),
        collateral_asset: a.collateral_asset.key(),
        repaid: repay,
        collateral_to_liquidator: to_liquidator,
        collateral_to_insurance: to_insurance,
        close_out: v.acceptance == Acceptance::CloseOut,
        liability_price_bits: price_l.to_bits(),
        collateral_price_bits: price_c.to_bits(),
        maintenance_health_before_bits: v.before.maintenance_health().map_err(math)?.to_bits(),
        maintenance_health_after_bits: v.after.maintenance_health().map_err(math)?.to_bits(),
        initial_health_before_bits: v.target_before.to_bits(),
        initial_health_after_bits: v.target_after.to_bits(),
    });
    Ok(())
}
