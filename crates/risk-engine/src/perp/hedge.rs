//! Liquidating a hedge in one step: the liquidator repays part of a debt against a collateral, and
//! the perp position on the hedged asset shrinks by the same number of base units, so the book's
//! delta does not move.
//!
//! Why it exists: a cash-and-carry book (long spot, short perp, a quote debt) has a margin of a
//! fraction of a percent of its notional. Neither leg alone can be liquidated (closing one leg adds
//! a naked delta whose variance margin dwarfs what the step frees), and the spot liquidation bonus
//! (5%) alone costs more than the whole hedge's margin (~1.4%). Such a book could only be closed out
//! once insolvent, one leg at a time. The hedged step keeps the delta and charges
//! `fee = min(the market's liquidation fee, the perp add-on rate)` on the repaid value: never more
//! than the maintenance margin the step releases, so on an exact hedge maintenance health never
//! falls and initial health rises (initial margin is `initial_multiplier ≥ 1` times maintenance).
//!
//! The leg that carries the hedged asset is either the collateral (a long spot deposit beside a
//! short perp: the seized collateral, fee included, is the base the perp buys back) or the
//! liability (a spot borrow beside a long perp: the repaid units are the base the perp sells). The
//! perp leg closes against the vault at the confidence-biased oracle price with no fee (the fee is
//! charged once, on the spot leg), and the same acceptance rule as every liquidation applies.
use alloc::vec::Vec;

use super::liquidation::{PerpBook, PerpClose};
use super::{book_levels_with_perps, PerpHolding, PerpPosition, PerpPricing};
use crate::covariance::CovarianceSource;
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt};
use crate::health::{HealthLevels, Holding};
use crate::liquidation::{
    accept_step, apply_flows, first_step, flows_for, max_repay_by_collateral, open_step, over_liquidation_slack,
    target_health, Acceptance, LiquidationFlows, LiquidationParams, Refusal,
};
use crate::margin::MarginParams;

/// Which spot leg holds the perp's asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HedgedLeg {
    /// A deposit of the asset beside a short perp.
    Collateral,
    /// A borrow of the asset beside a long perp.
    Liability,
}

/// A book with a spot leg and a perp position on the same asset, on opposite sides.
pub struct HedgeBook<'a, C> {
    pub cov: &'a C,
    pub holdings: &'a [Holding],
    pub perps: &'a [PerpHolding],
    /// `holdings[liability]` is repaid (amount < 0), `holdings[collateral]` seized (amount > 0).
    pub liability: usize,
    pub collateral: usize,
    /// `perps[target]` is `position` seen through `pricing`.
    pub target: usize,
    pub position: PerpPosition,
    pub pricing: PerpPricing<'a>,
    pub margin: &'a MarginParams,
    pub liq: &'a LiquidationParams,
    /// The market's liquidation fee.
    pub fee: Fx,
}

/// One hedged step, as the program books it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgeStep {
    /// The spot leg (the fee is in `to_liquidator` and `to_insurance`).
    pub flows: LiquidationFlows,
    /// The perp leg, closed at the biased oracle price (its `fee` is zero).
    pub close: PerpClose,
}

/// An accepted hedged liquidation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgeVerdict {
    pub acceptance: Acceptance,
    pub repay: i128,
    pub step: HedgeStep,
    pub before: HealthLevels,
    pub after: HealthLevels,
    pub target_before: Fx,
    pub target_after: Fx,
}

