//! A perpetual-futures market on one registered asset: on the asset's covariance index and Pyth
//! feed, against the group's perp liquidity vault. Parameters are set from integer arguments and
//! validated by `risk_engine::perp::PerpParams::validate`; the market's running state (open
//! interest, funding indices, the traders' aggregate entry) is what the vault's value is read from.
use anchor_lang::prelude::*;
use risk_engine::fixed_point::fx_ratio;
use risk_engine::perp::{Funding, PerpParams, PerpPosition};
use risk_engine::valuation::native_to_tokens_floor;
use risk_engine::{Fx, FxExt, RiskError, WrappedI80F48};

use super::params::E6;
use crate::error::{math, ErrorCode};

/// Per-second rates are tiny: they are given × 10¹².
pub const E12: i128 = 1_000_000_000_000;

/// A perp market's parameters as instruction arguments, integers with their scale in the name.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerpParamsArgs {
    /// Half-spread of every fill × 10⁶, in [0, 0.1].
    pub base_spread_e6: u32,
    /// Impact-fee scale × 10⁶, in [0, 1]: the fee grows by this × (size + skew added) / (long cap +
    /// short cap).
    pub impact_fee_scale_e6: u32,
    /// Funding rate per second at full skew × 10¹², in [0, 10⁸] (10⁻⁴ per second).
    pub funding_skew_k_e12: u64,
    /// Largest funding rate per second × 10¹², in [0, 10⁸].
    pub funding_cap_e12: u64,
    /// Open-interest caps, native base units (> 0).
    pub long_oi_cap: u64,
    pub short_oi_cap: u64,
    /// Largest |notional| a risk-increasing trade may reach, whole USD (> 0).
    pub max_position_notional_usd: u64,
    /// Share of unrealized profit counted for initial health × 10⁶ (< the maintenance weight).
    pub upnl_initial_weight_e6: u32,
    /// Share of unrealized profit counted in equity × 10⁶, in (initial weight, 1].
    pub upnl_maintenance_weight_e6: u32,
    /// Margin per USD of |notional| netting cannot remove × 10⁶, in [0, 1].
    pub floor_rate_e6: u32,
    /// Liquidation fee × 10⁶, in [0, 0.2].
    pub liquidation_fee_e6: u32,
    /// Most profit one settlement pays from the vault, whole USD (> 0).
    pub settle_limit_usd: u64,
    /// The move the vault's net position is stressed with × 10⁶, in (0, 1]: a risk-increasing trade
    /// needs `|net notional| × stress_move ≤ max_utilization × vault tokens / markets`.
    pub stress_move_e6: u32,
}

impl PerpParamsArgs {
    /// Sensible defaults for a major asset with open-interest caps of `oi_cap` native units a
    /// side: 5 bp half-spread, 1% impact at full depth, funding up to ~0.43% a day (5·10⁻⁸/s; the
    /// skew coefficient twice that), profits counted at 50% (initial) and 80% (maintenance), a
    /// 0.5% floor per notional, a 1% liquidation fee, $1M per settlement, a 30% stress move.
    pub fn defaults(oi_cap: u64) -> Self {
        Self {
            base_spread_e6: 500,
            impact_fee_scale_e6: 10_000,
            funding_skew_k_e12: 100_000,
            funding_cap_e12: 50_000,
            long_oi_cap: oi_cap,
            short_oi_cap: oi_cap,
            max_position_notional_usd: 50_000_000,
            upnl_initial_weight_e6: 500_000,
            upnl_maintenance_weight_e6: 800_000,
            floor_rate_e6: 5_000,
            liquidation_fee_e6: 10_000,
            settle_limit_usd: 1_000_000,
            stress_move_e6: 300_000,
        }
    }
}

/// The stored parameters (fixed point).
#[zero_copy]
#[derive(Debug, Default)]
pub struct StoredPerpParams {
    pub base_spread: WrappedI80F48,
    pub impact_fee_scale: WrappedI80F48,
    pub funding_skew_k: WrappedI80F48,
    pub funding_cap: WrappedI80F48,
    pub max_position_notional: WrappedI80F48,
    pub upnl_initial_weight: WrappedI80F48,
    pub upnl_maintenance_weight: WrappedI80F48,
    pub floor_rate: WrappedI80F48,
    pub liquidation_fee: WrappedI80F48,
    pub settle_limit: WrappedI80F48,
    pub stress_move: WrappedI80F48,
    pub long_oi_cap: u64,
    pub short_oi_cap: u64,
}

