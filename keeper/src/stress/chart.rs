//! The stress test's chart: the distribution of bad debt across scenarios against the insurance fund.
use std::fmt::Write as _;

use super::StressReport;

/// A self-contained SVG: the sorted bad debt of the worst 5% of scenarios (exceedance curve: x =
/// probability of at least this bad debt, log scale), with the insurance fund as a horizontal line.
pub fn svg(r: &StressReport) -> String {
    let (w, h, pl, pr, pt, pb) = (900.0, 460.0, 90.0, 860.0, 60.0, 400.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{}" y="30" text-anchor="middle" font-size="18">Bad debt per scenario ({} scenarios, {} accounts) vs the insurance fund</text>"##,
        w / 2.0,
        r.config.scenarios,
        r.accounts
    );
    let v = &r.bad_debt_sorted;
    let n = v.len().max(1) as f64;
    let ymax = v.last().copied().unwrap_or(0.0).max(r.insurance_usd).max(1.0) * 1.05;
    // x: exceedance probability from 5% down to 1/n, log10.
    let (p_hi, p_lo) = (0.05f64, (1.0 / n).min(0.049));
    let x = |p: f64| pl + (p_hi.log10() - p.log10()) / (p_hi.log10() - p_lo.log10()) * (pr - pl);
    let y = |d: f64| pb - d / ymax * (pb - pt);
    let _ = writeln!(
        s,
        r##"<line x1="{pl}" y1="{pb}" x2="{pr}" y2="{pb}" stroke="#333"/><line x1="{pl}" y1="{pt}" x2="{pl}" y2="{pb}" stroke="#333"/>"##
    );
    for p in [0.05, 0.01, 0.001, 0.0001] {
        if p >= p_lo {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" font-size="12">{}%</text>"##,
                x(p),
                pb + 18.0,
                p * 100.0
            );
        }
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" font-size="13">probability of at least this bad debt</text>"##,
        (pl + pr) / 2.0,
        pb + 40.0
    );
    for k in 0..=4 {
        let d = ymax * k as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="12">${:.2}M</text>"##,
            pl - 6.0,
            y(d) + 4.0,
            d / 1e6
        );
    }
    let mut path = String::new();
    for (i, d) in v.iter().enumerate().rev() {
        let p = (v.len() - i) as f64 / n;
        if p > p_hi {
            break;
        }
        let _ = write!(path, "{}{:.1},{:.1} ", if path.is_empty() { "M" } else { "L" }, x(p.max(p_lo)), y(*d));
    }
    if !path.is_empty() {
        let _ = writeln!(s, r##"<path d="{path}" fill="none" stroke="#c0392b" stroke-width="2"/>"##);
    }
    let yi = y(r.insurance_usd);
    let _ = writeln!(
        s,
        r##"<line x1="{pl}" y1="{yi:.1}" x2="{pr}" y2="{yi:.1}" stroke="#2471a3" stroke-dasharray="6,4" stroke-width="1.5"/>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{:.1}" text-anchor="end" font-size="12" fill="#2471a3">insurance fund ${:.2}M · exhausted in {:.3}% of scenarios</text>"##,
        pr,
        yi - 6.0,
        r.insurance_usd / 1e6,
        100.0 * r.p_insurance_exhausted
    );
    s.push_str("</svg>\n");
    s
}
