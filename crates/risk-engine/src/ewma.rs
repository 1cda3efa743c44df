//! EWMA (RiskMetrics) covariance updates: `Σ ← λ·Σ + (1−λ)·r·rᵀ`.
//!
//! One λ for every entry keeps the update a convex mix of PSD matrices, so Σ stays PSD. An asset whose
//! price is missing at a sample gets `r_i = 0` and keeps its previous price: the whole row still takes
//! part in the same rank-one update (decayed by λ), and the move is caught at the next good sample.
use crate::covariance::{tri_index, TriangularMatrix};
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt, WrappedI80F48};

/// Checks `0 < λ < 1`.
pub fn validate_lambda(lambda: Fx) -> RiskResult<()> {
    if lambda <= Fx::ZERO || lambda >= Fx::ONE {
        return Err(RiskError::InvalidParameter { name: "lambda", reason: "must be strictly between 0 and 1" });
    }
    Ok(())
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
        returns[i] = match observed[i] {
            Some(p) if p <= Fx::ZERO => return Err(RiskError::NonPositivePrice { asset: i }),
            Some(p) => {
                let r = if last_prices[i] > Fx::ZERO { simple_return(i, last_prices[i], p)? } else { Fx::ZERO };
                last_prices[i] = p;
                r
            }
            None => Fx::ZERO,
        };
    }
    Ok(())
}

/// Applies one EWMA update to the first `returns.len()` assets of `matrix`.
///
/// Two multiplications per stored entry: `Σ_ij − (1−λ)·Σ_ij` and `((1−λ)·r_j)·r_i`. The weighted
/// return `(1−λ)·r_j` is computed once per column.
pub fn ewma_update<S>(matrix: &mut TriangularMatrix<S>, lambda: Fx, returns: &[Fx]) -> RiskResult<()>
where
    S: AsRef<[WrappedI80F48]> + AsMut<[WrappedI80F48]>,
{
    use crate::covariance::CovarianceSource;
    validate_lambda(lambda)?;
    let n = returns.len();
    if n != matrix.dim() {
        return Err(RiskError::DimensionMismatch { expected: matrix.dim(), got: n });
    }
    let one_minus_lambda = Fx::ONE.sub_checked(lambda)?;
    let entries = matrix.entries_mut();
    for j in 0..n {
        let weighted_rj = one_minus_lambda.mul_floor(returns[j])?;
        let column = tri_index(0, j);
        for i in 0..=j {
            let e = &mut entries[column + i];
            let old = e.get();
            let decayed = old.sub_checked(old.mul_floor(one_minus_lambda)?)?;
            let innovation = weighted_rj.mul_floor(returns[i])?;
            e.set(decayed.add_checked(innovation)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::{CovarianceSource, OwnedMatrix};

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
    fn non_positive_price_is_rejected() {
        let mut last = [fx(1.0)];
        let mut r = [Fx::ZERO];
        assert_eq!(sample_returns(&mut last, &[Some(fx(-1.0))], &mut r), Err(RiskError::NonPositivePrice { asset: 0 }));
        assert_eq!(last, [fx(1.0)], "state unchanged on error");
    }
}
