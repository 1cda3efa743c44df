//! Liquidation sizing: how much of one liability a liquidator repays and how much of one collateral
//! it receives, so that the account returns to its target health and no further.
//!
//! Repaying `x` native units of liability L (worth `v = x·P_L`) takes `v·(1+f_liq)/P_C` of collateral C
//! to the liquidator and `v·f_ins/P_C` to the insurance fund, both rounded down (in the account's
//! favour). Along that path equity falls linearly by the fees while margin is convex in `x` (a max
//! of norms and absolute values of affine functions), so health is concave in `x`: it rises up to a
//! peak and falls after. The plan is the smallest `x` whose health reaches the target, searched by
//! bisection on the rising side; if the target is out of reach the plan stops at the peak.
use crate::covariance::CovarianceSource;
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt};
use crate::health::{prepare_book, BookHealth, HealthLevels, Holding, PreparedBook};
use crate::margin::MarginParams;
use crate::perp::{book_health_with_perps, book_levels_with_perps, PerpHolding};
use crate::valuation::{token_value, usd_to_native_floor};

/// Where a liquidation stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LiquidationTarget {
    /// `equity − initial margin ≥ 0`.
    Initial,
    /// `equity − (1 + buffer)·maintenance margin ≥ 0`.
    MaintenanceBuffer(Fx),
}

/// Fees and target of a liquidation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationParams {
    /// Discount to the liquidator, fraction of the repaid value (e.g. 0.025).
    pub liquidator_fee: Fx,
    /// Share of the repaid value sent to the insurance fund (e.g. 0.025).
    pub insurance_fee: Fx,
    pub target: LiquidationTarget,
    /// Confidence multiplier k of the valuation.
    pub conf_k: Fx,
}

impl LiquidationParams {
    pub fn validate(&self) -> RiskResult<()> {
        let bad = |name, reason| Err(RiskError::InvalidParameter { name, reason });
        if self.liquidator_fee < Fx::ZERO || self.liquidator_fee > Fx::from_num(0.25) {
            return bad("liquidator_fee", "must be in [0, 0.25]");
        }
        if self.insurance_fee < Fx::ZERO || self.insurance_fee > Fx::from_num(0.25) {
            return bad("insurance_fee", "must be in [0, 0.25]");
        }
        if let LiquidationTarget::MaintenanceBuffer(b) = self.target {
            if b < Fx::ZERO || b > Fx::ONE {
                return bad("target_buffer", "must be in [0, 1]");
            }
        }
        if self.conf_k < Fx::ZERO || self.conf_k > Fx::from_num(10) {
            return bad("conf_k", "must be in [0, 10]");
        }
        Ok(())
    }
}

/// Token flows of one liquidation step, in native units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationFlows {
    /// Liability repaid by the liquidator (native units of L).
    pub repay: i128,
    /// Collateral moved from the account to the liquidator (native units of C).
    pub to_liquidator: i128,
    /// Collateral moved from the account to the insurance fund (native units of C).
    pub to_insurance: i128,
}

/// A sized liquidation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationPlan {
    pub flows: LiquidationFlows,
    /// Target health (per [`LiquidationTarget`]) before and after, USD.
    pub health_before: Fx,
    pub health_after: Fx,
    /// Maintenance health before (must be < 0 to liquidate) and after, USD.
    pub maintenance_before: Fx,
    pub maintenance_after: Fx,
    /// Whether the account reaches the target; if not, the plan goes as far as helps.
    pub target_reached: bool,
}

/// Target health of a book under a liquidation target.
pub fn target_health(h: &HealthLevels, target: LiquidationTarget) -> RiskResult<Fx> {
    match target {
        LiquidationTarget::Initial => h.initial_health(),
        LiquidationTarget::MaintenanceBuffer(b) => {
            Ok(h.equity.sub_checked(h.maintenance.mul_ceil(Fx::ONE.add_checked(b)?)?)?)
        }
    }
}

