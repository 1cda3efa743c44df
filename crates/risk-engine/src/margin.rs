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
//! Kernel: the quadratic forms read Σ in the margin kernel's form ([`crate::kernel`]: per-asset
//! power-of-two scales, `i32` entries) with exposures shifted into integers below 2^31, so every
//! held entry is one native 64-bit multiply-add whatever the book's size.
//!
//! Rounding: every computed term is an upper bound of the same term in exact arithmetic on the
//! stored Σ, σ and d. Each quadratic form gets one proven pad for the floors of the kernel's
//! entries and exposures (see `quadratic_parts`), and every later multiply and square root rounds
//! up. The pads are ~1e-8 of the book's standalone stress (property tests: ≤ 1e-7).
use alloc::vec::Vec;

use crate::covariance::{tri_index, tri_len, CovarianceSource};
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt};
use crate::kernel;

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
    /// max of the seven terms (+ the perp add-on).
    pub maintenance: Fx,
    /// `initial_multiplier × maintenance` (+ the perp profit haircut).
    pub initial: Fx,
    pub binding: MarginTerm,
    /// `Σ |w_i|`, USD.
    pub gross_exposure: Fx,
    /// Upper bound of `wᵀΣw` per sample interval (USD², not horizon-scaled), clamped ≥ 0.
    pub variance: Fx,
    /// Perps: the margin netting cannot remove (`perp::perp_add_on`), inside `maintenance`.
    pub perp_add_on: Fx,
    /// Perps: `Σ (maintenance − initial weight) × profit`, inside `initial` only.
    pub perp_profit_haircut: Fx,
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
            perp_add_on: Fx::ZERO,
            perp_profit_haircut: Fx::ZERO,
        }
    }
}

#[track_caller]
fn overflow() -> RiskError {
    RiskError::Math(crate::fixed_point::MathError {
        op: crate::fixed_point::MathOp::Mul,
        location: core::panic::Location::caller(),
    })
}

/// Checks that each asset index is inside the matrix and appears once.
fn check_positions<C: CovarianceSource>(cov: &C, positions: &[PositionRisk]) -> RiskResult<()> {
    let mut distinct = Distinct::new(cov);
    for n in 0..positions.len() {
        distinct.check(positions, n)?;
    }
    Ok(())
}

/// [`check_positions`] one position at a time, so an evaluation checks each position in the pass
/// that reads it.
struct Distinct {
    dim: usize,
    /// Assets below 128 in a bit set of two native words (a `u128` shift by a variable amount is a
    /// branchy sequence on SBF).
    seen: [u64; 2],
}

impl Distinct {
    #[inline(always)]
    fn new<C: CovarianceSource>(cov: &C) -> Self {
        Self { dim: cov.dim(), seen: [0; 2] }
    }

    /// `positions[n]`'s asset is inside the matrix and not among `positions[..n]`'s (which were
    /// checked before it).
    #[inline(always)]
    fn check(&mut self, positions: &[PositionRisk], n: usize) -> RiskResult<()> {
        let asset = positions.get(n).map_or(usize::MAX, |p| p.asset);
        if asset >= self.dim {
            return Err(RiskError::AssetOutOfRange { asset, dim: self.dim });
        }
        let duplicate = if asset < 128 {
            let (word, bit) = (&mut self.seen[asset / 64], 1u64 << (asset % 64));
            let again = *word & bit != 0;
            *word |= bit;
            again
        } else {
            positions[..n].iter().any(|q| q.asset == asset)
        };
        if duplicate {
            return Err(RiskError::DuplicatePosition { asset });
        }
        Ok(())
    }
}

/// The quadratic pieces every term is built from (all per sample interval, USD or USD²).
#[derive(Clone, Copy)]
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
    /// The floor term's sum; zero when it is deferred.
    floor: Fx,
    /// A deferred floor ([`FloorSum::Deferred`]): an upper bound of the sum it stands for.
    floor_bound: Option<Fx>,
}

/// How an evaluation sums the floor term `Σ ⌈|w_i|·fr_i⌉`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FloorSum {
    /// Position by position (a 128-bit product each): every breakdown, and a prepared book, which
    /// updates the sum in place.
    Exact,
    /// Only when it could set the maintenance margin ([`margin_levels`]): the book keeps the
    /// largest rate, and `⌈fr_max·Σ|w|⌉ + k` ulps bounds the sum of the k rounded-up terms (each
    /// `|w_i|·fr_i ≤ |w_i|·fr_max` and adds less than one ulp). When the bound does not exceed
    /// the other terms' maximum, neither does the floor, so the maintenance margin (their maximum)
    /// is the same bits without it.
    Deferred,
}

