//! Portfolio margin from the covariance matrix, stress tests and floors.
//!
//! For a book of signed USD exposures `w` (confidence-biased) over its k held assets:
//! - VaR term: `z·√(wᵀΣ_h w)` with `Σ_h = Σ·s`, `s = horizon / sample interval`;
//! - correlation spike: correlations move toward 1, `ρ' = (1−α)ρ + α`, vols × m:
//!   `V_spike = m²·((1−α)·V + α·(Σ w_i σ_i)²)`;
//! - correlation breakdown: correlations move toward 0, `ρ' = (1−β)ρ` off the diagonal, vols × m:
//!   `V_bd = m²·((1−β)·V + β·Σ w_i²σ_i²)`;
//! - joint move: every asset moves by `c·σ_i,h` the same way; loss `c·√s·|Σ w_i σ_i|`;
//! - hedge floor: a book pays at least a share `u` of its legs' standalone stress margins,
//!   `u·z·√s·m·Σ |w_i|σ_i`, so no hedge is credited with more than `1 − u` of its legs' risk;
//! - de-peg: every asset with a de-peg gap `g_i` (stablecoins) falls by it at once while the rest
//!   of the book takes its VaR: `z·√s·√(wᵀΣw) + Σ g_i·max(w_i, 0)` (unscaled exposures in the sum);
//! - floor: `Σ |w_i|·floor_rate_i`.
//!
//! Anti-procyclical volatility (see [`crate::procyclicality`]): every term but the floor margins the
//! scaled exposures `w_i·d_i`, `d_i = CovarianceSource::vol_scale(i) ≥ 1`, i.e. the matrix `DΣD`.
//!
//! Maintenance margin is the largest term; initial margin is `initial_multiplier × maintenance`.
//! Both stress matrices are convex mixes of PSD matrices, so the stress variances are ≥ 0 whenever Σ
//! is PSD; only the k(k+1)/2 entries of held assets are read.
//!
//! Scaling: the quadratic forms are computed on `w' = w / 2^e` with `Σ|w'| < 1` (an exact shift), so
//! every product stays in the cheap 64-bit multiply whatever the book's size, then scaled back.
//!
//! Rounding: every computed term is an upper bound of the same term in exact arithmetic on the same
//! stored Σ. Products round toward −∞ while summing and `w'` is truncated, so each quadratic form
//! gets a proven pad in scaled ULPs (`2k(k+1) + 2Mk + 1` for V, with M the largest held variance;
//! see `quadratic_parts`), and every later multiply and square root rounds up.
use alloc::vec::Vec;

use crate::covariance::CovarianceSource;
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt, FRAC_BITS};

/// The daily defaults' hedge floor u × 10⁶ (README: calibration, walk-forward).
pub const DAILY_HEDGE_FLOOR_E6: i128 = 400_000;

/// Margin parameters (dimensionless unless stated).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarginParams {
    /// One-sided normal quantile of the VaR term (2.326348: 99%).
    pub z: Fx,
    /// Liquidation horizon divided by the covariance sample interval (`s`).
    pub horizon_scale: Fx,
    /// Correlation-spike weight α ∈ [0, 1]: `ρ' = (1−α)ρ + α`.
    pub spike_alpha: Fx,
    /// Correlation-breakdown weight β ∈ [0, 1]: `ρ' = (1−β)ρ` off the diagonal.
    pub breakdown_beta: Fx,
    /// Volatility multiplier m ≥ 1 applied in both correlation stress tests.
    pub stress_vol_multiplier: Fx,
    /// Joint-move size c ≥ 0 in horizon standard deviations.
    pub joint_move_sigmas: Fx,
    /// Initial margin = this × maintenance margin (≥ 1).
    pub initial_multiplier: Fx,
    /// Hedge floor u ∈ [0, 1]: the share of the legs' standalone stress margin a book always pays
    /// (0: hedges are credited in full).
    pub hedge_floor: Fx,
}

