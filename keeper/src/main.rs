//! `keeper`: the off-chain half of the portfolio-margin protocol.
//!
//! What runs when:
//! - `keeper simulate`  — the main job, no network: the whole protocol on the embedded runtime over
//!   real daily prices, with traders, the crank and the liquidator; prints a stress report and
//!   writes charts.
//! - `keeper migrate`   — deploy day, by the admin: creates/updates a group from a config (idempotent).
//! - `keeper crank`     — always, by anyone: keeps the on-chain risk model sampled.
//! - `keeper liquidate` — always, by anyone with inventory: liquidates unhealthy accounts.
//! - `keeper inspect`   — any time, by auditors: decodes the state and checks invariants.
//! - `keeper feed`      — local networks only: publishes Pyth prices from a price file.
//! - `keeper model` / `keeper backtest` — risk reviews over price files.
//!
//! Every flag can also be set from an environment variable (`KEEPER_<FLAG>`).
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use keeper::{backtest, model, prices};
use risk_engine::Fx;

mod commands;

#[derive(Parser)]
#[command(
    name = "keeper",
    version,
    about = "Portfolio-margin keeper: simulate, migrate, crank, liquidate, inspect, and risk-model tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole protocol on the embedded runtime over real prices: the main job.
    Simulate(commands::SimulateArgs),
    /// Create or update a group from a config file (idempotent).
    Migrate(commands::MigrateArgs),
    /// Keep the on-chain risk model sampled.
    Crank(commands::CrankArgs),
    /// Find and liquidate unhealthy margin accounts.
    Liquidate(commands::LiquidateArgs),
    /// Decode a group's state and check its invariants (exit code 1 on a violation).
    Inspect(commands::InspectArgs),
    /// Monte Carlo stress test of every account's current holdings (fat tails, black swans).
    Stress(commands::StressArgs),
    /// Compare the deployed program's bytes with a local build (exit code 1 on a mismatch).
    Verify(commands::VerifyArgs),
    /// Publish Pyth prices from a price file to a local network (plays the Pyth receiver).
    Feed(commands::FeedArgs),
    /// Write a new keypair file (Solana CLI format) unless the file exists; print its address.
    Keygen {
        /// Where to write it.
        #[arg(env = "KEEPER_KEYPAIR")]
        path: PathBuf,
    },
    /// Run the fixed-point EWMA covariance model over a price file and print it as JSON.
    Model(ModelArgs),
    /// Walk-forward backtest of the margin model against realised losses and a static baseline.
    Backtest(BacktestArgs),
}

#[derive(Args, Clone)]
struct PriceArgs {
    /// CSV of closes: `timestamp_utc` then one column per asset.
    #[arg(long, env = "KEEPER_PRICES", default_value = "../shared/data/crypto_daily_close_usd.csv")]
    prices: PathBuf,
    /// Comma-separated asset columns (default: all).
    #[arg(long, env = "KEEPER_ASSETS", value_delimiter = ',')]
    assets: Vec<String>,
    /// First timestamp, inclusive (YYYY-MM-DD or full ISO-8601).
    #[arg(long, env = "KEEPER_START")]
    start: Option<String>,
    /// Last timestamp, inclusive.
    #[arg(long, env = "KEEPER_END")]
    end: Option<String>,
}

impl PriceArgs {
    fn load(&self) -> Result<prices::PriceTable> {
        prices::PriceTable::load(
            &self.prices,
            &prices::Selection { assets: self.assets.clone(), start: self.start.clone(), end: self.end.clone() },
        )
    }
}

#[derive(Args)]
struct ModelArgs {
    #[command(flatten)]
    prices: PriceArgs,
    /// EWMA decay per sample.
    #[arg(long, env = "KEEPER_LAMBDA", default_value_t = 0.94)]
    lambda: f64,
    /// Print JSON (the only format; accepted for clarity in scripts).
    #[arg(long)]
    json: bool,
    /// Also run a plain f64 EWMA and report the largest difference.
    #[arg(long, env = "KEEPER_CHECK_F64")]
    check_f64: bool,
}

