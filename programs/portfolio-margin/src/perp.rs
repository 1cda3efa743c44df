//! Perp plumbing shared by the perp instructions: reading markets with their prices, the vault's
//! value and its stress budget. The math is the engine's (`risk_engine::perp`); these functions only
//! turn accounts into its plain data.
use anchor_lang::prelude::*;
use risk_engine::fixed_point::{ceil_to_int, floor_to_int, pow10};
use risk_engine::perp::Funding;
use risk_engine::valuation::{biased_price, native_to_tokens_floor};
use risk_engine::{Fx, FxExt};

use crate::account_view::AccountView;
use crate::error::{math, ErrorCode};
use crate::oracle::{require_price, OraclePrice};
use crate::state::{Group, PerpMarket, PerpVault};

/// A market with its fresh price and its funding accrued to now (in memory).
#[derive(Clone, Copy)]
pub struct PricedMarket {
    pub market: PerpMarket,
    pub price: OraclePrice,
    pub funding: Funding,
}

impl PricedMarket {
    /// Reads `market_info` as a perp market of `group_key` and prices it from `oracle_info` (its
    /// registered oracle, fresh and tight, or an error naming why not).
    pub fn load(
        group_key: &Pubkey,
        group: &Group,
        market_info: &AccountInfo<'_>,
        oracle_info: &AccountInfo<'_>,
        now: i64,
    ) -> Result<Self> {
        let market = read_market(group_key, market_info)?;
        let price = require_price(oracle_info, &market.oracle, &market.feed_id, now, &group.params)?;
        let funding = market.funding_at(price.price, now)?;
        Ok(Self { market, price, funding })
    }

    /// Traders' aggregate PnL, the larger (`high`) or smaller of its values at `P ± k·conf`.
    pub fn traders_pnl(&self, conf_k: Fx, high: bool) -> Result<Fx> {
        let up = biased_price(self.price.price, self.price.conf, conf_k, false).map_err(math)?;
        let down = biased_price(self.price.price, self.price.conf, conf_k, true).map_err(math)?;
        let a = self.market.traders_pnl(up, &self.funding)?;
        let b = self.market.traders_pnl(down, &self.funding)?;
        Ok(if high { a.max(b) } else { a.min(b) })
    }

    /// The vault's stressed loss on this market's net position, USD, rounded up.
    pub fn stressed_net_notional(&self) -> Result<Fx> {
        stressed_net_notional(&self.market, self.price.price)
    }
}

/// `|long − short| × P × stress_move`, USD, rounded up: the vault's stressed loss on a market's net
/// position.
pub fn stressed_net_notional(m: &PerpMarket, price: Fx) -> Result<Fx> {
    let net = (m.long_oi as i128 - m.short_oi as i128).abs();
    let tokens = native_to_tokens_floor(net, m.decimals).map_err(math)?.add_checked(Fx::from_bits(1)).map_err(math)?;
    let notional = tokens.mul_ceil(price).map_err(math)?;
    notional.mul_ceil(m.params.stress_move.get()).map_err(math)
}

/// A perp market account of `group_key` (owner, discriminator, group checked).
#[inline(never)]
pub fn read_market(group_key: &Pubkey, info: &impl AccountView) -> Result<PerpMarket> {
    if info.owner() != &crate::ID {
        msg!("perp market {} is not owned by this program", info.address());
        return err!(ErrorCode::WrongPerpMarket);
    }
    let m = crate::state::decode::<PerpMarket>(&info.data()?).map_err(|e| {
        msg!("perp market {}: {}", info.address(), e);
        error!(ErrorCode::WrongPerpMarket)
    })?;
    if m.group != *group_key {
        msg!("perp market {} belongs to another group", info.address());
        return err!(ErrorCode::WrongPerpMarket);
    }
    Ok(m)
}

/// Every market of the vault, in market order, from remaining accounts `(market, oracle)` × count.
pub fn load_all_markets(
    group_key: &Pubkey,
    group: &Group,
    vault: &PerpVault,
    remaining: &[AccountInfo<'_>],
    now: i64,
) -> Result<Vec<PricedMarket>> {
    let n = vault.market_count as usize;
    if remaining.len() != 2 * n {
        msg!("expected {} accounts (market, oracle per perp market), got {}", 2 * n, remaining.len());
        return err!(ErrorCode::PerpMarketsMismatch);
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let pm = PricedMarket::load(group_key, group, &remaining[2 * i], &remaining[2 * i + 1], now)?;
        if pm.market.market_index as usize != i {
            msg!("account {} is perp market {}, expected {}", remaining[2 * i].key, pm.market.market_index, i);
            return err!(ErrorCode::PerpMarketsMismatch);
        }
        out.push(pm);
    }
    Ok(out)
}

/// The vault's value in native quote units: its tokens minus traders' PnL in every market (the
/// quote token is the unit of account of perp PnL: one token per USD). `for_exit` values it low
/// (traders' PnL at its largest, rounded down: what a withdrawing LP is paid from), otherwise high
/// (what a depositing LP buys into).
pub fn vault_value(
    token_amount: u64,
    decimals: u8,
    markets: &[PricedMarket],
    conf_k: Fx,
    for_exit: bool,
) -> Result<i128> {
    let mut pnl = Fx::ZERO;
    for m in markets {
        pnl = pnl.add_checked(m.traders_pnl(conf_k, for_exit)?).map_err(math)?;
    }
    let scale = Fx::from_num(pow10(decimals as u32).map_err(math)?);
    let pnl_native = pnl.mul_ceil(scale).map_err(math)?;
    let pnl_native = if for_exit { ceil_to_int(pnl_native) } else { floor_to_int(pnl_native) };
    (token_amount as i128).checked_sub(pnl_native).ok_or_else(|| math("vault value overflows"))
}

/// Every market's stressed net position within its share of `max_utilization × tokens`.
pub fn check_vault_stress(vault: &PerpVault, token_amount: u64, markets: &[PricedMarket]) -> Result<()> {
    for m in markets {
        check_market_stress(vault, token_amount, &m.market, m.price.price)?;
    }
    Ok(())
}

/// One market's stressed net position within its share of `max_utilization × tokens`.
pub fn check_market_stress(vault: &PerpVault, token_amount: u64, m: &PerpMarket, price: Fx) -> Result<()> {
    let budget = vault.market_stress_budget(token_amount).map_err(math)?;
    let stress = stressed_net_notional(m, price)?;
    if stress > budget {
        msg!("perp market {}: stressed net notional {} > the vault's budget {}", m.market_index, stress, budget);
        return err!(ErrorCode::PerpVaultUtilization);
    }
    Ok(())
}