/// Token flows for repaying `repay` native units of `holdings[liability]` against `holdings[collateral]`.
pub fn flows_for(
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    repay: i128,
    p: &LiquidationParams,
) -> RiskResult<LiquidationFlows> {
    let (l, c) = (&holdings[liability], &holdings[collateral]);
    let value = token_value(repay, l.decimals, l.price)?;
    let to_liquidator =
        usd_to_native_floor(value.mul_floor(Fx::ONE.add_checked(p.liquidator_fee)?)?, c.decimals, c.price)?;
    let to_insurance = usd_to_native_floor(value.mul_floor(p.insurance_fee)?, c.decimals, c.price)?;
    Ok(LiquidationFlows { repay, to_liquidator, to_insurance })
}

/// Applies `flows` to a copy of the holdings (`out` is overwritten).
pub fn apply_flows(
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    flows: &LiquidationFlows,
    out: &mut alloc::vec::Vec<Holding>,
) -> RiskResult<()> {
    let (l, c) = stepped(holdings, liability, collateral, flows)?;
    out.clear();
    out.extend_from_slice(holdings);
    out[liability] = l;
    out[collateral] = c;
    Ok(())
}

/// The liability and the collateral holdings after `flows`: the liability grows by the repay,
/// the collateral loses what the liquidator and the insurance fund take.
fn stepped(
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    flows: &LiquidationFlows,
) -> RiskResult<(Holding, Holding)> {
    let mut l = holdings[liability];
    l.amount = l.amount.checked_add(flows.repay).ok_or(RiskError::InvalidLiquidation("repay overflows"))?;
    let taken = flows
        .to_liquidator
        .checked_add(flows.to_insurance)
        .ok_or(RiskError::InvalidLiquidation("collateral overflows"))?;
    let mut c = holdings[collateral];
    c.amount = c.amount.checked_sub(taken).ok_or(RiskError::InvalidLiquidation("collateral overflows"))?;
    Ok((l, c))
}

const DOES_NOT_IMPROVE: &str = "repaying this liability with this collateral does not improve health";

/// The repay at which both the planner and the judge test whether a pair can improve a book at
/// all: the planner's resolution (2⁻²⁰ of the whole side, at least one unit).
pub fn first_step(whole_side: i128) -> i128 {
    core::cmp::max(1, whole_side >> 20).min(whole_side)
}

/// Spot books of at least this many held positions are prepared for their liquidation steps
/// ([`PreparedBook`]): below it a full evaluation costs no more than the bookkeeping (measured on
/// SBF: at 8 positions the prepared step saves ~6k CU, at 3 it costs ~2k more).
pub const PREPARED_BOOK_MIN: usize = 5;

/// Maximum number of holdings a book may have for [`plan_liquidation`].
pub const MAX_BOOK: usize = 64;

struct Evaluator<'a, C> {
    cov: &'a C,
    holdings: &'a [Holding],
    perps: &'a [PerpHolding],
    liability: usize,
    collateral: usize,
    margin: &'a MarginParams,
    liq: &'a LiquidationParams,
    /// A spot book prepared once: a step changes two holdings, evaluated in O(k) instead of O(k²)
    /// (bit for bit the full evaluation, which runs when the preparation cannot tell).
    prepared: Option<PreparedBook>,
}

impl<'a, C: CovarianceSource> Evaluator<'a, C> {
    /// The evaluator of steps on this pair and the book's health before any.
    #[allow(clippy::too_many_arguments)]
    fn new(
        cov: &'a C,
        holdings: &'a [Holding],
        perps: &'a [PerpHolding],
        liability: usize,
        collateral: usize,
        margin: &'a MarginParams,
        liq: &'a LiquidationParams,
    ) -> RiskResult<(Self, HealthLevels)> {
        let held = holdings.iter().filter(|h| h.amount != 0).count();
        let (before, prepared) = if perps.is_empty() && held >= PREPARED_BOOK_MIN {
            let (before, prepared) = prepare_book(cov, holdings, liq.conf_k, margin)?;
            (before, Some(prepared))
        } else {
            (book_levels_with_perps(cov, holdings, perps, liq.conf_k, margin)?, None)
        };
        crate::probe!("before (prepared)");
        Ok((Self { cov, holdings, perps, liability, collateral, margin, liq, prepared }, before))
    }
    fn flows(&self, x: i128) -> RiskResult<LiquidationFlows> {
        flows_for(self.holdings, self.liability, self.collateral, x, self.liq)
    }
    fn health_at(&self, x: i128) -> RiskResult<HealthLevels> {
        self.health_with_flows(&self.flows(x)?)
    }
    /// Health after a step with these flows.
    fn health_with_flows(&self, flows: &LiquidationFlows) -> RiskResult<HealthLevels> {
        crate::probe!("flows");
        if let Some(prepared) = &self.prepared {
            let (l, c) = stepped(self.holdings, self.liability, self.collateral, flows)?;
            if let Some(h) = prepared.health_with(self.cov, &[l, c], self.liq.conf_k)? {
                crate::probe!("prepared evaluation");
                return Ok(h);
            }
        }
        let mut after = alloc::vec::Vec::with_capacity(self.holdings.len());
        apply_flows(self.holdings, self.liability, self.collateral, flows, &mut after)?;
        let h = book_levels_with_perps(self.cov, &after, self.perps, self.liq.conf_k, self.margin);
        crate::probe!("full evaluation");
        h
    }
    fn target_at(&self, x: i128) -> RiskResult<Fx> {
        target_health(&self.health_at(x)?, self.liq.target)
    }
    fn max_by_collateral(&self) -> RiskResult<i128> {
        max_repay_by_collateral(self.holdings, self.liability, self.collateral, self.liq)
    }
}

