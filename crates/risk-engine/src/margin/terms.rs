//! The margin's terms from a book's quadratic pieces: every term with its breakdown ([`terms`]), or
//! the maintenance and initial margin alone with one square root ([`levels`]).
use super::{MarginBreakdown, MarginParams, MarginTerm, QuadraticParts};
use crate::error::RiskResult;
use crate::fixed_point::{Fx, FxExt};

/// Maintenance and initial margin without the other terms: what a liquidation is judged by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarginLevels {
    pub maintenance: Fx,
    pub initial: Fx,
}

impl MarginBreakdown {
    /// The two levels of this breakdown.
    pub fn levels(&self) -> MarginLevels {
        MarginLevels { maintenance: self.maintenance, initial: self.initial }
    }
}

/// The parameters' part of every term, computed once per evaluation (a prepared book keeps it for
/// its steps): each is the same left-to-right product the term used to compute, so every term is
/// bit for bit what it was.
#[derive(Clone, Copy)]
pub(super) struct TermConstants {
    /// `z·√s`.
    z_sqrt_s: Fx,
    /// `m²`.
    m2: Fx,
    one_minus_alpha: Fx,
    alpha: Fx,
    one_minus_beta: Fx,
    beta: Fx,
    /// `c·√s`.
    joint: Fx,
    /// `u·z·√s·m` (`None` when `u = 0`: no hedge floor).
    hedge: Option<Fx>,
    initial_multiplier: Fx,
}

impl TermConstants {
    #[inline(always)]
    pub(super) fn new(params: &MarginParams) -> RiskResult<Self> {
        // √1 = 1 exactly (the daily defaults): a 128-bit square root saved per health check, and a
        // product with exactly 1 is exact, so it is skipped.
        let daily = params.horizon_scale == Fx::ONE;
        let sqrt_s = if daily { Fx::ONE } else { params.horizon_scale.sqrt_ceil()? };
        let times_sqrt_s = |v: Fx| if daily { Ok(v) } else { v.mul_ceil(sqrt_s) };
        let z_sqrt_s = times_sqrt_s(params.z)?;
        let m = params.stress_vol_multiplier;
        let hedge = if params.hedge_floor == Fx::ZERO {
            None
        } else {
            Some(params.hedge_floor.mul_ceil(z_sqrt_s)?.mul_ceil(m)?)
        };
        Ok(Self {
            z_sqrt_s,
            m2: m.mul_ceil(m)?,
            one_minus_alpha: Fx::ONE.sub_checked(params.spike_alpha)?,
            alpha: params.spike_alpha,
            one_minus_beta: Fx::ONE.sub_checked(params.breakdown_beta)?,
            beta: params.breakdown_beta,
            joint: times_sqrt_s(params.joint_move_sigmas)?,
            hedge,
            initial_multiplier: params.initial_multiplier,
        })
    }

    /// `z·√s·√v`: the VaR of a variance.
    #[inline(always)]
    fn var_of(&self, v: Fx) -> RiskResult<Fx> {
        Ok(self.z_sqrt_s.mul_ceil(v.sqrt_ceil()?)?)
    }

    /// The two stressed variances: correlation spike and correlation breakdown.
    #[inline(always)]
    fn stress_variances(&self, q: &QuadraticParts) -> RiskResult<(Fx, Fx)> {
        let spike = self.m2.mul_ceil(
            self.one_minus_alpha
                .mul_ceil(q.variance)?
                .add_checked(self.alpha.mul_ceil(q.joint_sigma.mul_ceil(q.joint_sigma)?)?)?,
        )?;
        let breakdown = self
            .m2
            .mul_ceil(self.one_minus_beta.mul_ceil(q.variance)?.add_checked(self.beta.mul_ceil(q.diagonal)?)?)?;
        Ok((spike, breakdown))
    }

    #[inline(always)]
    fn joint_move(&self, q: &QuadraticParts) -> RiskResult<Fx> {
        Ok(self.joint.mul_ceil(q.joint_sigma)?)
    }

    #[inline(always)]
    fn hedge_floor(&self, q: &QuadraticParts) -> RiskResult<Fx> {
        Ok(match self.hedge {
            None => Fx::ZERO,
            Some(c) => c.mul_ceil(q.undiversified)?,
        })
    }

    #[inline(always)]
    fn depeg(&self, q: &QuadraticParts, var: Fx) -> RiskResult<Fx> {
        Ok(if q.depeg_loss == Fx::ZERO { Fx::ZERO } else { var.add_checked(q.depeg_loss)? })
    }
}

/// Every term of the margin from the book's quadratic pieces.
#[inline(always)]
pub(super) fn terms(q: &QuadraticParts, c: &TermConstants) -> RiskResult<MarginBreakdown> {
    let var = c.var_of(q.variance)?;
    let (spike_variance, breakdown_variance) = c.stress_variances(q)?;
    let correlation_spike = c.var_of(spike_variance)?;
    let correlation_breakdown = c.var_of(breakdown_variance)?;
    let joint_move = c.joint_move(q)?;
    let depeg = c.depeg(q, var)?;
    let hedge_floor = c.hedge_floor(q)?;

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
    let initial = c.initial_multiplier.mul_ceil(maintenance)?;
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
        perp_add_on: Fx::ZERO,
        perp_profit_haircut: Fx::ZERO,
    })
}

/// [`terms`]' maintenance and initial margin alone, bit for bit, with one square root instead of
/// three: `v ↦ z·√s·√v` rounds up at both steps and is non-decreasing for `z·√s ≥ 0` (validated
/// parameters: z > 0), so the largest of the VaR and the two correlation terms is the term of the
/// largest of their variances, and it overflows exactly when one of the three does. The VaR alone
/// is computed only for the de-peg term (a book with a de-peg loss).
///
/// A deferred floor (`q.floor_bound`) is summed by `deferred_floor` only when its bound exceeds
/// the other terms' maximum (see `FloorSum::Deferred`).
#[inline(always)]
pub(super) fn levels(
    q: &QuadraticParts,
    c: &TermConstants,
    deferred_floor: impl FnOnce() -> RiskResult<Fx>,
) -> RiskResult<MarginLevels> {
    let (spike_variance, breakdown_variance) = c.stress_variances(q)?;
    // Outside validated parameters (a negative z or stress variance) the full terms decide.
    if c.z_sqrt_s < Fx::ZERO || spike_variance < Fx::ZERO || breakdown_variance < Fx::ZERO {
        let floor = if q.floor_bound.is_some() { deferred_floor()? } else { q.floor };
        return Ok(terms(&QuadraticParts { floor, floor_bound: None, ..*q }, c)?.levels());
    }
    let mut maintenance = c.var_of(q.variance.max(spike_variance).max(breakdown_variance))?;
    if q.depeg_loss != Fx::ZERO {
        maintenance = maintenance.max(c.depeg(q, c.var_of(q.variance)?)?);
    }
    maintenance = maintenance.max(c.joint_move(q)?).max(c.hedge_floor(q)?);
    match q.floor_bound {
        None => maintenance = maintenance.max(q.floor),
        // The floor is at most its bound: below the maximum, it cannot change it.
        Some(bound) if bound <= maintenance => {}
        Some(_) => maintenance = maintenance.max(deferred_floor()?),
    }
    Ok(MarginLevels { maintenance, initial: c.initial_multiplier.mul_ceil(maintenance)? })
}
