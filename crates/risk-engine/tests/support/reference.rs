//! The f64 reference of the margin model (the same formulas in plain floating point): what the
//! property tests (tests/properties.rs) and the coverage-guided fuzz target (fuzz/) check the
//! fixed-point engine against. A book is `(asset, exposure USD, floor rate)`.
#![allow(dead_code)]
use risk_engine::{Fx, MarginParams};

fn f(v: Fx) -> f64 {
    v.to_num()
}

/// f64 reference of the margin model (same formulas, plain floating point), every asset unscaled.
pub fn reference_margin(cov: &[Vec<f64>], book: &[(usize, f64, f64)], p: &MarginParams) -> f64 {
    reference_margin_scaled(cov, book, p, &vec![1.0; cov.len()])
}

/// The f64 reference with volatility scales: every term but the floor on `DΣD`.
pub fn reference_margin_scaled(cov: &[Vec<f64>], book: &[(usize, f64, f64)], p: &MarginParams, d: &[f64]) -> f64 {
    reference_margin_full(cov, book, p, d, &vec![0.0; cov.len()])
}

/// The f64 reference with volatility scales and de-peg gaps.
pub fn reference_margin_full(
    cov: &[Vec<f64>],
    book: &[(usize, f64, f64)],
    p: &MarginParams,
    d: &[f64],
    g: &[f64],
) -> f64 {
    let (z, s, a, b, m, c) = (
        f(p.z),
        f(p.horizon_scale),
        f(p.spike_alpha),
        f(p.breakdown_beta),
        f(p.stress_vol_multiplier),
        f(p.joint_move_sigmas),
    );
    let mut v = 0.0;
    let mut diag = 0.0;
    let mut joint = 0.0;
    let mut floor = 0.0;
    let mut undiversified = 0.0;
    let mut depeg_loss = 0.0;
    for &(i, w, rate) in book {
        depeg_loss += g[i] * w.max(0.0);
        let wi = w * d[i];
        for &(j, wj, _) in book {
            v += wi * wj * d[j] * cov[i][j];
        }
        diag += wi * wi * cov[i][i];
        joint += wi * cov[i][i].sqrt();
        undiversified += wi.abs() * cov[i][i].sqrt();
        floor += w.abs() * rate;
    }
    let v = v.max(0.0);
    let var = z * (s * v).sqrt();
    let spike = z * (s * m * m * ((1.0 - a) * v + a * joint * joint)).sqrt();
    let bd = z * (s * m * m * ((1.0 - b) * v + b * diag)).sqrt();
    let jm = c * s.sqrt() * joint.abs();
    let hedge = f(p.hedge_floor) * z * s.sqrt() * m * undiversified;
    let depeg = if depeg_loss > 0.0 { var + depeg_loss } else { 0.0 };
    var.max(spike).max(bd).max(jm).max(hedge).max(depeg).max(floor)
}
