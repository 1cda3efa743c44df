use anchor_lang::prelude::*;
use risk_engine::fixed_point::fx_ratio;
use risk_engine::perp::{fill_price, PerpHolding, PerpPosition};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::events::PerpTraded;
use crate::health::{holdings_levels, load_holdings, require_initial_health, Pricing};
use crate::oracle::{require_price, OraclePrice};
use crate::state::params::E6;
use crate::state::{Group, MarginAccount, PerpMarket, PerpVault, RiskModel};

/// A trade against the perp vault at the oracle price plus spread and impact fee. Remaining
/// accounts: the account's health accounts after the trade (`health` module: spot pairs, perp
/// pairs — this market included — then the perp vault and its token account).
#[derive(Accounts)]
pub struct TradePerp<'info> {
    pub owner: Signer<'info>,
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(mut, has_one = owner, has_one = group)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(has_one = group @ ErrorCode::WrongPerpVault, has_one = tokens @ ErrorCode::WrongPerpVault)]
    pub perp_vault: AccountLoader<'info, PerpVault>,
    /// CHECK: the vault's token account (`has_one`); its amount is read by the health check.
    pub tokens: UncheckedAccount<'info>,
    #[account(mut, has_one = group @ ErrorCode::WrongPerpMarket, has_one = oracle)]
    pub perp_market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's registered oracle (`has_one`), decoded and checked by `require_price`.
    pub oracle: UncheckedAccount<'info>,
}

/// Buys (`base_delta` > 0) or sells native base units at the fill price, no worse than
/// `limit_price_e6` (USD × 10⁶ per whole token: a buy's maximum, a sell's minimum). A trade that
/// adds risk (the position grows or flips) must respect the open-interest caps, the maximum
/// notional and the vault's stress budget; every trade must leave initial health ≥ 0 unless it
/// only shrinks the position and raises maintenance health.
pub fn handle_trade_perp<'info>(
    ctx: Context<'info, TradePerp<'info>>,
    base_delta: i64,
    limit_price_e6: u64,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let group_key = ctx.accounts.group.key();
    let group = ctx.accounts.group.load()?;
    let booked = {
        let mut m = ctx.accounts.perp_market.load_mut()?;
        let price = require_price(ctx.accounts.oracle.as_ref(), &m.oracle, &m.feed_id, now, &group.params)?;
        let mut acc = ctx.accounts.margin_account.load_mut()?;
        let vault = || {
            crate::health::read_vault(
                &group_key,
                &ctx.accounts.perp_vault.to_account_info(),
                &ctx.accounts.tokens.to_account_info(),
            )
        };
        book_trade(&mut m, &mut acc, &group, &price, now, base_delta, limit_price_e6, vault)?
    };

    let model = ctx.accounts.risk_model.load()?;
    let loaded = {
        let acc = ctx.accounts.margin_account.load()?;
        load_holdings(&group_key, &group, &acc, ctx.remaining_accounts, now, Pricing::Strict)?
    };
    // The traded market among the health accounts, for the rule's rare branch only.
    let traded = || {
        let j = loaded.perp_index(booked.market_index)?;
        Ok((j, loaded.perp_markets[j].pricing(&group)))
    };
    let after = judge_trade_health(&group, &model, &loaded.holdings, &loaded.perps, &booked, traded)?;
    emit!(PerpTraded {
        margin_account: ctx.accounts.margin_account.key(),
        owner: ctx.accounts.owner.key(),
        perp_market: ctx.accounts.perp_market.key(),
        base_delta,
        fill_price_bits: booked.fill.to_bits(),
        base_after: booked.new.base as i64,
        quote_after_bits: booked.new.quote.to_bits(),
        equity_bits: after.equity.to_bits(),
        initial_margin_bits: after.initial.to_bits(),
    });
    Ok(())
}

/// A trade as `trade_perp` books it.
#[derive(Clone, Copy, Debug)]
pub struct BookedTrade {
    pub market_index: u16,
    pub fill: Fx,
    /// The account's position in the market before and after.
    pub old: PerpPosition,
    pub new: PerpPosition,
}

