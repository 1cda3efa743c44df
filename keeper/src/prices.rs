//! Daily close prices from a CSV in the format of `shared/data/crypto_daily_close_usd.csv`:
//! `timestamp_utc` then one column per asset, an empty cell where an asset has no bar.
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Prices of the selected assets on the rows where every selected asset has a price.
#[derive(Clone, Debug)]
pub struct PriceTable {
    pub assets: Vec<String>,
    /// ISO-8601 timestamps, ascending.
    pub timestamps: Vec<String>,
    /// `prices[row][asset]`, USD per token, all > 0.
    pub prices: Vec<Vec<f64>>,
}

/// Which rows and columns to keep.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Asset columns to keep, in this order; all columns when empty.
    pub assets: Vec<String>,
    /// First timestamp kept (inclusive); `YYYY-MM-DD` or a full timestamp.
    pub start: Option<String>,
    /// Last timestamp kept (inclusive); `YYYY-MM-DD` means the whole day.
    pub end: Option<String>,
}

impl PriceTable {
    /// Reads the CSV and keeps the selected columns and the rows in range where every selected
    /// asset has a price (so the next return spans any gap).
    pub fn load(path: &Path, sel: &Selection) -> Result<Self> {
        let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
        let headers = reader.headers()?.clone();
        if headers.get(0) != Some("timestamp_utc") {
            bail!("{}: first column must be `timestamp_utc`", path.display());
        }
        let all: Vec<String> = headers.iter().skip(1).map(str::to_string).collect();
        let assets: Vec<String> = if sel.assets.is_empty() { all.clone() } else { sel.assets.clone() };
        let mut columns = Vec::with_capacity(assets.len());
        for a in &assets {
            let idx = all.iter().position(|h| h.eq_ignore_ascii_case(a)).with_context(|| {
                format!("asset `{a}` is not a column of {} (have: {})", path.display(), all.join(","))
            })?;
            columns.push(idx + 1);
        }
        let start = sel.start.clone();
        let end = sel.end.as_ref().map(|e| if e.len() == 10 { format!("{e}T23:59:59Z") } else { e.clone() });
        let mut timestamps = Vec::new();
        let mut prices = Vec::new();
        let mut last_ts = String::new();
        for (line, record) in reader.records().enumerate() {
            let record = record.with_context(|| format!("{}: row {}", path.display(), line + 2))?;
            let ts = record.get(0).unwrap_or_default().to_string();
            if ts <= last_ts {
                bail!("{}: row {} ({ts}) is not after the previous row", path.display(), line + 2);
            }
            last_ts = ts.clone();
            if start.as_deref().is_some_and(|s| ts.as_str() < s) || end.as_deref().is_some_and(|e| ts.as_str() > e) {
                continue;
            }
            let mut row = Vec::with_capacity(columns.len());
            for &c in &columns {
                match record.get(c).map(str::trim).filter(|s| !s.is_empty()) {
                    Some(s) => {
                        let p: f64 = s.parse().with_context(|| format!("row {}: bad price `{s}`", line + 2))?;
                        if !(p.is_finite() && p > 0.0) {
                            bail!("row {}: price must be > 0, got {p}", line + 2);
                        }
                        row.push(p);
                    }
                    None => break,
                }
            }
            if row.len() == columns.len() {
                timestamps.push(ts);
                prices.push(row);
            }
        }
        if prices.len() < 2 {
            bail!("fewer than two rows where every selected asset ({}) has a price", assets.join(","));
        }
        Ok(Self { assets, timestamps, prices })
    }

    pub fn rows(&self) -> usize {
        self.prices.len()
    }

    /// The date part (`YYYY-MM-DD`) of row `i`.
    pub fn date(&self, i: usize) -> &str {
        &self.timestamps[i][..10.min(self.timestamps[i].len())]
    }

    /// Median spacing of the rows in seconds (86,400 for daily data); used as the sample interval.
    pub fn sample_interval_seconds(&self) -> f64 {
        let mut gaps: Vec<i64> =
            self.timestamps.windows(2).filter_map(|w| Some(parse_epoch(&w[1])? - parse_epoch(&w[0])?)).collect();
        if gaps.is_empty() {
            return 86_400.0;
        }
        gaps.sort_unstable();
        gaps[gaps.len() / 2] as f64
    }
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn parse_epoch(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 10 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = if b.len() >= 19 { (num(11..13)?, num(14..16)?, num(17..19)?) } else { (0, 0, 0) };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn rows_with_a_missing_selected_asset_are_skipped() {
        let f = csv("timestamp_utc,A,B\n2020-01-01T00:00:00Z,1,\n2020-01-02T00:00:00Z,2,10\n2020-01-03T00:00:00Z,3,\n2020-01-04T00:00:00Z,4,12\n");
        let t = PriceTable::load(f.path(), &Selection { assets: vec!["B".into(), "A".into()], ..Default::default() })
            .unwrap();
        assert_eq!(t.assets, vec!["B", "A"]);
        assert_eq!(t.prices, vec![vec![10.0, 2.0], vec![12.0, 4.0]]);
        let only_a = PriceTable::load(f.path(), &Selection { assets: vec!["A".into()], ..Default::default() }).unwrap();
        assert_eq!(only_a.rows(), 4);
    }

    #[test]
    fn date_range_is_inclusive() {
        let f = csv("timestamp_utc,A\n2020-01-01T00:00:00Z,1\n2020-01-02T00:00:00Z,2\n2020-01-03T00:00:00Z,3\n");
        let sel = Selection { start: Some("2020-01-02".into()), end: Some("2020-01-03".into()), ..Default::default() };
        let t = PriceTable::load(f.path(), &sel).unwrap();
        assert_eq!(t.timestamps, vec!["2020-01-02T00:00:00Z", "2020-01-03T00:00:00Z"]);
        assert_eq!(t.sample_interval_seconds(), 86_400.0);
    }

    #[test]
    fn bad_input_is_reported() {
        let f = csv("timestamp_utc,A\n2020-01-01T00:00:00Z,1\n2020-01-02T00:00:00Z,-2\n");
        assert!(PriceTable::load(f.path(), &Selection::default()).unwrap_err().to_string().contains("> 0"));
        let f = csv("timestamp_utc,A\n2020-01-01T00:00:00Z,1\n2020-01-02T00:00:00Z,2\n");
        let e = PriceTable::load(f.path(), &Selection { assets: vec!["Z".into()], ..Default::default() }).unwrap_err();
        assert!(e.to_string().contains("not a column"));
    }

    #[test]
    fn epoch_of_known_dates() {
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_epoch("2022-11-08T00:00:00Z"), Some(1_667_865_600));
    }
}
