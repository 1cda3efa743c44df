use anchor_lang::prelude::*;
use risk_engine::liquidation::Acceptance;
use risk_engine::perp::hedge::HedgeBook;

use crate::error::{math, ErrorCode};
use crate::events::HedgeLiquidated;
use crate::health::{load_holdings, Pricing};
// The whole module: a composite `Accounts` field needs its generated client modules and bumps.
use crate::instructions::keeper::liquidate::*;
use crate::instructions::perp::liquidate_perp::accrue_funding;
use crate::state::{ModelView, PerpMarket};

/// A spot liquidation (every account and check of `liquidate`) and the perp market of the hedged
/// asset. Remaining accounts: the account's health accounts (spot pairs, perp pairs, the perp vault
/// and its tokens).
#[derive(Accounts)]
pub struct LiquidateHedge<'info> {
    pub spot: Liquidate<'info>,
    #[account(
        mut,
        constraint = perp_market.load()?.group == spot.group.key() @ ErrorCode::WrongPerpMarket,
        has_one = oracle,
    )]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's registered oracle (`has_one`), decoded and checked by `require_price`.
    pub oracle: UncheckedAccount<'info>,
}

/// Repays up to `max_repay` native units of the liability against the collateral, and shrinks the
/// account's perp position on the hedged asset (the collateral beside a short perp, or the liability
/// beside a long perp) by the base units the spot leg moves, so the book's delta stays where it
/// was. The fee, `min(the market's liquidation fee, its add-on rate)` of the repaid value, is taken
/// in collateral and split like a spot liquidation's; the perp leg closes against the vault at the
/// confidence-biased oracle price with no fee. Accepted by `risk_engine::perp::hedge::
/// HedgeBook::judge`: the rule of every liquidation (raise initial health without going past the
/// target by more than the slack, or close out an insolvent book no step improves).
pub fn handle_liquidate_hedge<'info>(ctx: Context<'info, LiquidateHedge<'info>>, max_repay: u64) -> Result<()> {
    if max_repay == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let spot = &ctx.accounts.spot;
    check_liquidator_tokens(spot)?;
    let now = Clock::get()?.unix_timestamp;
    let group_key = spot.group.key();
    let (l_index, c_index) = accrue_pair(spot, now)?;
    let group = spot.group.load()?;
    let market_index = accrue_funding(&ctx.accounts.perp_market, &ctx.accounts.oracle, &group, now)?;
    let model = spot.risk_model.load()?;
    let (loaded, slot) = {
        let acc = spot.margin_account.load()?;
        let slot = acc.find_perp(market_index).ok_or(error!(ErrorCode::NoPerpPosition))?;
        (load_holdings(&group_key, &group, &acc, ctx.remaining_accounts, now, Pricing::Liquidation)?, slot)
    };
    let position = spot.margin_account.load()?.perps[slot].position();
    let (l, c) = pair_in(&loaded, l_index, c_index)?;
    let j = loaded.perp_index(market_index)?;
    let lp = &loaded.perp_markets[j];
    let margin = group.params.margin_params()?;
    let liq = group.params.liquidation_params();
    let book = HedgeBook {
        cov: &ModelView { model: &model },
        holdings: &loaded.holdings,
        perps: &loaded.perps,
        liability: l,
        collateral: c,
        target: j,
        position,
        pricing: lp.pricing(&group),
        margin: &margin,
        liq: &liq,
        fee: lp.params.liquidation_fee,
    };
    if book.leg().is_err() {
        return err!(ErrorCode::NotAHedge);
    }
    let v = book.judge(max_repay as i128).map_err(math)?.map_err(refusal)?;
    drop(model);
    drop(group);

    let (repaid, to_liquidator, to_insurance) = book_spot_step(spot, &v.step.flows)?;
    {
        let mut m = ctx.accounts.perp_market.load_mut()?;
        let mut acc = spot.margin_account.load_mut()?;
        m.replace_position(&position, &v.step.close.position)?;
        acc.perps[slot].set(&v.step.close.position);
    }
    emit!(HedgeLiquidated {
        account: spot.margin_account.key(),
        liquidator: spot.liquidator.key(),
        liquidator_account: spot.liquidator_account.key(),
        liability_asset: spot.liability_asset.key(),
        collateral_asset: spot.collateral_asset.key(),
        perp_market: ctx.accounts.perp_market.key(),
        repaid,
        collateral_to_liquidator: to_liquidator,
        collateral_to_insurance: to_insurance,
        base_delta: i64::try_from(v.step.close.delta).map_err(math)?,
        fill_price_bits: v.step.close.fill.to_bits(),
        close_out: v.acceptance == Acceptance::CloseOut,
        maintenance_health_before_bits: v.before.maintenance_health().map_err(math)?.to_bits(),
        maintenance_health_after_bits: v.after.maintenance_health().map_err(math)?.to_bits(),
        initial_health_before_bits: v.target_before.to_bits(),
        initial_health_after_bits: v.target_after.to_bits(),
    });
    Ok(())
}