fn reject(name: &str, reason: &str) -> Error {
    msg!("invalid perp parameter `{}`: {}", name, reason);
    error!(ErrorCode::InvalidRiskParameter)
}

impl StoredPerpParams {
    /// Converts and validates; every rejection logs the parameter and its range.
    pub fn from_args(a: &PerpParamsArgs) -> Result<Self> {
        let e6 = |v: u32| fx_ratio(v as i128, E6).map_err(math);
        let e12 = |v: u64| fx_ratio(v as i128, E12).map_err(math);
        if a.stress_move_e6 == 0 || a.stress_move_e6 as i128 > E6 {
            return Err(reject("stress_move_e6", "must be in (0, 1000000]"));
        }
        let p = Self {
            base_spread: e6(a.base_spread_e6)?.into(),
            impact_fee_scale: e6(a.impact_fee_scale_e6)?.into(),
            funding_skew_k: e12(a.funding_skew_k_e12)?.into(),
            funding_cap: e12(a.funding_cap_e12)?.into(),
            max_position_notional: Fx::from_num(a.max_position_notional_usd).into(),
            upnl_initial_weight: e6(a.upnl_initial_weight_e6)?.into(),
            upnl_maintenance_weight: e6(a.upnl_maintenance_weight_e6)?.into(),
            floor_rate: e6(a.floor_rate_e6)?.into(),
            liquidation_fee: e6(a.liquidation_fee_e6)?.into(),
            settle_limit: Fx::from_num(a.settle_limit_usd).into(),
            stress_move: e6(a.stress_move_e6)?.into(),
            long_oi_cap: a.long_oi_cap,
            short_oi_cap: a.short_oi_cap,
        };
        p.engine().validate().map_err(|e| match e {
            RiskError::InvalidParameter { name, reason } => reject(name, reason),
            other => math(other),
        })?;
        Ok(p)
    }

    /// The engine's parameters.
    pub fn engine(&self) -> PerpParams {
        PerpParams {
            base_spread: self.base_spread.get(),
            impact_fee_scale: self.impact_fee_scale.get(),
            funding_skew_k: self.funding_skew_k.get(),
            funding_cap: self.funding_cap.get(),
            long_oi_cap: self.long_oi_cap as i128,
            short_oi_cap: self.short_oi_cap as i128,
            max_position_notional: self.max_position_notional.get(),
            upnl_initial_weight: self.upnl_initial_weight.get(),
            upnl_maintenance_weight: self.upnl_maintenance_weight.get(),
            floor_rate: self.floor_rate.get(),
            liquidation_fee: self.liquidation_fee.get(),
            settle_limit: self.settle_limit.get(),
        }
    }
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct PerpMarket {
    pub group: Pubkey,
    /// The spot asset this market is on (its covariance index, mint decimals and oracle).
    pub asset: Pubkey,
    /// The asset's registered oracle account and feed (copied: a perp health check reads only this
    /// account and the oracle).
    pub oracle: Pubkey,
    pub feed_id: [u8; 32],
    pub params: StoredPerpParams,
    /// Cumulative funding owed per whole base token by longs and by shorts, USD.
    pub long_funding_index: WrappedI80F48,
    pub short_funding_index: WrappedI80F48,
    /// Σ of every open position's quote (what traders booked), USD: traders' PnL at price P is
    /// `(long_oi − short_oi)·P − net_quote − funding owed`, the vault's is its negative.
    pub net_quote: WrappedI80F48,
    /// Σ over long (short) positions of `|base| × the index they last settled at`, in USD·native
    /// units / 10^decimals: the funding they owe is `oi × index − basis`.
    pub long_funding_basis: WrappedI80F48,
    pub short_funding_basis: WrappedI80F48,
    /// The spot asset's floor rate (the floor term of a perp delta with no spot beside it).
    pub spot_floor_rate: WrappedI80F48,
    /// Open interest, native base units.
    pub long_oi: u64,
    pub short_oi: u64,
    /// Unix seconds of the last funding accrual.
    pub last_funding: i64,
    /// The asset's index in the group (the covariance row).
    pub asset_index: u16,
    /// This market's index among the group's perp markets.
    pub market_index: u16,
    pub decimals: u8,
    pub bump: u8,
    pub _padding: [u8; 2],
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 64],
}

