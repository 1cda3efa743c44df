//! Risk parameters of a group: stored in fixed point, set from integer arguments in stated units.
use anchor_lang::prelude::*;
use risk_engine::ewma::validate_lambda;
use risk_engine::fixed_point::fx_ratio;
use risk_engine::liquidation::{LiquidationParams, LiquidationTarget};
use risk_engine::procyclicality::VolFloorParams;
use risk_engine::{Fx, MarginParams, RiskError, WrappedI80F48};

use crate::error::{math, ErrorCode};

/// Parts per million: `value_e6 = value × 10⁶`.
pub const E6: i128 = 1_000_000;
/// Parts per billion: `value_e9 = value × 10⁹`.
pub const E9: i128 = 1_000_000_000;

/// Risk parameters as instruction arguments, in integers with their scale in the name.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskParamsArgs {
    /// EWMA decay per sample × 10⁹, in (0, 10⁹). RiskMetrics daily: 940_000_000.
    pub lambda_e9: u64,
    /// Seconds between covariance samples, in [60, 7 days]; fixed once an asset is registered (the
    /// stored covariance is per sample interval).
    pub sample_interval_seconds: u32,
    /// Liquidation horizon in seconds, in [sample interval, 30 days].
    pub horizon_seconds: u32,
    /// VaR quantile × 10⁶, in (0, 10]. 99%: 2_326_348.
    pub z_e6: u32,
    /// Correlation-spike weight α × 10⁶, in [0, 1].
    pub spike_alpha_e6: u32,
    /// Correlation-breakdown weight β × 10⁶, in [0, 1].
    pub breakdown_beta_e6: u32,
    /// Stress volatility multiplier m × 10⁶, in [1, 10].
    pub stress_vol_multiplier_e6: u32,
    /// Joint-move size c (horizon sigmas) × 10⁶, in [0, 20].
    pub joint_move_sigmas_e6: u32,
    /// Initial / maintenance margin × 10⁶, in [1, 10].
    pub initial_multiplier_e6: u32,
    /// Confidence multiplier k of the valuation × 10⁶, in [0, 10].
    pub conf_k_e6: u32,
    /// Oldest usable oracle price, seconds, in [1, 3600] and at most half the sample interval.
    pub oracle_max_age_seconds: u32,
    /// Largest usable confidence / price × 10⁶, in (0, 0.2].
    pub max_conf_ratio_e6: u32,
    /// Liquidator discount × 10⁶, in [0, 0.25].
    pub liquidator_fee_e6: u32,
    /// Insurance-fund fee on liquidations × 10⁶, in [0, 0.25].
    pub insurance_fee_e6: u32,
    /// Hedge floor u × 10⁶, in [0, 1]: the share of its legs' standalone stress margin every book
    /// pays (0: hedges credited in full).
    pub hedge_floor_e6: u32,
    /// Decay per sample of the slow variance memory × 10⁹, in (0, 10⁹) (anti-procyclical floor).
    pub slow_lambda_e9: u64,
    /// κ_s × 10⁶, in [0, 10]: every volatility is floored at κ_s × its slow memory (0: off). A
    /// change takes effect at the next sample, which recomputes the stored scales.
    pub vol_floor_weight_e6: u32,
    /// Decay per sample of the short variance memory × 10⁹, in (0, 10⁹) (reaction to shocks).
    pub short_lambda_e9: u64,
    /// κ_f × 10⁶, in [0, 10]: every volatility is floored at κ_f × its short memory (0: off).
    pub short_vol_weight_e6: u32,
}

