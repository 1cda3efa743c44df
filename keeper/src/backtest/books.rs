//! The books a backtest margins: single assets, long/short pairs and seeded random books.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Gross USD exposure of every test book.
pub const BOOK_GROSS_USD: f64 = 1_000_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// One asset, long or short.
    Single,
    /// Long one asset, short another, equal USD legs.
    Pair,
    /// Random subset of assets with random signed weights.
    Random,
    /// The long/short pair observations whose model correlation on the day was ≥ the hedge
    /// threshold (a subset of `Pair`, classified day by day).
    HedgedPair,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Single => "single",
            Family::Pair => "long/short pair",
            Family::Random => "random",
            Family::HedgedPair => "hedged pair",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Book {
    pub family: Family,
    pub label: String,
    /// `(asset index, USD exposure)`, Σ|w| = BOOK_GROSS_USD.
    pub exposures: Vec<(usize, f64)>,
}

/// Every single asset long and short, every ordered long/short pair, and `random` random books.
pub fn standard_books(assets: &[String], random: usize, seed: u64) -> Vec<Book> {
    let n = assets.len();
    let mut books = Vec::new();
    for (i, a) in assets.iter().enumerate() {
        books.push(Book { family: Family::Single, label: format!("long {a}"), exposures: vec![(i, BOOK_GROSS_USD)] });
        books.push(Book { family: Family::Single, label: format!("short {a}"), exposures: vec![(i, -BOOK_GROSS_USD)] });
    }
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let half = BOOK_GROSS_USD / 2.0;
                books.push(Book {
                    family: Family::Pair,
                    label: format!("long {} / short {}", assets[i], assets[j]),
                    exposures: vec![(i, half), (j, -half)],
                });
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for b in 0..random {
        if n < 2 {
            break;
        }
        let k = rng.gen_range(2..=n);
        let mut picked: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = rng.gen_range(i..n);
            picked.swap(i, j);
        }
        picked.truncate(k);
        picked.sort_unstable();
        let raw: Vec<f64> = picked.iter().map(|_| rng.gen_range(-1.0..1.0)).collect();
        let gross: f64 = raw.iter().map(|w: &f64| w.abs()).sum::<f64>().max(1e-12);
        let exposures = picked.iter().zip(&raw).map(|(&a, &w)| (a, w / gross * BOOK_GROSS_USD)).collect();
        books.push(Book { family: Family::Random, label: format!("random #{b}"), exposures });
    }
    books
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_counts_and_gross() {
        let assets: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let books = standard_books(&assets, 5, 7);
        assert_eq!(books.iter().filter(|b| b.family == Family::Single).count(), 6);
        assert_eq!(books.iter().filter(|b| b.family == Family::Pair).count(), 6);
        assert_eq!(books.iter().filter(|b| b.family == Family::Random).count(), 5);
        for b in &books {
            let g: f64 = b.exposures.iter().map(|(_, w)| w.abs()).sum();
            assert!((g - BOOK_GROSS_USD).abs() < 1e-6);
        }
        // Seeded: the same seed gives the same books.
        let again = standard_books(&assets, 5, 7);
        assert_eq!(books.last().unwrap().exposures, again.last().unwrap().exposures);
    }
}
