//! Turns a margin account and the accounts passed beside it into the risk engine's plain data, then
//! asks the engine for health (the "account retriever": no math here).
//!
//! Remaining accounts: for each open position, in slot order, the asset account then its oracle.
use anchor_lang::prelude::*;
use risk_engine::health::{book_health, BookHealth, Holding};
use risk_engine::{Fx, FxExt};

use crate::error::{math, ErrorCode};
use crate::oracle::require_price;
use crate::state::{Asset, Group, MarginAccount, ModelView, RiskModel};

/// Signed native amount of a position: deposits rounded down, debts rounded up (more negative).
pub fn position_amount(asset: &Asset, shares: Fx) -> Result<i128> {
    let pool = asset.pool();
    if shares >= Fx::ZERO {
        let v = pool.deposit_value(shares).map_err(math)?;
        Ok(risk_engine::fixed_point::floor_to_int(v))
    } else {
        let v = pool.borrow_value(shares.neg_checked().map_err(math)?).map_err(math)?;
        Ok(-risk_engine::fixed_point::ceil_to_int(v))
    }
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
    let holdings = load_holdings(group_key, group, account, remaining, now)?;
    holdings_health(group, model, &holdings)
}

/// Equity and margin of plain holdings under the group's parameters and the on-chain covariance.
pub fn holdings_health(group: &Group, model: &RiskModel, holdings: &[Holding]) -> Result<BookHealth> {
    let params = group.params.margin_params()?;
    book_health(&ModelView { model }, holdings, group.params.conf_k.get(), &params).map_err(|e| {
        msg!("health: {}", e);
        error!(ErrorCode::MathOverflow)
    })
}

/// The account's positions as the engine's holdings (native amounts, fresh prices), in slot order.
pub fn load_holdings<'info>(
    group_key: &Pubkey,
    group: &Group,
    account: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    now: i64,
) -> Result<Vec<Holding>> {
    let positions: Vec<_> = account.active().copied().collect();
    if remaining.len() != 2 * positions.len() {
        msg!("expected {} health accounts, got {}", 2 * positions.len(), remaining.len());
        return err!(ErrorCode::HealthAccountsMismatch);
    }
    let mut holdings = Vec::with_capacity(positions.len());
    for (slot, pos) in positions.iter().enumerate() {
        let asset_info = &remaining[2 * slot];
        let loader = AccountLoader::<Asset>::try_from(asset_info)?;
        let asset = loader.load()?;
        if asset.group != *group_key || asset.index != pos.asset_index {
            msg!("health account {} is not the asset of position {}", asset_info.key, slot);
            return err!(ErrorCode::WrongAssetAccount);
        }
        let price = require_price(&remaining[2 * slot + 1], &asset.feed_id, now, &group.params)?;
        holdings.push(Holding {
            asset: asset.index as usize,
            amount: position_amount(&asset, pos.shares.get())?,
            decimals: asset.decimals,
            price: price.price,
            conf: price.conf,
            floor_rate: asset.floor_rate.get(),
        });
    }
    Ok(holdings)
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