impl<C: CovarianceSource> HedgeBook<'_, C> {
    /// Which leg is hedged; an error unless the perp and that leg are on the same asset and on
    /// opposite sides.
    pub fn leg(&self) -> RiskResult<HedgedLeg> {
        let n = self.holdings.len();
        if self.liability >= n || self.collateral >= n || self.liability == self.collateral {
            return Err(RiskError::InvalidLiquidation("liability and collateral must be two different holdings"));
        }
        if self.target >= self.perps.len() {
            return Err(RiskError::InvalidLiquidation("no such perp position"));
        }
        let (l, c) = (&self.holdings[self.liability], &self.holdings[self.collateral]);
        if l.amount >= 0 || c.amount <= 0 {
            return Err(RiskError::InvalidLiquidation("the liability must be borrowed and the collateral deposited"));
        }
        let base = self.position.base;
        let leg = if c.asset == self.pricing.asset && base < 0 {
            (HedgedLeg::Collateral, c)
        } else if l.asset == self.pricing.asset && base > 0 {
            (HedgedLeg::Liability, l)
        } else {
            return Err(RiskError::InvalidLiquidation("the perp does not hedge either spot leg"));
        };
        if leg.1.decimals != self.pricing.decimals {
            return Err(RiskError::InvalidLiquidation("the perp and its spot leg disagree on decimals"));
        }
        Ok(leg.0)
    }

    /// The fee on the repaid value, `min(liquidation fee, add-on rate)`, split between the
    /// liquidator and the insurance fund as the group splits its liquidation fee (the insurance
    /// share rounded down, the liquidator's is the rest).
    pub fn step_params(&self) -> RiskResult<LiquidationParams> {
        let fee = self.fee.min(self.perps[self.target].add_on_rate).max(Fx::ZERO);
        let total = self.liq.liquidator_fee.add_checked(self.liq.insurance_fee)?;
        let insurance =
            if total > Fx::ZERO { fee.mul_floor(self.liq.insurance_fee.div_floor(total)?)? } else { Fx::ZERO };
        Ok(LiquidationParams { liquidator_fee: fee.sub_checked(insurance)?, insurance_fee: insurance, ..*self.liq })
    }

    fn perp_book(&self) -> PerpBook<'_, C> {
        PerpBook {
            cov: self.cov,
            holdings: self.holdings,
            perps: self.perps,
            target: self.target,
            position: self.position,
            pricing: self.pricing,
            margin: self.margin,
            liq: self.liq,
            fee: Fx::ZERO,
        }
    }

    /// The leg and the step's fee, once per judgement.
    fn prepare(&self) -> RiskResult<Prepared> {
        Ok(Prepared { leg: self.leg()?, params: self.step_params()? })
    }

    /// Both legs of repaying `repay` native units of the liability (0 < repay ≤ [`whole`](Self::whole)).
    pub fn step(&self, repay: i128) -> RiskResult<HedgeStep> {
        self.step_with(&self.prepare()?, repay)
    }

    fn step_with(&self, p: &Prepared, repay: i128) -> RiskResult<HedgeStep> {
        let flows = flows_for(self.holdings, self.liability, self.collateral, repay, &p.params)?;
        let base = match p.leg {
            HedgedLeg::Collateral => flows.to_liquidator.checked_add(flows.to_insurance),
            HedgedLeg::Liability => Some(repay),
        }
        .ok_or(RiskError::InvalidLiquidation("the step overflows"))?;
        if base <= 0 || base > self.position.base.unsigned_abs() as i128 {
            return Err(RiskError::InvalidLiquidation("the perp leg is smaller than the step"));
        }
        Ok(HedgeStep { flows, close: self.perp_book().close(base)? })
    }

    /// The largest repay: the debt, what the collateral pays for with the fee, and no more base
    /// than the perp position holds.
    pub fn whole(&self) -> RiskResult<i128> {
        self.whole_with(&self.prepare()?)
    }

    fn whole_with(&self, p: &Prepared) -> RiskResult<i128> {
        let size = self.position.base.checked_abs().ok_or(RiskError::InvalidLiquidation("position overflows"))?;
        let debt = -self.holdings[self.liability].amount;
        let mut capped: Vec<Holding> = self.holdings.to_vec();
        let by_perp = match p.leg {
            HedgedLeg::Collateral => {
                let c = &mut capped[self.collateral];
                c.amount = c.amount.min(size);
                i128::MAX
            }
            HedgedLeg::Liability => size,
        };
        let by_collateral = max_repay_by_collateral(&capped, self.liability, self.collateral, &p.params)?;
        Ok(debt.min(by_collateral).min(by_perp))
    }

    /// Health levels of the book after repaying `repay` (0: as it is).
    pub fn health_at(&self, repay: i128) -> RiskResult<HealthLevels> {
        self.health_with(&self.prepare()?, repay)
    }

    fn health_with(&self, p: &Prepared, repay: i128) -> RiskResult<HealthLevels> {
        if repay == 0 {
            return book_levels_with_perps(self.cov, self.holdings, self.perps, self.liq.conf_k, self.margin);
        }
        let s = self.step_with(p, repay)?;
        let mut holdings = Vec::with_capacity(self.holdings.len());
        apply_flows(self.holdings, self.liability, self.collateral, &s.flows, &mut holdings)?;
        let mut perps: Vec<PerpHolding> = self.perps.to_vec();
        perps[self.target] = PerpHolding::of(&s.close.position, &self.pricing)?;
        book_levels_with_perps(self.cov, &holdings, &perps, self.liq.conf_k, self.margin)
    }

    fn target_with(&self, p: &Prepared, repay: i128) -> RiskResult<Fx> {
        target_health(&self.health_with(p, repay)?, self.liq.target)
    }

    /// The acceptance rule of every liquidation, for a hedged step repaying up to `max_repay`.
    /// (Not inlined: on SBF the program's dispatcher would not fit its stack frame.)
    #[inline(never)]
    pub fn judge(&self, max_repay: i128) -> RiskResult<Result<HedgeVerdict, Refusal>> {
        let p = self.prepare()?;
        let before = self.health_with(&p, 0)?;
        let (repay, whole) = match open_step(&before, max_repay, || self.whole_with(&p))? {
            Ok(s) => s,
            Err(r) => return Ok(Err(r)),
        };
        let j = match accept_step(&before, repay, whole, self.liq.target, |x| self.health_with(&p, x))? {
            Ok(j) => j,
            Err(r) => return Ok(Err(r)),
        };
        Ok(Ok(HedgeVerdict {
            acceptance: j.acceptance,
            repay,
            step: self.step_with(&p, repay)?,
            before,
            after: j.after,
            target_before: j.target_before,
            target_after: j.target_after,
        }))
    }

    /// The step a liquidator should send within `budget` (its tokens of the liability): the
    /// smallest repay that restores the target (bisection at the judge's resolution), else as much
    /// as the budget allows when that helps, else the close-out the judge allows.
    pub fn plan(&self, budget: i128) -> RiskResult<HedgeVerdict> {
        let p = self.prepare()?;
        let whole = self.whole_with(&p)?;
        if whole <= 0 {
            return Err(RiskError::InvalidLiquidation("nothing to repay with this hedge"));
        }
        let top = whole.min(budget);
        let target = |x| self.target_with(&p, x);
        let target_before = target(0)?;
        let repay = if top <= 0 || target(first_step(whole).min(top))? <= target_before {
            whole
        } else if target(top)? < Fx::ZERO {
            top
        } else {
            // Smallest repay with target ≥ 0: target(lo) < 0 ≤ target(hi).
            let (mut lo, mut hi) = (0i128, top);
            while hi - lo > over_liquidation_slack(hi).max(1) {
                let mid = lo + (hi - lo) / 2;
                if target(mid)? >= Fx::ZERO {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        };
        if repay > budget {
            return Err(RiskError::InvalidLiquidation("the step needs more than the budget"));
        }
        self.judge(repay)?.map_err(|r| RiskError::InvalidLiquidation(r.reason()))
    }
}

/// What a judgement computes once: which leg is hedged and the step's fee.
struct Prepared {
    leg: HedgedLeg,
    params: LiquidationParams,
}
