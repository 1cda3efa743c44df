//! Lending pools: utilisation, a kinked interest-rate curve and per-second accrual, with every
//! rounding in the protocol's favour.
//!
//! Balances are shares of a pool: a deposit share is worth `deposit_index` native units, a borrow
//! share `borrow_index`. Interest accrues on every touch: the borrow index grows by
//! `rate·dt/year` (rounded up), depositors receive the interest less the protocol's share (rounded
//! down), and the protocol's share accumulates as `protocol_fees` (native units held in the vault
//! until collected). Invariant: `vault ≥ deposits − borrows + protocol_fees`.
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{fx_from_int, Fx, FxExt};

/// Seconds in a 365-day year.
pub const SECONDS_PER_YEAR: i128 = 31_536_000;

/// Annual borrow rate as a function of utilisation: linear from `base_rate` at U = 0 to
/// `rate_at_optimal` at `optimal_utilization`, then linear to `max_rate` at U = 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InterestCurve {
    pub base_rate: Fx,
    pub optimal_utilization: Fx,
    pub rate_at_optimal: Fx,
    pub max_rate: Fx,
}

impl InterestCurve {
    pub fn validate(&self) -> RiskResult<()> {
        let bad = |name, reason| Err(RiskError::InvalidParameter { name, reason });
        if self.optimal_utilization <= Fx::ZERO || self.optimal_utilization >= Fx::ONE {
            return bad("optimal_utilization", "must be strictly between 0 and 1");
        }
        if self.base_rate < Fx::ZERO || self.base_rate > self.rate_at_optimal {
            return bad("base_rate", "must be in [0, rate_at_optimal]");
        }
        if self.rate_at_optimal > self.max_rate {
            return bad("rate_at_optimal", "must be at most max_rate");
        }
        if self.max_rate > Fx::from_num(10) {
            return bad("max_rate", "must be at most 10 (1000% a year)");
        }
        Ok(())
    }

    /// Annual borrow rate at utilisation `u` (clamped to [0, 1]).
    pub fn borrow_rate(&self, u: Fx) -> RiskResult<Fx> {
        let u = u.clamp(Fx::ZERO, Fx::ONE);
        if u <= self.optimal_utilization {
            let slope = self.rate_at_optimal.sub_checked(self.base_rate)?;
            Ok(self.base_rate.add_checked(slope.mul_floor(u)?.div_floor(self.optimal_utilization)?)?)
        } else {
            let slope = self.max_rate.sub_checked(self.rate_at_optimal)?;
            let over = u.sub_checked(self.optimal_utilization)?;
            let span = Fx::ONE.sub_checked(self.optimal_utilization)?;
            Ok(self.rate_at_optimal.add_checked(slope.mul_floor(over)?.div_floor(span)?)?)
        }
    }
}

/// One asset's lending pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pool {
    /// Native units per deposit share (starts at 1, only grows).
    pub deposit_index: Fx,
    /// Native units per borrow share (starts at 1, only grows).
    pub borrow_index: Fx,
    pub deposit_shares: Fx,
    pub borrow_shares: Fx,
    /// Protocol's share of interest not yet moved to the insurance fund, native units.
    pub protocol_fees: Fx,
    /// Unix seconds of the last accrual.
    pub last_accrual: i64,
}

/// Smallest deposit index a socialised loss may leave (below it the deposits are wiped out and a new
/// generation starts, see [`Pool::socialize_loss`]).
pub const MIN_DEPOSIT_INDEX: Fx = Fx::from_bits(1 << (crate::fixed_point::FRAC_BITS - 20));

/// What a socialised loss did, native units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Socialized {
    /// Taken from depositors.
    pub spread: Fx,
    /// Taken from the protocol's uncollected fees (loss beyond every deposit).
    pub from_fees: Fx,
    /// Every deposit share of the old generation is now worthless.
    pub wiped_out: bool,
}

/// What one accrual did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accrual {
    /// Interest charged to borrowers, native units.
    pub interest: Fx,
    /// Part of it credited to the protocol, native units.
    pub protocol_fee: Fx,
    /// Annual borrow rate used.
    pub borrow_rate: Fx,
}

