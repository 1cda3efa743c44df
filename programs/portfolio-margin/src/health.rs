//! Turns a margin account and the accounts passed beside it into the risk engine's plain data, then
//! asks the engine for health (the "account retriever": no math here).
//!
//! Remaining accounts: for each open spot position, in slot order, the asset account then its
//! oracle; then for each open perp position, in slot order, the perp market then its oracle; then,
//! when the account holds perps, the perp vault and its token account (what the vault could pay
//! bounds how much unrealized profit counts).
//!
//! One read path for every caller (the program, the keeper's scan, the WebAssembly preview, the
//! tests): [`holding`] turns an asset, a position and a price into the engine's `Holding`, every
//! debt with its interest accrued to `now` in memory, so no debt is valued at a stale index.
use anchor_lang::prelude::*;
use risk_engine::health::{BookHealth, HealthLevels, Holding};
use risk_engine::perp::{
    book_health_with_perps, book_levels_with_perps, profit_scale, Funding, PerpHolding, PerpParams, PerpPricing,
};
use risk_engine::valuation::native_to_tokens_floor;
use risk_engine::{Fx, RiskResult};

use crate::account_view::{AccountView, Remaining};
use crate::error::{math, ErrorCode};
use crate::oracle::{read_price, require_price, OraclePrice};
use crate::perp::read_market;
use crate::state::{Asset, Group, MarginAccount, ModelView, PerpMarket, PerpSlot, PerpVault, Position, RiskModel};

/// How a health check treats a position whose oracle is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pricing {
    /// Every position needs a usable price (the owner's withdraw and borrow).
    Strict,
    /// Liquidation: a deposit whose registered oracle is unusable is worth nothing (left out of the
    /// book: it cannot be seized at an unknown price either), a debt must still be priced. So an
    /// owner cannot make an account unliquidatable with a position in an asset whose feed stopped.
    Liquidation,
}

/// One position as the engine's holding: its native amount now (`Asset::position_amount_at`: debts
/// with interest accrued to `now`, deposits at the stored index, a lower bound; deposits of a
/// wiped-out generation are worth zero), valued at `price`.
pub fn holding(asset: &Asset, pos: &Position, price: &OraclePrice, now: i64) -> RiskResult<Holding> {
    Ok(Holding {
        asset: asset.index as usize,
        amount: asset.position_amount_at(pos, now)?,
        decimals: asset.decimals,
        price: price.price,
        conf: price.conf,
        floor_rate: asset.floor_rate.get(),
    })
}

/// Equity and margin levels of `account` from fresh oracle prices (what withdraw and borrow check);
/// every position's asset and oracle must be passed.
pub fn account_levels(
    group_key: &Pubkey,
    group: &Group,
    model: &RiskModel,
    account: &MarginAccount,
    remaining: &[AccountInfo<'_>],
    now: i64,
) -> Result<HealthLevels> {
    crate::probe!("start");
    let loaded = load_holdings(group_key, group, account, remaining, now, Pricing::Strict)?;
    let h = holdings_levels(group, model, &loaded.holdings, &loaded.perps);
    crate::probe!("margin");
    h
}

/// Equity and margin of plain holdings and perp positions under the group's parameters and the
/// on-chain covariance.
pub fn holdings_health(
    group: &Group,
    model: &RiskModel,
    holdings: &[Holding],
    perps: &[PerpHolding],
) -> Result<BookHealth> {
    let params = group.params.margin_params()?;
    book_health_with_perps(&ModelView { model }, holdings, perps, group.params.conf_k.get(), &params).map_err(math)
}

/// [`holdings_health`]'s equity and margin levels alone, bit for bit, with one square root instead of
/// three (`risk_engine::margin::margin_levels`): what the program's checks need.
pub fn holdings_levels(
    group: &Group,
    model: &RiskModel,
    holdings: &[Holding],
    perps: &[PerpHolding],
) -> Result<HealthLevels> {
    let params = group.params.margin_params()?;
    book_levels_with_perps(&ModelView { model }, holdings, perps, group.params.conf_k.get(), &params).map_err(math)
}

/// A perp position's market as its health check read it.
#[derive(Clone, Copy)]
pub struct LoadedPerp {
    pub market: PerpMarket,
    pub price: OraclePrice,
    /// Accrued to now, in memory.
    pub funding: Funding,
    pub params: PerpParams,
    pub profit_scale: Fx,
}

impl LoadedPerp {
    /// The engine's view of this market for a position's health.
    pub fn pricing<'a>(&'a self, group: &Group) -> PerpPricing<'a> {
        PerpPricing {
            asset: self.market.asset_index as usize,
            decimals: self.market.decimals,
            price: self.price.price,
            conf: self.price.conf,
            conf_k: group.params.conf_k.get(),
            funding: &self.funding,
            params: &self.params,
            floor_rate: self.market.spot_floor_rate.get(),
            horizon_seconds: group.params.horizon_seconds,
            profit_scale: self.profit_scale,
        }
    }
}

