//! `keeper model`: the on-chain EWMA covariance model run off-chain over a price file, in the same
//! fixed-point arithmetic the program uses, printed as JSON so an independent floating-point
//! implementation can check it.
use anyhow::{Context, Result};
use risk_engine::covariance::{CovarianceSource, OwnedMatrix};
use risk_engine::ewma::{ewma_update, sample_returns, validate_lambda};
use risk_engine::procyclicality::{apply_sample, initial_memory, Memories, VolFloorParams};
use risk_engine::{Fx, ScaledCovariance, WrappedI80F48};
use serde::Serialize;

use crate::prices::PriceTable;

/// The fixed-point EWMA state: what the program's risk-model account holds.
#[derive(Clone, Debug)]
pub struct EwmaModel {
    pub matrix: OwnedMatrix,
    pub lambda: Fx,
    /// The anti-procyclical memory (`risk_engine::procyclicality`): slow variances and the scales.
    pub vol_floor: VolFloorParams,
    pub slow_variance: Vec<WrappedI80F48>,
    pub short_variance: Vec<WrappedI80F48>,
    pub vol_scale: Vec<WrappedI80F48>,
    /// De-peg gap per asset (what `register_asset` stores; zero unless set).
    pub depeg_gaps: Vec<WrappedI80F48>,
    /// Last observed price per asset (USD per token).
    pub last_prices: Vec<Fx>,
    /// Returns applied so far.
    pub samples: usize,
    scratch: Vec<Fx>,
}

impl EwmaModel {
    /// A model with Σ₀ = 0 (or `initial`) and no prices yet.
    pub fn new(n: usize, lambda: f64, initial: Option<OwnedMatrix>) -> Result<Self> {
        Self::with_vol_floor(n, lambda, initial, VolFloorParams::daily_defaults())
    }

    /// A model whose margins use the anti-procyclical volatility floor `vol_floor`.
    pub fn with_vol_floor(
        n: usize,
        lambda: f64,
        initial: Option<OwnedMatrix>,
        vol_floor: VolFloorParams,
    ) -> Result<Self> {
        let lambda = Fx::from_num(lambda);
        validate_lambda(lambda).map_err(|e| anyhow::anyhow!("{e}"))?;
        vol_floor.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        let matrix = initial.unwrap_or_else(|| OwnedMatrix::zeros(n));
        let mut slow_variance = Vec::with_capacity(n);
        let mut short_variance = Vec::with_capacity(n);
        let mut vol_scale = Vec::with_capacity(n);
        for i in 0..n {
            let (s, f, d) = initial_memory(matrix.cov(i, i), &vol_floor).map_err(|e| anyhow::anyhow!("{e}"))?;
            slow_variance.push(WrappedI80F48::new(s));
            short_variance.push(WrappedI80F48::new(f));
            vol_scale.push(WrappedI80F48::new(d));
        }
        Ok(Self {
            depeg_gaps: vec![WrappedI80F48::new(Fx::ZERO); n],
            matrix,
            vol_floor,
            slow_variance,
            short_variance,
            vol_scale,
            lambda,
            last_prices: vec![Fx::ZERO; n],
            samples: 0,
            scratch: vec![Fx::ZERO; n],
        })
    }

    /// Records one row of prices; from the second row on, applies one EWMA update.
    pub fn observe(&mut self, prices: &[f64]) -> Result<()> {
        let first = self.last_prices.iter().all(|p| *p == Fx::ZERO);
        let observed: Vec<Option<Fx>> = prices.iter().map(|&p| Some(Fx::from_num(p))).collect();
        sample_returns(&mut self.last_prices, &observed, &mut self.scratch).map_err(|e| anyhow::anyhow!("{e}"))?;
        if !first {
            ewma_update(&mut self.matrix, self.lambda, &self.scratch).map_err(|e| anyhow::anyhow!("{e}"))?;
            let memories = Memories {
                slow: &mut self.slow_variance,
                short: &mut self.short_variance,
                scales: &mut self.vol_scale,
            };
            apply_sample(&self.matrix, &self.scratch, 0, memories, &self.vol_floor)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            self.samples += 1;
        }
        Ok(())
    }

