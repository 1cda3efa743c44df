//! Anti-procyclical volatility: a slow memory of each asset's variance that the fast EWMA may not
//! fall below.
//!
//! The fast EWMA (λ ≈ 0.94 per day) forgets a crash within weeks, so margins shrink in calm markets
//! and the first day of the next crash finds them low. Clearing houses damp this (EMIR RTS 153/2013
//! art. 28: a buffer released in stress, a weight on stressed observations, a long look-back).
//! Here each asset keeps a slow EWMA of its squared returns (λ_s ≈ 0.99–0.995 per day, half-life of
//! months) and the margin uses the volatility `max(σ_fast, κ·σ_slow)`. In matrix form the model
//! margins with `DΣD`, `D = diag(d)`, `d_i = max(1, κ·σ_slow,i / σ_fast,i)`: a congruence of the fast
//! Σ, so it stays PSD, keeps the fast correlations, and costs one multiplication per held position
//! (the crank stores `d`, the margin scales each exposure by it; see [`crate::margin`]).
//!
//! A stablecoin's fast variance is tiny in calm markets; its slow memory of a de-peg keeps its scale
//! high for months after, so a stable-heavy book is not margined as riskless.
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt, MathResult, WrappedI80F48};

/// Largest volatility scale `d`: bounds the exposures the margin multiplies (an asset whose fast
/// variance collapsed to almost nothing would otherwise get an arbitrary factor).
pub const MAX_VOL_SCALE: i32 = 32;

/// The daily defaults' slow-memory decay λ_s × 10⁹ and floor weight κ × 10⁶.
pub const DAILY_SLOW_LAMBDA_E9: i128 = 995_000_000;
pub const DAILY_VOL_FLOOR_WEIGHT_E6: i128 = 700_000;

/// The slow memory's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolFloorParams {
    /// Decay of the slow variance per sample, in (0, 1).
    pub slow_lambda: Fx,
    /// κ ∈ [0, 10]: the fast volatility is floored at κ·σ_slow (0 turns the floor off).
    pub weight: Fx,
}

impl VolFloorParams {
    /// The calibrated daily defaults (README: calibration, walk-forward), bit for bit what the program
    /// stores from `RiskParamsArgs::daily_defaults`.
    pub fn daily_defaults() -> Self {
        Self {
            slow_lambda: crate::fixed_point::fx_ratio(DAILY_SLOW_LAMBDA_E9, 1_000_000_000).unwrap_or(Fx::ZERO),
            weight: crate::fixed_point::fx_ratio(DAILY_VOL_FLOOR_WEIGHT_E6, 1_000_000).unwrap_or(Fx::ZERO),
        }
    }

    pub fn validate(&self) -> RiskResult<()> {
        crate::ewma::validate_lambda(self.slow_lambda).map_err(|_| RiskError::InvalidParameter {
            name: "slow_lambda",
            reason: "must be strictly between 0 and 1",
        })?;
        if self.weight < Fx::ZERO || self.weight > Fx::from_num(10) {
            return Err(RiskError::InvalidParameter { name: "vol_floor_weight", reason: "must be in [0, 10]" });
        }
        Ok(())
    }
}

/// One sample of the slow variance: `s ← s − (1−λ_s)·s + ((1−λ_s)·r)·r` for an observed return `r`
/// (an unobserved asset keeps `s`, as the fast matrix keeps its variance). Rounded like the EWMA.
pub fn update_slow_variance(slow: Fx, r: Fx, slow_lambda: Fx) -> MathResult<Fx> {
    let one_minus = Fx::ONE.sub_checked(slow_lambda)?;
    slow.sub_checked(slow.mul_floor(one_minus)?)?.add_checked(one_minus.mul_floor(r)?.mul_floor(r)?)
}

/// `d = max(1, κ·√(slow / fast))`, rounded up, at most [`MAX_VOL_SCALE`]; 1 when the floor is off or
/// the fast variance is not positive (every term of such an asset is zero whatever `d` is).
pub fn vol_scale(fast_variance: Fx, slow_variance: Fx, params: &VolFloorParams) -> MathResult<Fx> {
    if params.weight == Fx::ZERO || fast_variance <= Fx::ZERO || slow_variance <= Fx::ZERO {
        return Ok(Fx::ONE);
    }
    let cap = Fx::from_num(MAX_VOL_SCALE);
    // Ratios beyond cap² saturate; comparing first keeps the division in range.
    let ratio = slow_variance.div_ceil(fast_variance).unwrap_or(Fx::MAX);
    let scale = if ratio >= cap.mul_ceil(cap)? { cap } else { params.weight.mul_ceil(ratio.sqrt_ceil()?)? };
    Ok(scale.max(Fx::ONE).min(cap))
}