impl Pool {
    pub fn new(now: i64) -> Self {
        Self {
            deposit_index: Fx::ONE,
            borrow_index: Fx::ONE,
            deposit_shares: Fx::ZERO,
            borrow_shares: Fx::ZERO,
            protocol_fees: Fx::ZERO,
            last_accrual: now,
        }
    }

    /// Total deposits in native units, rounded down.
    pub fn total_deposits(&self) -> RiskResult<Fx> {
        Ok(self.deposit_shares.mul_floor(self.deposit_index)?)
    }

    /// Total borrows in native units, rounded up.
    pub fn total_borrows(&self) -> RiskResult<Fx> {
        Ok(self.borrow_shares.mul_ceil(self.borrow_index)?)
    }

    /// Borrows / deposits, in [0, 1] (1 when something is borrowed and nothing deposited).
    pub fn utilization(&self) -> RiskResult<Fx> {
        let d = self.total_deposits()?;
        if d <= Fx::ZERO {
            return Ok(if self.borrow_shares > Fx::ZERO { Fx::ONE } else { Fx::ZERO });
        }
        Ok(self.total_borrows()?.div_ceil(d)?.min(Fx::ONE))
    }

    /// The borrow rate and the borrow index after `dt > 0` seconds at the current utilisation
    /// (growth rounded up): the one formula of [`Pool::accrue`] and [`Pool::borrow_index_at`].
    fn grown_borrow_index(&self, dt: i64, curve: &InterestCurve) -> RiskResult<(Fx, Fx)> {
        let rate = curve.borrow_rate(self.utilization()?)?;
        let growth = rate.mul_ceil(fx_from_int(dt as i128)?)?.div_ceil(fx_from_int(SECONDS_PER_YEAR)?)?;
        let grown = self.borrow_index.add_checked(self.borrow_index.mul_ceil(growth)?)?;
        Ok((rate, self.capped_borrow_index(grown)?))
    }

    /// `grown`, or less where the pool's debt would pass [`MAX_BOOKED_DEBT`] native units: a debt
    /// larger than any token account can hold is never repaid, so interest stops compounding it
    /// there and the pool's arithmetic stays within I80F48 for ever. (The invariant fuzzer found a
    /// pool compounding at the maximum rate for decades overflow `shares × index`; every
    /// instruction accruing it would then have failed.) Never below the current index.
    fn capped_borrow_index(&self, grown: Fx) -> RiskResult<Fx> {
        let cap = fx_from_int(MAX_BOOKED_DEBT as i128)?;
        if self.borrow_shares.mul_ceil(grown).is_ok_and(|debt| debt <= cap) {
            return Ok(grown);
        }
        Ok(cap.div_floor(self.borrow_shares)?.min(grown).max(self.borrow_index))
    }

    /// The borrow index [`Pool::accrue`] would set at `now`, without changing the pool: what a debt
    /// is worth now (bit for bit the same as accruing first).
    pub fn borrow_index_at(&self, now: i64, curve: &InterestCurve) -> RiskResult<Fx> {
        let dt = now.saturating_sub(self.last_accrual);
        if dt <= 0 || self.borrow_shares == Fx::ZERO {
            return Ok(self.borrow_index);
        }
        Ok(self.grown_borrow_index(dt, curve)?.1)
    }

    /// Accrues interest up to `now` (a clock going backwards accrues nothing).
    pub fn accrue(&mut self, now: i64, curve: &InterestCurve, protocol_share: Fx) -> RiskResult<Accrual> {
        let dt = now.saturating_sub(self.last_accrual);
        if dt <= 0 || self.borrow_shares == Fx::ZERO {
            // Nothing accrues (the rate is reported only when interest is charged).
            self.last_accrual = self.last_accrual.max(now);
            return Ok(Accrual { interest: Fx::ZERO, protocol_fee: Fx::ZERO, borrow_rate: Fx::ZERO });
        }
        let (rate, borrow_index) = self.grown_borrow_index(dt, curve)?;
        let before = self.total_borrows()?;
        self.borrow_index = borrow_index;
        let interest = self.total_borrows()?.sub_checked(before)?.max(Fx::ZERO);
        let protocol_fee = interest.mul_ceil(protocol_share)?.min(interest);
        let to_depositors = interest.sub_checked(protocol_fee)?;
        if self.deposit_shares > Fx::ZERO {
            self.deposit_index = self.deposit_index.add_checked(to_depositors.div_floor(self.deposit_shares)?)?;
        }
        self.protocol_fees = self.protocol_fees.add_checked(protocol_fee)?;
        self.last_accrual = now;
        Ok(Accrual { interest, protocol_fee, borrow_rate: rate })
    }

