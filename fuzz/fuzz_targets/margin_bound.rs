//! The margin is an upper bound of the f64 reference (the same formulas in floating point) on any
//! book and any PSD matrix: Σ = AᵀA from arbitrary factors (so PSD by construction), arbitrary
//! exposures, volatility scales and de-peg gaps; and the engine never panics.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use risk_engine::covariance::{OwnedMatrix, ScaledCovariance};
use risk_engine::{margin, Fx, MarginParams, PositionRisk, WrappedI80F48};

#[path = "../../crates/risk-engine/tests/support/reference.rs"]
mod reference;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Factor loadings, ×1e-3 (daily moves up to ~12.7% per factor).
    factors: [[i8; 4]; 4],
    n: u8,
    /// Exposures in dollars (±2^31).
    exposures: [i32; 4],
    floor_e4: [u8; 4],
    /// Volatility scale d − 1, ×1/16 (d in [1, 17)).
    scales: [u8; 4],
    gaps_e3: [u8; 4],
}

fuzz_target!(|x: Input| {
    let n = 1 + (x.n as usize % 4);
    let a = |k: usize, i: usize| x.factors[k][i] as f64 * 1e-3;
    let mut dense = vec![vec![0.0f64; n]; n];
    for (i, row) in dense.iter_mut().enumerate() {
        for (j, c) in row.iter_mut().enumerate() {
            *c = (0..4).map(|k| a(k, i) * a(k, j)).sum::<f64>() + if i == j { 1e-6 } else { 0.0 };
        }
    }
    let flat: Vec<Fx> = dense.iter().flatten().map(|v| Fx::from_num(*v)).collect();
    let Ok(m) = OwnedMatrix::from_dense(n, &flat) else { return };
    // The matrix as stored (fixed point), for the reference.
    let stored: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| risk_engine::CovarianceSource::cov(&m, i, j).to_num::<f64>()).collect())
        .collect();
    let scales: Vec<f64> = (0..n).map(|i| 1.0 + x.scales[i] as f64 / 16.0).collect();
    let gaps: Vec<f64> = (0..n).map(|i| x.gaps_e3[i] as f64 / 1000.0).collect();
    let scale_w: Vec<WrappedI80F48> = scales.iter().map(|d| WrappedI80F48::new(Fx::from_num(*d))).collect();
    let gap_w: Vec<WrappedI80F48> = gaps.iter().map(|g| WrappedI80F48::new(Fx::from_num(*g))).collect();
    let cov = ScaledCovariance { inner: &m, scales: &scale_w, gaps: &gap_w };
    let positions: Vec<PositionRisk> = (0..n)
        .filter(|&i| x.exposures[i] != 0)
        .map(|i| PositionRisk {
            asset: i,
            exposure: Fx::from_num(x.exposures[i]),
            floor_rate: Fx::from_num(x.floor_e4[i] as f64 / 10_000.0),
        })
        .collect();
    let p = MarginParams::daily_defaults();
    let engine = match margin(&cov, &positions, &p) {
        Ok(b) => b.maintenance.to_num::<f64>(),
        Err(e) => panic!("margin failed on a valid book: {e}"),
    };
    let book: Vec<(usize, f64, f64)> =
        positions.iter().map(|q| (q.asset, q.exposure.to_num::<f64>(), q.floor_rate.to_num::<f64>())).collect();
    let exact = reference::reference_margin_full(&stored, &book, &p, &scales, &gaps);
    // An upper bound, up to f64's own rounding of the reference.
    assert!(engine >= exact * (1.0 - 1e-9) - 1e-6, "engine {engine} < reference {exact} for {x:?}");
});
