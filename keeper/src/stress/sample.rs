//! Scenario generation: a multivariate Student-t on the horizon covariance, plus black-swan jumps.
use anyhow::Result;
use rand::Rng;

use super::StressConfig;

/// Lower Cholesky factor of a PSD matrix (row-major n × n). A pivot that rounding makes ≤ 0 (a
/// semidefinite direction) gets a zero column, so the factor's product stays ≤ Σ.
pub fn cholesky(cov: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let d = cov[j * n + j] - (0..j).map(|k| l[j * n + k] * l[j * n + k]).sum::<f64>();
        if d <= 1e-300 {
            continue;
        }
        let djj = d.sqrt();
        l[j * n + j] = djj;
        for i in j + 1..n {
            let s = cov[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            l[i * n + j] = s / djj;
        }
    }
    l
}

/// A standard normal (Box–Muller).
fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1; boosted below 1).
fn gamma<R: Rng>(shape: f64, rng: &mut R) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// `cfg.scenarios` return vectors (row-major, n per scenario): `√((ν−2)/ν)·Lz/√(W/ν)` with
/// `W ~ χ²_ν` (covariance exactly Σ_h, tails of a t_ν), and with probability `jump_probability`
/// every asset also falls `jump_sigmas` of its horizon volatility. Returns are floored at −99%.
pub fn scenarios<R: Rng>(cov_h: &[f64], n: usize, cfg: &StressConfig, rng: &mut R) -> Result<Vec<f64>> {
    let l = cholesky(cov_h, n);
    let vol: Vec<f64> = (0..n).map(|i| cov_h[i * n + i].max(0.0).sqrt()).collect();
    let scale = ((cfg.nu - 2.0) / cfg.nu).sqrt();
    let mut out = vec![0.0; cfg.scenarios * n];
    let mut z = vec![0.0; n];
    for s in 0..cfg.scenarios {
        z.iter_mut().for_each(|x| *x = normal(rng));
        let w = 2.0 * gamma(cfg.nu / 2.0, rng); // χ²_ν
        let mix = scale / (w / cfg.nu).sqrt();
        let jump = rng.gen_bool(cfg.jump_probability);
        let row = &mut out[s * n..(s + 1) * n];
        for i in 0..n {
            let lz: f64 = (0..=i).map(|k| l[i * n + k] * z[k]).sum();
            let mut r = mix * lz;
            if jump {
                r -= cfg.jump_sigmas * vol[i];
            }
            row[i] = r.max(-0.99);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let cov = [0.04, 0.012, 0.012, 0.09];
        let l = cholesky(&cov, 2);
        for i in 0..2 {
            for j in 0..2 {
                let v: f64 = (0..2).map(|k| l[i * 2 + k] * l[j * 2 + k]).sum();
                assert!((v - cov[i * 2 + j]).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn samples_have_the_covariance_and_fat_tails() {
        let cov = [0.0004, 0.0003, 0.0003, 0.0009];
        let cfg = StressConfig { scenarios: 200_000, jump_probability: 0.0, ..Default::default() };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let r = scenarios(&cov, 2, &cfg, &mut rng).unwrap();
        let m = cfg.scenarios as f64;
        let c = |i: usize, j: usize| (0..cfg.scenarios).map(|s| r[s * 2 + i] * r[s * 2 + j]).sum::<f64>() / m;
        assert!((c(0, 0) / 0.0004 - 1.0).abs() < 0.05, "{}", c(0, 0));
        assert!((c(0, 1) / 0.0003 - 1.0).abs() < 0.06, "{}", c(0, 1));
        assert!((c(1, 1) / 0.0009 - 1.0).abs() < 0.05, "{}", c(1, 1));
        // Kurtosis of a t₄ is infinite in theory; the sample's is far above the normal's 3.
        let k = (0..cfg.scenarios).map(|s| r[s * 2].powi(4)).sum::<f64>() / m / c(0, 0).powi(2);
        assert!(k > 5.0, "kurtosis {k}");
    }
}