    /// Deposit shares for `amount` native units (rounded down).
    pub fn deposit_shares_for(&self, amount: u64) -> RiskResult<Fx> {
        Ok(fx_from_int(amount as i128)?.div_floor(self.deposit_index)?)
    }

    /// Deposit shares burned to withdraw `amount` native units (rounded up).
    pub fn withdraw_shares_for(&self, amount: u64) -> RiskResult<Fx> {
        Ok(fx_from_int(amount as i128)?.div_ceil(self.deposit_index)?)
    }

    /// Borrow shares owed for borrowing `amount` native units (rounded up).
    pub fn borrow_shares_for(&self, amount: u64) -> RiskResult<Fx> {
        Ok(fx_from_int(amount as i128)?.div_ceil(self.borrow_index)?)
    }

    /// Borrow shares cleared by repaying `amount` native units (rounded down).
    pub fn repay_shares_for(&self, amount: u64) -> RiskResult<Fx> {
        Ok(fx_from_int(amount as i128)?.div_floor(self.borrow_index)?)
    }

    /// Spreads a loss of `loss` native units over every depositor by lowering the deposit index
    /// (rounded down: depositors, not the vault, absorb the rounding).
    ///
    /// A loss that would leave the index below [`MIN_DEPOSIT_INDEX`] (every deposit wiped out, or
    /// all but a millionth) wipes the deposits out: the pool starts a new deposit generation
    /// (`wiped_out`; index 1, no shares), so later deposits never divide by a zero index and the
    /// caller marks every older deposit share worthless. Loss beyond all deposits is taken from the
    /// protocol's uncollected fees (`from_fees`), never created.
    pub fn socialize_loss(&mut self, loss: Fx) -> RiskResult<Socialized> {
        let mut out = Socialized { spread: Fx::ZERO, from_fees: Fx::ZERO, wiped_out: false };
        if loss <= Fx::ZERO {
            return Ok(out);
        }
        let total = self.total_deposits()?;
        let remaining = total.sub_checked(loss.min(total))?;
        let index = if self.deposit_shares > Fx::ZERO { remaining.div_floor(self.deposit_shares)? } else { Fx::ZERO };
        if index >= MIN_DEPOSIT_INDEX {
            out.spread = loss;
            self.deposit_index = index;
            return Ok(out);
        }
        out.spread = total;
        out.wiped_out = self.deposit_shares > Fx::ZERO;
        out.from_fees = loss.sub_checked(total)?.max(Fx::ZERO).min(self.protocol_fees);
        self.protocol_fees = self.protocol_fees.sub_checked(out.from_fees)?;
        self.deposit_index = Fx::ONE;
        self.deposit_shares = Fx::ZERO;
        Ok(out)
    }

    /// Books a repayment of `amount` native units against a debt of `owed` borrow shares: all of them
    /// when `amount` covers the whole debt, otherwise shares rounded down (never more than owed).
    /// Returns the shares cleared.
    pub fn repay(&mut self, amount: u64, owed: Fx) -> RiskResult<Fx> {
        let debt = self.borrow_native(owed)?;
        let cleared = if amount as i128 >= debt { owed } else { self.repay_shares_for(amount)?.min(owed) };
        self.borrow_shares = self.borrow_shares.sub_checked(cleared)?.max(Fx::ZERO);
        Ok(cleared)
    }

    /// Native value of deposit shares, rounded down.
    pub fn deposit_value(&self, shares: Fx) -> RiskResult<Fx> {
        Ok(shares.mul_floor(self.deposit_index)?)
    }

    /// Native value of borrow shares, rounded up.
    pub fn borrow_value(&self, shares: Fx) -> RiskResult<Fx> {
        Ok(shares.mul_ceil(self.borrow_index)?)
    }

