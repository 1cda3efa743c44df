//! Account health: equity and margin of a book of token holdings.
use alloc::vec::Vec;

use crate::covariance::CovarianceSource;
use crate::error::RiskResult;
use crate::fixed_point::{Fx, FxExt};
use crate::margin::{
    margin, margin_levels, prepare_margin, MarginBreakdown, MarginParams, PositionRisk, PreparedMargin,
};
use crate::valuation::exposure;

/// One token holding of an account, with the oracle data needed to value it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Holding {
    /// Index of the asset in the covariance matrix.
    pub asset: usize,
    /// Signed native amount (deposits > 0, borrows < 0), interest included.
    pub amount: i128,
    /// Mint decimals.
    pub decimals: u8,
    /// Oracle price, USD per whole token.
    pub price: Fx,
    /// Oracle confidence, USD per whole token.
    pub conf: Fx,
    /// Minimum margin per USD of |exposure|.
    pub floor_rate: Fx,
}

/// Equity and margin of a book.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BookHealth {
    /// Σ of confidence-biased exposures, USD, rounded down.
    pub equity: Fx,
    pub margin: MarginBreakdown,
}

impl BookHealth {
    /// `equity − maintenance margin`: liquidatable below 0.
    pub fn maintenance_health(&self) -> RiskResult<Fx> {
        Ok(self.equity.sub_checked(self.margin.maintenance)?)
    }
    /// `equity − initial margin`: withdraw and borrow need this ≥ 0 afterwards.
    pub fn initial_health(&self) -> RiskResult<Fx> {
        Ok(self.equity.sub_checked(self.margin.initial)?)
    }
    /// Equity and the two margin levels.
    pub fn levels(&self) -> HealthLevels {
        HealthLevels { equity: self.equity, maintenance: self.margin.maintenance, initial: self.margin.initial }
    }
}

/// Equity and the maintenance and initial margin of a book, without the margin's other terms: what
/// a liquidation is judged by ([`book_levels`], cheaper than [`book_health`], equal to its levels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HealthLevels {
    /// Σ of confidence-biased exposures, USD, rounded down.
    pub equity: Fx,
    pub maintenance: Fx,
    pub initial: Fx,
}

impl HealthLevels {
    /// `equity − maintenance margin`: liquidatable below 0.
    pub fn maintenance_health(&self) -> RiskResult<Fx> {
        Ok(self.equity.sub_checked(self.maintenance)?)
    }
    /// `equity − initial margin`.
    pub fn initial_health(&self) -> RiskResult<Fx> {
        Ok(self.equity.sub_checked(self.initial)?)
    }
}

/// Confidence-biased exposures of the non-zero holdings.
pub fn positions_of(holdings: &[Holding], conf_k: Fx) -> RiskResult<Vec<PositionRisk>> {
    let mut out = Vec::with_capacity(holdings.len());
    for h in holdings.iter().filter(|h| h.amount != 0) {
        out.push(PositionRisk {
            asset: h.asset,
            exposure: exposure(h.amount, h.decimals, h.price, h.conf, conf_k)?,
            floor_rate: h.floor_rate,
        });
    }
    Ok(out)
}

/// Equity and margin of a book of holdings.
pub fn book_health<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    conf_k: Fx,
    params: &MarginParams,
) -> RiskResult<BookHealth> {
    let positions = positions_of(holdings, conf_k)?;
    crate::probe!("exposures");
    let equity = equity_of(&positions)?;
    Ok(BookHealth { equity, margin: margin(cov, &positions, params)? })
}

/// [`book_health`]'s equity and margin levels, bit for bit, with one square root instead of three
/// (see `margin::levels`).
pub fn book_levels<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    conf_k: Fx,
    params: &MarginParams,
) -> RiskResult<HealthLevels> {
    let positions = positions_of(holdings, conf_k)?;
    let equity = equity_of(&positions)?;
    let m = margin_levels(cov, &positions, params)?;
    Ok(HealthLevels { equity, maintenance: m.maintenance, initial: m.initial })
}