/// Largest repay of `holdings[liability]` the collateral `holdings[collateral]` can pay for with
/// fees (the flows never exceed the collateral held).
pub fn max_repay_by_collateral(
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    liq: &LiquidationParams,
) -> RiskResult<i128> {
    Ok(repay_bound(holdings, liability, collateral, liq)?.0)
}

/// [`max_repay_by_collateral`] and, when it is positive, the flows of that repay (computed to find
/// it; the judge of a step that takes all the collateral uses them instead of computing them again).
fn repay_bound(
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    liq: &LiquidationParams,
) -> RiskResult<(i128, Option<LiquidationFlows>)> {
    let (l, c) = (&holdings[liability], &holdings[collateral]);
    let coll_value = token_value(c.amount, c.decimals, c.price)?;
    let per_repaid = Fx::ONE.add_checked(liq.liquidator_fee)?.add_checked(liq.insurance_fee)?;
    let mut x = usd_to_native_floor(coll_value.div_floor(per_repaid)?, l.decimals, l.price)?.max(0);
    // Rounding can leave the estimate a unit or two high: step down until the flows fit.
    while x > 0 {
        let f = flows_for(holdings, liability, collateral, x, liq)?;
        if f.to_liquidator + f.to_insurance <= c.amount {
            return Ok((x, Some(f)));
        }
        x -= 1;
    }
    Ok((x, None))
}

/// Health of the book after repaying `repay` of `holdings[liability]` against `holdings[collateral]`.
pub fn health_after<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<BookHealth> {
    health_after_with_perps(cov, holdings, &[], liability, collateral, repay, margin, liq)
}

/// [`health_after`] of a book that also holds perp positions (unchanged by the step).
#[allow(clippy::too_many_arguments)]
pub fn health_after_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    liability: usize,
    collateral: usize,
    repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<BookHealth> {
    let flows = flows_for(holdings, liability, collateral, repay, liq)?;
    let mut after = alloc::vec::Vec::with_capacity(holdings.len());
    apply_flows(holdings, liability, collateral, &flows, &mut after)?;
    book_health_with_perps(cov, &after, perps, liq.conf_k, margin)
}

/// Sizes a liquidation of `holdings[liability]` (amount < 0) against `holdings[collateral]`
/// (amount > 0), repaying at most `max_repay` native units.
///
/// Errors unless the account is liquidatable (maintenance health < 0) and repaying helps it.
pub fn plan_liquidation<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    max_repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<LiquidationPlan> {
    plan_liquidation_with_perps(cov, holdings, &[], liability, collateral, max_repay, margin, liq)
}

