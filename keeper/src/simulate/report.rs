//! The simulation's text report: per stress window, the model against static weights.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::record::{DayRecord, Window, STRESS_WINDOWS};
use super::SimResult;

/// Margin per strategy over the whole run, as a share of gross exposure.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyStats {
    pub strategy: String,
    pub book_days: u64,
    pub model_margin_pct: f64,
    pub static_margin_pct: f64,
    /// Book-days whose overnight loss exceeded the model's (static weights') margin.
    pub breaches_model: u64,
    pub breaches_static: u64,
    /// Funding the strategy's perp positions paid (> 0) or received, USD (0 without perps).
    pub funding_paid_usd: f64,
    /// Confirmed liquidation steps of the strategy's accounts (spot, perp and hedged).
    pub liquidations: u64,
}

#[derive(Default)]
struct Sums {
    book_days: u64,
    gross: f64,
    model: f64,
    static_margin: f64,
    breaches_model: u64,
    breaches_static: u64,
    funding_paid_usd: f64,
    liquidations: u64,
}

#[derive(Default)]
pub struct StrategyTally(BTreeMap<&'static str, Sums>);

impl StrategyTally {
    pub fn add(&mut self, label: &'static str, gross: f64, model: f64, static_margin: f64) {
        let e = self.0.entry(label).or_default();
        e.book_days += 1;
        e.gross += gross;
        e.model += model;
        e.static_margin += static_margin;
    }

    /// One book-day's overnight outcome against both margins.
    pub fn breaches(&mut self, label: &'static str, model: bool, static_margin: bool) {
        let e = self.0.entry(label).or_default();
        e.breaches_model += model as u64;
        e.breaches_static += static_margin as u64;
    }

    /// Funding one book paid over a day (< 0: received), USD.
    pub fn funding(&mut self, label: &'static str, usd: f64) {
        self.0.entry(label).or_default().funding_paid_usd += usd;
    }

    /// One confirmed liquidation step of a book of the strategy.
    pub fn liquidated(&mut self, label: &'static str) {
        self.0.entry(label).or_default().liquidations += 1;
    }

    pub fn finish(self) -> Vec<StrategyStats> {
        self.0
            .into_iter()
            .map(|(k, t)| StrategyStats {
                strategy: k.to_string(),
                book_days: t.book_days,
                model_margin_pct: 100.0 * t.model / t.gross.max(1e-9),
                static_margin_pct: 100.0 * t.static_margin / t.gross.max(1e-9),
                breaches_model: t.breaches_model,
                breaches_static: t.breaches_static,
                funding_paid_usd: t.funding_paid_usd,
                liquidations: t.liquidations,
            })
            .collect()
    }
}

/// `summary.json`: the report's tables as data.
#[derive(Serialize)]
pub struct Summary {
    pub windows: Vec<WindowSummary>,
    pub strategies: Vec<StrategySummary>,
}

#[derive(Serialize)]
pub struct WindowSummary {
    pub name: &'static str,
    pub start: &'static str,
    pub end: &'static str,
    pub liquidations: u32,
    pub bad_debt_usd: f64,
    pub breaches_model: u32,
    pub breaches_static: u32,
    /// The perp vault's value at the window's last day less the night before its first, USD (the
    /// LPs' PnL through the window; 0 without perps).
    pub perp_vault_pnl_usd: f64,
    /// The window's breaches per strategy.
    pub strategies: Vec<WindowStrategy>,
}

#[derive(Serialize)]
pub struct WindowStrategy {
    pub name: String,
    pub book_days: u32,
    pub breaches_model: u32,
    pub breaches_static: u32,
}

/// A window's breaches per strategy (book-days judged, model, static).
pub fn window_strategies(days: &[DayRecord], w: &Window) -> Vec<WindowStrategy> {
    let mut per: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    for d in days.iter().filter(|d| w.contains(&d.date)) {
        for (k, v) in &d.strategy_breaches {
            let e = per.entry(k.clone()).or_default();
            e.0 += v.0;
            e.1 += v.1;
            e.2 += v.2;
        }
    }
    per.into_iter()
        .map(|(name, (m, s, n))| WindowStrategy { name, book_days: n, breaches_model: m, breaches_static: s })
        .collect()
}

#[derive(Serialize)]
pub struct StrategySummary {
    pub name: String,
    pub book_days: u64,
    pub model_margin_pct: f64,
    pub static_margin_pct: f64,
    pub breaches_model: u64,
    pub breaches_static: u64,
    pub funding_paid_usd: f64,
    pub liquidations: u64,
}

pub fn summary(r: &SimResult) -> Summary {
    Summary {
        windows: windows(&r.days)
            .into_iter()
            .map(|(w, t)| WindowSummary {
                name: w.name,
                start: w.start,
                end: w.end,
                liquidations: t.liquidations,
                bad_debt_usd: t.bad_debt_usd,
                breaches_model: t.model_breaches,
                breaches_static: t.static_breaches,
                perp_vault_pnl_usd: t.perp_vault_pnl_usd,
                strategies: window_strategies(&r.days, &w),
            })
            .collect(),
        strategies: r
            .strategies
            .iter()
            .map(|s| StrategySummary {
                name: s.strategy.clone(),
                book_days: s.book_days,
                model_margin_pct: s.model_margin_pct,
                static_margin_pct: s.static_margin_pct,
                breaches_model: s.breaches_model,
                breaches_static: s.breaches_static,
                funding_paid_usd: s.funding_paid_usd,
                liquidations: s.liquidations,
            })
            .collect(),
    }
}

/// Totals over a set of days.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    pub days: usize,
    pub liquidations: u32,
    pub repaid_usd: f64,
    pub bad_debt_usd: f64,
    pub realised_loss_usd: f64,
    pub model_breaches: u32,
    pub static_breaches: u32,
    pub mean_model_margin_usd: f64,
    pub mean_static_margin_usd: f64,
    /// The perp vault's value change over the days (see [`WindowSummary::perp_vault_pnl_usd`]).
    pub perp_vault_pnl_usd: f64,
}