impl PerpMarket {
    pub const SPACE: usize = 8 + core::mem::size_of::<PerpMarket>();

    pub fn funding(&self) -> Funding {
        Funding {
            long_index: self.long_funding_index.get(),
            short_index: self.short_funding_index.get(),
            last_update: self.last_funding,
        }
    }

    pub fn set_funding(&mut self, f: &Funding) {
        self.long_funding_index.set(f.long_index);
        self.short_funding_index.set(f.short_index);
        self.last_funding = f.last_update;
    }

    /// Funding accrued to `now` in memory at `price` (nothing written).
    pub fn funding_at(&self, price: Fx, now: i64) -> Result<Funding> {
        let mut f = self.funding();
        if now > f.last_update {
            f.accrue(self.long_oi as i128, self.short_oi as i128, price, now, &self.params.engine()).map_err(math)?;
        }
        Ok(f)
    }

    /// Traders' aggregate PnL in this market at `price` with funding `f`, USD:
    /// `(L − S)·P − net_quote − funding owed`, the sum of the positions' PnL up to their roundings.
    pub fn traders_pnl(&self, price: Fx, f: &Funding) -> Result<Fx> {
        let d = self.decimals;
        let net = (self.long_oi as i128).checked_sub(self.short_oi as i128).ok_or_else(|| math("oi"))?;
        let value =
            risk_engine::valuation::native_to_tokens_floor(net, d).map_err(math)?.mul_ceil(price).map_err(math)?;
        let tokens = |oi: u64| risk_engine::valuation::native_to_tokens_floor(oi as i128, d).map_err(math);
        let owed_long =
            tokens(self.long_oi)?.mul_floor(f.long_index).map_err(math)?.sub_checked(self.long_funding_basis.get());
        let owed_short =
            tokens(self.short_oi)?.mul_floor(f.short_index).map_err(math)?.sub_checked(self.short_funding_basis.get());
        let owed = owed_long.map_err(math)?.add_checked(owed_short.map_err(math)?).map_err(math)?;
        value.sub_checked(self.net_quote.get()).map_err(math)?.sub_checked(owed).map_err(math)
    }

    /// Adds (`sign` = 1) or removes (−1) one position's share of the aggregates: open interest of
    /// its side, `net_quote`, its side's funding basis.
    fn aggregate(&mut self, p: &PerpPosition, sign: i128) -> Result<()> {
        let abs = p.base.checked_abs().ok_or_else(|| math("base overflows"))?;
        let abs64 = u64::try_from(abs).map_err(|_| error!(ErrorCode::OpenInterestCap))?;
        let basis =
            native_to_tokens_floor(abs, self.decimals).map_err(math)?.mul_floor(p.funding_index).map_err(math)?;
        let signed = |v: Fx| if sign > 0 { Ok(v) } else { v.neg_checked().map_err(math) };
        let add = |oi: u64| -> Result<u64> {
            if sign > 0 { oi.checked_add(abs64) } else { oi.checked_sub(abs64) }.ok_or_else(|| math("open interest"))
        };
        if p.base > 0 {
            self.long_oi = add(self.long_oi)?;
            self.long_funding_basis.set(self.long_funding_basis.get().add_checked(signed(basis)?).map_err(math)?);
        } else if p.base < 0 {
            self.short_oi = add(self.short_oi)?;
            self.short_funding_basis.set(self.short_funding_basis.get().add_checked(signed(basis)?).map_err(math)?);
        }
        self.net_quote.set(self.net_quote.get().add_checked(signed(p.quote)?).map_err(math)?);
        Ok(())
    }

    /// Replaces a position's share of the aggregates: `old` out, `new` in. Every change of a
    /// position goes through here, so the aggregates are always the sum of the positions.
    pub fn replace_position(&mut self, old: &PerpPosition, new: &PerpPosition) -> Result<()> {
        self.aggregate(old, -1)?;
        self.aggregate(new, 1)
    }
}