/// [`plan_liquidation`] of a book that also holds perp positions (unchanged by the step).
#[allow(clippy::too_many_arguments)]
pub fn plan_liquidation_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    liability: usize,
    collateral: usize,
    max_repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<LiquidationPlan> {
    liq.validate()?;
    if holdings.len() > MAX_BOOK {
        return Err(RiskError::InvalidLiquidation("book has too many holdings"));
    }
    if liability >= holdings.len() || collateral >= holdings.len() || liability == collateral {
        return Err(RiskError::InvalidLiquidation("liability and collateral must be two different holdings"));
    }
    if holdings[liability].amount >= 0 {
        return Err(RiskError::InvalidLiquidation("the chosen liability is not borrowed"));
    }
    if holdings[collateral].amount <= 0 {
        return Err(RiskError::InvalidLiquidation("the chosen collateral is not deposited"));
    }
    if max_repay <= 0 {
        return Err(RiskError::InvalidLiquidation("max repay must be > 0"));
    }
    let (ev, before) = Evaluator::new(cov, holdings, perps, liability, collateral, margin, liq)?;
    let maintenance_before = before.maintenance_health()?;
    if maintenance_before >= Fx::ZERO {
        return Err(RiskError::InvalidLiquidation("account is above maintenance margin"));
    }
    let health_before = target_health(&before, liq.target)?;
    let whole_side = (-holdings[liability].amount).min(ev.max_by_collateral()?);
    let x_max = max_repay.min(whole_side);
    if x_max <= 0 {
        return Err(RiskError::InvalidLiquidation("collateral too small to pay for one unit of the liability"));
    }
    // The improvability test of `judge_liquidation` (a close-out is allowed exactly when it fails).
    let first = first_step(whole_side);
    let first_health = ev.target_at(first)?;
    if first_health <= health_before {
        return Err(RiskError::InvalidLiquidation(DOES_NOT_IMPROVE));
    }

    // Peak of the concave health curve on [0, x_max]: bisection on the sign of a forward difference
    // taken at the judge's resolution (2⁻²⁰ of the whole side): the margin kernel's rounding pads
    // (~1e-8 of the book's stress) make health concave only above that scale.
    let step = first;
    let (mut lo, mut hi) = (0i128, x_max);
    while hi - lo > step {
        let mid = lo + (hi - lo) / 2;
        let next = core::cmp::min(mid + step, x_max);
        if ev.target_at(next)? > ev.target_at(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut peak = if ev.target_at(hi)? >= ev.target_at(lo)? { hi } else { lo };
    if first <= x_max && first_health > ev.target_at(peak)? {
        peak = first;
    }
    let peak_health = ev.target_at(peak)?;
    if peak == 0 || peak_health <= health_before {
        return Err(RiskError::InvalidLiquidation(DOES_NOT_IMPROVE));
    }

    // Smallest x on the rising side that reaches the target.
    let repay = if peak_health >= Fx::ZERO {
        let (mut lo, mut hi) = (0i128, peak); // target(lo) < 0 ≤ target(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ev.target_at(mid)? >= Fx::ZERO {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    } else {
        peak
    };
    let after = ev.health_at(repay)?;
    let health_after = target_health(&after, liq.target)?;
    Ok(LiquidationPlan {
        flows: ev.flows(repay)?,
        health_before,
        health_after,
        maintenance_before,
        maintenance_after: after.maintenance_health()?,
        target_reached: health_after >= Fx::ZERO,
    })
}

/// Why the program refuses a liquidation (each maps to one program error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Maintenance health ≥ 0.
    NotLiquidatable,
    /// The repay is zero, or the collateral cannot pay for one unit of the liability.
    NothingToRepay,
    /// Target health does not rise, and the book does not qualify for a close-out.
    DoesNotImprove,
    /// A close-out (a non-improving step) of a book whose equity is not negative: it could turn
    /// positive equity into bad debt.
    SolventCloseOut,
    /// A close-out while a partial liquidation of this pair still improves health: liquidate to
    /// the peak first.
    CloseOutWhileImprovable,
    /// A smaller repay (by more than the slack) already reaches the target.
    OverLiquidation,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotLiquidatable => "account is above maintenance margin",
            Refusal::NothingToRepay => "nothing to repay with this pair",
            Refusal::DoesNotImprove => "repaying this liability with this collateral does not improve health",
            Refusal::SolventCloseOut => "a close-out needs negative equity",
            Refusal::CloseOutWhileImprovable => "a partial liquidation of this pair still improves health",
            Refusal::OverLiquidation => "a smaller repay already restores the target health",
        }
    }
}