/// The state change of `trade_perp` on the market and the account, given the market's fresh oracle
/// price (the program's, the preview's): funding accrued, the fill at the oracle price plus spread
/// and impact on the conservative side, the limit price, the position and the market's books; when
/// the trade adds risk, the open-interest caps, the maximum notional and (when it adds to the
/// market's net position) the vault's stress budget, with `vault` read only then. On `Err` the
/// market and the account may be partly changed (the transaction reverts; previews work on copies).
#[allow(clippy::too_many_arguments)]
pub fn book_trade(
    m: &mut PerpMarket,
    acc: &mut MarginAccount,
    group: &Group,
    price: &OraclePrice,
    now: i64,
    base_delta: i64,
    limit_price_e6: u64,
    vault: impl FnOnce() -> Result<(PerpVault, u64)>,
) -> Result<BookedTrade> {
    if base_delta == 0 {
        return err!(ErrorCode::ZeroAmount);
    }
    let delta = base_delta as i128;
    let limit = fx_ratio(limit_price_e6 as i128, E6).map_err(math)?;
    let f = m.funding_at(price.price, now)?;
    m.set_funding(&f);
    let params = m.params.engine();
    let skew = (m.long_oi as i128) - (m.short_oi as i128);
    let fill = fill_price(price.price, price.conf, group.params.conf_k.get(), delta, skew, &params).map_err(math)?;
    if (delta > 0 && fill > limit) || (delta < 0 && fill < limit) {
        msg!("fill {} is beyond the limit {}", fill, limit);
        return err!(ErrorCode::LimitPriceExceeded);
    }
    let slot = acc.find_or_open_perp(m.market_index).ok_or(error!(ErrorCode::TooManyPositions))?;
    let old = acc.perps[slot].position();
    let mut new = old;
    new.trade(delta, m.decimals, fill, &f).map_err(math)?;
    m.replace_position(&old, &new)?;
    if adds_risk(old.base, new.base) {
        check_limits(m, &params, price.price, new.base)?;
        let net_after = ((m.long_oi as i128) - (m.short_oi as i128)).abs();
        if net_after > skew.abs() {
            let (vault, tokens) = vault()?;
            crate::perp::check_market_stress(&vault, tokens, m, price.price)?;
        }
    }
    acc.perps[slot].set(&new);
    Ok(BookedTrade { market_index: m.market_index, fill, old, new })
}

/// The health rule of a trade, on the account's book after it: initial health ≥ 0, unless the
/// trade only shrinks the position and raises maintenance health. Only in that case is `traded`
/// asked where the traded market's position is in `perps` and how to see it, to value the
/// position as it was. Returns the health levels after.
pub fn judge_trade_health<'a>(
    group: &Group,
    model: &RiskModel,
    holdings: &[risk_engine::Holding],
    perps: &[PerpHolding],
    booked: &BookedTrade,
    traded: impl FnOnce() -> Result<(usize, risk_engine::perp::PerpPricing<'a>)>,
) -> Result<risk_engine::health::HealthLevels> {
    let after = holdings_levels(group, model, holdings, perps)?;
    if after.initial_health().map_err(math)? < Fx::ZERO {
        let reduces = !adds_risk(booked.old.base, booked.new.base);
        let (j, pricing) = traded()?;
        let mut before_perps = perps.to_vec();
        *before_perps.get_mut(j).ok_or(error!(ErrorCode::WrongPerpMarket))? =
            PerpHolding::of(&booked.old, &pricing).map_err(math)?;
        let before = holdings_levels(group, model, holdings, &before_perps)?;
        let improves = after.maintenance_health().map_err(math)? > before.maintenance_health().map_err(math)?;
        if !(reduces && improves) {
            require_initial_health(&after)?;
        }
    }
    Ok(after)
}

/// A trade adds risk when the position grows or changes side.
pub fn adds_risk(old: i128, new: i128) -> bool {
    new.unsigned_abs() > old.unsigned_abs() || (old != 0 && new != 0 && (old > 0) != (new > 0))
}

/// Open-interest caps and the maximum notional, for a trade that adds risk.
fn check_limits(m: &PerpMarket, params: &risk_engine::perp::PerpParams, price: Fx, base: i128) -> Result<()> {
    if m.long_oi as i128 > params.long_oi_cap || m.short_oi as i128 > params.short_oi_cap {
        msg!(
            "open interest long {} short {} vs caps {} / {}",
            m.long_oi,
            m.short_oi,
            params.long_oi_cap,
            params.short_oi_cap
        );
        return err!(ErrorCode::OpenInterestCap);
    }
    let notional = risk_engine::valuation::native_to_tokens_floor(base.abs(), m.decimals)
        .map_err(math)?
        .mul_ceil(price)
        .map_err(math)?;
    if notional > params.max_position_notional {
        msg!("notional {} > max {}", notional, params.max_position_notional);
        return err!(ErrorCode::PositionTooLarge);
    }
    Ok(())
}