impl MarginParams {
    /// The calibrated defaults for daily samples and a one-day horizon (see the README's
    /// calibration), bit for bit what the program stores from `RiskParamsArgs::daily_defaults`
    /// (parts per million, converted with [`fx_ratio`](crate::fixed_point::fx_ratio)).
    pub fn daily_defaults() -> Self {
        // Constant ratios of small integers: the conversion cannot fail.
        let e6 = |v: i128| crate::fixed_point::fx_ratio(v, 1_000_000).unwrap_or(Fx::ZERO);
        Self {
            z: e6(2_326_348),
            horizon_scale: Fx::ONE,
            spike_alpha: e6(250_000),
            breakdown_beta: e6(50_000),
            stress_vol_multiplier: e6(1_250_000),
            joint_move_sigmas: e6(2_400_000),
            initial_multiplier: e6(1_500_000),
            hedge_floor: e6(DAILY_HEDGE_FLOOR_E6),
        }
    }

    /// Rejects values outside their meaningful ranges.
    pub fn validate(&self) -> RiskResult<()> {
        let p = |name, reason| Err(RiskError::InvalidParameter { name, reason });
        if self.z <= Fx::ZERO || self.z > Fx::from_num(10) {
            return p("z", "must be in (0, 10]");
        }
        if self.horizon_scale <= Fx::ZERO || self.horizon_scale > Fx::from_num(100_000) {
            return p("horizon_scale", "must be in (0, 100000]");
        }
        if self.spike_alpha < Fx::ZERO || self.spike_alpha > Fx::ONE {
            return p("spike_alpha", "must be in [0, 1]");
        }
        if self.breakdown_beta < Fx::ZERO || self.breakdown_beta > Fx::ONE {
            return p("breakdown_beta", "must be in [0, 1]");
        }
        if self.stress_vol_multiplier < Fx::ONE || self.stress_vol_multiplier > Fx::from_num(10) {
            return p("stress_vol_multiplier", "must be in [1, 10]");
        }
        if self.joint_move_sigmas < Fx::ZERO || self.joint_move_sigmas > Fx::from_num(20) {
            return p("joint_move_sigmas", "must be in [0, 20]");
        }
        if self.initial_multiplier < Fx::ONE || self.initial_multiplier > Fx::from_num(10) {
            return p("initial_multiplier", "must be in [1, 10]");
        }
        if self.hedge_floor < Fx::ZERO || self.hedge_floor > Fx::ONE {
            return p("hedge_floor", "must be in [0, 1]");
        }
        Ok(())
    }
}

/// One held asset as the margin model sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionRisk {
    /// Index of the asset in the covariance matrix.
    pub asset: usize,
    /// Signed, confidence-biased exposure in USD (deposits > 0, borrows < 0).
    pub exposure: Fx,
    /// Minimum margin per USD of |exposure| for this asset.
    pub floor_rate: Fx,
}

/// Which term set the maintenance margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarginTerm {
    Var,
    CorrelationSpike,
    CorrelationBreakdown,
    JointMove,
    HedgeFloor,
    Depeg,
    Floor,
}

impl MarginTerm {
    pub fn name(self) -> &'static str {
        match self {
            MarginTerm::Var => "var",
            MarginTerm::CorrelationSpike => "correlation_spike",
            MarginTerm::CorrelationBreakdown => "correlation_breakdown",
            MarginTerm::JointMove => "joint_move",
            MarginTerm::HedgeFloor => "hedge_floor",
            MarginTerm::Depeg => "depeg",
            MarginTerm::Floor => "floor",
        }
    }
}

/// Every margin term of a book, in USD, each rounded up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarginBreakdown {
    pub var: Fx,
    pub correlation_spike: Fx,
    pub correlation_breakdown: Fx,
    pub joint_move: Fx,
    pub hedge_floor: Fx,
    pub depeg: Fx,
    pub floor: Fx,
    /// max of the seven terms.
    pub maintenance: Fx,
    /// `initial_multiplier × maintenance`.
    pub initial: Fx,
    pub binding: MarginTerm,
    /// `Σ |w_i|`, USD.
    pub gross_exposure: Fx,
    /// Upper bound of `wᵀΣw` per sample interval (USD², not horizon-scaled), clamped ≥ 0.
    pub variance: Fx,
}