/// A position's floor term `⌈|w|·fr⌉` (`abs` = `|w|`).
#[inline(always)]
fn floor_term(abs: Fx, rate: Fx) -> RiskResult<Fx> {
    Ok(abs.mul_ceil(rate)?)
}

/// The floor term of a book, position by position ([`FloorSum::Exact`]'s sum).
fn floor_sum(positions: &[PositionRisk]) -> RiskResult<Fx> {
    let mut sum = Fx::ZERO;
    for p in positions {
        sum = sum.add_checked(floor_term(p.exposure.abs(), p.floor_rate)?)?;
    }
    Ok(sum)
}

/// One held position in the kernel's units.
#[derive(Clone, Copy)]
struct KernelPosition {
    asset: usize,
    exponent: i8,
    vol: u32,
    scale_exact: bool,
    /// `w_bits · d̃` (= `w·d·2^74` up to the rounding of `d̃`).
    product: i128,
    /// `|w_bits|`.
    abs_bits: i128,
}

/// `bit_len(|product|) − a_i`: the largest over the book picks the coarse shift.
#[inline(always)]
fn top_of(h: &KernelPosition) -> i32 {
    kernel::bit_len(h.product.unsigned_abs()) - h.exponent as i32
}

/// `top.max(top_of(h))`, the bit length counted only when `h` can raise `top`:
/// `top_of(h) > top ⟺ |product| ≥ 2^(top + a)`, a shift and a test (a bit length is ~40
/// instructions on SBF, which has no count-leading-zeros).
#[inline(always)]
fn raise_top(top: i32, h: &KernelPosition) -> i32 {
    let s = top.saturating_add(h.exponent as i32);
    // |product| >> s == 0 on the magnitude's two native words (a u128 shift by a variable amount
    // is a branchy sequence on SBF): for s < 64 the high word must be 0 and the low one below 2^s.
    let m = h.product.unsigned_abs();
    let (lo, hi) = (m as u64, (m >> 64) as u64);
    let below = match s {
        0..=63 => hi == 0 && lo >> s == 0,
        64..=127 => hi >> (s - 64) == 0,
        _ => false,
    };
    if below {
        return top;
    }
    top.max(top_of(h))
}

/// The sums of a book that are plain sums of per-position terms: the de-peg loss, `Σ|w|`, the floor.
#[derive(Clone, Copy)]
struct PlainSums {
    depeg_loss: Fx,
    gross: Fx,
    /// [`FloorSum::Exact`]: the floor term's sum.
    floor: Fx,
    /// [`FloorSum::Deferred`]: the largest floor rate instead (`Fx::MIN` before any position).
    floor_rate_max: Fx,
    /// How the floor is summed.
    mode: FloorSum,
}

impl PlainSums {
    /// No position yet, summing the floor as `floor` says.
    #[inline(always)]
    fn new(floor: FloorSum) -> Self {
        Self { depeg_loss: Fx::ZERO, gross: Fx::ZERO, floor: Fx::ZERO, floor_rate_max: Fx::MIN, mode: floor }
    }
}

/// One position's terms added to the plain sums, and its kernel units: the per-position work of
/// every evaluation, full or incremental.
#[inline(always)]
fn kernel_position<C: CovarianceSource>(cov: &C, p: &PositionRisk, sums: &mut PlainSums) -> RiskResult<KernelPosition> {
    let gap = cov.depeg_gap(p.asset);
    if gap > Fx::ZERO && p.exposure > Fx::ZERO {
        sums.depeg_loss = sums.depeg_loss.add_checked(p.exposure.mul_ceil(gap)?)?;
    }
    let abs = p.exposure.abs();
    sums.gross = sums.gross.add_checked(abs)?;
    match sums.mode {
        FloorSum::Exact => sums.floor = sums.floor.add_checked(floor_term(abs, p.floor_rate)?)?,
        FloorSum::Deferred => sums.floor_rate_max = sums.floor_rate_max.max(p.floor_rate),
    }
    let ka = cov.kernel_asset(p.asset)?;
    // |w_bits| < 2^95 (w < 2^47 USD) and d̃ < 2^32: the product is below 2^127.
    let bits = p.exposure.to_bits();
    if bits.unsigned_abs() >> 95 != 0 {
        return Err(overflow());
    }
    Ok(KernelPosition {
        asset: p.asset,
        exponent: ka.exponent,
        vol: ka.vol,
        scale_exact: ka.scale_exact,
        product: scaled_product(bits, ka.scale),
        abs_bits: abs.to_bits(),
    })
}

