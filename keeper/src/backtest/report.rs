//! Human-readable backtest report.
use std::fmt::Write;

use super::BacktestReport;

pub fn render(r: &BacktestReport) -> String {
    let mut s = String::new();
    let p = &r.parameters;
    let _ = writeln!(
        s,
        "Backtest of maintenance margin, {} .. {} ({} days), assets {}",
        r.first_margined,
        r.last_loss_date,
        r.steps,
        r.assets.join(",")
    );
    let _ = writeln!(
        s,
        "model: EWMA λ={} z={:.3} horizon={}d α={} β={} m={} c={} floor={}/{} (stable) · baseline: {}",
        p.lambda,
        p.z,
        p.horizon_rows,
        p.spike_alpha,
        p.breakdown_beta,
        p.stress_vol_multiplier,
        p.joint_move_sigmas,
        p.floor_rate,
        p.floor_rate_stable,
        p.baseline.source
    );
    let _ = writeln!(
        s,
        "breach probability {:.2}%; Kupiec 5% band for one book over {} days: {}..{} breaches\n",
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
    let _ = writeln!(s, "\nterm that set the margin (% of observations):");
    for f in &r.families {
        let terms: Vec<String> = f.binding_terms_pct.iter().map(|(t, v)| format!("{t} {v:.1}")).collect();
        let _ = writeln!(s, "  {:<16} {}", f.family.name(), terms.join(", "));
    }
    let _ = writeln!(s, "\nstress windows (book-days, breaches model / static):");
    for w in &r.stress_windows {
        if w.observations > 0 {
            let _ = writeln!(
                s,
                "  {:<12} {}..{}  {:>6} book-days  {:>4} / {:<4}",
                w.name, w.from, w.to, w.observations, w.model_breaches, w.baseline_breaches
            );
        }
    }
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

fn band(ok: usize, books: usize) -> String {
    if books == 0 {
        "-".to_string()
    } else {
        format!("{ok}/{books}")
    }
}
