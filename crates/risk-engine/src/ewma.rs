//! EWMA (RiskMetrics) covariance updates: `Σ ← λ·Σ + (1−λ)·r·rᵀ`.
//!
//! One λ for every entry keeps the update a convex mix of PSD matrices, so Σ stays PSD. An asset whose
//! price is missing at a sample gets `r_i = 0` and keeps its previous price: the whole row still takes
//! part in the same rank-one update (decayed by λ), and the move is caught at the next good sample.
use crate::covariance::{tri_index, TriangularMatrix};
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::native::{mul_floor_48, Pieces, SPLIT_X, SPLIT_Y};
use crate::fixed_point::{Fx, FxExt, MathResult, WrappedI80F48};

/// Checks `0 < λ < 1`.
pub fn validate_lambda(lambda: Fx) -> RiskResult<()> {
    if lambda <= Fx::ZERO || lambda >= Fx::ONE {
        return Err(RiskError::InvalidParameter { name: "lambda", reason: "must be strictly between 0 and 1" });
    }
    Ok(())
}

/// Whether a new covariance sample may start at `now` (one sample per interval; the first any time).
pub fn sample_due(last_sample_time: i64, interval_seconds: i64, now: i64) -> bool {
    last_sample_time == 0 || now.saturating_sub(last_sample_time) >= interval_seconds
}

/// Whether a pending sample started at `started` (0: none) is still open at `now`: a sample stays
/// open for `window_seconds` (the oracle max age), so all its prices come from one short window.
pub fn pending_sample_open(started: i64, window_seconds: i64, now: i64) -> bool {
    started != 0 && now.saturating_sub(started) <= window_seconds
}

/// Simple return `new/prev − 1`, rounded toward −∞. Both prices must be > 0.
pub fn simple_return(asset: usize, prev: Fx, new: Fx) -> RiskResult<Fx> {
    if prev <= Fx::ZERO || new <= Fx::ZERO {
        return Err(RiskError::NonPositivePrice { asset });
    }
    Ok(new.sub_checked(prev)?.div_floor(prev)?)
}

/// Turns one sample of observed prices into returns, updating `last_prices` in place.
///
/// `observed[i] = None` marks an unusable oracle: the return is 0 and the last price is kept. An asset
/// seen for the first time (last price 0) also gets return 0 and starts from the observed price.
pub fn sample_returns(last_prices: &mut [Fx], observed: &[Option<Fx>], returns: &mut [Fx]) -> RiskResult<()> {
    let n = last_prices.len();
    if observed.len() != n {
        return Err(RiskError::DimensionMismatch { expected: n, got: observed.len() });
    }
    if returns.len() != n {
        return Err(RiskError::DimensionMismatch { expected: n, got: returns.len() });
    }
    for i in 0..n {
        let (r, last) = sample_return(i, last_prices[i], observed[i])?;
        returns[i] = r;
        last_prices[i] = last;
    }
    Ok(())
}

/// One asset of [`sample_returns`]: its return and its new last price, from its last price and its
/// observed price (`None`: unusable).
#[inline]
pub fn sample_return(asset: usize, last_price: Fx, observed: Option<Fx>) -> RiskResult<(Fx, Fx)> {
    match observed {
        Some(p) if p <= Fx::ZERO => Err(RiskError::NonPositivePrice { asset }),
        Some(p) => {
            let r = if last_price > Fx::ZERO { simple_return(asset, last_price, p)? } else { Fx::ZERO };
            Ok((r, p))
        }
        None => Ok((Fx::ZERO, last_price)),
    }
}