impl MarginBreakdown {
    pub fn zero() -> Self {
        Self {
            var: Fx::ZERO,
            correlation_spike: Fx::ZERO,
            correlation_breakdown: Fx::ZERO,
            joint_move: Fx::ZERO,
            hedge_floor: Fx::ZERO,
            depeg: Fx::ZERO,
            floor: Fx::ZERO,
            maintenance: Fx::ZERO,
            initial: Fx::ZERO,
            binding: MarginTerm::Floor,
            gross_exposure: Fx::ZERO,
            variance: Fx::ZERO,
        }
    }
}

#[track_caller]
fn overflow() -> crate::fixed_point::MathError {
    crate::fixed_point::MathError { op: crate::fixed_point::MathOp::Mul, location: core::panic::Location::caller() }
}

/// Checks that each asset index is inside the matrix and appears once.
fn check_positions<C: CovarianceSource>(cov: &C, positions: &[PositionRisk]) -> RiskResult<()> {
    let dim = cov.dim();
    for (n, p) in positions.iter().enumerate() {
        if p.asset >= dim {
            return Err(RiskError::AssetOutOfRange { asset: p.asset, dim });
        }
        if positions[..n].iter().any(|q| q.asset == p.asset) {
            return Err(RiskError::DuplicatePosition { asset: p.asset });
        }
    }
    Ok(())
}

/// The quadratic pieces every term is built from (all per sample interval, USD or USD²).
struct QuadraticParts {
    /// Upper bound of wᵀΣw, ≥ 0.
    variance: Fx,
    /// Upper bound of Σ w_i²Σ_ii.
    diagonal: Fx,
    /// Upper bound of |Σ w_i σ_i|.
    joint_sigma: Fx,
    /// Upper bound of Σ |w_i|σ_i.
    undiversified: Fx,
    /// Σ g_i·max(w_i, 0), rounded up.
    depeg_loss: Fx,
    gross: Fx,
    floor: Fx,
}

fn quadratic_parts<C: CovarianceSource>(cov: &C, positions: &[PositionRisk]) -> RiskResult<QuadraticParts> {
    check_positions(cov, positions)?;
    let k = positions.len();
    let mut gross = Fx::ZERO;
    let mut floor = Fx::ZERO;
    // The exposures the quadratic forms see: w·d, each the exact floor of the product (so the one
    // truncation below is the only rounding of w'), and Σ|w·d| rounded up for the shift.
    let mut scaled: Vec<Fx> = Vec::with_capacity(k);
    let mut scaled_gross = Fx::ZERO;
    let mut undiversified = Fx::ZERO;
    let mut depeg_loss = Fx::ZERO;
    for p in positions {
        let gap = cov.depeg_gap(p.asset);
        if gap > Fx::ZERO && p.exposure > Fx::ZERO {
            depeg_loss = depeg_loss.add_checked(p.exposure.mul_ceil(gap)?)?;
        }
        let abs = p.exposure.abs();
        gross = gross.add_checked(abs)?;
        floor = floor.add_checked(abs.mul_ceil(p.floor_rate)?)?;
        let d = cov.vol_scale(p.asset);
        // One multiply: ⌊w·d⌋ for the forms; |⌊w·d⌋| + 1 ULP ≥ |w·d| bounds the sums from above.
        let (w_scaled, abs_scaled) = if d == Fx::ONE {
            (p.exposure, abs)
        } else {
            let w = p.exposure.mul_floor(d)?;
            (w, w.abs().add_checked(Fx::from_bits(1))?)
        };
        scaled_gross = scaled_gross.add_checked(abs_scaled)?;
        undiversified = undiversified.add_checked(abs_scaled.mul_ceil(cov.vol(p.asset)?)?)?;
        scaled.push(w_scaled);
    }
    // Work on w' = w / 2^e with |w'| summing below 1, so every product takes the cheap 64-bit path
    // whatever the book's size; the quadratic forms scale back by 2^2e (exact shifts).
    let e = (128 - scaled_gross.to_bits().leading_zeros()).saturating_sub(FRAC_BITS);
    let mut diagonal = Fx::ZERO;
    let mut off_diagonal = Fx::ZERO;
    let mut joint = Fx::ZERO;
    let mut max_var = Fx::ZERO;
    for (a, pa) in positions.iter().enumerate() {
        let wa = Fx::from_bits(scaled[a].to_bits() >> e);
        let var = cov.cov(pa.asset, pa.asset);
        max_var = max_var.max(var);
        joint = joint.add_checked(wa.mul_floor(cov.vol(pa.asset)?)?)?;
        diagonal = diagonal.add_checked(wa.mul_floor(var.mul_floor(wa)?)?)?;
        let mut row = Fx::ZERO;
        for (pb, sb) in positions[a + 1..].iter().zip(&scaled[a + 1..]) {
            let wb = Fx::from_bits(sb.to_bits() >> e);
            row = row.add_checked(cov.cov(pa.asset, pb.asset).mul_floor(wb)?)?;
        }
        off_diagonal = off_diagonal.add_checked(wa.mul_floor(row)?.mul_int(2)?)?;
    }
    // Pads in scaled units (ULPs), with G' < 1 and M = max held variance (|Σ_ij| ≤ M):
    // rounding of the products, 2k(G'+k) for V and (G'+k) for the diagonal and for Σw'σ; and the
    // truncation w' = ⌊w/2^e⌋ (each off by < 1 ULP): ≤ 2Mk + 1 for V, 2M + 1 for the diagonal,
    // k(M+1) for Σw'σ (σ ≤ M + 1).
    let m = crate::fixed_point::ceil_to_int(max_var).max(1) as usize;
    let kk = k + 1;
    let pad_v = Fx::from_bits((2 * k * kk + 2 * m * k + 1) as i128);
    let pad_d = Fx::from_bits((kk + 2 * m + 1) as i128);
    let pad_j = Fx::from_bits((kk + k * (m + 1)) as i128);
    let variance = unscale(diagonal.add_checked(off_diagonal)?.add_checked(pad_v)?.max(Fx::ZERO), 2 * e)?;
    let diagonal = unscale(diagonal.add_checked(pad_d)?.max(Fx::ZERO), 2 * e)?;
    let joint_sigma = unscale(joint.abs().add_checked(pad_j)?, e)?;
    Ok(QuadraticParts { variance, diagonal, joint_sigma, undiversified, depeg_loss, gross, floor })
}