/// Applies one covariance sample to the slow memory, after the fast matrix `fast` took it: each
/// observed asset's slow variance takes its return, a missing one (bit i of `missing`) keeps it,
/// and every scale is recomputed from the new fast and slow variances. The crank and every
/// off-chain replay of the model call this, so they store the same bits.
pub fn apply_sample<C: crate::covariance::CovarianceSource>(
    fast: &C,
    returns: &[Fx],
    missing: u64,
    slow: &mut [WrappedI80F48],
    scales: &mut [WrappedI80F48],
    params: &VolFloorParams,
) -> RiskResult<()> {
    let n = returns.len();
    if slow.len() < n || scales.len() < n || fast.dim() < n {
        return Err(RiskError::DimensionMismatch { expected: n, got: slow.len().min(scales.len()).min(fast.dim()) });
    }
    for i in 0..n {
        if i >= 64 || missing & (1u64 << i) == 0 {
            slow[i].set(update_slow_variance(slow[i].get(), returns[i], params.slow_lambda)?);
        }
        scales[i].set(vol_scale(fast.cov(i, i), slow[i].get(), params)?);
    }
    Ok(())
}

/// The memory of a newly registered asset: its slow variance starts at the bootstrap variance.
pub fn initial_memory(variance: Fx, params: &VolFloorParams) -> MathResult<(Fx, Fx)> {
    Ok((variance, vol_scale(variance, variance, params)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    fn params(weight: f64) -> VolFloorParams {
        VolFloorParams { slow_lambda: fx(0.995), weight: fx(weight) }
    }

    #[test]
    fn slow_variance_follows_squared_returns_slowly() {
        let mut s = fx(0.0004);
        for _ in 0..10 {
            s = update_slow_variance(s, fx(0.1), fx(0.995)).unwrap();
        }
        let exact = 0.0004 * 0.995f64.powi(10) + 0.01 * (1.0 - 0.995f64.powi(10));
        assert!((s.to_num::<f64>() - exact).abs() < 1e-9, "{s} vs {exact}");
    }

    #[test]
    fn scale_floors_the_fast_volatility_at_kappa_times_the_slow_one() {
        // Fast σ 2%, slow σ 4%, κ = 0.9: d = 1.8.
        let d = vol_scale(fx(0.0004), fx(0.0016), &params(0.9)).unwrap();
        assert!(d >= fx(1.8) && d.to_num::<f64>() < 1.8 + 1e-9, "{d}");
        // Calm → no change; off → 1; degenerate fast variance → 1; huge ratios saturate.
        assert_eq!(vol_scale(fx(0.0016), fx(0.0004), &params(0.9)).unwrap(), Fx::ONE);
        assert_eq!(vol_scale(fx(0.0004), fx(0.0016), &params(0.0)).unwrap(), Fx::ONE);
        assert_eq!(vol_scale(Fx::ZERO, fx(0.0016), &params(1.0)).unwrap(), Fx::ONE);
        assert_eq!(vol_scale(Fx::from_bits(1), fx(1.0), &params(1.0)).unwrap(), Fx::from_num(MAX_VOL_SCALE));
    }

    #[test]
    fn a_sample_moves_observed_assets_and_keeps_missing_ones() {
        use crate::covariance::OwnedMatrix;
        let fast = OwnedMatrix::from_dense(2, &[fx(0.0001), Fx::ZERO, Fx::ZERO, fx(0.0001)]).unwrap();
        let mut slow = [WrappedI80F48::new(fx(0.0016)); 2];
        let mut scales = [WrappedI80F48::new(Fx::ONE); 2];
        apply_sample(&fast, &[fx(0.05), fx(0.05)], 0b10, &mut slow, &mut scales, &params(1.0)).unwrap();
        assert!(slow[0].get() > fx(0.0016), "observed: takes the 5% return");
        assert_eq!(slow[1].get(), fx(0.0016), "missing: kept");
        // σ_fast 1%, σ_slow 4%: the kept asset scales by 4.
        assert!(scales[1].get() >= fx(4.0) && scales[1].get().to_num::<f64>() < 4.0 + 1e-9);
        assert_eq!(initial_memory(fx(0.0004), &params(0.8)).unwrap(), (fx(0.0004), Fx::ONE));
    }

    #[test]
    fn parameters_are_bounded() {
        assert!(params(1.0).validate().is_ok());
        assert!(params(11.0).validate().is_err());
        assert!(params(-0.1).validate().is_err());
        assert!(VolFloorParams { slow_lambda: Fx::ONE, weight: fx(1.0) }.validate().is_err());
    }
}
