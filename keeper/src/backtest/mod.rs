//! `keeper backtest`: walk-forward test of the margin model on historical prices.
//!
//! At each row t (after a burn-in that bootstraps Σ from the sample covariance, as the admin does
//! when registering assets), every test book is margined from the model state up to t with the same
//! fixed-point engine the program runs; the realised loss over the next `horizon` rows is compared
//! with the maintenance margin. The same books are margined under a static-weight baseline.
pub mod books;
pub mod report;
pub mod stats;

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use risk_engine::covariance::OwnedMatrix;
use risk_engine::procyclicality::VolFloorParams;
use risk_engine::{margin, Fx, MarginParams, PositionRisk, WrappedI80F48};
use serde::Serialize;

use crate::model::EwmaModel;
use crate::prices::PriceTable;
use books::{standard_books, Family};

/// Static per-asset maintenance rates of the baseline (fraction of |exposure|).
#[derive(Clone, Debug, Serialize)]
pub struct BaselineRates {
    /// Rate for long positions of volatile assets: 1 − maintenance asset weight.
    pub long_volatile: f64,
    /// Rate for short positions of volatile assets: maintenance liability weight − 1.
    pub short_volatile: f64,
    /// Rate for stablecoins, both sides.
    pub stable: f64,
    pub source: &'static str,
}

impl Default for BaselineRates {
    fn default() -> Self {
        // Mango v4 client listing presets: "PREMIUM" (blue chip) tier maintAssetWeight 0.9 and
        // maintLiabWeight 1.1; USDT registered with 0.95 / 1.05.
        Self {
            long_volatile: 0.10,
            short_volatile: 0.10,
            stable: 0.05,
            source: "Mango v4 listing presets: blue-chip maint asset 0.9 / liab 1.1; USDT 0.95 / 1.05",
        }
    }
}

pub fn is_stablecoin(name: &str) -> bool {
    matches!(name.to_ascii_uppercase().as_str(), "USDC" | "USDT" | "DAI" | "PYUSD" | "USDE")
}

#[derive(Clone, Debug)]
pub struct BacktestConfig {
    pub lambda: f64,
    /// The anti-procyclical volatility floor (slow memory λ_s and weight κ).
    pub vol_floor: VolFloorParams,
    /// Confidence of the VaR test (breach probability 1 − confidence).
    pub confidence: f64,
    /// Rows per liquidation horizon.
    pub horizon_rows: usize,
    /// Rows used to bootstrap Σ before any book is margined.
    pub burn_in: usize,
    pub margin: MarginParams,
    /// Floor rate for volatile assets and for stablecoins.
    pub floor_rate: f64,
    pub floor_rate_stable: f64,
    /// De-peg gap of stablecoins (the margin's de-peg term), as `register_asset` sets it.
    pub depeg_gap: f64,
    pub random_books: usize,
    pub seed: u64,
    pub baseline: BaselineRates,
    /// A pair observation counts as hedged when the model correlation is at least this.
    pub hedge_correlation: f64,
    /// Share of loss dates counted as stress days: those with the largest mean |return| across the
    /// assets over the horizon (found in any price file, so the stress test needs no named window).
    pub stress_day_share: f64,
}

impl BacktestConfig {
    pub fn defaults(confidence: f64) -> Self {
        let mut margin = MarginParams::daily_defaults();
        margin.z = Fx::from_num(stats::normal_quantile(confidence));
        Self {
            lambda: 0.94,
            vol_floor: VolFloorParams::daily_defaults(),
            confidence,
            horizon_rows: 1,
            burn_in: 60,
            margin,
            floor_rate: 0.01,
            floor_rate_stable: 0.005,
            depeg_gap: 0.05,
            random_books: 64,
            seed: 42,
            baseline: BaselineRates::default(),
            hedge_correlation: 0.7,
            stress_day_share: 0.02,
        }
    }
}

