//! Benchmark: the Monte Carlo stress test (`keeper stress`) on a synthetic group of 32 assets and
//! `accounts` books of 2–16 positions each, with `scenarios` one-day scenarios, on this machine's
//! two cores (scenarios split over two threads).
//!
//! `cargo run --profile test -p keeper --bin stress-bench -- [accounts] [scenarios]`
//! (default 10000 10000).
use keeper::stress::{run, StressBook, StressConfig};
use rand::{Rng, SeedableRng};

const ASSETS: usize = 32;

fn main() {
    let mut args = std::env::args().skip(1);
    let accounts: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let scenarios: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    // One common factor plus idiosyncratic noise: correlations 0.3–0.8, daily vols 2–8%.
    let vol: Vec<f64> = (0..ASSETS).map(|_| rng.gen_range(0.02..0.08)).collect();
    let beta: Vec<f64> = (0..ASSETS).map(|_| rng.gen_range(0.55..0.9)).collect();
    let mut cov = vec![0.0; ASSETS * ASSETS];
    for i in 0..ASSETS {
        for j in 0..ASSETS {
            let rho = if i == j { 1.0 } else { beta[i] * beta[j] };
            cov[i * ASSETS + j] = rho * vol[i] * vol[j];
        }
    }
    let books: Vec<StressBook> = (0..accounts)
        .map(|a| {
            let k = rng.gen_range(2..=16);
            let mut held: Vec<usize> = (0..ASSETS).collect();
            for i in 0..k {
                let j = rng.gen_range(i..ASSETS);
                held.swap(i, j);
            }
            let exposures: Vec<(usize, f64)> = held[..k].iter().map(|&i| (i, rng.gen_range(-1e5..1e5))).collect();
            let gross: f64 = exposures.iter().map(|(_, w)| w.abs()).sum();
            StressBook {
                address: format!("book {a}"),
                exposures,
                equity: gross * rng.gen_range(0.1..0.5),
                maintenance_margin: gross * 0.08,
            }
        })
        .collect();
    let names: Vec<String> = (0..ASSETS).map(|i| format!("A{i}")).collect();
    let cfg = StressConfig { scenarios, ..Default::default() };
    let r = run(&books, &names, &cov, 1.0, 1e6, &cfg, false).expect("stress run");
    let positions: usize = books.iter().map(|b| b.exposures.len()).sum();
    println!(
        "stress test: {accounts} accounts ({positions} positions) × {scenarios} scenarios over {ASSETS} assets in {:.2} s (2 threads); ES99 bad debt ${:.0}, P(insurance exhausted) {:.3}%",
        r.wall_seconds,
        r.es99_bad_debt_usd,
        100.0 * r.p_insurance_exhausted
    );
}
