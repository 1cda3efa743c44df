//! Volatility memories beside the fast EWMA: a slow one that margins may not fall below in calm
//! markets (anti-procyclicality), and a short one that lifts them at once after a shock.
//!
//! The fast EWMA (λ ≈ 0.94 per day) forgets a crash within weeks, so margins shrink in calm markets
//! and the first day of the next crash finds them low; and it gives a new shock only 6% weight, so
//! the days after a crash's first move — when crashes continue (LUNA: 9, 11, 12 May 2022; FTX: 8, 9
//! Nov 2022) — are margined on a volatility that has barely moved. Clearing houses damp the first
//! (EMIR RTS 153/2013 art. 28: a buffer released in stress, a weight on stressed observations, a long
//! look-back) and react to the second with intraday calls. Here each asset keeps two more EWMAs of
//! its squared returns: a slow one (λ_s ≈ 0.995 per day, half-life ~4.6 months) and a short one
//! (λ_f ≈ 0.5–0.7, half-life 1–2 days), and the margin uses the volatility
//! `max(σ, κ_s·σ_slow, κ_f·σ_short)`. In matrix form the model margins `DΣD`, `D = diag(d)`,
//! `d_i = max(1, √(max(κ_s²·slow_i, κ_f²·short_i) / Σ_ii))`: a congruence of the fast Σ, so it
//! stays PSD, keeps the fast correlations, and costs one multiplication per held position (the
//! crank stores `d`, the margin scales each exposure by it; see [`crate::margin`]).
//!
//! A stablecoin's fast variance is tiny in calm markets; its slow memory of a de-peg keeps its scale
//! high for months after, so a stable-heavy book is not margined as riskless.
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt, MathResult, WrappedI80F48};

/// Largest volatility scale `d`: bounds the exposures the margin multiplies (an asset whose fast
/// variance collapsed to almost nothing would otherwise get an arbitrary factor).
pub const MAX_VOL_SCALE: i32 = 32;

/// The daily defaults (README: calibration, walk-forward): slow decay λ_s × 10⁹, its weight κ_s × 10⁶,
/// short decay λ_f × 10⁹, its weight κ_f × 10⁶.
pub const DAILY_SLOW_LAMBDA_E9: i128 = 995_000_000;
pub const DAILY_VOL_FLOOR_WEIGHT_E6: i128 = 700_000;
pub const DAILY_SHORT_LAMBDA_E9: i128 = 700_000_000;
pub const DAILY_SHORT_VOL_WEIGHT_E6: i128 = 1_200_000;

/// The memories' parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolFloorParams {
    /// Decay of the slow variance per sample, in (0, 1).
    pub slow_lambda: Fx,
    /// κ_s ∈ [0, 10]: the fast volatility is floored at κ_s·σ_slow (0 turns it off).
    pub weight: Fx,
    /// Decay of the short variance per sample, in (0, 1).
    pub short_lambda: Fx,
    /// κ_f ∈ [0, 10]: the fast volatility is floored at κ_f·σ_short (0 turns it off).
    pub short_weight: Fx,
}

impl VolFloorParams {
    /// The calibrated daily defaults, bit for bit what the program stores from
    /// `RiskParamsArgs::daily_defaults`.
    pub fn daily_defaults() -> Self {
        let r = |v: i128, scale: i128| crate::fixed_point::fx_ratio(v, scale).unwrap_or(Fx::ZERO);
        Self {
            slow_lambda: r(DAILY_SLOW_LAMBDA_E9, 1_000_000_000),
            weight: r(DAILY_VOL_FLOOR_WEIGHT_E6, 1_000_000),
            short_lambda: r(DAILY_SHORT_LAMBDA_E9, 1_000_000_000),
            short_weight: r(DAILY_SHORT_VOL_WEIGHT_E6, 1_000_000),
        }
    }

    pub fn validate(&self) -> RiskResult<()> {
        for (name, lambda) in [("slow_lambda", self.slow_lambda), ("short_lambda", self.short_lambda)] {
            crate::ewma::validate_lambda(lambda)
                .map_err(|_| RiskError::InvalidParameter { name, reason: "must be strictly between 0 and 1" })?;
        }
        for (name, w) in [("vol_floor_weight", self.weight), ("short_vol_weight", self.short_weight)] {
            if w < Fx::ZERO || w > Fx::from_num(10) {
                return Err(RiskError::InvalidParameter { name, reason: "must be in [0, 10]" });
            }
        }
        Ok(())
    }
}

/// One sample of a memory: `s ← s − (1−λ)·s + ((1−λ)·r)·r` for an observed return `r` (an
/// unobserved asset keeps `s`, as the fast matrix keeps its variance). Rounded like the EWMA.
pub fn update_slow_variance(slow: Fx, r: Fx, slow_lambda: Fx) -> MathResult<Fx> {
    crate::ewma::ewma_step(slow, Fx::ONE.sub_checked(slow_lambda)?, r)
}