/// Σ of the positions' exposures.
fn equity_of(positions: &[PositionRisk]) -> RiskResult<Fx> {
    let mut equity = Fx::ZERO;
    for p in positions {
        equity = equity.add_checked(p.exposure)?;
    }
    Ok(equity)
}

/// A book evaluated once and kept, so the same book with a few holdings' amounts changed (a
/// liquidation step: the liability and the collateral) is evaluated in O(k) instead of O(k²), bit
/// for bit what [`book_levels`] computes on the changed holdings (see [`PreparedMargin`]).
pub struct PreparedBook {
    positions: Vec<PositionRisk>,
    equity: Fx,
    margin: PreparedMargin,
}

/// [`book_levels`] and the state [`PreparedBook::health_with`] starts from.
pub fn prepare_book<C: CovarianceSource>(
    cov: &C,
    holdings: &[Holding],
    conf_k: Fx,
    params: &MarginParams,
) -> RiskResult<(HealthLevels, PreparedBook)> {
    let positions = positions_of(holdings, conf_k)?;
    let equity = equity_of(&positions)?;
    let (m, margin) = prepare_margin(cov, &positions, params)?;
    let levels = HealthLevels { equity, maintenance: m.maintenance, initial: m.initial };
    Ok((levels, PreparedBook { positions, equity, margin }))
}

impl PreparedBook {
    /// Health levels of the prepared book (with the parameters it was prepared with) with each of
    /// `changed` replacing the holding of its asset, bit for bit [`book_levels`] of the changed
    /// holdings; `None` when only a full evaluation can tell (a holding that appears or empties,
    /// an arithmetic edge, a change of the book's scale).
    pub fn health_with<C: CovarianceSource>(
        &self,
        cov: &C,
        changed: &[Holding],
        conf_k: Fx,
    ) -> RiskResult<Option<HealthLevels>> {
        let mut equity = self.equity;
        let mut positions = Vec::with_capacity(changed.len());
        for h in changed {
            let Some(old) = self.positions.iter().find(|p| p.asset == h.asset) else { return Ok(None) };
            if h.amount == 0 {
                return Ok(None);
            }
            let p = PositionRisk {
                asset: h.asset,
                exposure: exposure(h.amount, h.decimals, h.price, h.conf, conf_k)?,
                floor_rate: h.floor_rate,
            };
            // Equity is an exact sum; an overflow here is left to the full evaluation's order.
            let Some(e) = equity.checked_sub(old.exposure).and_then(|e| e.checked_add(p.exposure)) else {
                return Ok(None);
            };
            equity = e;
            positions.push(p);
        }
        crate::probe!("changed exposures");
        let m = self.margin.with_changes(cov, &positions)?;
        Ok(m.map(|m| HealthLevels { equity, maintenance: m.maintenance, initial: m.initial }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::OwnedMatrix;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    #[test]
    fn equity_and_health_of_a_borrowing_account() {
        // 10 tokens of asset 0 at $100 (conf $1, k = 1 → valued at $99) and -500 USDC-like at $1.
        let cov = OwnedMatrix::from_dense(2, &[fx(0.0004), fx(0.0), fx(0.0), fx(0.000001)]).unwrap();
        let holdings = [
            Holding {
                asset: 0,
                amount: 10_000_000_000,
                decimals: 9,
                price: fx(100.0),
                conf: fx(1.0),
                floor_rate: fx(0.02),
            },
            Holding {
                asset: 1,
                amount: -500_000_000,
                decimals: 6,
                price: fx(1.0),
                conf: Fx::ZERO,
                floor_rate: fx(0.01),
            },
            Holding { asset: 1, amount: 0, decimals: 6, price: fx(1.0), conf: Fx::ZERO, floor_rate: fx(0.01) },
        ];
        let h = book_health(&cov, &holdings[..2], Fx::ONE, &MarginParams::daily_defaults()).unwrap();
        assert!((h.equity.to_num::<f64>() - 490.0).abs() < 1e-9);
        assert!(h.maintenance_health().unwrap() < h.equity);
        assert!(h.initial_health().unwrap() < h.maintenance_health().unwrap());
        assert_eq!(positions_of(&holdings, Fx::ONE).unwrap().len(), 2, "zero holdings are skipped");
    }
}
