use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::fixed_point::{floor_to_int, pow10};
use risk_engine::liquidation::Acceptance;
use risk_engine::perp::liquidation::{liquidator_reward, PerpBook};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::PerpLiquidated;
use crate::health::{load_holdings, Pricing};
use crate::instructions::keeper::liquidate::refusal;
use crate::oracle::require_price;
use crate::state::{Group, MarginAccount, ModelView, PerpMarket, PerpVault, RiskModel};
use crate::token::transfer_signed_by_perp_vault;

/// Permissionless liquidation of part of a perp position of an account below maintenance margin:
/// closed against the vault at the oracle price worsened by the market's liquidation fee; the
/// liquidator is paid its share of the fee from the vault, the rest stays in the vault. Remaining
/// accounts: the account's health accounts (spot pairs, perp pairs, the perp vault and its tokens).
#[derive(Accounts)]
pub struct LiquidatePerp<'info> {
    pub liquidator: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(
        mut,
        has_one = group,
        constraint = margin_account.load()?.owner != liquidator.key() @ ErrorCode::SelfLiquidation,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        has_one = group @ ErrorCode::WrongPerpVault,
        has_one = tokens @ ErrorCode::WrongPerpVault,
        has_one = mint @ ErrorCode::WrongPerpVault,
        has_one = token_program @ ErrorCode::WrongPerpVault,
    )]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    #[account(mut)]
    pub tokens: InterfaceAccount<'info, TokenAccount>,
    pub mint: InterfaceAccount<'info, Mint>,
    /// Where the liquidator's reward goes (any quote-token account).
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub liquidator_tokens: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
    #[account(mut, has_one = group @ ErrorCode::WrongPerpMarket, has_one = oracle)]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's registered oracle (`has_one`), decoded and checked by `require_price`.
    pub oracle: UncheckedAccount<'info>,
}

/// The market's funding accrued to `now` at a fresh oracle price; its index.
pub(crate) fn accrue_funding(
    market: &AccountLoader<PerpMarket>,
    oracle: &AccountInfo,
    group: &Group,
    now: i64,
) -> Result<u16> {
    let mut m = market.load_mut()?;
    let price = require_price(oracle, &m.oracle, &m.feed_id, now, &group.params)?;
    let f = m.funding_at(price.price, now)?;
    m.set_funding(&f);
    Ok(m.market_index)
}

/// Closes up to `max_base` native base units of the account's position in this market, accepted by
/// `risk_engine::perp::liquidation::PerpBook::judge` (liquidators size it with `plan` on the same
/// data): the close must raise initial health and stop within the slack of the smallest close that
/// restores it, or be the close-out of an insolvent book that no partial close improves.
pub fn handle_liquidate_perp<'info>(ctx: Context<'info, LiquidatePerp<'info>>, max_base: u64) -> Result<()> {
    if max_base == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let group = ctx.accounts.group.load()?;
    let market_index = accrue_funding(&ctx.accounts.perp_market, &ctx.accounts.oracle, &group, now)?;
    let model = ctx.accounts.risk_model.load()?;
    let (loaded, slot) = {
        let acc = ctx.accounts.margin_account.load()?;
        let slot = acc.find_perp(market_index).ok_or(error!(ErrorCode::NoPerpPosition))?;
        (load_holdings(&group_key, &group, &acc, ctx.remaining_accounts, now, Pricing::Liquidation)?, slot)
    };
    let position = ctx.accounts.margin_account.load()?.perps[slot].position();
    let j = loaded.perp_index(market_index)?;
    let lp = &loaded.perp_markets[j];
    let margin = group.params.margin_params()?;
    let liq = group.params.liquidation_params();
    let book = PerpBook {
        cov: &ModelView { model: &model },
        holdings: &loaded.holdings,
        perps: &loaded.perps,
        target: j,
        position,
        pricing: lp.pricing(&group),
        margin: &margin,
        liq: &liq,
        fee: lp.params.liquidation_fee,
    };
    let v = book.judge(max_base as i128).map_err(math)?.map_err(refusal)?;
    let decimals = ctx.accounts.mint.decimals;
    let reward = liquidator_reward(v.close.fee, &liq).map_err(math)?;
    let scale = Fx::from_num(pow10(decimals as u32).map_err(math)?);
    let reward_native =
        floor_to_int(reward.mul_floor(scale).map_err(math)?).clamp(0, ctx.accounts.tokens.amount as i128);
    drop(model);
    {
        let mut m = ctx.accounts.perp_market.load_mut()?;
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        m.replace_position(&position, &v.close.position)?;
        acc.perps[slot].set(&v.close.position);
    }
    let a = &ctx.accounts;
    if reward_native > 0 {
        let bump = a.perp_vault.load()?.bump;
        transfer_signed_by_perp_vault(
            &a.token_program,
            a.tokens.to_account_info(),
            &a.mint,
            a.liquidator_tokens.to_account_info(),
            a.perp_vault.to_account_info(),
            &group_key,
            bump,
            reward_native as u64,
        )?;
    }
    emit!(PerpLiquidated {
        account: a.margin_account.key(),
        liquidator: a.liquidator.key(),
        perp_market: a.perp_market.key(),
        base_delta: v.close.delta as i64,
        fill_price_bits: v.close.fill.to_bits(),
        fee_bits: v.close.fee.to_bits(),
        reward: reward_native as u64,
        close_out: v.acceptance == Acceptance::CloseOut,
        maintenance_health_before_bits: v.before.maintenance_health().map_err(math)?.to_bits(),
        maintenance_health_after_bits: v.after.maintenance_health().map_err(math)?.to_bits(),
        initial_health_after_bits: v.target_after.to_bits(),
    });
    Ok(())
}
