//! `keeper stress`: a Monte Carlo stress test of every margin account's current holdings.
//!
//! N one-horizon scenarios (default 10,000, seeded) are drawn from a fat-tailed joint law built on the
//! on-chain covariance: a multivariate Student-t (ν degrees of freedom, scaled so its covariance is
//! the horizon's Σ_h = Σ·s) — heavy tails and tail dependence — plus, with a small probability, a
//! black-swan jump in which every asset falls `jump_sigmas` of its own horizon volatility at once.
//! Each book keeps its holdings through the horizon (nobody is liquidated in between: the worst
//! case for the insurance fund). Per scenario and account, the loss beyond maintenance margin is
//! `max(0, loss − margin)` and the bad debt `max(0, loss − equity)`; the report gives their
//! expected shortfall at 99% and 99.9%, the bad debt against the insurance fund, the probability the
//! fund is exhausted, and the accounts and assets that dominate the worst 1% of scenarios.
pub mod chain;
pub mod chart;
pub mod sample;

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// One account as the stress test sees it (USD at the current oracle prices).
#[derive(Clone, Debug)]
pub struct StressBook {
    pub address: String,
    /// `(asset index, signed USD exposure)`.
    pub exposures: Vec<(usize, f64)>,
    pub equity: f64,
    pub maintenance_margin: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StressConfig {
    pub scenarios: usize,
    pub seed: u64,
    /// Degrees of freedom of the Student-t (> 2; 3–5 fits daily crypto returns).
    pub nu: f64,
    /// Probability of a black-swan jump per scenario.
    pub jump_probability: f64,
    /// Size of the jump: every asset falls this many horizon volatilities.
    pub jump_sigmas: f64,
}

impl Default for StressConfig {
    fn default() -> Self {
        Self { scenarios: 10_000, seed: 7, nu: 4.0, jump_probability: 0.01, jump_sigmas: 4.0 }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TailAccount {
    pub address: String,
    /// Mean bad debt over the worst 1% of scenarios, USD.
    pub mean_tail_bad_debt_usd: f64,
    /// Share of the tail's total bad debt.
    pub share: f64,
    pub equity_usd: f64,
    pub maintenance_margin_usd: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TailAsset {
    pub asset: usize,
    pub name: String,
    /// Mean loss on this asset over the worst 1% of scenarios, summed over the accounts that end
    /// bankrupt in the scenario, USD (what the bad debt is made of).
    pub mean_tail_loss_usd: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StressReport {
    pub config: StressConfig,
    pub accounts: usize,
    pub assets: Vec<String>,
    pub horizon_scale: f64,
    pub insurance_usd: f64,
    pub gross_exposure_usd: f64,
    pub total_maintenance_margin_usd: f64,
    /// Expected shortfall (mean of the worst 1% / 0.1% of scenarios) of the losses beyond margin,
    /// summed over accounts, USD.
    pub es99_beyond_margin_usd: f64,
    pub es999_beyond_margin_usd: f64,
    /// The same for bad debt (losses beyond equity).
    pub var99_bad_debt_usd: f64,
    pub es99_bad_debt_usd: f64,
    pub es999_bad_debt_usd: f64,
    pub mean_bad_debt_usd: f64,
    pub max_bad_debt_usd: f64,
    /// Share of scenarios with any loss beyond some account's margin / with bad debt.
    pub p_any_beyond_margin: f64,
    pub p_any_bad_debt: f64,
    /// Share of scenarios whose bad debt exceeds the insurance fund.
    pub p_insurance_exhausted: f64,
    pub tail_accounts: Vec<TailAccount>,
    pub tail_assets: Vec<TailAsset>,
    /// Total bad debt per scenario, sorted ascending (for charts and further analysis).
    #[serde(skip)]
    pub bad_debt_sorted: Vec<f64>,
    #[serde(skip)]
    pub beyond_margin_sorted: Vec<f64>,
    pub wall_seconds: f64,
}

/// Mean of the largest `share` of `sorted` (ascending): the expected shortfall at `1 − share`.
pub fn expected_shortfall(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len());
    sorted[sorted.len() - k..].iter().sum::<f64>() / k as f64
}

/// Per scenario, the books' total loss beyond margin and total bad debt.
fn evaluate(
    books: &[StressBook],
    returns: &[f64],
    n: usize,
    range: std::ops::Range<usize>,
    bar: &ProgressBar,
) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(range.len());
    for (done, s) in range.enumerate() {
        let r = &returns[s * n..(s + 1) * n];
        let (mut beyond, mut bad) = (0.0, 0.0);
        for b in books {
            let loss = -b.exposures.iter().map(|&(a, w)| w * r[a]).sum::<f64>();
            beyond += (loss - b.maintenance_margin).max(0.0);
            bad += (loss - b.equity).max(0.0);
        }
        out.push((beyond, bad));
        if done % 256 == 255 {
            bar.inc(256);
        }
    }
    out
}

/// Runs the stress test: `cov_h` is the horizon covariance (n × n, row-major).
pub fn run(
    books: &[StressBook],
    assets: &[String],
    cov_h: &[f64],
    horizon_scale: f64,
    insurance_usd: f64,
    cfg: &StressConfig,
    progress: bool,
) -> Result<StressReport> {
    let started = std::time::Instant::now();
    let n = assets.len();
    if cov_h.len() != n * n {
        bail!("covariance has {} entries for {n} assets", cov_h.len());
    }
    if cfg.scenarios == 0 {
        bail!("--scenarios must be at least 1");
    }
    if cfg.nu <= 2.0 {
        bail!("--nu must be above 2 (the Student-t has no variance at ν ≤ 2)");
    }
    if !(0.0..=1.0).contains(&cfg.jump_probability) || cfg.jump_sigmas < 0.0 {
        bail!("--jump-probability must be in [0, 1] and --jump-sigmas ≥ 0");
    }
    for b in books {
        if let Some(&(a, _)) = b.exposures.iter().find(|(a, _)| *a >= n) {
            bail!("account {} holds asset {a}, the group has {n}", b.address);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let returns = sample::scenarios(cov_h, n, cfg, &mut rng)?;

    let bar = if progress { ProgressBar::new(cfg.scenarios as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("stress [{bar:40}] {pos}/{len} scenarios ({eta})").unwrap().progress_chars("=> "),
    );
    // Two halves on two threads (this machine has two cores).
    let half = cfg.scenarios / 2;
    let per_scenario: Vec<(f64, f64)> = std::thread::scope(|s| {
        let (ret, bar2) = (&returns, &bar);
        let h = s.spawn(move || evaluate(books, ret, n, 0..half, bar2));
        let second = evaluate(books, &returns, n, half..cfg.scenarios, &bar);
        let mut first = h.join().expect("stress worker panicked");
        first.extend(second);
        first
    });
    bar.finish_and_clear();

    let mut beyond: Vec<f64> = per_scenario.iter().map(|x| x.0).collect();
    let mut bad: Vec<f64> = per_scenario.iter().map(|x| x.1).collect();
    // The worst 1% of scenarios by bad debt (then by loss beyond margin), for attribution.
    let mut order: Vec<usize> = (0..cfg.scenarios).collect();
    order.sort_by(|&a, &b| bad[b].total_cmp(&bad[a]).then(beyond[b].total_cmp(&beyond[a])));
    let tail: Vec<usize> = order[..((cfg.scenarios as f64 * 0.01).ceil() as usize).clamp(1, cfg.scenarios)].to_vec();
    let mut account_bad = vec![0.0; books.len()];
    let mut asset_loss = vec![0.0; n];
    for &s in &tail {
        let r = &returns[s * n..(s + 1) * n];
        for (i, b) in books.iter().enumerate() {
            let loss = -b.exposures.iter().map(|&(a, w)| w * r[a]).sum::<f64>();
            let d = (loss - b.equity).max(0.0);
            if d > 0.0 {
                account_bad[i] += d;
                for &(a, w) in &b.exposures {
                    asset_loss[a] += -w * r[a];
                }
            }
        }
    }
    let tail_total: f64 = account_bad.iter().sum();
    let mut tail_accounts: Vec<TailAccount> = books
        .iter()
        .zip(&account_bad)
        .filter(|(_, &d)| d > 0.0)
        .map(|(b, &d)| TailAccount {
            address: b.address.clone(),
            mean_tail_bad_debt_usd: d / tail.len() as f64,
            share: d / tail_total.max(1e-300),
            equity_usd: b.equity,
            maintenance_margin_usd: b.maintenance_margin,
        })
        .collect();
    tail_accounts.sort_by(|a, b| b.mean_tail_bad_debt_usd.total_cmp(&a.mean_tail_bad_debt_usd));
    tail_accounts.truncate(10);
    let mut tail_assets: Vec<TailAsset> = asset_loss
        .iter()
        .enumerate()
        .filter(|(_, &l)| l != 0.0)
        .map(|(a, &l)| TailAsset { asset: a, name: assets[a].clone(), mean_tail_loss_usd: l / tail.len() as f64 })
        .collect();
    tail_assets.sort_by(|a, b| b.mean_tail_loss_usd.total_cmp(&a.mean_tail_loss_usd));

    let count = |v: &[f64], pred: &dyn Fn(f64) -> bool| v.iter().filter(|&&x| pred(x)).count() as f64 / v.len() as f64;
    let p_any_beyond_margin = count(&beyond, &|x| x > 0.0);
    let p_any_bad_debt = count(&bad, &|x| x > 0.0);
    let p_insurance_exhausted = count(&bad, &|x| x > insurance_usd);
    beyond.sort_by(f64::total_cmp);
    bad.sort_by(f64::total_cmp);
    let var99_index = ((bad.len() as f64) * 0.99).floor() as usize;
    Ok(StressReport {
        config: cfg.clone(),
        accounts: books.len(),
        assets: assets.to_vec(),
        horizon_scale,
        insurance_usd,
        gross_exposure_usd: books.iter().flat_map(|b| b.exposures.iter().map(|(_, w)| w.abs())).sum(),
        total_maintenance_margin_usd: books.iter().map(|b| b.maintenance_margin).sum(),
        es99_beyond_margin_usd: expected_shortfall(&beyond, 0.01),
        es999_beyond_margin_usd: expected_shortfall(&beyond, 0.001),
        var99_bad_debt_usd: bad[var99_index.min(bad.len() - 1)],
        es99_bad_debt_usd: expected_shortfall(&bad, 0.01),
        es999_bad_debt_usd: expected_shortfall(&bad, 0.001),
        mean_bad_debt_usd: bad.iter().sum::<f64>() / bad.len() as f64,
        max_bad_debt_usd: *bad.last().unwrap_or(&0.0),
        p_any_beyond_margin,
        p_any_bad_debt,
        p_insurance_exhausted,
        tail_accounts,
        tail_assets,
        bad_debt_sorted: bad,
        beyond_margin_sorted: beyond,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

fn usd(v: f64) -> String {
    match v.abs() {
        x if x >= 1e6 => format!("${:.2}M", v / 1e6),
        x if x >= 1e3 => format!("${:.1}k", v / 1e3),
        _ => format!("${v:.0}"),
    }
}

/// The human-readable report.
pub fn render(r: &StressReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "stress test: {} accounts, {} one-horizon scenarios (seed {}), Student-t ν = {} on the on-chain Σ × {}, black swan {}% (every asset −{}σ)",
        r.accounts, c.scenarios, c.seed, c.nu, r.horizon_scale, 100.0 * c.jump_probability, c.jump_sigmas
    );
    let _ = writeln!(
        s,
        "  gross exposure {}, maintenance margin {}, insurance fund {}",
        usd(r.gross_exposure_usd),
        usd(r.total_maintenance_margin_usd),
        usd(r.insurance_usd)
    );
    let _ = writeln!(
        s,
        "  loss beyond margin: ES99 {}, ES99.9 {}; scenarios with any: {:.2}%",
        usd(r.es99_beyond_margin_usd),
        usd(r.es999_beyond_margin_usd),
        100.0 * r.p_any_beyond_margin
    );
    let _ = writeln!(
        s,
        "  bad debt: mean {}, VaR99 {}, ES99 {}, ES99.9 {}, worst {}; scenarios with any: {:.2}%",
        usd(r.mean_bad_debt_usd),
        usd(r.var99_bad_debt_usd),
        usd(r.es99_bad_debt_usd),
        usd(r.es999_bad_debt_usd),
        usd(r.max_bad_debt_usd),
        100.0 * r.p_any_bad_debt
    );
    let _ = writeln!(s, "  probability the insurance fund is exhausted: {:.3}%", 100.0 * r.p_insurance_exhausted);
    if !r.tail_assets.is_empty() {
        let assets: Vec<String> =
            r.tail_assets.iter().take(5).map(|a| format!("{} {}", a.name, usd(a.mean_tail_loss_usd))).collect();
        let _ = writeln!(s, "  worst 1%: losses of bankrupt books by asset: {}", assets.join(", "));
    }
    for a in r.tail_accounts.iter().take(5) {
        let _ = writeln!(
            s,
            "  worst 1%: account {} bad debt {} ({:.0}% of the tail; equity {}, margin {})",
            a.address,
            usd(a.mean_tail_bad_debt_usd),
            100.0 * a.share,
            usd(a.equity_usd),
            usd(a.maintenance_margin_usd)
        );
    }
    let _ = writeln!(s, "  ({:.1} s)", r.wall_seconds);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(w: &[(usize, f64)], equity: f64, mm: f64) -> StressBook {
        StressBook { address: "a".into(), exposures: w.to_vec(), equity, maintenance_margin: mm }
    }

    #[test]
    fn expected_shortfall_averages_the_tail() {
        let v: Vec<f64> = (1..=1000).map(|x| x as f64).collect();
        assert_eq!(expected_shortfall(&v, 0.01), (991..=1000).sum::<i32>() as f64 / 10.0);
        assert_eq!(expected_shortfall(&v, 0.001), 1000.0);
    }

    #[test]
    fn a_levered_long_goes_bankrupt_in_the_tail_and_a_cash_book_never_does() {
        // 1 asset at 5% daily vol: $1M long on $100k equity (10×), and an unlevered $1M long.
        let cov = [0.0025];
        let names = ["X".to_string()];
        let books = [book(&[(0, 1e6)], 1e5, 1.2e5), book(&[(0, 1e6)], 1e6, 1.2e5)];
        let cfg = StressConfig { scenarios: 20_000, ..Default::default() };
        let r = run(&books, &names, &cov, 1.0, 5e4, &cfg, false).unwrap();
        // The levered book is bankrupt when X falls more than 10%: 2σ of a t₄ scaled to 5% ≈ 3–5%.
        assert!(r.p_any_bad_debt > 0.01 && r.p_any_bad_debt < 0.2, "{}", r.p_any_bad_debt);
        assert!(r.es99_bad_debt_usd > 0.0 && r.es999_bad_debt_usd >= r.es99_bad_debt_usd);
        assert!(r.p_insurance_exhausted <= r.p_any_bad_debt);
        assert_eq!(r.tail_accounts.len(), 1, "only the levered book: the cash book never owes");
        assert!((r.tail_accounts[0].share - 1.0).abs() < 1e-12);
        // Seeded: the same seed gives the same figures.
        let again = run(&books, &names, &cov, 1.0, 5e4, &cfg, false).unwrap();
        assert_eq!(again.es99_bad_debt_usd, r.es99_bad_debt_usd);
    }

    #[test]
    fn bad_input_is_refused() {
        let names = ["X".to_string()];
        let cfg = StressConfig::default();
        assert!(run(&[], &names, &[0.1, 0.2], 1.0, 0.0, &cfg, false).is_err());
        assert!(run(&[], &names, &[0.1], 1.0, 0.0, &StressConfig { nu: 2.0, ..cfg.clone() }, false).is_err());
        assert!(run(&[book(&[(3, 1.0)], 1.0, 0.0)], &names, &[0.1], 1.0, 0.0, &cfg, false).is_err());
    }
}