/// Aggregates for one book or one family under one margin method.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    pub observations: u64,
    pub breaches: u64,
    pub breach_rate: f64,
    pub kupiec_p_value: f64,
    /// Mean margin as % of gross exposure.
    pub mean_margin_pct: f64,
    /// Sum over breaches of (loss − margin), as % of one book's gross exposure: the bad debt a
    /// lender would have carried had every breach been closed at the realised loss.
    pub total_shortfall_pct: f64,
    /// Largest single (loss − margin), % of gross.
    pub worst_shortfall_pct: f64,
    /// Longest run of consecutive breached observations of one book (per book; the family's is the
    /// longest of its books').
    pub longest_breach_run: u64,
    /// Christoffersen's independence test on the breach sequence (per book; for a family, on the
    /// transitions of its books' own sequences pooled). NaN: nothing to test.
    pub christoffersen_p_value: f64,
    pub transitions: stats::Transitions,
    #[serde(skip)]
    margin_sum: f64,
    #[serde(skip)]
    run: u64,
    #[serde(skip)]
    last: Option<bool>,
}

impl Tally {
    fn add(&mut self, margin: f64, loss: f64) {
        self.observations += 1;
        self.margin_sum += margin;
        let breach = loss > margin;
        if let Some(last) = self.last {
            self.transitions.add(last, breach);
        }
        self.last = Some(breach);
        self.run = if breach { self.run + 1 } else { 0 };
        self.longest_breach_run = self.longest_breach_run.max(self.run);
        if breach {
            self.breaches += 1;
            let excess = 100.0 * (loss - margin) / books::BOOK_GROSS_USD;
            self.total_shortfall_pct += excess;
            self.worst_shortfall_pct = self.worst_shortfall_pct.max(excess);
        }
    }
    fn finish(&mut self, p: f64) {
        if self.observations > 0 {
            self.breach_rate = self.breaches as f64 / self.observations as f64;
            self.kupiec_p_value = stats::kupiec_pof_p_value(self.observations, self.breaches, p);
            self.mean_margin_pct = 100.0 * self.margin_sum / self.observations as f64 / books::BOOK_GROSS_USD;
        }
        self.christoffersen_p_value = stats::christoffersen_p_value(&self.transitions);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FamilyResult {
    pub family: Family,
    pub books: usize,
    pub model: Tally,
    pub baseline: Tally,
    /// Books whose own breach count passes Kupiec at 5%.
    pub model_books_in_kupiec_band: usize,
    pub baseline_books_in_kupiec_band: usize,
    /// 1 − model margin / baseline margin, in %.
    pub margin_saving_pct: f64,
    /// Share of observations where each term set the maintenance margin, in %.
    pub binding_terms_pct: BTreeMap<&'static str, f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BookResult {
    pub family: Family,
    pub label: String,
    pub model: Tally,
    pub baseline: Tally,
}

#[derive(Clone, Debug, Serialize)]
pub struct BreachWindow {
    /// Date the loss was realised (end of the horizon).
    pub date: String,
    pub model_breaches: u64,
    pub baseline_breaches: u64,
    pub books: u64,
    /// Worst realised loss / model margin on that date, and the book.
    pub worst_loss_to_margin: f64,
    pub worst_book: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StressWindow {
    pub name: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    #[serde(flatten)]
    pub counts: BreachCounts,
}

/// Book-days and breaches of a set of dates, in total and per book family (single, pair, random).
#[derive(Clone, Debug, Serialize)]
pub struct BreachCounts {
    pub observations: u64,
    pub model_breaches: u64,
    pub baseline_breaches: u64,
    pub families: Vec<WindowFamily>,
}

impl BreachCounts {
    fn new() -> Self {
        let families = [Family::Single, Family::Pair, Family::Random]
            .into_iter()
            .map(|family| WindowFamily { family, observations: 0, model_breaches: 0, baseline_breaches: 0 })
            .collect();
        Self { observations: 0, model_breaches: 0, baseline_breaches: 0, families }
    }

    fn add(&mut self, family: Family, breach: bool, base_breach: bool) {
        self.observations += 1;
        self.model_breaches += breach as u64;
        self.baseline_breaches += base_breach as u64;
        if let Some(f) = self.families.iter_mut().find(|f| f.family == family) {
            f.observations += 1;
            f.model_breaches += breach as u64;
            f.baseline_breaches += base_breach as u64;
        }
    }
}

/// One book family's breached book-days in one stress window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowFamily {
    pub family: Family,
    pub observations: u64,
    pub model_breaches: u64,
    pub baseline_breaches: u64,
}

/// Breaches on the stress days: the `share` of loss dates with the largest market-wide moves.
#[derive(Clone, Debug, Serialize)]
pub struct StressDays {
    pub share: f64,
    pub days: usize,
    #[serde(flatten)]
    pub counts: BreachCounts,
}

#[derive(Clone, Debug, Serialize)]
pub struct BacktestReport {
    pub assets: Vec<String>,
    pub first_margined: String,
    pub last_loss_date: String,
    pub steps: usize,
    pub confidence: f64,
    pub kupiec_band_per_book: (u64, u64),
    pub parameters: ParametersOut,
    pub families: Vec<FamilyResult>,
    pub stress_windows: Vec<StressWindow>,
    pub stress_days: StressDays,
    /// Seconds between rows (86,400: daily; 3,600: hourly) and the horizon in hours.
    pub sample_interval_seconds: f64,
    pub horizon_hours: f64,
    pub worst_windows: Vec<BreachWindow>,
    pub books: Vec<BookResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ParametersOut {
    pub lambda: f64,
    pub slow_lambda: f64,
    pub vol_floor_weight: f64,
    pub short_lambda: f64,
    pub short_vol_weight: f64,
    pub hedge_floor: f64,
    pub horizon_rows: usize,
    pub burn_in: usize,
    pub z: f64,
    pub spike_alpha: f64,
    pub breakdown_beta: f64,
    pub stress_vol_multiplier: f64,
    pub joint_move_sigmas: f64,
    pub floor_rate: f64,
    pub floor_rate_stable: f64,
    pub depeg_gap: f64,
    pub baseline: BaselineRates,
}

const STRESS_WINDOWS: [(&str, &str, &str); 4] = [
    ("COVID crash", "2020-03-09", "2020-03-16"),
    ("LUNA/UST", "2022-05-07", "2022-05-14"),
    ("FTX", "2022-11-06", "2022-11-12"),
    ("USDC de-peg", "2023-03-09", "2023-03-14"),
];

/// Sample covariance of the first `rows` returns (the bootstrap the admin supplies on-chain).
fn bootstrap_covariance(table: &PriceTable, rows: usize) -> OwnedMatrix {
    let n = table.assets.len();
    let returns: Vec<Vec<f64>> =
        table.prices[..=rows].windows(2).map(|w| (0..n).map(|i| w[1][i] / w[0][i] - 1.0).collect()).collect();
    let m = returns.len() as f64;
    let mean: Vec<f64> = (0..n).map(|i| returns.iter().map(|r| r[i]).sum::<f64>() / m).collect();
    let mut out = OwnedMatrix::zeros(n);
    for j in 0..n {
        for i in 0..=j {
            let c = returns.iter().map(|r| (r[i] - mean[i]) * (r[j] - mean[j])).sum::<f64>() / (m - 1.0).max(1.0);
            out.set(i, j, Fx::from_num(c));
        }
    }
    out
}

pub fn run(table: &PriceTable, cfg: &BacktestConfig, progress: bool) -> Result<BacktestReport> {
    let n = table.assets.len();
    let h = cfg.horizon_rows.max(1);
    if table.rows() < cfg.burn_in + h + 2 {
        bail!(
            "need more than {} rows (burn-in {} + horizon {h}); have {}",
            cfg.burn_in + h + 1,
            cfg.burn_in,
            table.rows()
        );
    }
    cfg.margin.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut params = cfg.margin;
    params.horizon_scale = Fx::from_num(h);
    let p_breach = 1.0 - cfg.confidence;
    let books = standard_books(&table.assets, cfg.random_books, cfg.seed);
    let floor: Vec<Fx> = table
        .assets
        .iter()
        .map(|a| Fx::from_num(if is_stablecoin(a) { cfg.floor_rate_stable } else { cfg.floor_rate }))
        .collect();
    let base_rate = |asset: usize, w: f64| {
        if is_stablecoin(&table.assets[asset]) {
            cfg.baseline.stable
        } else if w >= 0.0 {
            cfg.baseline.long_volatile
        } else {
            cfg.baseline.short_volatile
        }
    };

    // Bootstrap from the burn-in window, then EWMA from there.
    let mut model =
        EwmaModel::with_vol_floor(n, cfg.lambda, Some(bootstrap_covariance(table, cfg.burn_in)), cfg.vol_floor)?;
    model.depeg_gaps = table
        .assets
        .iter()
        .map(|a| WrappedI80F48::new(Fx::from_num(if is_stablecoin(a) { cfg.depeg_gap } else { 0.0 })))
        .collect();
    model.observe(&table.prices[cfg.burn_in])?;

    let mut book_model: Vec<Tally> = vec![Tally::default(); books.len()];
    let mut book_base: Vec<Tally> = vec![Tally::default(); books.len()];
    let mut binding: BTreeMap<(Family, &'static str), u64> = BTreeMap::new();
    let mut fam_model: BTreeMap<Family, Tally> = BTreeMap::new();
    let mut fam_base: BTreeMap<Family, Tally> = BTreeMap::new();
    let mut windows: BTreeMap<String, BreachWindow> = BTreeMap::new();
    let mut stress: Vec<StressWindow> = STRESS_WINDOWS
        .iter()
        .map(|&(name, from, to)| StressWindow { name, from, to, counts: BreachCounts::new() })
        .collect();

    let last_t = table.rows() - 1 - h;
    // Stress days: the loss dates with the largest mean |return| across assets over the horizon.
    let stress_dates: std::collections::BTreeSet<String> = {
        let mut moves: Vec<(f64, usize)> = (cfg.burn_in..=last_t)
            .map(|t| {
                let m =
                    (0..n).map(|a| (table.prices[t + h][a] / table.prices[t][a] - 1.0).abs()).sum::<f64>() / n as f64;
                (m, t + h)
            })
            .collect();
        moves.sort_by(|a, b| b.0.total_cmp(&a.0));
        let keep = ((moves.len() as f64 * cfg.stress_day_share).ceil() as usize).min(moves.len());
        moves[..keep].iter().map(|&(_, row)| table.timestamps[row].clone()).collect()
    };
    let mut stress_days =
        StressDays { share: cfg.stress_day_share, days: stress_dates.len(), counts: BreachCounts::new() };
    let bar = if progress { ProgressBar::new((last_t + 1 - cfg.burn_in) as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} days ({eta})").unwrap().progress_chars("=> "),
    );
    bar.set_message("backtest");
    let mut positions = Vec::with_capacity(n);
    for t in cfg.burn_in..=last_t {
        if t > cfg.burn_in {
            model.observe(&table.prices[t])?;
        }
        // Non-overlapping horizons: with h > 1 rows, one observation every h rows, so the tests'
        // observations are independent under the null.
        if (t - cfg.burn_in) % h != 0 {
            bar.inc(1);
            continue;
        }
        let stress_day = stress_dates.contains(&table.timestamps[t + h]);
        let loss_date = table.date(t + h).to_string();
        let window = windows.entry(loss_date.clone()).or_insert_with(|| BreachWindow {
            date: loss_date.clone(),
            model_breaches: 0,
            baseline_breaches: 0,
            books: 0,
            worst_loss_to_margin: 0.0,
            worst_book: String::new(),
        });
        for (b, book) in books.iter().enumerate() {
            positions.clear();
            for &(a, w) in &book.exposures {
                positions.push(PositionRisk { asset: a, exposure: Fx::from_num(w), floor_rate: floor[a] });
            }
            let m = margin(&model.margin_view(), &positions, &params)
                .map_err(|e| anyhow::anyhow!("{} at {}: {e}", book.label, loss_date))?;
            let mm: f64 = m.maintenance.to_num();
            let loss: f64 = -book
                .exposures
                .iter()
                .map(|&(a, w)| w * (table.prices[t + h][a] / table.prices[t][a] - 1.0))
                .sum::<f64>();
            let baseline: f64 = book.exposures.iter().map(|&(a, w)| w.abs() * base_rate(a, w)).sum();
            let (breach, base_breach) = (loss > mm, loss > baseline);
            book_model[b].add(mm, loss);
            book_base[b].add(baseline, loss);
            let hedged = book.family == Family::Pair && {
                use risk_engine::CovarianceSource;
                let (i, j) = (book.exposures[0].0, book.exposures[1].0);
                let (cij, vi, vj): (f64, f64, f64) =
                    (model.matrix.cov(i, j).to_num(), model.matrix.cov(i, i).to_num(), model.matrix.cov(j, j).to_num());
                vi > 0.0 && vj > 0.0 && cij / (vi * vj).sqrt() >= cfg.hedge_correlation
            };
            let families: &[Family] =
                if hedged { &[Family::Pair, Family::HedgedPair] } else { std::slice::from_ref(&book.family) };
            for &fam in families {
                fam_model.entry(fam).or_default().add(mm, loss);
                fam_base.entry(fam).or_default().add(baseline, loss);
                *binding.entry((fam, m.binding.name())).or_default() += 1;
            }
            window.books += 1;
            window.model_breaches += breach as u64;
            window.baseline_breaches += base_breach as u64;
            let ratio = loss / mm;
            if ratio > window.worst_loss_to_margin {
                window.worst_loss_to_margin = ratio;
                window.worst_book = book.label.clone();
            }
            if stress_day {
                stress_days.counts.add(book.family, breach, base_breach);
            }
            for s in stress.iter_mut().filter(|s| loss_date.as_str() >= s.from && loss_date.as_str() <= s.to) {
                s.counts.add(book.family, breach, base_breach);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    for t in book_model.iter_mut().chain(book_base.iter_mut()) {
        t.finish(p_breach);
    }
    let families = [Family::Single, Family::Pair, Family::HedgedPair, Family::Random]
        .into_iter()
        .filter_map(|fam| {
            let idx: Vec<usize> = (0..books.len()).filter(|&i| books[i].family == fam).collect();
            let mut model_t = fam_model.remove(&fam)?;
            let mut base_t = fam_base.remove(&fam)?;
            // Runs and transitions are properties of one book's sequence: pool the books' own
            // (the hedged-pair subset is classified day by day and has no sequence of its own).
            let own = if fam == Family::HedgedPair { Family::Pair } else { fam };
            for (tally, per_book) in [(&mut model_t, &book_model), (&mut base_t, &book_base)] {
                tally.transitions = stats::Transitions::default();
                tally.longest_breach_run = 0;
                for (i, _) in books.iter().enumerate().filter(|(_, b)| b.family == own) {
                    tally.transitions.merge(&per_book[i].transitions);
                    tally.longest_breach_run = tally.longest_breach_run.max(per_book[i].longest_breach_run);
                }
            }
            model_t.finish(p_breach);
            base_t.finish(p_breach);
            let total: u64 = binding.iter().filter(|((f, _), _)| *f == fam).map(|(_, c)| *c).sum();
            let binding_terms_pct = binding
                .iter()
                .filter(|((f, _), _)| *f == fam)
                .map(|((_, term), c)| (*term, 100.0 * *c as f64 / total.max(1) as f64))
                .collect();
            Some(FamilyResult {
                family: fam,
                books: idx.len(),
                model_books_in_kupiec_band: idx.iter().filter(|&&i| book_model[i].kupiec_p_value >= 0.05).count(),
                baseline_books_in_kupiec_band: idx.iter().filter(|&&i| book_base[i].kupiec_p_value >= 0.05).count(),
                margin_saving_pct: 100.0 * (1.0 - model_t.mean_margin_pct / base_t.mean_margin_pct),
                model: model_t,
                baseline: base_t,
                binding_terms_pct,
            })
        })
        .collect();
    let mut worst: Vec<BreachWindow> = windows.into_values().filter(|w| w.model_breaches > 0).collect();
    worst.sort_by(|a, b| {
        b.model_breaches.cmp(&a.model_breaches).then(b.worst_loss_to_margin.total_cmp(&a.worst_loss_to_margin))
    });
    worst.truncate(10);
    let steps = (last_t - cfg.burn_in) / h + 1;
    Ok(BacktestReport {
        assets: table.assets.clone(),
        first_margined: table.date(cfg.burn_in).to_string(),
        last_loss_date: table.date(last_t + h).to_string(),
        steps,
        confidence: cfg.confidence,
        kupiec_band_per_book: stats::kupiec_band(steps as u64, p_breach),
        parameters: ParametersOut {
            lambda: cfg.lambda,
            slow_lambda: cfg.vol_floor.slow_lambda.to_num(),
            vol_floor_weight: cfg.vol_floor.weight.to_num(),
            short_lambda: cfg.vol_floor.short_lambda.to_num(),
            short_vol_weight: cfg.vol_floor.short_weight.to_num(),
            hedge_floor: cfg.margin.hedge_floor.to_num(),
            horizon_rows: h,
            burn_in: cfg.burn_in,
            z: cfg.margin.z.to_num(),
            spike_alpha: cfg.margin.spike_alpha.to_num(),
            breakdown_beta: cfg.margin.breakdown_beta.to_num(),
            stress_vol_multiplier: cfg.margin.stress_vol_multiplier.to_num(),
            joint_move_sigmas: cfg.margin.joint_move_sigmas.to_num(),
            floor_rate: cfg.floor_rate,
            floor_rate_stable: cfg.floor_rate_stable,
            depeg_gap: cfg.depeg_gap,
            baseline: cfg.baseline.clone(),
        },
        families,
        stress_windows: stress,
        stress_days,
        sample_interval_seconds: table.sample_interval_seconds(),
        horizon_hours: table.sample_interval_seconds() * h as f64 / 3600.0,
        worst_windows: worst,
        books: books
            .iter()
            .enumerate()
            .map(|(i, b)| BookResult {
                family: b.family,
                label: b.label.clone(),
                model: book_model[i].clone(),
                baseline: book_base[i].clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::Selection;
    use std::io::Write;

    /// A synthetic two-asset history: B = A with noise, daily moves of ±1–3%.
    fn table() -> PriceTable {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "timestamp_utc,A,B").unwrap();
        let (mut a, mut b) = (100.0f64, 50.0f64);
        for d in 0..400 {
            let x = ((d * 7919) % 61) as f64 / 61.0 - 0.5; // deterministic pseudo-noise
            let y = ((d * 104_729) % 37) as f64 / 37.0 - 0.5;
            a *= 1.0 + 0.04 * x;
            b *= 1.0 + 0.035 * x + 0.01 * y;
            let day = 1_577_836_800 + d * 86_400; // from 2020-01-01
            let (y_, m_, d_) = civil(day / 86_400);
            writeln!(f, "{y_:04}-{m_:02}-{d_:02}T00:00:00Z,{a},{b}").unwrap();
        }
        PriceTable::load(f.path(), &Selection::default()).unwrap()
    }

    fn civil(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + (m <= 2) as i64, m, d)
    }

    #[test]
    fn backtest_counts_every_book_every_day() {
        let t = table();
        let cfg = BacktestConfig { random_books: 3, ..BacktestConfig::defaults(0.99) };
        let r = run(&t, &cfg, false).unwrap();
        let steps = (t.rows() - 1 - 1 - cfg.burn_in + 1) as u64;
        assert_eq!(r.steps as u64, steps);
        assert_eq!(r.books.len(), 4 + 2 + 3);
        for b in &r.books {
            assert_eq!(b.model.observations, steps);
            assert!(b.model.mean_margin_pct > 0.0);
        }
        // A highly correlated pair needs much less margin than the static baseline's 10% per leg.
        let pair = r.families.iter().find(|f| f.family == Family::Pair).unwrap();
        assert!(pair.margin_saving_pct > 40.0, "saving {}", pair.margin_saving_pct);
        // Uniform noise of ±2% never breaches a 99% normal margin on a single asset.
        let single = r.families.iter().find(|f| f.family == Family::Single).unwrap();
        assert!(single.model.breach_rate < 0.01);
    }
}
