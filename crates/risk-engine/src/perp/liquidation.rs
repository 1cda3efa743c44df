//! Liquidating perp positions: a liquidator closes part of a position against the vault at the
//! oracle price worsened by the liquidation fee, under the same acceptance rule as spot
//! liquidation (`crate::liquidation`): below maintenance, the step must raise initial health and
//! stop within the slack of the smallest close that restores it, or be a close-out of an insolvent
//! book that no partial close improves.
use alloc::vec::Vec;

use super::{book_levels_with_perps, PerpHolding, PerpPosition, PerpPricing};
use crate::covariance::CovarianceSource;
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt};
use crate::health::{HealthLevels, Holding};
use crate::liquidation::{
    accept_step, first_step, open_step, over_liquidation_slack, target_health, Acceptance, LiquidationParams, Refusal,
};
use crate::margin::MarginParams;
use crate::valuation::{biased_price, native_to_tokens_floor};

/// The price a liquidation closes at: a short is bought back at `(P + k·conf)·(1 + fee)` rounded
/// up, a long sold at `(P − k·conf)·(1 − fee)` rounded down. `delta` is the signed trade (toward
/// zero).
pub fn liquidation_fill(price: Fx, conf: Fx, conf_k: Fx, delta: i128, fee: Fx) -> RiskResult<Fx> {
    let buy = delta > 0;
    let p = biased_price(price, conf, conf_k, !buy)?;
    if buy {
        Ok(p.mul_ceil(Fx::ONE.add_checked(fee)?)?)
    } else {
        Ok(p.mul_floor(Fx::ONE.sub_checked(fee)?.max(Fx::ZERO))?)
    }
}

/// The liquidator's share of a liquidation fee (the rest stays in the vault, the perps' insurance):
/// `fee × liquidator_fee / (liquidator_fee + insurance_fee)`, rounded down.
pub fn liquidator_reward(fee: Fx, liq: &LiquidationParams) -> RiskResult<Fx> {
    let total = liq.liquidator_fee.add_checked(liq.insurance_fee)?;
    if total <= Fx::ZERO || fee <= Fx::ZERO {
        return Ok(Fx::ZERO);
    }
    Ok(fee.mul_floor(liq.liquidator_fee.div_floor(total)?)?)
}

/// A book with one perp position being liquidated: `perps[target]` is `position` seen through
/// `pricing`.
pub struct PerpBook<'a, C> {
    pub cov: &'a C,
    pub holdings: &'a [Holding],
    pub perps: &'a [PerpHolding],
    pub target: usize,
    pub position: PerpPosition,
    pub pricing: PerpPricing<'a>,
    pub margin: &'a MarginParams,
    pub liq: &'a LiquidationParams,
    /// The market's liquidation fee.
    pub fee: Fx,
}

/// A closed part of a position, as the program books it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpClose {
    /// The signed trade (toward zero), native base units.
    pub delta: i128,
    pub fill: Fx,
    /// The position after the close (funding settled, the trade's cash booked).
    pub position: PerpPosition,
    /// `|delta| × |P̃ − fill|`: what the fee cost the trader, USD, rounded down.
    pub fee: Fx,
}

/// An accepted perp liquidation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerpVerdict {
    pub acceptance: Acceptance,
    pub close: PerpClose,
    pub before: HealthLevels,
    pub after: HealthLevels,
    pub target_before: Fx,
    pub target_after: Fx,
}

impl<C: CovarianceSource> PerpBook<'_, C> {
    fn whole(&self) -> RiskResult<i128> {
        self.position.base.checked_abs().ok_or(RiskError::InvalidLiquidation("position overflows"))
    }

    /// Closes `q` native units (0 < q ≤ |base|) in memory.
    pub fn close(&self, q: i128) -> RiskResult<PerpClose> {
        let p = &self.pricing;
        let delta = if self.position.base > 0 { -q } else { q };
        let fill = liquidation_fill(p.price, p.conf, p.conf_k, delta, self.fee)?;
        let mut position = self.position;
        position.trade(delta, p.decimals, fill, p.funding)?;
        let mark = biased_price(p.price, p.conf, p.conf_k, delta < 0)?;
        let fee = native_to_tokens_floor(q, p.decimals)?.mul_floor(fill.sub_checked(mark)?.abs())?;
        Ok(PerpClose { delta, fill, position, fee })
    }

    /// Health levels of the book after closing `q` units (0: as it is).
    pub fn health_at(&self, q: i128) -> RiskResult<HealthLevels> {
        let mut perps: Vec<PerpHolding> = self.perps.to_vec();
        if q > 0 {
            perps[self.target] = PerpHolding::of(&self.close(q)?.position, &self.pricing)?;
        }
        book_levels_with_perps(self.cov, self.holdings, &perps, self.liq.conf_k, self.margin)
    }

    fn target_at(&self, q: i128) -> RiskResult<Fx> {
        target_health(&self.health_at(q)?, self.liq.target)
    }

    /// The acceptance rule for closing up to `max_close` units (the program's and every
    /// liquidator's). Not inlined: beside the program's accounts it would overflow the 4 KiB SBF
    /// stack frame (as `HedgeBook::judge`).
    #[inline(never)]
    pub fn judge(&self, max_close: i128) -> RiskResult<Result<PerpVerdict, Refusal>> {
        if self.target >= self.perps.len() {
            return Err(RiskError::InvalidLiquidation("no such perp position"));
        }
        let before = self.health_at(0)?;
        let (q, whole) = match open_step(&before, max_close, || self.whole())? {
            Ok(s) => s,
            Err(r) => return Ok(Err(r)),
        };
        let j = match accept_step(&before, q, whole, self.liq.target, |x| self.health_at(x))? {
            Ok(j) => j,
            Err(r) => return Ok(Err(r)),
        };
        Ok(Ok(PerpVerdict {
            acceptance: j.acceptance,
            close: self.close(q)?,
            before,
            after: j.after,
            target_before: j.target_before,
            target_after: j.target_after,
        }))
    }

    /// The close a liquidator should send: the smallest that restores the target (bisection at
    /// the judge's resolution), the whole position when none does but closing helps, or the
    /// close-out when [`judge`](Self::judge) allows one.
    pub fn plan(&self) -> RiskResult<PerpVerdict> {
        let whole = self.whole()?;
        if whole == 0 {
            return Err(RiskError::InvalidLiquidation("the position is flat"));
        }
        let target_before = self.target_at(0)?;
        let step = first_step(whole);
        let q = if self.target_at(step)? <= target_before || self.target_at(whole)? < Fx::ZERO {
            whole
        } else {
            // Smallest q with target ≥ 0: target(lo) < 0 ≤ target(hi).
            let (mut lo, mut hi) = (0i128, whole);
            while hi - lo > over_liquidation_slack(hi).max(1) {
                let mid = lo + (hi - lo) / 2;
                if self.target_at(mid)? >= Fx::ZERO {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        };
        self.judge(q)?.map_err(|r| RiskError::InvalidLiquidation(r.reason()))
    }
}