/// Applies one EWMA update to the first `returns.len()` assets of `matrix`, every price observed.
///
/// Two multiplications per stored entry: `Σ_ij − (1−λ)·Σ_ij` and `((1−λ)·r_j)·r_i`. The weighted
/// return `(1−λ)·r_j` is computed once per column.
pub fn ewma_update<S>(matrix: &mut TriangularMatrix<S>, lambda: Fx, returns: &[Fx]) -> RiskResult<()>
where
    S: AsRef<[WrappedI80F48]> + AsMut<[WrappedI80F48]>,
{
    let (n, one_minus_lambda) = update_args(matrix, lambda, returns)?;
    // The returns as 64-bit words when every one fits (|r| < 2¹⁵: any real return), so an entry
    // whose operands all fit takes [`narrow_entry`].
    let narrow: Option<alloc::vec::Vec<i64>> = returns.iter().map(|r| i64::try_from(r.to_bits()).ok()).collect();
    // 0 < 1 − λ < 1: its bits fit 64.
    let c = one_minus_lambda.to_bits() as i64;
    // Every return below 1 in magnitude (any real daily move but a doubling): the entries whose
    // operands are small enough take [`split_entry`], in native 64-bit products.
    let split = narrow.as_ref().filter(|r| r.iter().all(|&r| r.unsigned_abs() < SPLIT_Y));
    let c_pieces = Pieces::of(c);
    let entries = matrix.entries_mut();
    for j in 0..n {
        let column = &mut entries[tri_index(0, j)..][..=j];
        if let Some(r) = split {
            // `(1−λ)·r_j` by the same floor, in native products when `1 − λ < ¼` (λ > 0.75).
            let w = if c.unsigned_abs() < SPLIT_X { mul_floor_48(c, Pieces::of(r[j])) } else { wide_weight(c, r[j])? };
            if w.unsigned_abs() < SPLIT_X {
                for (e, &r_i) in column.iter_mut().zip(&r[..=j]) {
                    // The entry's two words: it takes the split path when it is an `i64` below 2⁴⁶.
                    let (lo, hi) = e.words();
                    let new = if hi == lo >> 63 && (lo.wrapping_add(SPLIT_X as i64) as u64) < 2 * SPLIT_X {
                        split_entry(lo, c_pieces, w, Pieces::of(r_i)) as i128
                    } else {
                        large_entry(e.get(), one_minus_lambda, w, r_i)?
                    };
                    e.bytes = new.to_le_bytes();
                }
                continue;
            }
        }
        let weighted_rj = one_minus_lambda.mul_floor(returns[j])?;
        let w = i64::try_from(weighted_rj.to_bits());
        if let (Some(r), Ok(w)) = (&narrow, w) {
            for (i, (e, &r_i)) in column.iter_mut().zip(&r[..=j]).enumerate() {
                let old = e.get();
                let new = match i64::try_from(old.to_bits()) {
                    Ok(o) => Fx::from_bits(narrow_entry(o, c, w, r_i)),
                    Err(_) => observed_entry(old, one_minus_lambda, weighted_rj, returns[i])?,
                };
                e.set(new);
            }
        } else {
            for (e, &r_i) in column.iter_mut().zip(&returns[..=j]) {
                e.set(observed_entry(e.get(), one_minus_lambda, weighted_rj, r_i)?);
            }
        }
    }
    Ok(())
}

/// [`observed_entry`] on raw bits whose operands all fit 64 bits: the same floors (arithmetic
/// shifts of the exact products), with no check left to fail — `|old·c| < 2¹²⁶`, `|w·r| < 2¹²⁶`,
/// and `old − ⌊old·c/2⁴⁸⌋ + ⌊w·r/2⁴⁸⌋` stays below 2⁸⁰ in magnitude.
#[inline(always)]
fn narrow_entry(old: i64, c: i64, w: i64, r: i64) -> i128 {
    let decay = (old as i128).wrapping_mul(c as i128) >> crate::fixed_point::FRAC_BITS;
    let shock = (w as i128).wrapping_mul(r as i128) >> crate::fixed_point::FRAC_BITS;
    (old as i128).wrapping_sub(decay).wrapping_add(shock)
}

/// [`narrow_entry`] when `|old|, |w| < 2⁴⁶` and `|c|, |r| < 2⁴⁸`: the same two floors by
/// [`mul_floor_48`], and `|old − decay + shock| < 3·2⁴⁶`.
#[inline(always)]
fn split_entry(old: i64, c: Pieces, w: i64, r: Pieces) -> i64 {
    old.wrapping_sub(mul_floor_48(old, c)).wrapping_add(mul_floor_48(w, r))
}

/// `⌊(1−λ)·r/2⁴⁸⌋` on raw bits when `1 − λ ≥ ¼` (the split path's weight, outside its bounds).
#[cold]
#[inline(never)]
fn wide_weight(c: i64, r: i64) -> MathResult<i64> {
    let w = Fx::from_bits(c as i128).mul_floor(Fx::from_bits(r as i128))?;
    // |w| ≤ |r| < 2⁴⁸: it fits.
    Ok(w.to_bits() as i64)
}