/// The deferred floor of a book whose floor is exact: never asked for.
fn exact_only() -> RiskResult<Fx> {
    Err(overflow())
}

/// `bits·d̃` for `|bits| < 2^95` and `d̃ < 2^32`, from three native products of the magnitude's
/// 32-bit pieces (an `i128` product is a `__multi3` call on SBF): each piece times `d̃` is below
/// 2^64, and the sum below 2^127.
#[inline(always)]
fn scaled_product(bits: i128, scale: u32) -> i128 {
    let (m, d) = (bits.unsigned_abs(), scale as u64);
    let (lo, hi) = (m as u64, (m >> 64) as u64);
    let p = ((hi.wrapping_mul(d) as u128) << 64)
        + (((lo >> 32).wrapping_mul(d) as u128) << 32)
        + (lo & 0xffff_ffff).wrapping_mul(d) as u128;
    if bits < 0 {
        -(p as i128)
    } else {
        p as i128
    }
}

/// The coarse shift from the largest `top`.
#[inline(always)]
fn coarse_shift(top: i32) -> i32 {
    top.saturating_sub(56).max(-200)
}

/// A position's term of the coarse magnitude sum at shift `t0`.
#[inline(always)]
fn coarse_term(h: &KernelPosition, t0: i32) -> RiskResult<i128> {
    // Below 2^56 by the choice of t0 (so it fits the native path's i64).
    kernel::shift_floor_i64(h.product.abs(), -(h.exponent as i64 + t0 as i64)).map(i128::from).ok_or_else(|| overflow())
}

/// `x̃_i` and `η_i` of a position at the common shift `t`.
#[inline(always)]
fn kernel_units(h: &KernelPosition, t: i32) -> RiskResult<(i64, i64)> {
    // In i64 (SBF has no 32-bit sign extension); |shift| < 2^9, so the i32 below is exact.
    let shift = -(h.exponent as i64 + t as i64);
    let xi = kernel::shift_floor_i64(h.product, shift).ok_or_else(|| overflow())?;
    let eta =
        if h.scale_exact { 1 } else { 1 + kernel::shift_ceil(h.abs_bits, shift as i32).ok_or_else(|| overflow())? };
    // |x̃_i| ≤ 2^30 + 1 by the choice of t; checked here so the products below are proven.
    let xi = i32::try_from(xi).map_err(|_| overflow())? as i64;
    let eta = i32::try_from(eta).map_err(|_| overflow())? as i64;
    Ok((xi, eta))
}

/// `(|x̃| + η)·s̃`, the position's term of the hedge-floor sum: below 2^32·2^32, a native multiply.
#[inline(always)]
fn undiversified_term(xi: i64, eta: i64, vol: u32) -> u64 {
    (xi.unsigned_abs() + eta as u64).wrapping_mul(vol as u64)
}

/// Every sum of an evaluated book, in the kernel's units (before the pads).
#[derive(Clone, Copy)]
struct KernelSums {
    /// Positions in the book.
    count: usize,
    /// The largest `top_of` over the book.
    top: i32,
    plain: PlainSums,
    t0: i32,
    t: i32,
    coarse: i128,
    big_x: i128,
    big_e: i128,
    s_max: i128,
    joint: i128,
    undiversified: i128,
    quad: i128,
    diag: i128,
}

/// An evaluated book: its held positions by asset, their `x̃`, and the sums.
struct KernelBook {
    held: Vec<KernelPosition>,
    x: Vec<i64>,
    sums: KernelSums,
}

/// `C̃` of held positions `a`, `b` (by asset order: the packed upper triangle), stored or computed.
#[inline]
fn held_entry<C: CovarianceSource>(
    cov: &C,
    stored: Option<&[i32]>,
    a: &KernelPosition,
    b: &KernelPosition,
) -> RiskResult<i64> {
    let (lo, hi) = if a.asset <= b.asset { (a, b) } else { (b, a) };
    Ok(match stored {
        Some(entries) => *entries.get(tri_index(lo.asset, hi.asset)).ok_or_else(|| overflow())? as i64,
        None => cov.kernel_entry(lo.asset, hi.asset, lo.exponent, hi.exponent)? as i64,
    })
}

