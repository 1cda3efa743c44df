//! Human-readable backtest report.
use std::fmt::Write;

use super::BacktestReport;

pub fn render(r: &BacktestReport) -> String {
    let mut s = String::new();
    let p = &r.parameters;
    let unit = if (r.sample_interval_seconds - 86_400.0).abs() < 1.0 {
        "days".to_string()
    } else if (r.sample_interval_seconds - 3_600.0).abs() < 1.0 {
        "hours".to_string()
    } else {
        format!("samples of {:.0} s", r.sample_interval_seconds)
    };
    let _ = writeln!(
        s,
        "Backtest of maintenance margin, {} .. {} ({} non-overlapping horizons of {} h; rows are {unit}), assets {}",
        r.first_margined,
        r.last_loss_date,
        r.steps,
        r.horizon_hours,
        r.assets.join(",")
    );
    let _ = writeln!(
        s,
        "model: EWMA λ={} z={:.3} horizon={} rows α={} β={} m={} c={} floor={}/{} (stable) · memories: κ_s={} λ_s={} κ_f={} λ_f={} hedge floor u={} · baseline: {}",
        p.lambda,
        p.z,
        p.horizon_rows,
        p.spike_alpha,
        p.breakdown_beta,
        p.stress_vol_multiplier,
        p.joint_move_sigmas,
        p.floor_rate,
        p.floor_rate_stable,
        round6(p.vol_floor_weight),
        round6(p.slow_lambda),
        round6(p.short_vol_weight),
        round6(p.short_lambda),
        round6(p.hedge_floor),
        p.baseline.source
    );
    let _ = writeln!(
        s,
        "breach probability {:.2}%; Kupiec 5% band for one book over {} horizons: {}..{} breaches\n",
        100.0 * (1.0 - r.confidence),
        r.steps,
        r.kupiec_band_per_book.0,
        r.kupiec_band_per_book.1
    );
    let _ = writeln!(
        s,
        "{:<16} {:>5} | {:>8} {:>6} {:>7} {:>8} {:>7} {:>9} | {:>6} {:>7} {:>8} {:>7} {:>9} | {:>7}",
        "family",
        "books",
        "obs",
        "model",
        "rate%",
        "kupiec p",
        "margin%",
        "books ok",
        "static",
        "rate%",
        "kupiec p",
        "margin%",
        "books ok",
        "saving%"
    );
    for f in &r.families {
        let _ = writeln!(
            s,
            "{:<16} {:>5} | {:>8} {:>6} {:>7.3} {:>8.3} {:>7.2} {:>9} | {:>6} {:>7.3} {:>8.3} {:>7.2} {:>9} | {:>7.1}",
            f.family.name(),
            f.books,
            f.model.observations,
            f.model.breaches,
            100.0 * f.model.breach_rate,
            f.model.kupiec_p_value,
            f.model.mean_margin_pct,
            band(f.model_books_in_kupiec_band, f.books),
            f.baseline.breaches,
            100.0 * f.baseline.breach_rate,
            f.baseline.kupiec_p_value,
            f.baseline.mean_margin_pct,
            band(f.baseline_books_in_kupiec_band, f.books),
            f.margin_saving_pct,
        );
    }
    let _ = writeln!(s, "\nshortfall beyond margin (sum over breaches / worst single, % of one book's gross):");
    for f in &r.families {
        let _ = writeln!(
            s,
            "  {:<16} model {:>8.2} / {:>6.2}   static {:>8.2} / {:>6.2}",
            f.family.name(),
            f.model.total_shortfall_pct,
            f.model.worst_shortfall_pct,
            f.baseline.total_shortfall_pct,
            f.baseline.worst_shortfall_pct
        );
    }
    let _ = writeln!(
        s,
        "\nbreach clustering (longest run of consecutive breaches of one book; Christoffersen independence p, books' own sequences pooled):"
    );
    for f in &r.families {
        if f.family == super::books::Family::HedgedPair {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<16} model run {:>2}, p {:>6.3}   static run {:>2}, p {:>6.3}",
            f.family.name(),
            f.model.longest_breach_run,
            f.model.christoffersen_p_value,
            f.baseline.longest_breach_run,
            f.baseline.christoffersen_p_value
        );
    }
    let _ = writeln!(s, "\nterm that set the margin (% of observations):");
    for f in &r.families {
        let terms: Vec<String> = f.binding_terms_pct.iter().map(|(t, v)| format!("{t} {v:.1}")).collect();
        let _ = writeln!(s, "  {:<16} {}", f.family.name(), terms.join(", "));
    }
    let _ = writeln!(s, "\nstress windows (book-days, breaches model / static):");
    for w in &r.stress_windows {
        if w.counts.observations > 0 {
            let _ = writeln!(
                s,
                "  {:<12} {}..{}  {:>6} book-days  {:>4} / {:<4}  {}",
                w.name,
                w.from,
                w.to,
                w.counts.observations,
                w.counts.model_breaches,
                w.counts.baseline_breaches,
                families(&w.counts.families)
            );
        }
    }
    let d = &r.stress_days;
    let _ = writeln!(
        s,
        "  stress days  the {:.0}% largest market moves: {} days, {} book-days  {:>4} / {:<4}  {}",
        100.0 * d.share,
        d.days,
        d.counts.observations,
        d.counts.model_breaches,
        d.counts.baseline_breaches,
        families(&d.counts.families)
    );
    let _ = writeln!(s, "\nworst breach days (model):");
    let _ = writeln!(s, "  {:<10} {:>7} {:>7} {:>11}  worst book", "date", "model", "static", "loss/margin");
    for w in &r.worst_windows {
        let _ = writeln!(
            s,
            "  {:<10} {:>7} {:>7} {:>11.2}  {}",
            w.date,
            format!("{}/{}", w.model_breaches, w.books),
            w.baseline_breaches,
            w.worst_loss_to_margin,
            w.worst_book
        );
    }
    s
}

/// `single 8/17, pair 0/0, …`; `!` marks a family the model breached more often than static.
fn families(f: &[super::WindowFamily]) -> String {
    f.iter()
        .filter(|f| f.observations > 0)
        .map(|f| {
            let flag = if f.model_breaches > f.baseline_breaches { "!" } else { "" };
            let name = if f.family == super::books::Family::Pair { "pair" } else { f.family.name() };
            format!("{name} {}/{}{flag}", f.model_breaches, f.baseline_breaches)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn band(ok: usize, books: usize) -> String {
    if books == 0 {
        "-".to_string()
    } else {
        format!("{ok}/{books}")
    }
}