/// `x · 2^shift` (exact), or an overflow error.
fn unscale(x: Fx, shift: u32) -> RiskResult<Fx> {
    let bits = x.to_bits();
    if shift > 0 && (shift >= 127 || bits.unsigned_abs().leading_zeros() <= shift) {
        return Err(RiskError::Math(overflow()));
    }
    Ok(Fx::from_bits(bits << shift))
}

/// Maintenance and initial margin of a book, with every term.
pub fn margin<C: CovarianceSource>(
    cov: &C,
    positions: &[PositionRisk],
    params: &MarginParams,
) -> RiskResult<MarginBreakdown> {
    if positions.is_empty() {
        return Ok(MarginBreakdown::zero());
    }
    let q = quadratic_parts(cov, positions)?;
    let sqrt_s = params.horizon_scale.sqrt_ceil()?;
    let z_sqrt_s = params.z.mul_ceil(sqrt_s)?;
    let m2 = params.stress_vol_multiplier.mul_ceil(params.stress_vol_multiplier)?;

    let var = z_sqrt_s.mul_ceil(q.variance.sqrt_ceil()?)?;

    let one_minus_alpha = Fx::ONE.sub_checked(params.spike_alpha)?;
    let spike_variance = m2.mul_ceil(
        one_minus_alpha
            .mul_ceil(q.variance)?
            .add_checked(params.spike_alpha.mul_ceil(q.joint_sigma.mul_ceil(q.joint_sigma)?)?)?,
    )?;
    let correlation_spike = z_sqrt_s.mul_ceil(spike_variance.sqrt_ceil()?)?;

    let one_minus_beta = Fx::ONE.sub_checked(params.breakdown_beta)?;
    let breakdown_variance =
        m2.mul_ceil(one_minus_beta.mul_ceil(q.variance)?.add_checked(params.breakdown_beta.mul_ceil(q.diagonal)?)?)?;
    let correlation_breakdown = z_sqrt_s.mul_ceil(breakdown_variance.sqrt_ceil()?)?;

    let joint_move = params.joint_move_sigmas.mul_ceil(sqrt_s)?.mul_ceil(q.joint_sigma)?;

    let depeg = if q.depeg_loss == Fx::ZERO { Fx::ZERO } else { var.add_checked(q.depeg_loss)? };

    let hedge_floor = if params.hedge_floor == Fx::ZERO {
        Fx::ZERO
    } else {
        let m = params.stress_vol_multiplier;
        params.hedge_floor.mul_ceil(z_sqrt_s)?.mul_ceil(m)?.mul_ceil(q.undiversified)?
    };

    let mut binding = MarginTerm::Var;
    let mut maintenance = var;
    for (term, value) in [
        (MarginTerm::CorrelationSpike, correlation_spike),
        (MarginTerm::CorrelationBreakdown, correlation_breakdown),
        (MarginTerm::JointMove, joint_move),
        (MarginTerm::HedgeFloor, hedge_floor),
        (MarginTerm::Depeg, depeg),
        (MarginTerm::Floor, q.floor),
    ] {
        if value > maintenance {
            maintenance = value;
            binding = term;
        }
    }
    let initial = params.initial_multiplier.mul_ceil(maintenance)?;
    Ok(MarginBreakdown {
        var,
        correlation_spike,
        correlation_breakdown,
        joint_move,
        hedge_floor,
        depeg,
        floor: q.floor,
        maintenance,
        initial,
        binding,
        gross_exposure: q.gross,
        variance: q.variance,
    })
}