    /// Whole native units of deposit shares, rounded down: `floor_to_int(deposit_value(shares))`,
    /// bit for bit and error for error, in one product (`fixed_point::mul_to_int`).
    pub fn deposit_native(&self, shares: Fx) -> RiskResult<i128> {
        Ok(crate::fixed_point::mul_to_int(shares, self.deposit_index, false)?)
    }

    /// Whole native units of borrow shares, rounded up: `ceil_to_int(borrow_value(shares))`, bit
    /// for bit and error for error, in one product.
    pub fn borrow_native(&self, shares: Fx) -> RiskResult<i128> {
        Ok(crate::fixed_point::mul_to_int(shares, self.borrow_index, true)?)
    }
}

/// The most a pool's debt compounds to, in native units: u64::MAX, what a token account can hold.
pub const MAX_BOOKED_DEBT: u64 = u64::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (found by the invariant fuzzer): a pool whose debt compounds at the maximum rate
    /// for a century, accrued daily, never fails to accrue; its debt stops at u64::MAX native units
    /// and its indices never fall; the in-memory valuation equals accruing first.
    #[test]
    fn a_century_at_the_maximum_rate_keeps_accruing() {
        let mut p = Pool::new(0);
        p.deposit_shares = p.deposit_shares_for(10_000_000_000_000_000).unwrap();
        p.borrow_shares = p.borrow_shares_for(10_000_000_000_000_000).unwrap(); // U = 1: 100%/yr
        let (mut borrow_index, mut deposit_index) = (p.borrow_index, p.deposit_index);
        let day = 86_400i64;
        for d in 1..=36_525i64 {
            let expected = p.borrow_index_at(d * day, &curve()).unwrap();
            p.accrue(d * day, &curve(), fx(0.1)).unwrap_or_else(|e| panic!("day {d}: {e:?}"));
            assert_eq!(p.borrow_index, expected, "day {d}: valuation ≠ accrual");
            assert!(p.borrow_index >= borrow_index && p.deposit_index >= deposit_index, "day {d}: an index fell");
            (borrow_index, deposit_index) = (p.borrow_index, p.deposit_index);
        }
        let debt = p.total_borrows().unwrap();
        assert!(debt <= fx(u64::MAX as f64) + Fx::ONE, "debt {debt}");
        assert!(debt >= fx(u64::MAX as f64 * 0.999), "the cap binds after a century: {debt}");
        // Repaying still works at the cap.
        assert!(p.repay_shares_for(1_000_000).unwrap() > Fx::ZERO);
    }

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }
    fn curve() -> InterestCurve {
        InterestCurve { base_rate: fx(0.0), optimal_utilization: fx(0.8), rate_at_optimal: fx(0.1), max_rate: fx(1.0) }
    }

    #[test]
    fn kinked_curve_by_hand() {
        let c = curve();
        c.validate().unwrap();
        assert!((c.borrow_rate(fx(0.4)).unwrap() - fx(0.05)).abs() < fx(1e-12));
        assert!((c.borrow_rate(fx(0.8)).unwrap() - fx(0.1)).abs() < fx(1e-12));
        assert!((c.borrow_rate(fx(0.9)).unwrap() - fx(0.55)).abs() < fx(1e-12));
        assert!((c.borrow_rate(fx(1.0)).unwrap() - fx(1.0)).abs() < fx(1e-12));
        assert!((c.borrow_rate(fx(1.5)).unwrap() - fx(1.0)).abs() < fx(1e-12), "clamped");
        let bad = InterestCurve { optimal_utilization: Fx::ONE, ..c };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn one_year_at_fifty_percent_utilisation() {
        // 1000 deposited, 500 borrowed: U = 0.5 → rate 6.25%; a year → interest 31.25;
        // protocol keeps 10% = 3.125, depositors get 28.125.
        let mut p = Pool::new(0);
        p.deposit_shares = p.deposit_shares_for(1000).unwrap();
        p.borrow_shares = p.borrow_shares_for(500).unwrap();
        let a = p.accrue(SECONDS_PER_YEAR as i64, &curve(), fx(0.1)).unwrap();
        assert!((a.borrow_rate - fx(0.0625)).abs() < fx(1e-12));
        assert!((a.interest - fx(31.25)).abs() < fx(1e-9));
        assert!((p.protocol_fees - fx(3.125)).abs() < fx(1e-9));
        assert!((p.total_deposits().unwrap() - fx(1028.125)).abs() < fx(1e-9));
        // Books never claim more than the vault: vault = 1000 − 500 = 500 ≥ D − B + F.
        let books = p.total_deposits().unwrap() - p.total_borrows().unwrap() + p.protocol_fees;
        assert!(books <= fx(500.0));
    }

    #[test]
    fn no_borrows_or_no_time_accrues_nothing() {
        let mut p = Pool::new(100);
        p.deposit_shares = fx(10.0);
        let a = p.accrue(1_000, &curve(), fx(0.1)).unwrap();
        assert_eq!(a.interest, Fx::ZERO);
        assert_eq!(p.last_accrual, 1_000);
        assert_eq!(p.deposit_index, Fx::ONE);
        // Clock going backwards: nothing happens, time does not move back.
        p.borrow_shares = fx(5.0);
        p.accrue(500, &curve(), fx(0.1)).unwrap();
        assert_eq!(p.last_accrual, 1_000);
        assert_eq!(p.borrow_index, Fx::ONE);
    }

    #[test]
    fn full_utilisation_with_zero_deposits_left_is_handled() {
        // Every deposit borrowed (U = 1) and then all deposit shares withdrawn is impossible in the
        // program, but the math must not divide by zero: interest goes to borrow index and fees.
        let mut p = Pool::new(0);
        p.borrow_shares = fx(100.0);
        let a = p.accrue(86_400, &curve(), fx(0.2)).unwrap();
        assert!(a.interest > Fx::ZERO);
        assert_eq!(p.deposit_index, Fx::ONE);
        assert_eq!(p.utilization().unwrap(), Fx::ONE);
        assert!((a.borrow_rate - fx(1.0)).abs() < fx(1e-12), "max rate at full utilisation");
    }

    #[test]
    fn a_socialised_loss_lowers_every_deposit_proportionally() {
        let mut p = Pool::new(0);
        p.deposit_shares = fx(1000.0);
        p.deposit_index = fx(1.1); // 1,100 deposited
        let s = p.socialize_loss(fx(110.0)).unwrap();
        assert_eq!(s.spread, fx(110.0));
        assert!(!s.wiped_out);
        assert!((p.deposit_index - fx(0.99)).abs() < fx(1e-12));
        assert!(p.total_deposits().unwrap() <= fx(990.0));
        // A loss larger than all deposits wipes them out, takes the rest from the protocol's fees,
        // and leaves a usable pool (index 1, a new generation of shares).
        p.protocol_fees = fx(3.0);
        let s = p.socialize_loss(fx(995.0)).unwrap();
        assert!(s.wiped_out);
        assert!((s.spread - fx(990.0)).abs() < fx(1e-9));
        assert!((s.from_fees - fx(3.0)).abs() < fx(1e-9), "fees cover what they can: {s:?}");
        assert_eq!(p.protocol_fees, Fx::ZERO);
        assert_eq!((p.deposit_index, p.deposit_shares), (Fx::ONE, Fx::ZERO));
        assert!(p.deposit_shares_for(1_000).unwrap() == fx(1000.0), "new deposits work");
    }

    #[test]
    fn share_conversions_round_for_the_protocol() {
        let mut p = Pool::new(0);
        p.deposit_index = fx(1.5);
        p.borrow_index = fx(1.5);
        // 10 native at 1.5/share: deposit mints floor(6.666…), withdraw burns ceil.
        assert!(p.deposit_shares_for(10).unwrap() < p.withdraw_shares_for(10).unwrap());
        assert!(p.repay_shares_for(10).unwrap() < p.borrow_shares_for(10).unwrap());
        assert!(p.deposit_value(fx(1.0) / fx(3.0)).unwrap() <= fx(0.5));
        assert!(p.borrow_value(fx(1.0) / fx(3.0)).unwrap() >= fx(0.5));
    }
}
