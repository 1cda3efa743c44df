//! Statistics for VaR backtests: Kupiec's proportion-of-failures test and the normal quantile.

/// Kupiec (1995) proportion-of-failures test: p-value of observing `breaches` in `n` trials when the
/// true breach probability is `p`. The likelihood ratio is χ²(1) under the null; the p-value is
/// `erfc(√(LR/2))`. Values below 0.05 reject the model (too many or too few breaches).
pub fn kupiec_pof_p_value(n: u64, breaches: u64, p: f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let (n, x) = (n as f64, breaches as f64);
    let observed = x / n;
    let ln_null = (n - x) * (1.0 - p).ln() + x * p.ln();
    let ln_alt = xlogy(n - x, 1.0 - observed) + xlogy(x, observed);
    let lr = (-2.0 * (ln_null - ln_alt)).max(0.0);
    erfc((lr / 2.0).sqrt())
}

/// The range of breach counts Kupiec's test accepts at 5% for `n` trials at probability `p`.
pub fn kupiec_band(n: u64, p: f64) -> (u64, u64) {
    let accepted: Vec<u64> = (0..=n).filter(|&x| kupiec_pof_p_value(n, x, p) >= 0.05).collect();
    (accepted.first().copied().unwrap_or(0), accepted.last().copied().unwrap_or(0))
}

fn xlogy(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

/// Complementary error function (W. J. Cody's rational approximations via `erf` series; relative
/// error below 1e-7 everywhere, enough for p-values).
pub fn erfc(x: f64) -> f64 {
    // Numerical Recipes `erfcc` (Chebyshev fit), fractional error < 1.2e-7.
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Inverse of the standard normal CDF (Acklam's algorithm, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0, "probability must be in (0, 1)");
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }

    #[test]
    fn normal_quantile_known_values() {
        assert!((normal_quantile(0.99) - 2.326_347_874).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326_347_874).abs() < 1e-8);
    }

    #[test]
    fn kupiec_accepts_the_expected_rate_and_rejects_far_off_ones() {
        // 1000 days at 1%: 10 breaches is exactly expected.
        assert!((kupiec_pof_p_value(1000, 10, 0.01) - 1.0).abs() < 1e-6);
        assert!(kupiec_pof_p_value(1000, 25, 0.01) < 0.05);
        assert!(kupiec_pof_p_value(1000, 1, 0.01) < 0.05);
        // Textbook value: LR for 250 days with 6 breaches at 1% is ≈ 3.55 → p ≈ 0.060.
        assert!((kupiec_pof_p_value(250, 6, 0.01) - 0.0596).abs() < 0.002);
        let (lo, hi) = kupiec_band(1000, 0.01);
        assert!(lo <= 10 && hi >= 10 && lo >= 3 && hi <= 18, "band {lo}..{hi}");
    }
}