/// One EWMA step of a single value, `old − ⌊old·c⌋ + ⌊⌊c·r⌋·r⌋` with `c = 1 − λ` (every floor at
/// 2⁻⁴⁸): [`observed_entry`] with `r_i = r_j = r`, in native products when the operands allow
/// ([`mul_floor_48`]'s bounds), else checked. The volatility memories take their samples by it.
#[inline]
pub fn ewma_step(old: Fx, one_minus_lambda: Fx, r: Fx) -> MathResult<Fx> {
    let (o, c, rb) = (old.to_bits(), one_minus_lambda.to_bits(), r.to_bits());
    let x_bound = SPLIT_X as i128;
    let y_bound = SPLIT_Y as i128;
    if (-x_bound < o && o < x_bound) && (0 <= c && c < y_bound) && (-y_bound < rb && rb < y_bound) {
        let (o, c, rb) = (o as i64, c as i64, rb as i64);
        let w = if c < SPLIT_X as i64 {
            Some(mul_floor_48(c, Pieces::of(rb)))
        } else if rb.unsigned_abs() < SPLIT_X {
            Some(mul_floor_48(rb, Pieces::of(c)))
        } else {
            None
        };
        if let Some(w) = w.filter(|w| w.unsigned_abs() < SPLIT_X) {
            return Ok(Fx::from_bits(split_entry(o, Pieces::of(c), w, Pieces::of(rb)) as i128));
        }
    }
    observed_entry(old, one_minus_lambda, one_minus_lambda.mul_floor(r)?, r)
}

/// An entry of the split path's column that is not below 2⁴⁶: [`narrow_entry`] if it fits 64 bits,
/// else [`observed_entry`] (with `w = ⌊(1−λ)·r_j⌋` exactly, and `r_i` the return's bits).
#[cold]
#[inline(never)]
fn large_entry(old: Fx, one_minus_lambda: Fx, w: i64, r_i: i64) -> MathResult<i128> {
    match i64::try_from(old.to_bits()) {
        Ok(o) => Ok(narrow_entry(o, one_minus_lambda.to_bits() as i64, w, r_i)),
        Err(_) => {
            Ok(observed_entry(old, one_minus_lambda, Fx::from_bits(w as i128), Fx::from_bits(r_i as i128))?.to_bits())
        }
    }
}

/// Checks an update's λ and dimensions; returns the dimension and `1 − λ`.
#[inline(always)]
fn update_args<S: AsRef<[WrappedI80F48]>>(
    matrix: &TriangularMatrix<S>,
    lambda: Fx,
    returns: &[Fx],
) -> RiskResult<(usize, Fx)> {
    use crate::covariance::CovarianceSource;
    validate_lambda(lambda)?;
    if returns.len() != matrix.dim() {
        return Err(RiskError::DimensionMismatch { expected: matrix.dim(), got: returns.len() });
    }
    Ok((returns.len(), Fx::ONE.sub_checked(lambda)?))
}

/// `Σ_ij − (1−λ)·Σ_ij + ((1−λ)·r_j)·r_i`, each product rounded down.
#[inline(always)]
fn observed_entry(old: Fx, one_minus_lambda: Fx, weighted_rj: Fx, r_i: Fx) -> MathResult<Fx> {
    old.sub_checked(old.mul_floor(one_minus_lambda)?)?.add_checked(weighted_rj.mul_floor(r_i)?)
}