/// Risk parameters as stored (zero-copy, alignment 4).
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct RiskParams {
    /// EWMA decay per sample (dimensionless).
    pub lambda: WrappedI80F48,
    /// VaR quantile z.
    pub z: WrappedI80F48,
    /// Correlation-spike weight α.
    pub spike_alpha: WrappedI80F48,
    /// Correlation-breakdown weight β.
    pub breakdown_beta: WrappedI80F48,
    /// Stress volatility multiplier m.
    pub stress_vol_multiplier: WrappedI80F48,
    /// Joint-move size c, horizon sigmas.
    pub joint_move_sigmas: WrappedI80F48,
    /// Initial margin / maintenance margin.
    pub initial_multiplier: WrappedI80F48,
    /// Confidence multiplier k of the valuation.
    pub conf_k: WrappedI80F48,
    /// Largest usable confidence / price.
    pub max_conf_ratio: WrappedI80F48,
    /// Liquidator discount, fraction of repaid value.
    pub liquidator_fee: WrappedI80F48,
    /// Insurance-fund fee, fraction of repaid value.
    pub insurance_fee: WrappedI80F48,
    /// Hedge floor u.
    pub hedge_floor: WrappedI80F48,
    /// Slow variance memory decay per sample λ_s.
    pub slow_lambda: WrappedI80F48,
    /// Volatility floor weight κ_s (slow memory).
    pub vol_floor_weight: WrappedI80F48,
    /// Short variance memory decay per sample λ_f.
    pub short_lambda: WrappedI80F48,
    /// Volatility floor weight κ_f (short memory).
    pub short_vol_weight: WrappedI80F48,
    /// Seconds between covariance samples.
    pub sample_interval_seconds: u32,
    /// Liquidation horizon, seconds.
    pub horizon_seconds: u32,
    /// Oldest usable oracle price, seconds.
    pub oracle_max_age_seconds: u32,
    /// Keeps the struct free of implicit padding.
    pub _reserved: u32,
}

fn ratio(v: i128, scale: i128) -> Result<Fx> {
    fx_ratio(v, scale).map_err(math)
}

fn reject(name: &str, reason: &str) -> Error {
    msg!("invalid risk parameter `{}`: {}", name, reason);
    error!(ErrorCode::InvalidRiskParameter)
}

fn engine_error(e: RiskError) -> Error {
    match e {
        RiskError::InvalidParameter { name, reason } => reject(name, reason),
        other => math(other),
    }
}

impl RiskParamsArgs {
    /// The calibrated daily parameters (README: the risk model, calibration).
    pub fn daily_defaults() -> Self {
        RiskParamsArgs {
            lambda_e9: 940_000_000,
            sample_interval_seconds: 86_400,
            horizon_seconds: 86_400,
            z_e6: 2_326_348,
            spike_alpha_e6: 250_000,
            breakdown_beta_e6: 50_000,
            stress_vol_multiplier_e6: 1_250_000,
            joint_move_sigmas_e6: 2_400_000,
            initial_multiplier_e6: 1_500_000,
            conf_k_e6: 1_000_000,
            oracle_max_age_seconds: 60,
            max_conf_ratio_e6: 20_000,
            liquidator_fee_e6: 25_000,
            insurance_fee_e6: 25_000,
            hedge_floor_e6: risk_engine::margin::DAILY_HEDGE_FLOOR_E6 as u32,
            slow_lambda_e9: risk_engine::procyclicality::DAILY_SLOW_LAMBDA_E9 as u64,
            vol_floor_weight_e6: risk_engine::procyclicality::DAILY_VOL_FLOOR_WEIGHT_E6 as u32,
            short_lambda_e9: risk_engine::procyclicality::DAILY_SHORT_LAMBDA_E9 as u64,
            short_vol_weight_e6: risk_engine::procyclicality::DAILY_SHORT_VOL_WEIGHT_E6 as u32,
        }
    }
}