/// `d = max(1, √(max(κ_s²·slow, κ_f²·short) / fast))`, rounded up (to a multiple of 2⁻²⁶), at most [`MAX_VOL_SCALE`]; 1 when
/// both memories are off or the fast variance is not positive (every term of such an asset is zero
/// whatever `d` is).
pub fn vol_scale(fast_variance: Fx, slow_variance: Fx, short_variance: Fx, params: &VolFloorParams) -> MathResult<Fx> {
    vol_scale_with(fast_variance, slow_variance, short_variance, &params.squared_weights()?)
}

/// `(κ_s², κ_f²)` rounded up, as [`vol_scale`] weighs the memories: computed once per crank.
#[derive(Clone, Copy)]
pub struct SquaredWeights {
    slow: Fx,
    short: Fx,
}

impl VolFloorParams {
    /// The squared weights [`vol_scale`] multiplies the memories by.
    pub fn squared_weights(&self) -> MathResult<SquaredWeights> {
        Ok(SquaredWeights {
            slow: self.weight.mul_ceil(self.weight)?,
            short: self.short_weight.mul_ceil(self.short_weight)?,
        })
    }
}

/// [`vol_scale`] with the squared weights computed once (a weight is zero exactly when its square
/// is: `⌈w²⌉` of a positive `w` is at least one unit).
#[inline]
pub fn vol_scale_with(fast_variance: Fx, slow_variance: Fx, short_variance: Fx, w: &SquaredWeights) -> MathResult<Fx> {
    if fast_variance <= Fx::ZERO {
        return Ok(Fx::ONE);
    }
    let target = weighted(w.slow, slow_variance)?.max(weighted(w.short, short_variance)?);
    if target <= fast_variance {
        return Ok(Fx::ONE);
    }
    // 32² = 1024 exactly.
    let cap_squared = Fx::from_num(MAX_VOL_SCALE * MAX_VOL_SCALE);
    // Ratios beyond cap² saturate (and an overflowing division is beyond it).
    let ratio = target.div_ceil(fast_variance).unwrap_or(Fx::MAX);
    if ratio >= cap_squared {
        // The cap is on the kernel's grid.
        return Ok(Fx::from_num(MAX_VOL_SCALE));
    }
    // `⌈√ratio⌉` (at 2⁻⁴⁸) rounded up to the margin kernel's 2⁻²⁶ grid, so the kernel holds `d`
    // exactly. With `q` the ratio's bits that is `⌈⌈√(q·2⁴⁸)⌉/2²²⌉·2⁻²⁶ = ⌈√(16·q)⌉·2⁻²⁶` (the
    // ceiling of a ceiling divided by an integer is the ceiling of the quotient), one native
    // integer square root: `0 ≤ q < 2¹⁰·2⁴⁸` so `16·q < 2⁶²`, and the result is at most the cap.
    let q = ratio.to_bits().max(0) as u64;
    let d = crate::fixed_point::ceil_isqrt_below_2_62(q << 4);
    Ok(Fx::from_bits((d as i128) << (crate::fixed_point::FRAC_BITS - crate::kernel::SCALE_BITS)).max(Fx::ONE))
}

/// `⌈w²·v⌉`, or 0 when the weight is off or the memory not positive.
#[inline(always)]
fn weighted(w2: Fx, v: Fx) -> MathResult<Fx> {
    if w2 == Fx::ZERO || v <= Fx::ZERO {
        Ok(Fx::ZERO)
    } else if let Some(p) = crate::fixed_point::native::mul_native(w2, v, true) {
        Ok(p)
    } else {
        w2.mul_ceil(v)
    }
}

/// The per-asset memories as stored (slices of the risk model's arrays, or the keeper's copies).
pub struct Memories<'a> {
    pub slow: &'a mut [WrappedI80F48],
    pub short: &'a mut [WrappedI80F48],
    pub scales: &'a mut [WrappedI80F48],
}

/// Applies one covariance sample to the memories, after the fast matrix `fast` took it: each
/// observed asset's slow and short variances take its return, a missing one (bit i of `missing`)
/// keeps them, and every scale is recomputed from the new variances. The crank and every off-chain
/// replay of the model call this, so they store the same bits.
pub fn apply_sample<C: crate::covariance::CovarianceSource>(
    fast: &C,
    returns: &[Fx],
    missing: u64,
    m: Memories<'_>,
    params: &VolFloorParams,
) -> RiskResult<()> {
    let n = returns.len();
    let have = m.slow.len().min(m.short.len()).min(m.scales.len()).min(fast.dim());
    if have < n {
        return Err(RiskError::DimensionMismatch { expected: n, got: have });
    }
    let weights = params.squared_weights()?;
    // `update_slow_variance`'s step with each `1 − λ` computed once.
    let (slow_c, short_c) = (Fx::ONE.sub_checked(params.slow_lambda)?, Fx::ONE.sub_checked(params.short_lambda)?);
    for i in 0..n {
        if i >= 64 || missing & (1u64 << i) == 0 {
            m.slow[i].set(crate::ewma::ewma_step(m.slow[i].get(), slow_c, returns[i])?);
            m.short[i].set(crate::ewma::ewma_step(m.short[i].get(), short_c, returns[i])?);
        }
        m.scales[i].set(vol_scale_with(fast.cov(i, i), m.slow[i].get(), m.short[i].get(), &weights)?);
    }
    Ok(())
}