/// One EWMA update when the assets in `missing` (bit i: asset i had no usable price) were not
/// observed: a missing asset's variance is kept (never lowered by a sample that did not see it),
/// its covariances with observed assets decay by `√λ`, covariances between two missing assets are
/// kept. In matrix form `Σ' = DΣD + (1−λ)·r rᵀ` with `D = diag(√λ observed, 1 missing)` and `r = 0`
/// on missing assets: a congruence of a PSD matrix plus a PSD rank-one term, so Σ stays PSD.
///
/// Observed entries take two multiplications: `Σ_ij − (1−λ)·Σ_ij` and `((1−λ)·r_j)·r_i`, the
/// weighted return computed once per column. Every decay rounds toward zero.
pub fn ewma_update_observed<S>(
    matrix: &mut TriangularMatrix<S>,
    lambda: Fx,
    returns: &[Fx],
    missing: u64,
) -> RiskResult<()>
where
    S: AsRef<[WrappedI80F48]> + AsMut<[WrappedI80F48]>,
{
    if missing == 0 {
        return ewma_update(matrix, lambda, returns);
    }
    let (n, one_minus_lambda) = update_args(matrix, lambda, returns)?;
    if n > 64 {
        return Err(RiskError::DimensionMismatch { expected: 64, got: n });
    }
    let is_missing = |i: usize| missing & (1u64 << i) != 0;
    let sqrt_lambda = lambda.sqrt_floor()?;
    let entries = matrix.entries_mut();
    for j in 0..n {
        let weighted_rj = one_minus_lambda.mul_floor(returns[j])?;
        let column = tri_index(0, j);
        let j_missing = is_missing(j);
        for i in 0..=j {
            let e = &mut entries[column + i];
            let old = e.get();
            let new = match (j_missing, is_missing(i)) {
                (false, false) => observed_entry(old, one_minus_lambda, weighted_rj, returns[i])?,
                (true, true) => old,
                _ => {
                    // |old|·√λ rounded down, sign kept: the cross term shrinks toward zero.
                    let m = old.abs().mul_floor(sqrt_lambda)?;
                    if old < Fx::ZERO {
                        m.neg_checked()?
                    } else {
                        m
                    }
                }
            };
            e.set(new);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::{tri_len, CovarianceSource, OwnedMatrix};

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    #[test]
    fn lambda_must_be_inside_the_unit_interval() {
        assert!(validate_lambda(fx(0.94)).is_ok());
        assert!(validate_lambda(Fx::ONE).is_err());
        assert!(validate_lambda(Fx::ZERO).is_err());
    }

    #[test]
    fn one_update_by_hand() {
        // Σ = [[0.01, 0.002],[0.002, 0.04]], r = (0.1, -0.2), λ = 0.9:
        // Σ' = 0.9Σ + 0.1·r rᵀ = [[0.009+0.001, 0.0018-0.002], [.., 0.036+0.004]]
        let mut m = OwnedMatrix::from_dense(2, &[fx(0.01), fx(0.002), fx(0.002), fx(0.04)]).unwrap();
        ewma_update(&mut m, fx(0.9), &[fx(0.1), fx(-0.2)]).unwrap();
        let close = |a: Fx, b: f64| (a.to_num::<f64>() - b).abs() < 1e-12;
        assert!(close(m.cov(0, 0), 0.010));
        assert!(close(m.cov(0, 1), -0.0002));
        assert!(close(m.cov(1, 1), 0.040));
    }

    /// `ewma_update` against `observed_entry` on every entry, in order: the same result or the same
    /// failure.
    fn check_against_the_checked_rule(
        stored: alloc::vec::Vec<WrappedI80F48>,
        r: &[Fx],
        lambda: Fx,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let n = r.len();
        let mut got = TriangularMatrix::new(n, stored.clone()).unwrap();
        let result = ewma_update(&mut got, lambda, r);
        let one_minus = Fx::ONE - lambda;
        let mut want = stored;
        let reference: MathResult<()> = (|| {
            for j in 0..n {
                let w = one_minus.mul_floor(r[j])?;
                for i in 0..=j {
                    let e = &mut want[tri_index(i, j)];
                    e.set(observed_entry(e.get(), one_minus, w, r[i])?);
                }
            }
            Ok(())
        })();
        proptest::prop_assert_eq!(result.is_ok(), reference.is_ok());
        if result.is_ok() {
            for (k, (g, w)) in got.entries().iter().zip(&want).enumerate() {
                proptest::prop_assert_eq!(g.get(), w.get(), "entry {}", k);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        /// The 64-bit paths give the bits of the checked per-entry rule, whatever mix of narrow and
        /// wide entries, returns and weights the matrix holds (and fail exactly when it fails).
        #[test]
        fn the_update_equals_the_checked_rule_on_every_entry(
            n in 1usize..6,
            entries in proptest::collection::vec(proptest::prelude::any::<i128>(), 21),
            widths in proptest::collection::vec(0u32..128, 21),
            returns in proptest::collection::vec((proptest::prelude::any::<i128>(), 40u32..128), 5),
            lambda_bits in 1i128..(1 << 48),
        ) {
            let m = tri_len(n);
            let stored = (0..m).map(|k| WrappedI80F48::new(Fx::from_bits(entries[k] >> widths[k]))).collect();
            let r: alloc::vec::Vec<Fx> = returns[..n].iter().map(|&(v, s)| Fx::from_bits(v >> s)).collect();
            check_against_the_checked_rule(stored, &r, Fx::from_bits(lambda_bits))?;
        }

        /// The same around the piecewise path's bounds: entries and weighted returns near 2⁴⁶,
        /// returns near 2⁴⁸, on both sides.
        #[test]
        fn the_update_equals_the_checked_rule_near_the_piecewise_bounds(
            n in 1usize..8,
            entries in proptest::collection::vec(-(1i128 << 47)..(1i128 << 47), 28),
            returns in proptest::collection::vec(-(1i128 << 49)..(1i128 << 49), 7),
            lambda_bits in 1i128..(1 << 48),
        ) {
            let stored = entries[..tri_len(n)].iter().map(|&e| WrappedI80F48::new(Fx::from_bits(e))).collect();
            let r: alloc::vec::Vec<Fx> = returns[..n].iter().map(|&v| Fx::from_bits(v)).collect();
            check_against_the_checked_rule(stored, &r, Fx::from_bits(lambda_bits))?;
        }
    }

    proptest::proptest! {
        /// The 16-bit-piece product is the exact floor, up to its bounds.
        #[test]
        fn the_piecewise_product_is_the_exact_floor(
            x in -((1i64 << 46) - 1)..(1i64 << 46),
            y in -((1i64 << 48) - 1)..(1i64 << 48),
            edge in 0u8..4,
        ) {
            let (x, y) = match edge {
                0 => (x, y),
                1 => ((1 << 46) - 1, y),
                2 => (-((1 << 46) - 1), -((1 << 48) - 1)),
                _ => (x, (1 << 48) - 1),
            };
            let exact = ((x as i128) * (y as i128)) >> crate::fixed_point::FRAC_BITS;
            proptest::prop_assert_eq!(mul_floor_48(x, Pieces::of(y)) as i128, exact);
            let (old, w) = (x, x / 3);
            proptest::prop_assert_eq!(
                split_entry(old, Pieces::of(y.abs() >> 1), w, Pieces::of(y)) as i128,
                narrow_entry(old, y.abs() >> 1, w, y)
            );
        }
    }

    proptest::proptest! {
        /// One value's step is the checked rule's bits, on both sides of the native path's bounds.
        #[test]
        fn one_step_equals_the_checked_rule(
            old in -(1i128 << 47)..(1i128 << 47),
            c in 1i128..(1 << 48),
            r in -(1i128 << 49)..(1i128 << 49),
            wide in 0u32..3,
        ) {
            let old = Fx::from_bits(if wide == 0 { old << 40 } else { old });
            let (c, r) = (Fx::from_bits(c), Fx::from_bits(if wide == 1 { r << 30 } else { r }));
            let want = c.mul_floor(r).and_then(|w| observed_entry(old, c, w, r));
            proptest::prop_assert_eq!(ewma_step(old, c, r).ok(), want.ok());
        }
    }

    #[test]
    fn missing_price_gives_zero_return_and_keeps_last_price() {
        let mut last = [fx(100.0), fx(10.0), Fx::ZERO];
        let mut r = [Fx::ZERO; 3];
        sample_returns(&mut last, &[Some(fx(110.0)), None, Some(fx(5.0))], &mut r).unwrap();
        assert!((r[0].to_num::<f64>() - 0.1).abs() < 1e-12);
        assert_eq!(r[1], Fx::ZERO);
        assert_eq!(r[2], Fx::ZERO, "first observation has no return");
        assert_eq!(last, [fx(110.0), fx(10.0), fx(5.0)]);
        // Next sample: the gap's move is caught.
        sample_returns(&mut last, &[Some(fx(110.0)), Some(fx(12.0)), Some(fx(5.0))], &mut r).unwrap();
        assert!((r[1].to_num::<f64>() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_missing_price_never_lowers_its_variance_and_keeps_the_matrix_psd() {
        let mut m = OwnedMatrix::from_dense(
            3,
            &[fx(0.04), fx(0.005), fx(-0.003), fx(0.005), fx(0.0025), fx(0.0), fx(-0.003), fx(0.0), fx(0.0009)],
        )
        .unwrap();
        for _ in 0..50 {
            ewma_update_observed(&mut m, fx(0.94), &[Fx::ZERO, fx(0.001), fx(-0.002)], 0b001).unwrap();
        }
        assert_eq!(m.cov(0, 0), fx(0.04), "the unobserved variance is kept");
        assert!(m.cov(0, 1) < fx(0.005) && m.cov(0, 1) > Fx::ZERO, "cross terms decay toward zero");
        assert!(m.cov(0, 2) < Fx::ZERO && m.cov(0, 2) > fx(-0.003));
        m.check_psd(fx(1e-12)).unwrap();
        // Every asset observed: the ordinary update.
        let mut a = OwnedMatrix::from_dense(2, &[fx(0.01), fx(0.002), fx(0.002), fx(0.04)]).unwrap();
        let mut b = a.clone();
        ewma_update(&mut a, fx(0.9), &[fx(0.1), fx(-0.2)]).unwrap();
        ewma_update_observed(&mut b, fx(0.9), &[fx(0.1), fx(-0.2)], 0).unwrap();
        assert_eq!(a.entries(), b.entries());
    }

    #[test]
    fn non_positive_price_is_rejected() {
        let mut last = [fx(1.0)];
        let mut r = [Fx::ZERO];
        assert_eq!(sample_returns(&mut last, &[Some(fx(-1.0))], &mut r), Err(RiskError::NonPositivePrice { asset: 0 }));
        assert_eq!(last, [fx(1.0)], "state unchanged on error");
    }
}