/// The holdings of an account and the assets left out of them.
pub struct Loaded {
    /// In slot order, without the left-out positions.
    pub holdings: Vec<Holding>,
    /// Perp positions in slot order, and their markets.
    pub perps: Vec<PerpHolding>,
    pub perp_markets: Vec<LoadedPerp>,
    /// Bit i: the account holds a deposit of asset i whose oracle is unusable (left out; only in
    /// [`Pricing::Liquidation`]).
    pub unpriced: u64,
}

impl Loaded {
    /// Where the position in perp market `market_index` is among the loaded perps.
    pub fn perp_index(&self, market_index: u16) -> Result<usize> {
        self.perp_markets
            .iter()
            .position(|p| p.market.market_index == market_index)
            .ok_or(error!(ErrorCode::WrongPerpMarket))
    }
}

/// The account's positions as the engine's holdings (native amounts accrued to `now`, fresh
/// prices), in slot order, from the instruction's remaining accounts (`ctx.remaining_accounts`, or
/// the runtime's records the deployed entrypoint left: `account_view::Remaining::of`).
pub fn load_holdings(
    group_key: &Pubkey,
    group: &Group,
    account: &MarginAccount,
    remaining: &[AccountInfo<'_>],
    now: i64,
    pricing: Pricing,
) -> Result<Loaded> {
    let remaining = Remaining::of(remaining)?;
    // The positions are read in place (no copy of the slots).
    let n = account.active_count();
    let perp_slots: Vec<PerpSlot> = account.active_perps().copied().collect();
    let spot_accounts = 2 * n;
    let need = spot_accounts + if perp_slots.is_empty() { 0 } else { 2 * perp_slots.len() + 2 };
    if remaining.len() != need {
        msg!("expected {} health accounts, got {}", need, remaining.len());
        return err!(ErrorCode::HealthAccountsMismatch);
    }
    let mut out = Loaded {
        holdings: Vec::with_capacity(n),
        perps: Vec::with_capacity(perp_slots.len()),
        perp_markets: Vec::with_capacity(perp_slots.len()),
        unpriced: 0,
    };
    // One loop per kind of account list, so no read branches on it.
    match remaining {
        Remaining::Infos(infos) => {
            let pairs = infos[..(2 * n).min(infos.len())].chunks_exact(2).map(|p| Some((&p[0], &p[1])));
            load_spot(group_key, group, account.active(), pairs, now, pricing, &mut out)?
        }
        Remaining::Records(records) => {
            load_spot(group_key, group, account.active(), records.pairs(n), now, pricing, &mut out)?
        }
    }
    if !perp_slots.is_empty() {
        load_perps(group_key, group, &perp_slots, remaining.tail(spot_accounts), now, &mut out)?;
    }
    Ok(out)
}

/// The holdings of `positions` from their `(asset, oracle)` accounts (`pairs`: one per position,
/// in slot order), appended to `out`.
#[inline(always)]
fn load_spot<'p, A: AccountView>(
    group_key: &Pubkey,
    group: &Group,
    positions: impl Iterator<Item = &'p Position>,
    mut pairs: impl Iterator<Item = Option<(A, A)>>,
    now: i64,
    pricing: Pricing,
    out: &mut Loaded,
) -> Result<()> {
    for (slot, pos) in positions.enumerate() {
        // Every position needs its pair: fewer accounts than positions is an error, never a
        // position left out.
        let Some(Some((asset_info, oracle))) = pairs.next() else {
            return err!(ErrorCode::HealthAccountsMismatch);
        };
        let asset = crate::state::load_in_place::<Asset, _>(&asset_info)?;
        if asset.group != *group_key || asset.index != pos.asset_index {
            return Err(wrong_asset(asset_info.address(), slot));
        }
        crate::probe!("asset");
        let price = read_price(&oracle, &asset.oracle, &asset.feed_id, now, &group.params)?;
        crate::probe!("oracle");
        match price {
            Ok(price) => {
                out.holdings.push(holding(&asset, pos, &price, now).map_err(math)?);
                crate::probe!("valuation");
            }
            Err(why) => {
                let debt = asset.live_shares(pos) < Fx::ZERO;
                if pricing == Pricing::Strict || debt {
                    msg!("oracle {} is unusable: {:?}", oracle.address(), why);
                    return Err(if debt && pricing == Pricing::Liquidation {
                        error!(ErrorCode::LiabilityUnpriced)
                    } else {
                        error!(why.error())
                    });
                }
                out.unpriced |= 1u64 << (asset.index as u32 % 64);
            }
        }
    }
    Ok(())
}

/// [`load_spot`]'s error for a health account that is not the position's asset (out of the loop's
/// line).
#[cold]
#[inline(never)]
fn wrong_asset(address: &Pubkey, slot: usize) -> Error {
    msg!("health account {} is not the asset of position {}", address, slot);
    error!(ErrorCode::WrongAssetAccount)
}