impl RiskParams {
    /// Converts and validates arguments; every rejection logs the parameter and its allowed range.
    pub fn from_args(a: &RiskParamsArgs) -> Result<Self> {
        if a.sample_interval_seconds < 60 || a.sample_interval_seconds > 7 * 86_400 {
            return Err(reject("sample_interval_seconds", "must be in [60, 604800]"));
        }
        if a.horizon_seconds < a.sample_interval_seconds || a.horizon_seconds > 30 * 86_400 {
            return Err(reject("horizon_seconds", "must be in [sample_interval_seconds, 2592000]"));
        }
        if a.oracle_max_age_seconds == 0 || a.oracle_max_age_seconds > 3_600 {
            return Err(reject("oracle_max_age_seconds", "must be in [1, 3600]"));
        }
        // A price older than a sample interval could be counted in two samples (and a crank sample
        // stays open for one max age).
        if a.oracle_max_age_seconds > a.sample_interval_seconds / 2 {
            return Err(reject("oracle_max_age_seconds", "must be at most half of sample_interval_seconds"));
        }
        if a.max_conf_ratio_e6 == 0 || a.max_conf_ratio_e6 > 200_000 {
            return Err(reject("max_conf_ratio_e6", "must be in (0, 200000]"));
        }
        let lambda = ratio(a.lambda_e9 as i128, E9)?;
        validate_lambda(lambda).map_err(engine_error)?;
        let p = Self {
            lambda: lambda.into(),
            z: ratio(a.z_e6 as i128, E6)?.into(),
            spike_alpha: ratio(a.spike_alpha_e6 as i128, E6)?.into(),
            breakdown_beta: ratio(a.breakdown_beta_e6 as i128, E6)?.into(),
            stress_vol_multiplier: ratio(a.stress_vol_multiplier_e6 as i128, E6)?.into(),
            joint_move_sigmas: ratio(a.joint_move_sigmas_e6 as i128, E6)?.into(),
            initial_multiplier: ratio(a.initial_multiplier_e6 as i128, E6)?.into(),
            conf_k: ratio(a.conf_k_e6 as i128, E6)?.into(),
            max_conf_ratio: ratio(a.max_conf_ratio_e6 as i128, E6)?.into(),
            liquidator_fee: ratio(a.liquidator_fee_e6 as i128, E6)?.into(),
            insurance_fee: ratio(a.insurance_fee_e6 as i128, E6)?.into(),
            hedge_floor: ratio(a.hedge_floor_e6 as i128, E6)?.into(),
            slow_lambda: ratio(a.slow_lambda_e9 as i128, E9)?.into(),
            vol_floor_weight: ratio(a.vol_floor_weight_e6 as i128, E6)?.into(),
            short_lambda: ratio(a.short_lambda_e9 as i128, E9)?.into(),
            short_vol_weight: ratio(a.short_vol_weight_e6 as i128, E6)?.into(),
            sample_interval_seconds: a.sample_interval_seconds,
            horizon_seconds: a.horizon_seconds,
            oracle_max_age_seconds: a.oracle_max_age_seconds,
            _reserved: 0,
        };
        p.margin_params()?.validate().map_err(engine_error)?;
        p.vol_floor_params().validate().map_err(engine_error)?;
        p.liquidation_params().validate().map_err(engine_error)?;
        Ok(p)
    }

    /// The engine's margin parameters (horizon scale = horizon / sample interval).
    pub fn margin_params(&self) -> Result<MarginParams> {
        Ok(MarginParams {
            z: self.z.get(),
            horizon_scale: ratio(self.horizon_seconds as i128, self.sample_interval_seconds as i128)?,
            spike_alpha: self.spike_alpha.get(),
            breakdown_beta: self.breakdown_beta.get(),
            stress_vol_multiplier: self.stress_vol_multiplier.get(),
            joint_move_sigmas: self.joint_move_sigmas.get(),
            initial_multiplier: self.initial_multiplier.get(),
            hedge_floor: self.hedge_floor.get(),
        })
    }

    /// The engine's anti-procyclical memory parameters.
    pub fn vol_floor_params(&self) -> VolFloorParams {
        VolFloorParams {
            slow_lambda: self.slow_lambda.get(),
            weight: self.vol_floor_weight.get(),
            short_lambda: self.short_lambda.get(),
            short_weight: self.short_vol_weight.get(),
        }
    }

    /// The engine's liquidation parameters (target: initial health).
    pub fn liquidation_params(&self) -> LiquidationParams {
        LiquidationParams {
            liquidator_fee: self.liquidator_fee.get(),
            insurance_fee: self.insurance_fee.get(),
            target: LiquidationTarget::Initial,
            conf_k: self.conf_k.get(),
        }
    }
}
