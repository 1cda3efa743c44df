//! Dependency-free SVG charts for the `simulate` report.
//!
//! Three self-contained ~1000×500 SVG files: the on-chain correlation heatmap over time, margin against
//! realised losses, and the liquidation / bad-debt timeline. Stress windows that fall inside the simulated
//! date range are shaded as labelled vertical bands. Every coordinate is written through [`n`] (so no `NaN`
//! reaches an attribute) and every text through [`esc`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::record::{DayRecord, Window};

const W: f64 = 1000.0;
const H: f64 = 500.0;
/// Plot area (left, right, top, bottom) of the two time-series charts.
const PL: f64 = 90.0;
const PR: f64 = 910.0;
const PT: f64 = 75.0;
const PB: f64 = 430.0;
/// White outline behind labels drawn over coloured areas.
const HALO: &str = r#"stroke="white" stroke-width="3" paint-order="stroke" stroke-linejoin="round""#;
const BAND: &str = r##"fill-opacity="0.18" stroke="#444" stroke-width="0.6" stroke-dasharray="3,2""##;

/// Writes the charts into `dir` (created if missing) and returns their paths: the perp chart only
/// when the run had a perp vault.
pub fn write_charts(
    dir: &Path,
    assets: &[String],
    days: &[DayRecord],
    windows: &[Window],
) -> anyhow::Result<Vec<PathBuf>> {
    type Draw = fn(&mut Svg, &Ctx);
    let charts: [(&str, &str, Draw); 3] = [
        ("correlation_heatmap.svg", "On-chain correlation over time", correlation_heatmap),
        ("margin_vs_loss.svg", "Margin vs realised losses", margin_vs_loss),
        ("liquidations.svg", "Liquidations timeline", liquidations),
    ];
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ctx = Ctx { assets, days, windows };
    let perps = days.iter().any(|d| d.perp_vault_usd > 0.0);
    let perp_chart: [(&str, &str, Draw); 1] = [("perps.svg", "Perp vault and open interest", perp_vault)];
    charts
        .iter()
        .chain(perp_chart.iter().filter(|_| perps))
        .map(|&(file, title, draw)| {
            let mut svg = Svg::new(title);
            if days.is_empty() {
                svg.text((W / 2.0, H / 2.0), "no data", 24.0, "middle", r##"fill="#888""##);
            } else {
                draw(&mut svg, &ctx);
            }
            let path = dir.join(file);
            std::fs::write(&path, svg.finish()).with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

struct Ctx<'a> {
    assets: &'a [String],
    days: &'a [DayRecord],
    windows: &'a [Window],
}

/// Minimal SVG writer. `extra` arguments are raw attribute text; coordinates and texts are sanitised.
struct Svg(String);

impl Svg {
    fn new(title: &str) -> Self {
        let mut svg = Svg(format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="Helvetica, Arial, sans-serif">"#
        ));
        svg.rect(0.0, 0.0, W, H, "white", "");
        svg.text((W / 2.0, 28.0), title, 18.0, "middle", r#"font-weight="bold""#);
        svg
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        let (x, y, w, h) = (n(x), n(y), n(w.max(0.0)), n(h.max(0.0)));
        let _ = write!(self.0, r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" {extra}/>"#);
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, extra: &str) {
        let (x1, y1, x2, y2) = (n(x1), n(y1), n(x2), n(y2));
        let _ = write!(self.0, r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" {extra}/>"#);
    }

    fn polyline(&mut self, pts: &[(f64, f64)], stroke: &str, extra: &str) {
        let pts: Vec<String> = pts.iter().map(|&(x, y)| format!("{},{}", n(x), n(y))).collect();
        let _ = write!(self.0, r#"<polyline points="{}" fill="none" stroke="{stroke}" {extra}/>"#, pts.join(" "));
    }

    fn circle(&mut self, (cx, cy): (f64, f64), r: f64, fill: &str) {
        let _ = write!(self.0, r#"<circle cx="{}" cy="{}" r="{}" fill="{fill}"/>"#, n(cx), n(cy), n(r));
    }

    fn text(&mut self, (x, y): (f64, f64), s: &str, size: f64, anchor: &str, extra: &str) {
        let (x, y, size, s) = (n(x), n(y), n(size), esc(s));
        let _ = write!(self.0, r#"<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" {extra}>{s}</text>"#);
    }

    /// Text rotated by `deg` (90: reads top-down, −90: bottom-up) about its anchor point.
    fn vtext(&mut self, (x, y): (f64, f64), s: &str, size: f64, deg: i32, anchor: &str, extra: &str) {
        let extra = format!(r#"transform="rotate({deg} {} {})" {extra}"#, n(x), n(y));
        self.text((x, y), s, size, anchor, &extra);
    }

    fn finish(mut self) -> String {
        self.0.push_str("</svg>\n");
        self.0
    }
}

/// A coordinate as attribute text: at most two decimals, and `0` for anything non-finite.
fn n(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    s.chars().fold(String::with_capacity(s.len()), |mut out, c| {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
        out
    })
}

/// USD with k/M/B suffixes: `$950`, `$12.5k`, `$3M`.
fn usd(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    let a = v.abs();
    let (x, suffix) = match a {
        _ if a >= 1e9 => (v / 1e9, "B"),
        _ if a >= 1e6 => (v / 1e6, "M"),
        _ if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let digits = if x.abs() >= 100.0 || x.fract() == 0.0 { 0 } else { 1 };
    format!("${x:.digits$}{suffix}")
}

/// Diverging colour: −1 blue, 0 white, +1 red; undefined values grey.
fn corr_colour(v: f64) -> String {
    if !v.is_finite() {
        return "#bdbdbd".to_owned();
    }
    let t = v.clamp(-1.0, 1.0);
    let (r, g, b) = if t >= 0.0 { (178u8, 24u8, 43u8) } else { (33, 102, 172) };
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t.abs()).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

/// Maps day index → x; day `i` occupies `[edge(i), edge(i + 1))`.
struct TimeAxis {
    x0: f64,
    x1: f64,
    len: usize,
}

impl TimeAxis {
    fn edge(&self, i: usize) -> f64 {
        self.x0 + (self.x1 - self.x0) * i as f64 / self.len.max(1) as f64
    }

    fn mid(&self, i: usize) -> f64 {
        (self.edge(i) + self.edge(i + 1)) / 2.0
    }

    /// Baseline and date ticks below `y`: one per year over long ranges, else at most ~12 month ticks.
    fn draw(&self, svg: &mut Svg, days: &[DayRecord], y: f64) {
        // Period starts; the first day only counts if it starts its period or nothing else would be labelled.
        let starts = |len: usize| -> Vec<(usize, &str)> {
            let key = |i: usize| days[i].date.get(..len).unwrap_or(&days[i].date);
            let mut v: Vec<_> =
                (1..days.len()).filter(|&i| key(i) != key(i - 1)).map(|i| (i, &days[i].date[..])).collect();
            if v.is_empty() || days[0].date.ends_with(if len == 4 { "-01-01" } else { "-01" }) {
                v.insert(0, (0, &days[0].date[..]));
            }
            v
        };
        let years = starts(4);
        let (ticks, label_len) = if years.len() >= 3 {
            (years, 4)
        } else {
            let months = starts(7);
            let step = months.len().div_ceil(12).max(1);
            (months.into_iter().step_by(step).collect(), 7)
        };
        svg.line((self.x0, y), (self.x1, y), "#333", "");
        let mut last = f64::NEG_INFINITY;
        for (i, date) in ticks {
            let x = self.edge(i);
            svg.line((x, y), (x, y + 5.0), "#333", "");
            if x - last >= 52.0 {
                svg.text((x, y + 18.0), date.get(..label_len).unwrap_or(date), 11.0, "middle", "");
                last = x;
            }
        }
        svg.text(((self.x0 + self.x1) / 2.0, y + 38.0), "Date", 12.0, "middle", "");
    }
}

/// Stress windows that overlap `days`, between `top` and `bottom`: shaded bands (drawn under the data) or,
/// with `labels`, their names down each band's left edge (drawn over the data).
fn shade_windows(svg: &mut Svg, axis: &TimeAxis, c: &Ctx, (top, bottom): (f64, f64), labels: bool) {
    for w in c.windows {
        let Some(a) = c.days.iter().position(|d| w.contains(&d.date)) else { continue };
        let b = c.days.iter().rposition(|d| w.contains(&d.date)).unwrap_or(a) + 1;
        let (x, x2) = (axis.edge(a), axis.edge(b));
        if labels {
            svg.vtext((x + 2.0, top + 4.0), w.name, 10.0, 90, "start", HALO);
        } else {
            svg.rect(x, top, (x2 - x).max(2.0), bottom - top, "#6a6a6a", BAND);
        }
    }
}

/// Value axis, linear from 0 or log10 (`lo`, `hi` are then exponents).
struct YAxis {
    top: f64,
    bottom: f64,
    lo: f64,
    hi: f64,
    step: f64,
    log: bool,
}

impl YAxis {
    /// Linear from 0 to a round number ≥ `max`, ticks at multiples of 1/2/5 × 10^k (at least `min_step`).
    fn linear(max: f64, min_step: f64) -> Self {
        let max = if max > 0.0 { max } else { 1.0 };
        let raw = max / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step =
            ([1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(raw)).max(min_step);
        Self { top: PT, bottom: PB, lo: 0.0, hi: (max / step).ceil() * step, step, log: false }
    }

    /// Decades from ⌊log10 min_pos⌋ (at most 8 below the top) to ⌈log10 max⌉.
    fn log(min_pos: f64, max: f64) -> Self {
        let hi = max.log10().ceil();
        let lo = min_pos.log10().floor().max(hi - 8.0).min(hi - 1.0);
        Self { top: PT, bottom: PB, lo, hi, step: 1.0, log: true }
    }

    fn y(&self, v: f64) -> f64 {
        let t =
            if self.log { (v.max(10f64.powf(self.lo)).log10() - self.lo) / (self.hi - self.lo) } else { v / self.hi };
        self.bottom - t.clamp(0.0, 1.0) * (self.bottom - self.top)
    }

    /// Axis line, ticks and label at `x`; `side` −1 = left (also draws the grid), +1 = right.
    fn draw(&self, svg: &mut Svg, x: f64, side: f64, label: &str, fmt: fn(f64) -> String) {
        let count = ((self.hi - self.lo) / self.step).round() as usize;
        for k in 0..=count {
            let e = self.lo + k as f64 * self.step;
            let v = if self.log { 10f64.powf(e) } else { e };
            let y = self.y(v);
            if side < 0.0 {
                svg.line((PL, y), (PR, y), "#e6e6e6", "");
            }
            svg.line((x, y), (x + 5.0 * side, y), "#333", "");
            let anchor = if side < 0.0 { "end" } else { "start" };
            svg.text((x + 8.0 * side, y + 4.0), &fmt(v), 11.0, anchor, "");
        }
        svg.line((x, self.top), (x, self.bottom), "#333", "");
        let deg = if side < 0.0 { -90 } else { 90 };
        svg.vtext((x + 62.0 * side, (self.top + self.bottom) / 2.0), label, 12.0, deg, "middle", "");
    }
}

/// Legend swatches.
enum Key {
    Line(&'static str, &'static str),
    Bar(&'static str, f64),
    Dot(&'static str),
    Band,
}

/// A centred row of legend entries with baseline `y`.
fn legend(svg: &mut Svg, y: f64, items: &[(Key, String)]) {
    let widths: Vec<f64> = items.iter().map(|(_, s)| 46.0 + s.chars().count() as f64 * 6.3).collect();
    let mut x = (W - widths.iter().sum::<f64>()) / 2.0;
    for ((key, label), w) in items.iter().zip(widths) {
        match *key {
            Key::Line(c, dash) => svg.line(
                (x, y - 4.0),
                (x + 22.0, y - 4.0),
                c,
                &format!(r#"stroke-width="2.5" stroke-dasharray="{dash}""#),
            ),
            Key::Bar(c, opacity) => svg.rect(x + 5.0, y - 11.0, 12.0, 11.0, c, &format!(r#"fill-opacity="{opacity}""#)),
            Key::Dot(c) => svg.circle((x + 11.0, y - 4.0), 4.0, c),
            Key::Band => svg.rect(x, y - 11.0, 22.0, 12.0, "#6a6a6a", BAND),
        }
        svg.text((x + 28.0, y), label, 12.0, "start", "");
        x += w;
    }
}

/// Entry (i, j) of a day's correlation matrix; `NaN` if the matrix is too small.
fn corr_at(d: &DayRecord, i: usize, j: usize) -> f64 {
    d.correlation.get(i).and_then(|row| row.get(j)).copied().unwrap_or(f64::NAN)
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Pair rows × time columns of the on-chain correlation, a colour bar, and the last day's full matrix.
fn correlation_heatmap(svg: &mut Svg, c: &Ctx) {
    let (x0, x1, top, bottom) = (95.0, 615.0, 70.0, 430.0);
    let n_assets = c.assets.len();
    let pairs: Vec<(usize, usize)> = (0..n_assets).flat_map(|i| (i + 1..n_assets).map(move |j| (i, j))).collect();
    let len = c.days.len();
    let k = len.div_ceil(200).max(1);
    let axis = TimeAxis { x0, x1, len };
    let per = if k == 1 { "day".to_owned() } else { format!("{k} days") };
    let note = format!("pairwise correlation of the on-chain risk model, one column per {per}; grey = undefined");
    svg.text((W / 2.0, 50.0), &note, 12.0, "middle", r##"fill="#555""##);

    if pairs.is_empty() {
        svg.rect(x0, top, x1 - x0, bottom - top, "#f4f4f4", "");
        let centre = ((x0 + x1) / 2.0, (top + bottom) / 2.0);
        svg.text(centre, "fewer than two assets: no pairs to plot", 14.0, "middle", "");
    } else {
        let row_h = (bottom - top) / pairs.len() as f64;
        let label_every = (9.0 / row_h).ceil().max(1.0) as usize;
        let font = (row_h * label_every as f64 * 0.8).clamp(7.0, 12.0);
        for (p, &(i, j)) in pairs.iter().enumerate() {
            let y = top + p as f64 * row_h;
            for start in (0..len).step_by(k) {
                let end = (start + k).min(len);
                let xa = axis.edge(start);
                let fill = corr_colour(corr_at(&c.days[end - 1], i, j));
                svg.rect(xa, y, axis.edge(end) - xa + 0.4, row_h + 0.4, &fill, "");
            }
            if p % label_every == 0 {
                let label = format!("{}/{}", c.assets[i], c.assets[j]);
                svg.text((x0 - 6.0, y + row_h / 2.0 + font * 0.35), &label, font, "end", "");
            }
        }
    }
    shade_windows(svg, &axis, c, (top, bottom), false);
    shade_windows(svg, &axis, c, (top, bottom), true);
    svg.rect(x0, top, x1 - x0, bottom - top, "none", r##"stroke="#333""##);
    axis.draw(svg, c.days, bottom);
    svg.vtext((18.0, (top + bottom) / 2.0), "Asset pair", 12.0, -90, "middle", "");

    // Colour bar.
    let (bx, steps) = (632.0, 60);
    let sh = (bottom - top) / f64::from(steps);
    for s in 0..steps {
        let v = 1.0 - 2.0 * (f64::from(s) + 0.5) / f64::from(steps);
        svg.rect(bx, top + f64::from(s) * sh, 14.0, sh + 0.4, &corr_colour(v), "");
    }
    svg.rect(bx, top, 14.0, bottom - top, "none", r##"stroke="#333""##);
    for (v, label) in [(1.0, "+1"), (0.0, "0"), (-1.0, "−1")] {
        svg.text((bx + 18.0, top + (1.0 - v) / 2.0 * (bottom - top) + 4.0), label, 11.0, "start", "");
    }
    svg.text((bx + 7.0, top - 6.0), "corr.", 10.0, "middle", "");

    // Last day's full matrix.
    let Some(last) = c.days.last().filter(|_| n_assets > 0) else { return };
    let (mx, my): (f64, f64) = (740.0, 108.0);
    let cell = ((975.0 - mx).min(bottom - my) / n_assets as f64).min(80.0);
    svg.text((mx + cell * n_assets as f64 / 2.0, 72.0), &format!("Last day ({})", last.date), 12.0, "middle", "");
    let (font, head) = ((cell * 0.3).clamp(6.0, 13.0), (cell * 0.4).clamp(7.0, 11.0));
    for (i, name) in c.assets.iter().enumerate() {
        let off = (i as f64 + 0.5) * cell;
        svg.text((mx - 5.0, my + off + head * 0.35), name, head, "end", "");
        if n_assets > 8 {
            svg.vtext((mx + off + head * 0.35, my - 4.0), name, head, -90, "start", "");
        } else {
            svg.text((mx + off, my - 5.0), name, head, "middle", "");
        }
        for j in 0..n_assets {
            let (x, y, v) = (mx + j as f64 * cell, my + i as f64 * cell, corr_at(last, i, j));
            svg.rect(x, y, cell, cell, &corr_colour(v), r#"stroke="white" stroke-width="1""#);
            if n_assets <= 12 {
                let text = if v.is_finite() { format!("{v:.2}") } else { "n/a".to_owned() };
                let colour = if v.abs() > 0.55 { "white" } else { "#222" };
                let extra = format!(r#"fill="{colour}""#);
                svg.text((x + cell / 2.0, y + cell / 2.0 + font * 0.35), &text, font, "middle", &extra);
            }
        }
    }
}

/// Daily model and static margin as lines over realised-loss bars; log scale when the data span > 2 decades.
fn margin_vs_loss(svg: &mut Svg, c: &Ctx) {
    let series = |f: fn(&DayRecord) -> f64| -> Vec<f64> { c.days.iter().map(|d| finite_or_zero(f(d))).collect() };
    let (model, stat, loss) =
        (series(|d| d.model_margin_usd), series(|d| d.static_margin_usd), series(|d| d.realised_loss_usd));
    let all = || model.iter().chain(&stat).chain(&loss).copied();
    let max = all().fold(0.0, f64::max);
    let min_pos = all().filter(|&v| v > 0.0).fold(f64::INFINITY, f64::min);
    let y =
        if min_pos.is_finite() && max / min_pos > 100.0 { YAxis::log(min_pos, max) } else { YAxis::linear(max, 0.0) };
    let axis = TimeAxis { x0: PL, x1: PR, len: c.days.len() };
    let label = if y.log { "USD (log scale)" } else { "USD" };
    y.draw(svg, PL, -1.0, label, usd);
    shade_windows(svg, &axis, c, (PT, PB), false);
    let bw = ((PR - PL) / c.days.len() as f64 * 0.8).max(1.0);
    for (i, &v) in loss.iter().enumerate().filter(|(_, &v)| v > 0.0) {
        let top = y.y(v);
        svg.rect(axis.mid(i) - bw / 2.0, top, bw, PB - top, "#d62728", r#"fill-opacity="0.45""#);
    }
    let path = |vs: &[f64]| -> Vec<(f64, f64)> { vs.iter().enumerate().map(|(i, &v)| (axis.mid(i), y.y(v))).collect() };
    svg.polyline(&path(&stat), "#ff7f0e", r#"stroke-width="1.8" stroke-dasharray="6,3""#);
    svg.polyline(&path(&model), "#1f77b4", r#"stroke-width="1.8""#);
    axis.draw(svg, c.days, PB);
    shade_windows(svg, &axis, c, (PT, PB), true);
    let (mb, sb) = c
        .days
        .iter()
        .fold((0u64, 0u64), |(m, s), d| (m + u64::from(d.model_breaches), s + u64::from(d.static_breaches)));
    legend(
        svg,
        56.0,
        &[
            (Key::Line("#1f77b4", "none"), format!("Model margin (breaches: {mb})")),
            (Key::Line("#ff7f0e", "6,3"), format!("Static margin (breaches: {sb})")),
            (Key::Bar("#d62728", 0.45), "Realised loss / day".to_owned()),
            (Key::Band, "Stress window".to_owned()),
        ],
    );
}

/// The perp vault's tokens, its value (tokens less traders' unrealized PnL: the LPs' equity) and
/// the markets' open interest (long + short), USD, per day.
fn perp_vault(svg: &mut Svg, c: &Ctx) {
    let vault: Vec<f64> = c.days.iter().map(|d| finite_or_zero(d.perp_vault_usd)).collect();
    let value: Vec<f64> = c.days.iter().map(|d| finite_or_zero(d.perp_vault_value_usd)).collect();
    let oi: Vec<f64> = c.days.iter().map(|d| finite_or_zero(d.perp_open_interest_usd)).collect();
    let max = vault.iter().chain(&oi).chain(&value).copied().fold(0.0, f64::max);
    let y = YAxis::linear(max, 0.0);
    let axis = TimeAxis { x0: PL, x1: PR, len: c.days.len() };
    y.draw(svg, PL, -1.0, "USD", usd);
    shade_windows(svg, &axis, c, (PT, PB), false);
    let path = |vs: &[f64]| -> Vec<(f64, f64)> { vs.iter().enumerate().map(|(i, &v)| (axis.mid(i), y.y(v))).collect() };
    svg.polyline(&path(&oi), "#ff7f0e", r#"stroke-width="1.5""#);
    svg.polyline(&path(&vault), "#1f77b4", r#"stroke-width="2""#);
    svg.polyline(&path(&value), "#2ca02c", r#"stroke-width="1.5" stroke-dasharray="6,3""#);
    axis.draw(svg, c.days, PB);
    shade_windows(svg, &axis, c, (PT, PB), true);
    legend(
        svg,
        56.0,
        &[
            (Key::Line("#1f77b4", "none"), "Perp vault tokens".to_owned()),
            (Key::Line("#2ca02c", "6,3"), "Vault value (tokens − traders' unrealized PnL)".to_owned()),
            (Key::Line("#ff7f0e", "none"), "Open interest (long + short)".to_owned()),
            (Key::Band, "Stress window".to_owned()),
        ],
    );
}

/// Daily liquidation counts (bars, left axis) and bad debt (stems with markers, right axis).
fn liquidations(svg: &mut Svg, c: &Ctx) {
    let liq: Vec<f64> = c.days.iter().map(|d| f64::from(d.liquidations)).collect();
    let debt: Vec<f64> = c.days.iter().map(|d| finite_or_zero(d.bad_debt_usd).max(0.0)).collect();
    let left = YAxis::linear(liq.iter().copied().fold(0.0, f64::max), 1.0);
    let right = YAxis::linear(debt.iter().copied().fold(0.0, f64::max), 0.0);
    let axis = TimeAxis { x0: PL, x1: PR, len: c.days.len() };
    left.draw(svg, PL, -1.0, "Liquidations per day", |v| format!("{v}"));
    right.draw(svg, PR, 1.0, "Bad debt per day (USD)", usd);
    shade_windows(svg, &axis, c, (PT, PB), false);
    let bw = ((PR - PL) / c.days.len() as f64 * 0.8).max(1.0);
    for (i, &v) in liq.iter().enumerate().filter(|(_, &v)| v > 0.0) {
        let top = left.y(v);
        svg.rect(axis.mid(i) - bw / 2.0, top, bw, PB - top, "#4c72b0", "");
    }
    for (i, &v) in debt.iter().enumerate().filter(|(_, &v)| v > 0.0) {
        let (x, top) = (axis.mid(i), right.y(v));
        svg.line((x, PB), (x, top), "#d62728", r#"stroke-width="1""#);
        svg.circle((x, top), 3.0, "#d62728");
    }
    axis.draw(svg, c.days, PB);
    shade_windows(svg, &axis, c, (PT, PB), true);
    let total_liq: u64 = c.days.iter().map(|d| u64::from(d.liquidations)).sum();
    legend(
        svg,
        56.0,
        &[
            (Key::Bar("#4c72b0", 1.0), format!("Liquidations / day (total {total_liq})")),
            (Key::Dot("#d62728"), format!("Bad debt, USD (total {})", usd(debt.iter().sum()))),
            (Key::Band, "Stress window".to_owned()),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::super::record::STRESS_WINDOWS;
    use super::*;

    /// `YYYY-MM-DD` of day `z` after 1970-01-01 (Hinnant's civil-from-days).
    fn date(z: i64) -> String {
        let z = z + 719_468;
        let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let (d, m) = (doy - (153 * mp + 2) / 5 + 1, if mp < 10 { mp + 3 } else { mp - 9 });
        format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
    }

    /// `len` days from 2022-03-01 over 3 assets, stressed inside the stress windows, one NaN correlation.
    fn synthetic(len: usize) -> Vec<DayRecord> {
        (0..len)
            .map(|i| {
                let (t, date) = (i as f64, date(19_052 + i as i64));
                let stressed = STRESS_WINDOWS.iter().any(|w| w.contains(&date));
                let r = (t / 40.0).sin() * 0.9;
                let mut correlation = vec![vec![1.0, r, 0.5], vec![r, 1.0, -r], vec![0.5, -r, 1.0]];
                if i == 100 || i == len - 1 {
                    (correlation[0][2], correlation[2][0]) = (f64::NAN, f64::NAN);
                }
                DayRecord {
                    date,
                    prices: vec![30_000.0 + t, 2_000.0, 100.0],
                    correlation,
                    model_margin_usd: 2e6 + 5e5 * (t / 30.0).sin(),
                    static_margin_usd: 3e6,
                    realised_loss_usd: if stressed { 4e6 } else { 1e3 * (i % 5) as f64 },
                    model_breaches: u32::from(stressed),
                    static_breaches: 2 * u32::from(stressed),
                    liquidations: if stressed { 5 } else { u32::from(i % 11 == 0) },
                    repaid_usd: 0.0,
                    bad_debt_usd: if stressed && i % 2 == 0 { 25_000.0 } else { 0.0 },
                    liquidatable_after: 0,
                    strategy_breaches: Default::default(),
                    perp_vault_usd: 0.0,
                    perp_open_interest_usd: 0.0,
                    perp_vault_value_usd: 0.0,
                }
            })
            .collect()
    }

    fn read_all(paths: &[PathBuf]) -> Vec<String> {
        paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "non-finite number in output");
    }

    #[test]
    fn writes_three_well_formed_charts() {
        assert_eq!(date(19_052), "2022-03-01");
        let dir = tempfile::tempdir().unwrap();
        let assets: Vec<String> = ["BTC", "ETH", "SOL"].map(String::from).to_vec();
        let paths = write_charts(&dir.path().join("charts"), &assets, &synthetic(400), &STRESS_WINDOWS).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["correlation_heatmap.svg", "margin_vs_loss.svg", "liquidations.svg"]);
        for svg in read_all(&paths) {
            assert_well_formed(&svg);
            for w in &STRESS_WINDOWS[1..] {
                assert!(svg.contains(&esc(w.name)), "missing window {}", w.name);
            }
            assert!(!svg.contains("COVID"), "window outside the date range is drawn");
        }
        let heatmap = std::fs::read_to_string(&paths[0]).unwrap();
        for pair in ["BTC/ETH", "BTC/SOL", "ETH/SOL"] {
            assert!(heatmap.contains(pair), "missing pair {pair}");
        }
        assert!(heatmap.contains("#bdbdbd") && heatmap.contains("n/a"), "NaN correlation not shown as undefined");
    }

    #[test]
    fn a_run_with_perps_adds_the_vault_chart() {
        let dir = tempfile::tempdir().unwrap();
        let assets: Vec<String> = ["BTC", "ETH", "SOL"].map(String::from).to_vec();
        let mut days = synthetic(200);
        for (i, d) in days.iter_mut().enumerate() {
            d.perp_vault_usd = 2e7 - 1e3 * i as f64;
            d.perp_vault_value_usd = 2e7 + 2e3 * i as f64;
            d.perp_open_interest_usd = 1e7 + 5e4 * i as f64;
        }
        let paths = write_charts(&dir.path().join("charts"), &assets, &days, &STRESS_WINDOWS).unwrap();
        assert_eq!(paths.len(), 4);
        let svg = std::fs::read_to_string(&paths[3]).unwrap();
        assert_well_formed(&svg);
        assert!(svg.contains("Perp vault tokens") && svg.contains("Vault value") && svg.contains("Open interest"));
    }

    #[test]
    fn empty_days_and_single_asset() {
        let dir = tempfile::tempdir().unwrap();
        for svg in read_all(&write_charts(dir.path(), &["BTC".to_owned()], &[], &STRESS_WINDOWS).unwrap()) {
            assert_well_formed(&svg);
            assert!(svg.contains("no data"));
        }
        let mut days = synthetic(30);
        days.iter_mut().for_each(|d| d.correlation = vec![vec![1.0]]);
        let svgs = read_all(&write_charts(dir.path(), &["BTC".to_owned()], &days, &STRESS_WINDOWS).unwrap());
        svgs.iter().for_each(|s| assert_well_formed(s));
        assert!(svgs[0].contains("no pairs"));
    }

    #[test]
    fn helpers() {
        assert_eq!(esc(r#"a<b & "c">'"#), "a&lt;b &amp; &quot;c&quot;&gt;&apos;");
        assert_eq!([usd(950.0), usd(12_500.0), usd(3e6), usd(1.2e9)], ["$950", "$12.5k", "$3M", "$1.2B"]);
        assert_eq!([corr_colour(1.0), corr_colour(0.0), corr_colour(-1.0)], ["#b2182b", "#ffffff", "#2166ac"]);
        assert_eq!([n(f64::NAN), n(1.0), n(2.5)], ["0", "1", "2.5"]);
        let y = YAxis::log(0.5, 4e6);
        assert_eq!((y.lo, y.hi, y.y(0.0)), (-1.0, 7.0, PB));
    }
}