/// The quadratic forms in the margin kernel ([`crate::kernel`]): 64-bit multiply-adds over the
/// held entries of `C̃`, then one pad per form that bounds every rounding, so each piece is an upper
/// bound of the same piece in exact arithmetic on the stored `Σ`, `σ` and `d`.
///
/// With `y_i = w_i·d_i·2^{74 − a_i − t}` (exact) and `x̃_i = ⌊w_bits·d̃_i·2^{−(a_i+t)}⌋`:
/// `|y_i − x̃_i| ≤ η_i`: 1 (the floor) when `d̃` is exact, else `1 + ⌈|w_bits|·2^{−(a_i+t)}⌉`
/// (`d̃ − d·2^26 ∈ [0, 1)`);
/// `X = Σ|x̃_i| ∈ (2^28, 2^30 + k]` by the choice of `t`; `E = Σ η_i`; `B = X + E ≥ Σ|y_i|`.
/// - `2^29·yᵀCy ≤ x̃ᵀC̃x̃ + B² + C_max·E·(B + X)` (`C̃ = ⌊2^29·C⌋` is off by < 1; each
///   `|y_iy_j − x̃_ix̃_j|` sums to ≤ `E·(B + X)`; `C_max` is any bound of the `|C̃_ij|` read: the
///   kernel's [`kernel::ENTRY_BOUND`], which no entry exceeds), the same bound for the diagonal;
/// - `|Σ y_i·s_i·2^31| ≤ |Σ x̃_i·s̃_i| + B + E·s_max` (`s̃ = ⌈s·2^31⌉`);
/// - `Σ |y_i|·s_i·2^31 ≤ Σ (|x̃_i| + η_i)·s̃_i`.
/// Back to USD: `wᵀDΣDw` in raw bits is `2^{2t−129}` times the first, `Σ w_i d_i σ_i` is
/// `2^{t−57}` times the others, each shifted rounding up.
fn kernel_book<C: CovarianceSource>(cov: &C, positions: &[PositionRisk], floor: FloorSum) -> RiskResult<KernelBook> {
    let k = positions.len();
    let mut plain = PlainSums::new(floor);
    let mut held: Vec<KernelPosition> = Vec::with_capacity(k);
    let mut top = i32::MIN;
    let mut distinct = Distinct::new(cov);
    for (n, p) in positions.iter().enumerate() {
        // Before the position's kernel data is read (its asset indexes the model's arrays).
        distinct.check(positions, n)?;
        let h = kernel_position(cov, p, &mut plain)?;
        top = raise_top(top, &h);
        held.push(h);
    }
    crate::probe!("kernel assets");
    // By asset index, so the held entries of the packed upper triangle are (earlier, later).
    for n in 1..held.len() {
        let mut m = n;
        while m > 0 && held[m - 1].asset > held[m].asset {
            held.swap(m - 1, m);
            m -= 1;
        }
    }
    // The common shift t: Σ|x̃_i| close below 2^30, from the sum of the magnitudes at a coarse
    // shift t0 (each below 2^56, so the sum cannot overflow); the floors add less than k.
    // So X ≤ 2^30 + k, a row Σ_j C̃_ij·x̃_j stays below 2^62 and x̃_i·s̃_i below 2^63.
    let t0 = coarse_shift(top);
    let mut coarse = k as i128;
    for h in &held {
        coarse += coarse_term(h, t0)?;
    }
    let t = t0 + (kernel::bit_len(coarse as u128) - 30).max(0);
    let mut x: Vec<i64> = Vec::with_capacity(k);
    // In native words: |x̃|, η ≤ 2^31 (checked by `kernel_units`), so X and E stay below 2^37 for
    // k ≤ 64; each x̃·s̃ is below 2^31·2^32 = 2^63 and, once X ≤ 2^30 + k is checked, so is
    // |Σ x̃·s̃| ≤ X·2^32, so the wrapping sum is exact. The hedge-floor terms (below 2^64) sum in u128.
    let (mut big_x, mut big_e, mut s_max) = (0i64, 0i64, 0i64);
    let (mut joint, mut undiversified) = (0i64, 0u128);
    for h in &held {
        let (xi, eta) = kernel_units(h, t)?;
        let vol = h.vol as i64;
        big_x = big_x.wrapping_add(xi.wrapping_abs());
        big_e = big_e.wrapping_add(eta);
        s_max = s_max.max(vol);
        joint = joint.wrapping_add(xi.wrapping_mul(vol));
        undiversified += undiversified_term(xi, eta, h.vol) as u128;
        x.push(xi);
    }
    if big_x > (1 << 30) + k as i64 {
        return Err(overflow());
    }
    let (big_x, big_e, s_max, joint) = (big_x as i128, big_e as i128, s_max as i128, joint as i128);
    let undiversified = undiversified as i128;
    crate::probe!("shifts");
    // x̃ᵀC̃x̃ and its diagonal over the held entries of the packed C̃ (the stored one, or the held
    // block computed here): position b's column starts at tri_index(0, keys[b]), position a < b
    // sits at keys[a] in it (positions sorted by asset, so a < b is the upper triangle). One native 64-bit
    // multiply-add per entry. Bounds: |C̃| ≤ 2^31 and Σ|x̃| ≤ 2^30 + k, so every partial column
    // (and C̃_bb·x̃_b) is below 2^62, the split sums stay in i64 (`add_split`) and the forms below
    // 2^31·2^64: no operation below can wrap.
    // keys[b]: position b's asset in the stored matrix, its place in the block computed here.
    let block: Vec<i32>;
    let (entries, keys): (&[i32], Vec<usize>) = match cov.kernel_entries() {
        Some(stored) => (stored, held.iter().map(|h| h.asset).collect()),
        None => {
            let mut local = Vec::with_capacity(tri_len(k));
            for (b, hb) in held.iter().enumerate() {
                for ha in &held[..=b] {
                    local.push(cov.kernel_entry(ha.asset, hb.asset, ha.exponent, hb.exponent)?);
                }
            }
            block = local;
            (&block[..], (0..k).collect())
        }
    };
    // x̃ᵀC̃x̃ = diag + 2·cross, cross = Σ_b x̃_b·(column b above the diagonal); each product
    // v·x̃_b (|v| < 2^62) split at 2^32 into native products `split_product`, summed in i64.
    let (mut diag_parts, mut cross_parts) = ((0i64, 0i64), (0i64, 0i64));
    for b in 0..k {
        let column = &entries[tri_index(0, keys[b])..];
        let sum = column_sum(column, &keys[..b], &x[..b]);
        let c_bb = column[keys[b]] as i64;
        let xb = x[b];
        diag_parts = add_split(diag_parts, c_bb.wrapping_mul(xb), xb);
        cross_parts = add_split(cross_parts, sum, xb);
    }
    let (diag, cross) = (join_split(diag_parts), join_split(cross_parts));
    let quad = diag.wrapping_add(cross.wrapping_mul(2));
    crate::probe!("quadratic form");
    let sums =
        KernelSums { count: k, top, plain, t0, t, coarse, big_x, big_e, s_max, joint, undiversified, quad, diag };
    Ok(KernelBook { held, x, sums })
}