pub fn totals<'a>(days: impl Iterator<Item = &'a DayRecord>) -> Totals {
    let mut t = Totals::default();
    for d in days {
        t.days += 1;
        t.liquidations += d.liquidations;
        t.repaid_usd += d.repaid_usd;
        t.bad_debt_usd += d.bad_debt_usd;
        t.realised_loss_usd += d.realised_loss_usd;
        t.model_breaches += d.model_breaches;
        t.static_breaches += d.static_breaches;
        t.mean_model_margin_usd += d.model_margin_usd;
        t.mean_static_margin_usd += d.static_margin_usd;
    }
    if t.days > 0 {
        t.mean_model_margin_usd /= t.days as f64;
        t.mean_static_margin_usd /= t.days as f64;
    }
    t
}

/// Windows that overlap the simulated dates, with their totals.
pub fn windows(days: &[DayRecord]) -> Vec<(Window, Totals)> {
    STRESS_WINDOWS
        .iter()
        .filter_map(|w| {
            let mut t = totals(days.iter().filter(|d| w.contains(&d.date)));
            let first = days.iter().position(|d| w.contains(&d.date))?;
            let last = days.iter().rposition(|d| w.contains(&d.date))?;
            t.perp_vault_pnl_usd = days[last].perp_vault_value_usd - days[first.saturating_sub(1)].perp_vault_value_usd;
            (t.days > 0).then(|| (w.clone(), t))
        })
        .collect()
}

/// The vault's value change over the whole run.
fn run_vault_pnl(days: &[DayRecord]) -> f64 {
    // From the first night the vault holds liquidity (the LP funds it on the first day).
    let start = days.iter().find(|d| d.perp_vault_value_usd > 0.0).map_or(0.0, |d| d.perp_vault_value_usd);
    days.last().map_or(0.0, |d| d.perp_vault_value_usd) - start
}

fn signed_usd(v: f64) -> String {
    if v < 0.0 {
        format!("-{}", usd(-v))
    } else {
        format!("+{}", usd(v))
    }
}

fn usd(v: f64) -> String {
    match v.abs() {
        x if x >= 1e6 => format!("${:.2}M", v / 1e6),
        x if x >= 1e3 => format!("${:.1}k", v / 1e3),
        _ => format!("${v:.0}"),
    }
}