/// How an accepted liquidation qualified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Target health rises, and no smaller repay (beyond the slack) reaches the target.
    Improves,
    /// The book is insolvent (equity < 0: no sequence of liquidations can restore it, since fees
    /// only lower equity) and no repay of this pair improves its health (health is concave in the
    /// repay, so a first step that does not improve proves none does): one whole side is taken so
    /// the book winds down to a bankruptcy.
    CloseOut,
}

/// The verdict on one liquidation step, with what the program reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub acceptance: Acceptance,
    /// The repay, clamped to the debt and to what the collateral can pay for.
    pub repay: i128,
    /// Whether the collateral bounds the repay (the step takes all of it).
    pub takes_all_collateral: bool,
    pub flows: LiquidationFlows,
    pub before: HealthLevels,
    pub after: HealthLevels,
    pub target_before: Fx,
    pub target_after: Fx,
}

/// Slack of the "no more than needed" rule: 0.01% of the repay, at least one native unit.
pub fn over_liquidation_slack(repay: i128) -> i128 {
    core::cmp::max(1, repay / 10_000)
}

/// The opening of the perp and hedge judges: refused when maintenance health is ≥ 0 (the whole
/// step, `whole`, is computed only otherwise); the step `max` clamped to the whole, refused when
/// nothing is left. Returns (step, whole).
pub fn open_step(
    before: &HealthLevels,
    max: i128,
    whole: impl FnOnce() -> RiskResult<i128>,
) -> RiskResult<Result<(i128, i128), Refusal>> {
    if before.maintenance_health()? >= Fx::ZERO {
        return Ok(Err(Refusal::NotLiquidatable));
    }
    let whole = whole()?;
    let q = max.min(whole);
    if q <= 0 {
        return Ok(Err(Refusal::NothingToRepay));
    }
    Ok(Ok((q, whole)))
}

/// A step accepted by [`accept_step`]: how it qualified and the healths around it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    pub acceptance: Acceptance,
    pub after: HealthLevels,
    pub target_before: Fx,
    pub target_after: Fx,
}

/// The acceptance rule of every liquidation step — a spot pair, a perp position, both legs of a
/// hedge: a step of size `q` (0 < q ≤ `whole`, the largest step of its kind) on a book whose health
/// is `before` (below maintenance), `health_at(x)` being the book's health after a step of size x.
/// Accepted when target health rises and no step smaller by more than [`over_liquidation_slack`]
/// already reaches the target, or as a close-out: the whole step, on an insolvent book, when a first
/// step (the planner's resolution) does not raise target health (health is concave in the step
/// above the kernel's rounding, so then none does).
pub fn accept_step(
    before: &HealthLevels,
    q: i128,
    whole: i128,
    target: LiquidationTarget,
    health_at: impl Fn(i128) -> RiskResult<HealthLevels>,
) -> RiskResult<Result<Judged, Refusal>> {
    let target_before = target_health(before, target)?;
    let after = health_at(q)?;
    let target_after = target_health(&after, target)?;
    let acceptance = if target_after > target_before {
        if target_after >= Fx::ZERO {
            let slack = over_liquidation_slack(q);
            if q > slack && target_health(&health_at(q - slack)?, target)? >= Fx::ZERO {
                return Ok(Err(Refusal::OverLiquidation));
            }
        }
        Acceptance::Improves
    } else {
        // A close-out takes a whole side; anything less that does not raise health is refused.
        if q != whole {
            return Ok(Err(Refusal::DoesNotImprove));
        }
        if before.equity >= Fx::ZERO {
            return Ok(Err(Refusal::SolventCloseOut));
        }
        if target_health(&health_at(first_step(whole))?, target)? > target_before {
            return Ok(Err(Refusal::CloseOutWhileImprovable));
        }
        Acceptance::CloseOut
    };
    Ok(Ok(Judged { acceptance, after, target_before, target_after }))
}

/// The liquidation acceptance rule, one function for the program and every liquidator: repaying up
/// to `max_repay` of `holdings[liability]` against `holdings[collateral]`.
///
/// Accepted when maintenance health < 0 and either the step raises target health without going
/// more than [`over_liquidation_slack`] past the smallest repay that reaches the target, or the step
/// is a close-out ([`Acceptance::CloseOut`]). When the collateral bounds the repay, what is left of
/// the collateral (less than one unit of the liability) goes to the insurance fund.
pub fn judge_liquidation<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    max_repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<Result<Verdict, Refusal>> {
    judge_liquidation_with_perps(cov, holdings, &[], liability, collateral, max_repay, margin, liq)
}