/// One column of x̃ᵀC̃x̃ above the diagonal: `Σ_a C̃[keys_a]·x̃_a`, a native multiply-add per held
/// entry, wrapping nowhere within [`kernel_book`]'s bounds.
#[inline(always)]
fn column_sum(column: &[i32], keys: &[usize], x: &[i64]) -> i64 {
    let mut sum = 0i64;
    for (&key, &xa) in keys.iter().zip(x) {
        sum = sum.wrapping_add((column[key] as i64).wrapping_mul(xa));
    }
    sum
}

/// `parts + v·x` with `v·x` kept as `(⌊v/2^32⌋·x, (v mod 2^32)·x)`: `v·x = hi·2^32 + lo`, two native
/// products instead of a 128-bit one (a `__multi3` call on SBF). In [`kernel_book`], `|v| < 2^62`
/// and `Σ|x̃| ≤ 2^30 + k`, so the high parts sum below `2^30·(2^30 + k) < 2^61` and the low parts
/// below `2^32·(2^30 + k) < 2^63`: neither sum wraps.
#[inline(always)]
fn add_split(parts: (i64, i64), v: i64, x: i64) -> (i64, i64) {
    let (hi, lo) = ((v >> 32).wrapping_mul(x), ((v as u64 & 0xffff_ffff) as i64).wrapping_mul(x));
    (parts.0.wrapping_add(hi), parts.1.wrapping_add(lo))
}