#[derive(Args)]
struct BacktestArgs {
    #[command(flatten)]
    prices: PriceArgs,
    /// VaR confidence; sets z unless --z is given, and the breach probability tested.
    #[arg(long, env = "KEEPER_CONFIDENCE", default_value_t = 0.99)]
    confidence: f64,
    #[arg(long, env = "KEEPER_LAMBDA", default_value_t = 0.94)]
    lambda: f64,
    /// Override z (default: the normal quantile of --confidence).
    #[arg(long, env = "KEEPER_Z")]
    z: Option<f64>,
    /// Liquidation horizon in rows (days for daily data).
    #[arg(long, env = "KEEPER_HORIZON", default_value_t = 1)]
    horizon: usize,
    /// Rows used to bootstrap the covariance before margining starts.
    #[arg(long, env = "KEEPER_BURN_IN", default_value_t = 60)]
    burn_in: usize,
    /// Correlation-spike weight α.
    #[arg(long, env = "KEEPER_SPIKE_ALPHA")]
    spike_alpha: Option<f64>,
    /// Correlation-breakdown weight β.
    #[arg(long, env = "KEEPER_BREAKDOWN_BETA")]
    breakdown_beta: Option<f64>,
    /// Volatility multiplier m of the stress tests.
    #[arg(long, env = "KEEPER_STRESS_VOL_MULT")]
    stress_vol_mult: Option<f64>,
    /// Joint-move size c in horizon sigmas.
    #[arg(long, env = "KEEPER_JOINT_MOVE")]
    joint_move: Option<f64>,
    /// De-peg gap of stablecoins (0: no de-peg term).
    #[arg(long, env = "KEEPER_DEPEG_GAP", default_value_t = 0.05)]
    depeg_gap: f64,
    /// Hedge floor u: share of the legs' standalone stress margin every book pays (0: off).
    #[arg(long, env = "KEEPER_HEDGE_FLOOR")]
    hedge_floor: Option<f64>,
    /// Decay per row of the slow variance memory (anti-procyclical floor).
    #[arg(long, env = "KEEPER_SLOW_LAMBDA")]
    slow_lambda: Option<f64>,
    /// κ_s: volatility floored at κ_s × the slow memory's volatility (0: off).
    #[arg(long, env = "KEEPER_VOL_FLOOR_WEIGHT")]
    vol_floor_weight: Option<f64>,
    /// Decay per row of the short variance memory (reaction to shocks).
    #[arg(long, env = "KEEPER_SHORT_LAMBDA")]
    short_lambda: Option<f64>,
    /// κ_f: volatility floored at κ_f × the short memory's volatility (0: off).
    #[arg(long, env = "KEEPER_SHORT_VOL_WEIGHT")]
    short_vol_weight: Option<f64>,
    /// Floor rate for volatile assets.
    #[arg(long, env = "KEEPER_FLOOR_RATE", default_value_t = 0.01)]
    floor_rate: f64,
    /// Number of seeded random books.
    #[arg(long, env = "KEEPER_RANDOM_BOOKS", default_value_t = 64)]
    random_books: usize,
    #[arg(long, env = "KEEPER_SEED", default_value_t = 42)]
    seed: u64,
    /// Static baseline maintenance rate for volatile assets (both sides).
    #[arg(long, env = "KEEPER_BASELINE_RATE")]
    baseline_rate: Option<f64>,
    /// Correlation at or above which a long/short pair counts as hedged on that day.
    #[arg(long, env = "KEEPER_HEDGE_CORRELATION", default_value_t = 0.7)]
    hedge_correlation: f64,
    /// JSON instead of the table.
    #[arg(long, env = "KEEPER_JSON")]
    json: bool,
    /// Also list every book's figures (table mode).
    #[arg(long)]
    per_book: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // The simulation reports what the keeper's jobs did; its per-event logs stay quiet by default.
    let default_filter = match cli.command {
        Command::Simulate(_) => "error",
        _ => "keeper=info,tarpc=error,solana_runtime=error,warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEEPER_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match cli.command {
        Command::Simulate(a) => rt.block_on(commands::simulate(a))?,
        Command::Migrate(a) => rt.block_on(commands::migrate(a))?,
        Command::Feed(a) => rt.block_on(commands::feed(a))?,
        Command::Keygen { path } => {
            use portfolio_margin_client::Signer;
            let key = if path.exists() {
                keeper::backend::read_keypair(&path)?
            } else {
                let k = portfolio_margin_client::Keypair::new();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                keeper::backend::write_keypair(&path, &k)?;
                k
            };
            println!("{}", key.pubkey());
        }
        Command::Crank(a) => rt.block_on(commands::crank(a))?,
        Command::Liquidate(a) => rt.block_on(commands::liquidate(a))?,
        Command::Stress(a) => rt.block_on(commands::stress(a))?,
        Command::Verify(a) => {
            if !rt.block_on(commands::verify(a))? {
                std::process::exit(1);
            }
        }
        Command::Inspect(a) => {
            if !rt.block_on(commands::inspect(a))? {
                std::process::exit(1);
            }
        }
        Command::Model(a) => {
            let table = a.prices.load()?;
            let out = model::run(&table, a.lambda, a.check_f64)?;
            let _ = a.json;
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Command::Backtest(a) => {
            let table = a.prices.load()?;
            let mut cfg = backtest::BacktestConfig::defaults(a.confidence);
            cfg.lambda = a.lambda;
            cfg.horizon_rows = a.horizon;
            cfg.burn_in = a.burn_in;
            cfg.floor_rate = a.floor_rate;
            cfg.depeg_gap = a.depeg_gap;
            cfg.random_books = a.random_books;
            cfg.seed = a.seed;
            cfg.hedge_correlation = a.hedge_correlation;
            let set = |slot: &mut Fx, v: Option<f64>| {
                if let Some(v) = v {
                    *slot = Fx::from_num(v);
                }
            };
            set(&mut cfg.margin.z, a.z);
            set(&mut cfg.margin.spike_alpha, a.spike_alpha);
            set(&mut cfg.margin.breakdown_beta, a.breakdown_beta);
            set(&mut cfg.margin.stress_vol_multiplier, a.stress_vol_mult);
            set(&mut cfg.margin.joint_move_sigmas, a.joint_move);
            set(&mut cfg.margin.hedge_floor, a.hedge_floor);
            set(&mut cfg.vol_floor.slow_lambda, a.slow_lambda);
            set(&mut cfg.vol_floor.weight, a.vol_floor_weight);
            set(&mut cfg.vol_floor.short_lambda, a.short_lambda);
            set(&mut cfg.vol_floor.short_weight, a.short_vol_weight);
            if let Some(r) = a.baseline_rate {
                cfg.baseline.long_volatile = r;
                cfg.baseline.short_volatile = r;
                cfg.baseline.source = "user-supplied static rate";
            }
            let report = backtest::run(&table, &cfg, !a.json)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", backtest::report::render(&report));
                if a.per_book {
                    println!("\nper book: label | model breaches, margin% | static breaches, margin%");
                    for b in &report.books {
                        println!(
                            "  {:<28} | {:>4} {:>6.2} | {:>4} {:>6.2}",
                            b.label,
                            b.model.breaches,
                            b.model.mean_margin_pct,
                            b.baseline.breaches,
                            b.baseline.mean_margin_pct
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