/// [`judge_liquidation`] of a book that also holds perp positions (unchanged by the step).
#[allow(clippy::too_many_arguments)]
pub fn judge_liquidation_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    liability: usize,
    collateral: usize,
    max_repay: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<Result<Verdict, Refusal>> {
    if liability >= holdings.len() || collateral >= holdings.len() || liability == collateral {
        return Err(RiskError::InvalidLiquidation("liability and collateral must be two different holdings"));
    }
    if holdings[liability].amount >= 0 || holdings[collateral].amount <= 0 {
        return Err(RiskError::InvalidLiquidation("the liability must be borrowed and the collateral deposited"));
    }
    let (ev, before) = Evaluator::new(cov, holdings, perps, liability, collateral, margin, liq)?;
    if before.maintenance_health()? >= Fx::ZERO {
        return Ok(Err(Refusal::NotLiquidatable));
    }
    let debt = -holdings[liability].amount;
    let (by_collateral, bound_flows) = repay_bound(holdings, liability, collateral, liq)?;
    let whole_side = debt.min(by_collateral);
    let repay = max_repay.min(whole_side);
    if repay <= 0 {
        return Ok(Err(Refusal::NothingToRepay));
    }
    // The step's own flows are computed once (the judged health and the verdict); a step that
    // takes all the collateral has them from its bound.
    let mut flows = match bound_flows {
        Some(f) if f.repay == repay => f,
        _ => ev.flows(repay)?,
    };
    let health_at = |x| if x == repay { ev.health_with_flows(&flows) } else { ev.health_at(x) };
    let j = match accept_step(&before, repay, whole_side, liq.target, health_at)? {
        Ok(j) => j,
        Err(r) => return Ok(Err(r)),
    };
    let takes_all_collateral = repay == by_collateral;
    if takes_all_collateral {
        let left = holdings[collateral].amount - flows.to_liquidator - flows.to_insurance;
        if left > 0 {
            flows.to_insurance += left;
        }
    }
    Ok(Ok(Verdict {
        acceptance: j.acceptance,
        repay,
        takes_all_collateral,
        flows,
        before,
        after: j.after,
        target_before: j.target_before,
        target_after: j.target_after,
    }))
}

/// The liquidation a liquidator should send for this pair: [`plan_liquidation`] when a partial step
/// improves health, otherwise the close-out when [`judge_liquidation`] allows one. `budget` caps the
/// repay (the liquidator's tokens).
pub fn plan_or_close_out<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    liability: usize,
    collateral: usize,
    budget: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<Verdict> {
    plan_or_close_out_with_perps(cov, holdings, &[], liability, collateral, budget, margin, liq)
}