    /// The covariance as the margin sees it: Σ with the anti-procyclical scales.
    pub fn margin_view(&self) -> ScaledCovariance<'_, OwnedMatrix> {
        ScaledCovariance { inner: &self.matrix, scales: &self.vol_scale, gaps: &self.depeg_gaps }
    }

    pub fn dense(&self) -> Vec<Vec<f64>> {
        let n = self.matrix.dim();
        (0..n).map(|i| (0..n).map(|j| self.matrix.cov(i, j).to_num()).collect()).collect()
    }
}

#[derive(Serialize)]
pub struct ModelOutput {
    pub assets: Vec<String>,
    pub samples: usize,
    pub last_timestamp: String,
    pub lambda: f64,
    pub sample_interval_seconds: f64,
    /// Per sample interval.
    pub covariance: Vec<Vec<f64>>,
    /// √Σ_ii per sample interval.
    pub volatility: Vec<f64>,
    /// Volatility × √(samples per 365 days).
    pub annualized_volatility: Vec<f64>,
    pub correlation: Vec<Vec<f64>>,
    /// Largest |fixed-point − f64| over the covariance entries, when `--check-f64` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_abs_error_vs_f64: Option<f64>,
}

/// Plain f64 EWMA over the same rows, Σ₀ = 0.
pub fn reference_f64(table: &PriceTable, lambda: f64) -> Vec<Vec<f64>> {
    let n = table.assets.len();
    let mut s = vec![vec![0.0; n]; n];
    for w in table.prices.windows(2) {
        let r: Vec<f64> = (0..n).map(|i| w[1][i] / w[0][i] - 1.0).collect();
        for i in 0..n {
            for j in 0..n {
                s[i][j] = lambda * s[i][j] + (1.0 - lambda) * r[i] * r[j];
            }
        }
    }
    s
}

pub fn run(table: &PriceTable, lambda: f64, check_f64: bool) -> Result<ModelOutput> {
    let n = table.assets.len();
    let mut model = EwmaModel::new(n, lambda, None)?;
    for (i, row) in table.prices.iter().enumerate() {
        model.observe(row).with_context(|| format!("at {}", table.timestamps[i]))?;
    }
    let covariance = model.dense();
    let volatility: Vec<f64> = (0..n).map(|i| covariance[i][i].max(0.0).sqrt()).collect();
    let interval = table.sample_interval_seconds();
    let annual = (365.0 * 86_400.0 / interval).sqrt();
    let correlation = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let d = volatility[i] * volatility[j];
                    if d > 0.0 {
                        covariance[i][j] / d
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let max_abs_error_vs_f64 = check_f64.then(|| {
        let reference = reference_f64(table, lambda);
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                worst = worst.max((covariance[i][j] - reference[i][j]).abs());
            }
        }
        worst
    });
    Ok(ModelOutput {
        assets: table.assets.clone(),
        samples: model.samples,
        last_timestamp: table.timestamps.last().cloned().unwrap_or_default(),
        lambda,
        sample_interval_seconds: interval,
        annualized_volatility: volatility.iter().map(|v| v * annual).collect(),
        volatility,
        covariance,
        correlation,
        max_abs_error_vs_f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::Selection;
    use std::io::Write;

    #[test]
    fn two_returns_by_hand() {
        // Prices 100 → 110 → 99: returns 0.1 and −0.1. λ = 0.5, Σ₀ = 0:
        // after 1: 0.5·0.01 = 0.005; after 2: 0.5·0.005 + 0.5·0.01 = 0.0075.
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"timestamp_utc,X\n2020-01-01T00:00:00Z,100\n2020-01-02T00:00:00Z,110\n2020-01-03T00:00:00Z,99\n")
            .unwrap();
        let t = PriceTable::load(f.path(), &Selection::default()).unwrap();
        let out = run(&t, 0.5, true).unwrap();
        assert_eq!(out.samples, 2);
        assert!((out.covariance[0][0] - 0.0075).abs() < 1e-12);
        assert!(out.max_abs_error_vs_f64.unwrap() < 1e-14);
        assert_eq!(out.last_timestamp, "2020-01-03T00:00:00Z");
    }
}