/// The memories of a newly registered asset: both start at the bootstrap variance.
pub fn initial_memory(variance: Fx, params: &VolFloorParams) -> MathResult<(Fx, Fx, Fx)> {
    Ok((variance, variance, vol_scale(variance, variance, variance, params)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    fn params(weight: f64, short_weight: f64) -> VolFloorParams {
        VolFloorParams {
            slow_lambda: fx(0.995),
            weight: fx(weight),
            short_lambda: fx(0.7),
            short_weight: fx(short_weight),
        }
    }

    /// The scale as first written: a fixed-point square root, then the kernel's grid.
    fn vol_scale_reference(fast: Fx, slow: Fx, short: Fx, w: &SquaredWeights) -> MathResult<Fx> {
        if fast <= Fx::ZERO {
            return Ok(Fx::ONE);
        }
        let weighted = |w2: Fx, v: Fx| if w2 == Fx::ZERO || v <= Fx::ZERO { Ok(Fx::ZERO) } else { w2.mul_ceil(v) };
        let target = weighted(w.slow, slow)?.max(weighted(w.short, short)?);
        if target <= fast {
            return Ok(Fx::ONE);
        }
        let cap = Fx::from_num(MAX_VOL_SCALE);
        let ratio = target.div_ceil(fast).unwrap_or(Fx::MAX);
        let scale = if ratio >= Fx::from_num(1024) { cap } else { ratio.sqrt_ceil()? };
        Ok(crate::kernel::round_scale_up(scale.max(Fx::ONE).min(cap)))
    }

    proptest::proptest! {
        /// The native square root gives the reference's bits for any variances and weights.
        #[test]
        fn the_scale_equals_the_fixed_point_reference(
            fast in 0i128..(1 << 60),
            slow in 0i128..(1 << 60),
            short in 0i128..(1 << 60),
            shifts in (0u32..50, 0u32..50, 0u32..50),
            weights in (0i128..(10 << 48), 0i128..(10 << 48)),
        ) {
            let p = VolFloorParams {
                slow_lambda: fx(0.995),
                weight: Fx::from_bits(weights.0),
                short_lambda: fx(0.7),
                short_weight: Fx::from_bits(weights.1),
            };
            let w = p.squared_weights().unwrap();
            let (f, s, h) = (Fx::from_bits(fast >> shifts.0), Fx::from_bits(slow >> shifts.1), Fx::from_bits(short >> shifts.2));
            proptest::prop_assert_eq!(vol_scale_with(f, s, h, &w).ok(), vol_scale_reference(f, s, h, &w).ok());
        }
    }

    #[test]
    fn exact_square_ratios_give_exact_scales() {
        // Weights 1: target = the larger memory. Ratios 4, 2.25 and 1024 − 2⁻⁴⁸·k around the cap.
        let p = params(1.0, 1.0);
        let w = p.squared_weights().unwrap();
        for (fast, slow, want) in [(0.0004, 0.0016, 2.0), (0.0004, 0.0009, 1.5), (0.0001, 0.0001 * 1024.0, 32.0)] {
            let (f, s) = (fx(fast), fx(slow));
            let d = vol_scale_with(f, s, Fx::ZERO, &w).unwrap();
            assert_eq!(d, vol_scale_reference(f, s, Fx::ZERO, &w).unwrap());
            assert!(d >= fx(want) && d - fx(want) <= Fx::from_bits(1 << 22), "{d} vs {want}");
        }
        for k in [1i128, 2, 1 << 20] {
            let f = Fx::from_bits(1 << 40);
            let s = Fx::from_bits((1 << 50) - k);
            assert_eq!(vol_scale_with(f, s, Fx::ZERO, &w).unwrap(), vol_scale_reference(f, s, Fx::ZERO, &w).unwrap());
        }
    }

    proptest::proptest! {
        /// The native ceiling square root is the least `d` with `d² ≥ n`, squares included.
        #[test]
        fn the_native_square_root_is_the_ceiling(n in 0u64..(1 << 62), root in 0u64..(1 << 31)) {
            for n in [n, root * root, (root * root).saturating_sub(1), root * root + 1] {
                let d = crate::fixed_point::ceil_isqrt_below_2_62(n) as u128;
                proptest::prop_assert!(d * d >= n as u128 && (d == 0 || (d - 1) * (d - 1) < n as u128), "{}", n);
            }
        }
    }

    #[test]
    fn a_memory_follows_squared_returns_at_its_own_pace() {
        let mut s = fx(0.0004);
        for _ in 0..10 {
            s = update_slow_variance(s, fx(0.1), fx(0.995)).unwrap();
        }
        let exact = 0.0004 * 0.995f64.powi(10) + 0.01 * (1.0 - 0.995f64.powi(10));
        assert!((s.to_num::<f64>() - exact).abs() < 1e-9, "{s} vs {exact}");
    }

    #[test]
    fn scale_floors_the_fast_volatility_at_the_larger_weighted_memory() {
        // Fast σ 2%, slow σ 4%, short σ 1%, κ_s = 0.9: d = 1.8.
        let d = vol_scale(fx(0.0004), fx(0.0016), fx(0.0001), &params(0.9, 1.0)).unwrap();
        assert!(d >= fx(1.8) && d.to_num::<f64>() < 1.8 + 2e-8, "{d}");
        // After a shock: short σ 6%, κ_f = 0.8 → d = 2.4 beats the slow memory's 1.8.
        let d = vol_scale(fx(0.0004), fx(0.0016), fx(0.0036), &params(0.9, 0.8)).unwrap();
        assert!(d >= fx(2.4) && d.to_num::<f64>() < 2.4 + 2e-8, "{d}");
        // Calm → no change; off → 1; degenerate fast variance → 1; huge ratios saturate.
        assert_eq!(vol_scale(fx(0.0016), fx(0.0004), fx(0.0004), &params(0.9, 0.8)).unwrap(), Fx::ONE);
        assert_eq!(vol_scale(fx(0.0004), fx(0.0016), fx(0.0036), &params(0.0, 0.0)).unwrap(), Fx::ONE);
        assert_eq!(vol_scale(Fx::ZERO, fx(0.0016), fx(0.0016), &params(1.0, 1.0)).unwrap(), Fx::ONE);
        assert_eq!(
            vol_scale(Fx::from_bits(1), fx(1.0), Fx::ZERO, &params(1.0, 0.0)).unwrap(),
            Fx::from_num(MAX_VOL_SCALE)
        );
    }

    #[test]
    fn a_sample_moves_observed_assets_and_keeps_missing_ones() {
        use crate::covariance::OwnedMatrix;
        let fast = OwnedMatrix::from_dense(2, &[fx(0.0001), Fx::ZERO, Fx::ZERO, fx(0.0001)]).unwrap();
        let mut slow = [WrappedI80F48::new(fx(0.0016)); 2];
        let mut short = [WrappedI80F48::new(fx(0.0001)); 2];
        let mut scales = [WrappedI80F48::new(Fx::ONE); 2];
        let m = Memories { slow: &mut slow, short: &mut short, scales: &mut scales };
        apply_sample(&fast, &[fx(0.05), fx(0.05)], 0b10, m, &params(1.0, 0.8)).unwrap();
        assert!(slow[0].get() > fx(0.0016) && short[0].get() > fx(0.0001), "observed: takes the 5% return");
        assert_eq!((slow[1].get(), short[1].get()), (fx(0.0016), fx(0.0001)), "missing: kept");
        // σ_fast 1%, σ_slow 4%: the kept asset scales by 4.
        assert!(scales[1].get() >= fx(4.0) && scales[1].get().to_num::<f64>() < 4.0 + 2e-8);
        // Asset 0: slow 0.0016·0.995 + 0.005·0.0025, short 0.7·0.0001 + 0.3·0.0025 (× κ_f² = 0.64 is
        // smaller): d = √(slow / fast).
        let d0 = scales[0].get().to_num::<f64>();
        let want = ((0.0016 * 0.995 + 0.005 * 0.0025) / 0.0001f64).sqrt();
        assert!(d0 >= want - 1e-9 && d0 - want < 1e-6, "{d0} vs {want}");
        assert_eq!(initial_memory(fx(0.0004), &params(0.8, 0.8)).unwrap(), (fx(0.0004), fx(0.0004), Fx::ONE));
    }

    #[test]
    fn parameters_are_bounded() {
        assert!(params(1.0, 1.0).validate().is_ok());
        assert!(params(11.0, 1.0).validate().is_err());
        assert!(params(1.0, -0.1).validate().is_err());
        assert!(VolFloorParams { slow_lambda: Fx::ONE, ..params(1.0, 1.0) }.validate().is_err());
        assert!(VolFloorParams { short_lambda: Fx::ZERO, ..params(1.0, 1.0) }.validate().is_err());
    }
}