/// The perp vault at `info` (owner, type and group checked) and the amount of its token account.
#[inline(never)]
pub fn read_vault(group_key: &Pubkey, info: &impl AccountView, tokens: &impl AccountView) -> Result<(PerpVault, u64)> {
    if info.owner() != &crate::ID {
        return err!(ErrorCode::WrongPerpVault);
    }
    let vault = crate::state::decode::<PerpVault>(&info.data()?).map_err(|_| error!(ErrorCode::WrongPerpVault))?;
    if vault.group != *group_key || *tokens.address() != vault.tokens || *tokens.owner() != vault.token_program {
        msg!("perp vault {} / token account {} are not this group's", info.address(), tokens.address());
        return err!(ErrorCode::WrongPerpVault);
    }
    let data = tokens.data()?;
    let amount = data.get(64..72).ok_or(error!(ErrorCode::WrongPerpVault))?;
    Ok((vault, u64::from_le_bytes(amount.try_into().unwrap_or([0; 8]))))
}

/// Each market's share of the vault's tokens (whole quote tokens): how much of its traders'
/// unrealized profit may count in health.
pub fn vault_share(vault: &PerpVault, token_amount: u64) -> Result<Fx> {
    let whole = native_to_tokens_floor(token_amount as i128, vault.quote_decimals).map_err(math)?;
    risk_engine::fixed_point::div_small_floor(whole, vault.market_count.max(1) as u32).map_err(math)
}

/// A perp position's market as its health check sees it (funding accrued to `now` in memory,
/// profit scaled to the market's `share` of the vault), and the position as the engine's holding.
/// The one conversion of the program, the keeper and the tests.
pub fn perp_entry(
    group: &Group,
    market: &PerpMarket,
    slot: &PerpSlot,
    price: OraclePrice,
    share: Fx,
    now: i64,
) -> Result<(LoadedPerp, PerpHolding)> {
    let (mut markets, mut perps) = (Vec::with_capacity(1), Vec::with_capacity(1));
    push_perp_entry(group, market, slot, price, share, now, &mut markets, &mut perps)?;
    match (markets.pop(), perps.pop()) {
        (Some(m), Some(p)) => Ok((m, p)),
        _ => Err(math("perp entry")),
    }
}

/// [`perp_entry`] appended to the health check's vectors in place (no copy of the market).
#[allow(clippy::too_many_arguments)]
pub fn push_perp_entry(
    group: &Group,
    market: &PerpMarket,
    slot: &PerpSlot,
    price: OraclePrice,
    share: Fx,
    now: i64,
    markets: &mut Vec<LoadedPerp>,
    perps: &mut Vec<PerpHolding>,
) -> Result<()> {
    let funding = market.funding_at(price.price, now)?;
    let profit = market.traders_pnl(price.price, &funding)?.max(Fx::ZERO);
    markets.push(LoadedPerp {
        market: *market,
        price,
        funding,
        params: market.params.engine(),
        profit_scale: profit_scale(share, profit).map_err(math)?,
    });
    let lp = markets.last().ok_or_else(|| math("perp entry"))?;
    perps.push(PerpHolding::of(&slot.position(), &lp.pricing(group)).map_err(math)?);
    Ok(())
}

#[inline(never)]
/// Every perp position's market (priced: a perp position must have a usable price in every
/// health check, like a debt), from `(market, oracle)` per slot then the vault and its tokens.
fn load_perps(
    group_key: &Pubkey,
    group: &Group,
    slots: &[PerpSlot],
    accounts: Remaining<'_, '_>,
    now: i64,
    out: &mut Loaded,
) -> Result<()> {
    let n = slots.len();
    let account = |i: usize| accounts.get(i).ok_or_else(|| error!(ErrorCode::HealthAccountsMismatch));
    let (vault, tokens) = read_vault(group_key, &account(2 * n)?, &account(2 * n + 1)?)?;
    let share = vault_share(&vault, tokens)?;
    for (j, slot) in slots.iter().enumerate() {
        let info = account(2 * j)?;
        let market = read_market(group_key, &info)?;
        if market.market_index != slot.market_index {
            msg!("health account {} is not the market of perp position {}", info.address(), j);
            return err!(ErrorCode::WrongPerpMarket);
        }
        let price = require_price(&account(2 * j + 1)?, &market.oracle, &market.feed_id, now, &group.params)?;
        push_perp_entry(group, &market, slot, price, share, now, &mut out.perp_markets, &mut out.perps)?;
    }
    Ok(())
}

/// Requires `equity − initial margin ≥ 0` and logs the figures (the preview names the binding term).
pub fn require_initial_health(h: &HealthLevels) -> Result<()> {
    let ih = h.initial_health().map_err(math)?;
    if ih < Fx::ZERO {
        msg!("equity {} < initial margin {}", h.equity, h.initial);
        return err!(ErrorCode::InitialHealthBelowZero);
    }
    Ok(())
}