/// [`plan_or_close_out`] of a book that also holds perp positions (unchanged by the step).
#[allow(clippy::too_many_arguments)]
pub fn plan_or_close_out_with_perps<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    perps: &[PerpHolding],
    liability: usize,
    collateral: usize,
    budget: i128,
    margin: &MarginParams,
    liq: &LiquidationParams,
) -> RiskResult<Verdict> {
    let repay = match plan_liquidation_with_perps(cov, holdings, perps, liability, collateral, budget, margin, liq) {
        Ok(plan) => plan.flows.repay,
        Err(RiskError::InvalidLiquidation(_)) => {
            let debt = -holdings[liability].amount;
            debt.min(max_repay_by_collateral(holdings, liability, collateral, liq)?)
        }
        Err(e) => return Err(e),
    };
    if repay > budget {
        return Err(RiskError::InvalidLiquidation("the close-out needs more than the budget"));
    }
    judge_liquidation_with_perps(cov, holdings, perps, liability, collateral, repay, margin, liq)?
        .map_err(|r| RiskError::InvalidLiquidation(r.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::OwnedMatrix;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    fn setup() -> (OwnedMatrix, [Holding; 2], MarginParams, LiquidationParams) {
        // Asset 0: volatile collateral (σ = 5%/day), asset 1: a stablecoin liability.
        let cov = OwnedMatrix::from_dense(2, &[fx(0.0025), fx(0.0), fx(0.0), fx(0.00000001)]).unwrap();
        let holdings = [
            Holding {
                asset: 0,
                amount: 100_000_000_000,
                decimals: 9,
                price: fx(100.0),
                conf: Fx::ZERO,
                floor_rate: fx(0.01),
            },
            Holding {
                asset: 1,
                amount: -9_000_000_000,
                decimals: 6,
                price: fx(1.0),
                conf: Fx::ZERO,
                floor_rate: fx(0.01),
            },
        ];
        let mut mp = MarginParams::daily_defaults();
        mp.joint_move_sigmas = Fx::ZERO;
        let lp = LiquidationParams {
            liquidator_fee: fx(0.025),
            insurance_fee: fx(0.025),
            target: LiquidationTarget::Initial,
            conf_k: Fx::ONE,
        };
        (cov, holdings, mp, lp)
    }

    #[test]
    fn liquidation_stops_exactly_at_initial_health() {
        // $10,000 of collateral against $9,000 of debt: MM ≈ 2.33·1.2·0.05·10000 ≈ 1398 > equity 1000.
        let (cov, holdings, mp, lp) = setup();
        let before = crate::health::book_health(&cov, &holdings, Fx::ONE, &mp).unwrap();
        assert!(before.maintenance_health().unwrap() < Fx::ZERO);
        let plan = plan_liquidation(&cov, &holdings, 1, 0, i128::MAX, &mp, &lp).unwrap();
        assert!(plan.target_reached);
        assert!(plan.health_after >= Fx::ZERO);
        assert!(plan.health_after > plan.health_before);
        // One native unit less would not have reached the target: no over-liquidation.
        let (ev, _) = Evaluator::new(&cov, &holdings, &[], 1, 0, &mp, &lp).unwrap();
        assert!(ev.target_at(plan.flows.repay - 1).unwrap() < Fx::ZERO);
        // Collateral out = repaid value × 1.05 at $100 per token, rounded down.
        let value = plan.flows.repay as f64 / 1e6;
        let expected = (value * 1.025 / 100.0 * 1e9).floor() as i128;
        assert!((plan.flows.to_liquidator - expected).abs() <= 1);
        assert!(plan.flows.to_liquidator <= expected);
    }

    #[test]
    fn healthy_accounts_cannot_be_liquidated() {
        let (cov, mut holdings, mp, lp) = setup();
        holdings[1].amount = -1_000_000_000;
        assert_eq!(
            plan_liquidation(&cov, &holdings, 1, 0, i128::MAX, &mp, &lp),
            Err(RiskError::InvalidLiquidation("account is above maintenance margin"))
        );
    }

    #[test]
    fn partial_fill_is_capped_by_max_repay() {
        let (cov, holdings, mp, lp) = setup();
        let plan = plan_liquidation(&cov, &holdings, 1, 0, 1_000_000, &mp, &lp).unwrap();
        assert_eq!(plan.flows.repay, 1_000_000);
        assert!(!plan.target_reached);
        assert!(plan.health_after > plan.health_before);
    }

    #[test]
    fn underwater_account_is_liquidated_up_to_its_collateral() {
        let (cov, mut holdings, mp, lp) = setup();
        holdings[1].amount = -11_000_000_000; // debt above collateral: bankrupt
        let plan = plan_liquidation(&cov, &holdings, 1, 0, i128::MAX, &mp, &lp);
        // With a 5% fee, every repaid dollar costs 1.05 of collateral, and the book's health still
        // improves as risk is removed; it cannot reach the target.
        let plan = plan.unwrap();
        assert!(!plan.target_reached);
        let total_out = plan.flows.to_liquidator + plan.flows.to_insurance;
        assert!(total_out <= holdings[0].amount);
    }

    #[test]
    fn wrong_sides_are_rejected() {
        let (cov, holdings, mp, lp) = setup();
        assert!(plan_liquidation(&cov, &holdings, 0, 1, i128::MAX, &mp, &lp).is_err());
        assert!(plan_liquidation(&cov, &holdings, 1, 1, i128::MAX, &mp, &lp).is_err());
        assert!(plan_liquidation(&cov, &holdings, 1, 0, 0, &mp, &lp).is_err());
    }
}
