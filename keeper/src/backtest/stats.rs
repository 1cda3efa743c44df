//! Statistics for VaR backtests: Kupiec's proportion-of-failures test, Christoffersen's independence
//! test and the normal quantile.

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

/// Transition counts of a breach sequence (`n[a][b]`: a day in state a followed by one in state b;
/// state 1 = breach), for Christoffersen's independence test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Transitions {
    pub n00: u64,
    pub n01: u64,
    pub n10: u64,
    pub n11: u64,
}

impl Transitions {
    pub fn add(&mut self, from: bool, to: bool) {
        match (from, to) {
            (false, false) => self.n00 += 1,
            (false, true) => self.n01 += 1,
            (true, false) => self.n10 += 1,
            (true, true) => self.n11 += 1,
        }
    }
    pub fn merge(&mut self, o: &Transitions) {
        self.n00 += o.n00;
        self.n01 += o.n01;
        self.n10 += o.n10;
        self.n11 += o.n11;
    }
}

/// Christoffersen (1998) independence test: p-value of the likelihood ratio of a first-order Markov
/// breach process against independent breaches, χ²(1). Low values mean breaches cluster (a breach
/// makes the next one more likely). NaN when there is nothing to test (no breach or no calm day).
pub fn christoffersen_p_value(t: &Transitions) -> f64 {
    let (n00, n01, n10, n11) = (t.n00 as f64, t.n01 as f64, t.n10 as f64, t.n11 as f64);
    let n = n00 + n01 + n10 + n11;
    if n == 0.0 || n01 + n11 == 0.0 || n00 + n10 == 0.0 {
        return f64::NAN;
    }
    let pi = (n01 + n11) / n;
    let pi0 = if n00 + n01 > 0.0 { n01 / (n00 + n01) } else { 0.0 };
    let pi1 = if n10 + n11 > 0.0 { n11 / (n10 + n11) } else { 0.0 };
    let ln_null = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi);
    let ln_alt = xlogy(n00, 1.0 - pi0) + xlogy(n01, pi0) + xlogy(n10, 1.0 - pi1) + xlogy(n11, pi1);
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

    #[test]
    fn christoffersen_accepts_scattered_breaches_and_rejects_clusters() {
        // 1000 days, 10 breaches spread out: independent.
        let mut spread = Transitions::default();
        let mut clustered = Transitions::default();
        let (mut prev_s, mut prev_c) = (false, false);
        for d in 0..1000 {
            let s = d % 100 == 50;
            let c = (500..510).contains(&d); // ten breaches in a row
            if d > 0 {
                spread.add(prev_s, s);
                clustered.add(prev_c, c);
            }
            (prev_s, prev_c) = (s, c);
        }
        assert!(christoffersen_p_value(&spread) > 0.5, "{}", christoffersen_p_value(&spread));
        assert!(christoffersen_p_value(&clustered) < 1e-6);
        assert!(christoffersen_p_value(&Transitions::default()).is_nan());
    }
}