pub fn render(r: &SimResult) -> String {
    let mut s = String::new();
    let (first, last) = (r.days.first().map_or("", |d| d.date.as_str()), r.days.last().map_or("", |d| d.date.as_str()));
    let _ = writeln!(
        s,
        "simulated {} {} ({first} .. {last}) of {} on the embedded runtime{}",
        r.days.len(),
        if (r.row_seconds - 86_400.0).abs() < 1.0 {
            "days".to_string()
        } else {
            format!("rows of {:.0} s", r.row_seconds)
        },
        r.assets.join(", "),
        if r.horizon_rows > 1 {
            format!(" (losses judged over {} rows, the group's horizon)", r.horizon_rows)
        } else {
            String::new()
        }
    );
    let _ = writeln!(s, "{} transactions, {:.1} s wall time", r.transactions, r.wall_seconds);
    let cu = |v: &[u64]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            format!("mean {:.0}, max {}", v.iter().sum::<u64>() as f64 / v.len() as f64, v.iter().max().unwrap())
        }
    };
    let _ = writeln!(s, "compute units: crank {} | liquidate {}", cu(&r.crank_cu), cu(&r.liquidate_cu));
    let [spot, perp, hedge] = r.liquidations_by_kind;
    let _ = writeln!(s, "liquidations: {spot} spot pairs, {perp} perp positions, {hedge} hedges on both legs");
    if let (Some(first), Some(last)) = (r.days.first(), r.days.last()) {
        if last.perp_vault_usd > 0.0 {
            let peak = r.days.iter().map(|d| d.perp_open_interest_usd).fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "perp vault tokens: ${:.0} at the start, ${:.0} at the end (moved by settlements and liquidators' rewards); open interest peak ${:.0}, end ${:.0}",
                super::PERP_VAULT_USD.max(first.perp_vault_usd),
                last.perp_vault_usd,
                peak,
                last.perp_open_interest_usd
            );
        }
    }
    let perps = r.days.iter().any(|d| d.perp_vault_value_usd > 0.0);
    let refused: u64 = r.refusals.values().sum();
    let _ = writeln!(s, "borrows and perp trades the program refused: {refused}");
    for (why, n) in &r.refusals {
        let _ = writeln!(s, "  {n:>6}  {why}");
    }
    let _ = writeln!(s);

    let _ = writeln!(
        s,
        "stress windows: liquidations, bad debt, and book-days whose loss over the horizon exceeded the margin"
    );
    let _ = writeln!(
        s,
        "  {:<30} {:>5} {:>12} {:>10} {:>13} {:>15} {:>15}",
        "window", "liqs", "repaid", "bad debt", "loss", "breaches m/s", "margin m/s"
    );
    let row = |s: &mut String, name: &str, t: &Totals| {
        let _ = writeln!(
            s,
            "  {:<30} {:>5} {:>12} {:>10} {:>13} {:>15} {:>15}",
            name,
            t.liquidations,
            usd(t.repaid_usd),
            usd(t.bad_debt_usd),
            usd(t.realised_loss_usd),
            format!("{}/{}", t.model_breaches, t.static_breaches),
            format!("{}/{}", usd(t.mean_model_margin_usd), usd(t.mean_static_margin_usd))
        );
    };
    for (w, t) in windows(&r.days) {
        row(&mut s, w.name, &t);
        if perps {
            let _ =
                writeln!(s, "    perp vault (LPs' equity) through the window: {}", signed_usd(t.perp_vault_pnl_usd));
        }
        let per: Vec<String> = window_strategies(&r.days, &w)
            .iter()
            .map(|x| {
                let flag = if x.breaches_model > x.breaches_static { "!" } else { "" };
                format!("{} {}/{}{flag}", x.name, x.breaches_model, x.breaches_static)
            })
            .collect();
        if !per.is_empty() {
            let _ = writeln!(s, "    by strategy: {}", per.join(", "));
        }
    }
    let mut whole = totals(r.days.iter());
    whole.perp_vault_pnl_usd = run_vault_pnl(&r.days);
    row(&mut s, "whole run", &whole);
    let _ = writeln!(s, "  (m = on-chain covariance model, s = static weights counterfactual on the same books)\n");
    let _ = writeln!(s, "maintenance margin as % of gross exposure, by strategy (book-days with debt):");
    for st in &r.strategies {
        let change = 100.0 * (st.model_margin_pct / st.static_margin_pct.max(1e-9) - 1.0);
        let _ = writeln!(
            s,
            "  {:<16} {:>7} book-days   model {:>6.2}%   static {:>6.2}%   (model {change:+.0}% vs static)   breaches m/s {}/{}   liquidations {}",
            st.strategy, st.book_days, st.model_margin_pct, st.static_margin_pct, st.breaches_model, st.breaches_static, st.liquidations
        );
    }
    if perps {
        let paid: Vec<String> = r
            .strategies
            .iter()
            .filter(|st| st.funding_paid_usd != 0.0)
            .map(|st| format!("{} {}", st.strategy, signed_usd(st.funding_paid_usd)))
            .collect();
        let _ = writeln!(s, "funding paid by strategy (< 0: received): {}", paid.join(", "));
        let _ = writeln!(
            s,
            "perp vault (LPs' equity: tokens less traders' unrealized PnL) over the run: {}",
            signed_usd(run_vault_pnl(&r.days))
        );
    }
    let _ = writeln!(s, "\ninsurance fund at the end: {}", usd(r.insurance_usd_end));
    if let Some(st) = &r.stress {
        let _ = writeln!(s);
        s.push_str(&crate::stress::render(st));
    }
    let checks = &r.inspection.checks;
    let failed: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    if failed.is_empty() {
        let _ = writeln!(s, "final state: all {} invariant checks of `keeper inspect` pass", checks.len());
    } else {
        let _ = writeln!(s, "final state: INVARIANTS VIOLATED: {}", failed.join(", "));
    }
    s
}