/// Portfolio variance `wᵀΣw` per sample interval (USD²), an upper bound clamped ≥ 0.
pub fn portfolio_variance<C: CovarianceSource>(cov: &C, positions: &[PositionRisk]) -> RiskResult<Fx> {
    Ok(quadratic_parts(cov, positions)?.variance)
}

/// Each position's contribution to the VaR term: `z·√s · w_i·(Σw)_i / √V`. The contributions add up
/// to the VaR term (Euler allocation, up to rounding); a negative contribution is a hedge.
pub fn risk_contributions<C: CovarianceSource>(
    cov: &C,
    positions: &[PositionRisk],
    params: &MarginParams,
) -> RiskResult<Vec<Fx>> {
    check_positions(cov, positions)?;
    let mut marginal = Vec::with_capacity(positions.len());
    let mut variance = Fx::ZERO;
    // The VaR term's exposures: w·d (the anti-procyclical scale).
    let scaled: Vec<Fx> =
        positions.iter().map(|p| p.exposure.mul_floor(cov.vol_scale(p.asset))).collect::<Result<_, _>>()?;
    for (pa, wa) in positions.iter().zip(&scaled) {
        let mut row = Fx::ZERO;
        for (pb, wb) in positions.iter().zip(&scaled) {
            row = row.add_checked(cov.cov(pa.asset, pb.asset).mul_floor(*wb)?)?;
        }
        let c = wa.mul_floor(row)?;
        variance = variance.add_checked(c)?;
        marginal.push(c);
    }
    if variance <= Fx::ZERO {
        return Ok(alloc::vec![Fx::ZERO; positions.len()]);
    }
    let scale = params.z.mul_floor(params.horizon_scale.sqrt_floor()?)?.div_floor(variance.sqrt_floor()?)?;
    marginal.into_iter().map(|c| Ok(c.mul_floor(scale)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::OwnedMatrix;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }
    fn f(v: Fx) -> f64 {
        v.to_num()
    }
    fn pos(asset: usize, w: f64) -> PositionRisk {
        PositionRisk { asset, exposure: fx(w), floor_rate: fx(0.01) }
    }
    fn params() -> MarginParams {
        MarginParams {
            z: fx(2.0),
            horizon_scale: fx(4.0),
            spike_alpha: fx(0.5),
            breakdown_beta: fx(0.5),
            stress_vol_multiplier: fx(1.0),
            joint_move_sigmas: fx(1.0),
            initial_multiplier: fx(1.5),
            hedge_floor: Fx::ZERO,
        }
    }
    /// σ = (10%, 20%), ρ = 0.5.
    fn two_assets() -> OwnedMatrix {
        OwnedMatrix::from_dense(2, &[fx(0.01), fx(0.01), fx(0.01), fx(0.04)]).unwrap()
    }

    #[test]
    fn single_long_position_by_hand() {
        // w = 1000 in asset 0: σ_h = 0.1·√4 = 0.2 → VaR = 2·0.2·1000 = 400; with one asset every
        // correlation term equals VaR (m = 1), joint move = 1·0.2·1000 = 200, floor = 10.
        let b = margin(&two_assets(), &[pos(0, 1000.0)], &params()).unwrap();
        assert!((f(b.var) - 400.0).abs() < 1e-6);
        assert!((f(b.correlation_spike) - 400.0).abs() < 1e-6);
        assert!((f(b.correlation_breakdown) - 400.0).abs() < 1e-6);
        assert!((f(b.joint_move) - 200.0).abs() < 1e-6);
        assert!((f(b.floor) - 10.0).abs() < 1e-6);
        assert!((f(b.maintenance) - 400.0).abs() < 1e-6);
        assert!((f(b.initial) - 600.0).abs() < 1e-6);
        // With one asset the three variance terms coincide; rounding pads decide which one "binds".
        assert!(matches!(b.binding, MarginTerm::Var | MarginTerm::CorrelationSpike | MarginTerm::CorrelationBreakdown));
        assert!(b.var >= fx(400.0), "rounded up");
    }

    #[test]
    fn hedged_pair_by_hand() {
        // w = (+1000, -500): V = 1e6·0.01 + 2.5e5·0.04 − 2·1000·500·0.01 = 10000 → √V = 100.
        // VaR = 2·2·100 = 400. S = 1000·0.1 − 500·0.2 = 0 → spike V = 0.5·10000 → 2·2·70.71 = 282.8.
        // Breakdown V = 0.5·10000 + 0.5·(10000+10000) = 15000 → 4·122.47 = 489.9. Joint = 0.
        let b = margin(&two_assets(), &[pos(0, 1000.0), pos(1, -500.0)], &params()).unwrap();
        assert!((f(b.var) - 400.0).abs() < 1e-6);
        assert!((f(b.correlation_spike) - 4.0 * 5000f64.sqrt()).abs() < 1e-6);
        assert!((f(b.correlation_breakdown) - 4.0 * 15000f64.sqrt()).abs() < 1e-6);
        assert!(f(b.joint_move) < 1e-6);
        assert_eq!(b.binding, MarginTerm::CorrelationBreakdown);
        assert!((f(b.variance) - 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn floor_binds_when_variance_is_zero() {
        let zero = OwnedMatrix::zeros(2);
        let b = margin(&zero, &[pos(0, 1000.0), pos(1, -1000.0)], &params()).unwrap();
        assert_eq!(b.binding, MarginTerm::Floor);
        assert!((f(b.maintenance) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn empty_book_needs_no_margin() {
        assert_eq!(margin(&two_assets(), &[], &params()).unwrap().maintenance, Fx::ZERO);
    }

    #[test]
    fn bad_books_are_rejected() {
        let m = two_assets();
        assert_eq!(margin(&m, &[pos(2, 1.0)], &params()), Err(RiskError::AssetOutOfRange { asset: 2, dim: 2 }));
        assert_eq!(margin(&m, &[pos(1, 1.0), pos(1, 2.0)], &params()), Err(RiskError::DuplicatePosition { asset: 1 }));
    }

    #[test]
    fn params_are_bounded() {
        let mut p = params();
        p.validate().unwrap();
        p.z = Fx::ZERO;
        assert!(matches!(p.validate(), Err(RiskError::InvalidParameter { name: "z", .. })));
        let mut p = params();
        p.spike_alpha = fx(1.5);
        assert!(p.validate().is_err());
        let mut p = params();
        p.initial_multiplier = fx(0.9);
        assert!(p.validate().is_err());
        MarginParams::daily_defaults().validate().unwrap();
    }

    #[test]
    fn contributions_add_up_to_var_and_hedges_are_negative() {
        let m = two_assets();
        let book = [pos(0, 1000.0), pos(1, -200.0)];
        let c = risk_contributions(&m, &book, &params()).unwrap();
        let b = margin(&m, &book, &params()).unwrap();
        let total: f64 = c.iter().map(|&x| f(x)).sum();
        assert!((total - f(b.var)).abs() < 1e-6);
        // (Σw)_1 = 0.01·1000 − 0.04·200 = 2 > 0 while w_1 < 0: the short hedges.
        assert!(c[1] < Fx::ZERO);
    }
}
