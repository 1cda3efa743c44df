//! Turns a margin account and the accounts passed beside it into the risk engine's plain data, then
//! asks the engine for health (the "account retriever": no math here).
//!
//! Remaining accounts: for each open position, in slot order, the asset account then its oracle.
//!
//! One read path for every caller (the program, the keeper's scan, the WebAssembly preview, the
//! tests): [`holding`] turns an asset, a position and a price into the engine's `Holding`, every
//! debt with its interest accrued to `now` in memory, so no debt is valued at a stale index.
use anchor_lang::prelude::*;
use risk_engine::health::{book_health, BookHealth, Holding};
use risk_engine::{Fx, RiskResult};

use crate::error::{math, ErrorCode};
use crate::oracle::{read_price, OraclePrice};
use crate::state::{Asset, Group, MarginAccount, ModelView, Position, RiskModel};

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

/// Health of `account` from fresh oracle prices; every position's asset and oracle must be passed.
pub fn account_health<'info>(
    group_key: &Pubkey,
    group: &Group,
    model: &RiskModel,
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    now: i64,
) -> Result<BookHealth> {
    crate::probe!("start");
    let loaded = load_holdings(group_key, group, account, remaining, now, Pricing::Strict)?;
    let h = holdings_health(group, model, &loaded.holdings);
    crate::probe!("margin");
    h
}

/// Equity and margin of plain holdings under the group's parameters and the on-chain covariance.
pub fn holdings_health(group: &Group, model: &RiskModel, holdings: &[Holding]) -> Result<BookHealth> {
    let params = group.params.margin_params()?;
    book_health(&ModelView { model }, holdings, group.params.conf_k.get(), &params).map_err(math)
}

/// The holdings of an account and the assets left out of them.
pub struct Loaded {
    /// In slot order, without the left-out positions.
    pub holdings: Vec<Holding>,
    /// Bit i: the account holds a deposit of asset i whose oracle is unusable (left out; only in
    /// [`Pricing::Liquidation`]).
    pub unpriced: u64,
}

/// The account's positions as the engine's holdings (native amounts accrued to `now`, fresh
/// prices), in slot order.
pub fn load_holdings<'info>(
    group_key: &Pubkey,
    group: &Group,
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    now: i64,
    pricing: Pricing,
) -> Result<Loaded> {
    let positions: Vec<_> = account.active().copied().collect();
    if remaining.len() != 2 * positions.len() {
        msg!("expected {} health accounts, got {}", 2 * positions.len(), remaining.len());
        return err!(ErrorCode::HealthAccountsMismatch);
    }
    let mut out = Loaded { holdings: Vec::with_capacity(positions.len()), unpriced: 0 };
    for (slot, pos) in positions.iter().enumerate() {
        let asset_info = &remaining[2 * slot];
        let loader = AccountLoader::<Asset>::try_from(asset_info)?;
        let asset = loader.load()?;
        if asset.group != *group_key || asset.index != pos.asset_index {
            msg!("health account {} is not the asset of position {}", asset_info.key, slot);
            return err!(ErrorCode::WrongAssetAccount);
        }
        crate::probe!("asset");
        let oracle = &remaining[2 * slot + 1];
        let price = read_price(oracle, &asset.oracle, &asset.feed_id, now, &group.params)?;
        crate::probe!("oracle");
        match price {
            Ok(price) => {
                out.holdings.push(holding(&asset, pos, &price, now).map_err(math)?);
                crate::probe!("valuation");
            }
            Err(why) => {
                let debt = asset.live_shares(pos) < Fx::ZERO;
                if pricing == Pricing::Strict || debt {
                    msg!("oracle {} is unusable: {:?}", oracle.key, why);
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
    Ok(out)
}

/// Requires `equity − initial margin ≥ 0` and logs the figures.
pub fn require_initial_health(h: &BookHealth) -> Result<()> {
    let ih = h.initial_health().map_err(math)?;
    if ih < Fx::ZERO {
        msg!("equity {} < initial margin {} (binding term: {})", h.equity, h.margin.initial, h.margin.binding.name());
        return err!(ErrorCode::InitialHealthBelowZero);
    }
    Ok(())
}