/// The sum [`add_split`] kept: `hi·2^32 + lo`.
#[inline(always)]
fn join_split(parts: (i64, i64)) -> i128 {
    ((parts.0 as i128) << 32) + parts.1 as i128
}

/// The pads of [`kernel_book`]'s bounds: `B² + C_max·E·(B + X)` and `B + E·s_max`, `B = X + E`,
/// with `C_max` the kernel's [`kernel::ENTRY_BOUND`]: every entry, stored or computed, is within it
/// (refused beyond it), so no entry read is compared.
/// In native products when `X, E < 2^40` (always in practice: `X ≤ 2^30 + k`, and `E ≤ 3k + X/2^26`
/// as `d̃ ≥ 2^26`), where nothing can overflow: `B < 2^41`, `C_max < 2^30`, `s_max < 2^32`, so
/// `B² < 2^82`, `C_max·E·(B + X) < 2^70·2^42` and `E·s_max < 2^72`; overflow-checked otherwise.
/// (SBF: a checked `i128` product is a ~250 CU routine, a wrapping one ~45.)
#[inline(always)]
fn pads(s: &KernelSums) -> (i128, i128) {
    let (x, e, c_max) = (s.big_x, s.big_e, kernel::ENTRY_BOUND as i128);
    if (x | e) >> 40 == 0 && x >= 0 && e >= 0 {
        let b = x + e;
        let pad = b.wrapping_mul(b).wrapping_add(c_max.wrapping_mul(e).wrapping_mul(b + x));
        return (pad, b + e.wrapping_mul(s.s_max));
    }
    let b = x + e;
    (b * b + c_max * e * (b + x), b + e * s.s_max)
}

/// The pads of [`kernel_book`]'s bounds and the pieces back in USD.
#[inline(always)]
fn quadratic_parts(s: &KernelSums) -> RiskResult<QuadraticParts> {
    let (pad, sigma_pad) = pads(s);
    let t = s.t;
    let up = |v: i128, shift: i32| kernel::shift_ceil(v, shift).map(Fx::from_bits).ok_or_else(|| overflow());
    Ok(QuadraticParts {
        variance: up((s.quad + pad).max(0), 2 * t - 129)?,
        diagonal: up((s.diag + pad).max(0), 2 * t - 129)?,
        joint_sigma: up(s.joint.abs() + sigma_pad, t - 57)?,
        undiversified: up(s.undiversified, t - 57)?,
        depeg_loss: s.plain.depeg_loss,
        gross: s.plain.gross,
        floor: s.plain.floor,
        floor_bound: (s.plain.mode == FloorSum::Deferred && s.count > 0).then(|| {
            let rate = s.plain.floor_rate_max;
            // Fx::MAX (never below the other terms) when the bound itself does not fit.
            rate.mul_ceil(s.plain.gross)
                .ok()
                .and_then(|b| b.checked_add(Fx::from_bits(s.count as i128)))
                .unwrap_or(Fx::MAX)
        }),
    })
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
    terms(&quadratic_parts(&kernel_book(cov, positions, FloorSum::Exact)?.sums)?, &TermConstants::new(params)?)
}

/// [`margin`]'s maintenance and initial margin alone, bit for bit, cheaper (see [`levels`]): what
/// a liquidation judges by.
pub fn margin_levels<C: CovarianceSource>(
    cov: &C,
    positions: &[PositionRisk],
    params: &MarginParams,
) -> RiskResult<MarginLevels> {
    if positions.is_empty() {
        return Ok(MarginBreakdown::zero().levels());
    }
    let parts = quadratic_parts(&kernel_book(cov, positions, FloorSum::Deferred)?.sums)?;
    levels(&parts, &TermConstants::new(params)?, || floor_sum(positions))
}

/// Portfolio variance `wᵀΣw` per sample interval (USD²), an upper bound clamped ≥ 0.
pub fn portfolio_variance<C: CovarianceSource>(cov: &C, positions: &[PositionRisk]) -> RiskResult<Fx> {
    Ok(quadratic_parts(&kernel_book(cov, positions, FloorSum::Deferred)?.sums)?.variance)
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

mod prepared;
mod terms;

pub use prepared::{prepare_margin, PreparedMargin};
pub use terms::MarginLevels;
use terms::{levels, terms, TermConstants};

#[cfg(test)]
mod tests;
