//! The on-chain subcommands: flags (each also from a KEEPER_* variable) and their loops.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use clap::Args;
use keeper::backend::ChainArgs;
use keeper::crank::{crank_once, CrankOutcome};
use keeper::liquidator::{Action, Liquidator};
use keeper::metrics::Metrics;
use keeper::migrate::{self, Config};
use keeper::simulate;
use portfolio_margin_client::chain::embedded::Embedded;
use portfolio_margin_client::chain::Chain;
use portfolio_margin_client::state::GroupState;
use portfolio_margin_client::{address, Keypair, Signer};

#[derive(Args)]
pub struct GroupArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The group's address (default: derived from --config's group id and the keypair).
    #[arg(long, env = "KEEPER_GROUP")]
    pub group: Option<Pubkey>,
    /// Group config; on the embedded runtime it is migrated first.
    #[arg(long, env = "KEEPER_CONFIG", default_value = "migrations/localnet.toml")]
    pub config: PathBuf,
}

#[derive(Args)]
pub struct LoopArgs {
    /// Seconds between rounds.
    #[arg(long, env = "KEEPER_POLL_SECONDS", default_value_t = 10)]
    pub poll_seconds: u64,
    /// Run one round and exit.
    #[arg(long, env = "KEEPER_ONCE")]
    pub once: bool,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464).
    #[arg(long, env = "KEEPER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[arg(long, env = "KEEPER_CONFIG", default_value = "migrations/localnet.toml")]
    pub config: PathBuf,
    /// Request this many SOL for the admin first (local networks and devnet faucets).
    #[arg(long, env = "KEEPER_AIRDROP_SOL")]
    pub airdrop_sol: Option<u64>,
}

#[derive(Args)]
pub struct CrankArgs {
    #[command(flatten)]
    pub target: GroupArgs,
    #[command(flatten)]
    pub run: LoopArgs,
    /// Assets per crank transaction (all in one when they fit).
    #[arg(long, env = "KEEPER_CRANK_CHUNK", default_value_t = 32)]
    pub chunk: usize,
}

#[derive(Args)]
pub struct LiquidateArgs {
    #[command(flatten)]
    pub target: GroupArgs,
    #[command(flatten)]
    pub run: LoopArgs,
    /// Websocket URL for account notifications (default: from --rpc-url, http→ws and the next
    /// port). Notifications wake the liquidator; --poll-seconds stays as the fallback.
    #[arg(long, env = "KEEPER_WS_URL")]
    pub ws_url: Option<String>,
    /// Poll only: no websocket subscriptions.
    #[arg(long, env = "KEEPER_NO_WEBSOCKET")]
    pub no_websocket: bool,
}

#[derive(Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub target: GroupArgs,
    /// Print the report as JSON.
    #[arg(long, env = "KEEPER_JSON")]
    pub json: bool,
}

#[derive(Args)]
pub struct FeedArgs {
    #[command(flatten)]
    pub target: GroupArgs,
    /// Daily closes replayed as the live price, one row per tick.
    #[arg(long, env = "KEEPER_PRICES", default_value = "../shared/data/crypto_daily_close_usd.csv")]
    pub prices: PathBuf,
    /// First row replayed.
    #[arg(long, env = "KEEPER_START", default_value = "2022-01-01")]
    pub start: String,
    /// Seconds between published rows.
    #[arg(long, env = "KEEPER_FEED_INTERVAL", default_value_t = 10)]
    pub interval_seconds: u64,
    /// Published confidence as a share of price.
    #[arg(long, env = "KEEPER_CONF_RATIO", default_value_t = 0.0005)]
    pub conf_ratio: f64,
    /// Publish this many rows and exit (default: forever, cycling).
    #[arg(long, env = "KEEPER_FEED_ROWS")]
    pub rows: Option<usize>,
}

#[derive(Args)]
pub struct SimulateArgs {
    /// Group config to migrate (assets, feeds, parameters, bootstrap window).
    #[arg(long, env = "KEEPER_CONFIG", default_value = "migrations/localnet.toml")]
    pub config: PathBuf,
    /// Daily closes to replay.
    #[arg(long, env = "KEEPER_PRICES", default_value = "../shared/data/crypto_daily_close_usd.csv")]
    pub prices: PathBuf,
    #[arg(long, env = "KEEPER_START", default_value = "2019-07-01")]
    pub start: String,
    #[arg(long, env = "KEEPER_END", default_value = "2023-06-30")]
    pub end: String,
    /// Traders besides the two lenders.
    #[arg(long, env = "KEEPER_TRADERS", default_value_t = 40)]
    pub traders: usize,
    #[arg(long, env = "KEEPER_SEED", default_value_t = 7)]
    pub seed: u64,
    /// Published Pyth confidence as a share of price.
    #[arg(long, env = "KEEPER_CONF_RATIO", default_value_t = 0.0005)]
    pub conf_ratio: f64,
    /// Static counterfactual: maintenance rate of volatile assets (Mango v4 blue-chip 0.9/1.1).
    #[arg(long, env = "KEEPER_STATIC_VOLATILE", default_value_t = 0.10)]
    pub static_volatile: f64,
    /// Static counterfactual: maintenance rate of stablecoins (Mango v4 USDT 0.95/1.05).
    #[arg(long, env = "KEEPER_STATIC_STABLE", default_value_t = 0.05)]
    pub static_stable: f64,
    #[arg(long, env = "KEEPER_STABLECOINS", value_delimiter = ',', default_value = "USDC,USDT")]
    pub stablecoins: Vec<String>,
    /// Where the report and charts go.
    #[arg(long, env = "KEEPER_OUT", default_value = "target/simulate")]
    pub out: PathBuf,
    #[arg(long, env = "KEEPER_PROGRAM_DIR")]
    pub program_dir: Option<PathBuf>,
    #[arg(long, env = "KEEPER_NO_PROGRESS")]
    pub no_progress: bool,
    /// The Monte Carlo stress test of the final books (`keeper stress`; 0 scenarios: skip it).
    #[command(flatten)]
    pub stress: StressFlags,
}

/// The stress test's scenario law (see `keeper::stress`).
#[derive(Args, Clone)]
pub struct StressFlags {
    /// One-horizon scenarios.
    #[arg(long, env = "KEEPER_STRESS_SCENARIOS", default_value_t = 10_000)]
    pub stress_scenarios: usize,
    #[arg(long, env = "KEEPER_STRESS_SEED", default_value_t = 7)]
    pub stress_seed: u64,
    /// Degrees of freedom of the Student-t (> 2).
    #[arg(long, env = "KEEPER_STRESS_NU", default_value_t = 4.0)]
    pub stress_nu: f64,
    /// Probability of a black-swan jump per scenario.
    #[arg(long, env = "KEEPER_STRESS_JUMP_PROBABILITY", default_value_t = 0.01)]
    pub stress_jump_probability: f64,
    /// Jump size: every asset falls this many horizon volatilities.
    #[arg(long, env = "KEEPER_STRESS_JUMP_SIGMAS", default_value_t = 4.0)]
    pub stress_jump_sigmas: f64,
}

impl StressFlags {
    pub fn config(&self) -> keeper::stress::StressConfig {
        keeper::stress::StressConfig {
            scenarios: self.stress_scenarios,
            seed: self.stress_seed,
            nu: self.stress_nu,
            jump_probability: self.stress_jump_probability,
            jump_sigmas: self.stress_jump_sigmas,
        }
    }
}

#[derive(Args)]
pub struct StressArgs {
    #[command(flatten)]
    pub target: GroupArgs,
    #[command(flatten)]
    pub stress: StressFlags,
    /// Where stress.json and stress.svg go.
    #[arg(long, env = "KEEPER_OUT", default_value = "target/stress")]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long, env = "KEEPER_JSON")]
    pub json: bool,
    #[arg(long, env = "KEEPER_NO_PROGRESS")]
    pub no_progress: bool,
}

pub async fn simulate(a: SimulateArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    let args = simulate::SimArgs {
        config,
        prices: a.prices,
        start: a.start,
        end: a.end,
        traders: a.traders,
        seed: a.seed,
        conf_ratio: a.conf_ratio,
        static_rates: (a.static_volatile, a.static_stable),
        stablecoins: a.stablecoins,
        program_dir: a.program_dir.unwrap_or_else(portfolio_margin_client::chain::embedded::default_program_dir),
        progress: !a.no_progress,
        stress: (a.stress.stress_scenarios > 0).then(|| a.stress.config()),
    };
    let result = simulate::run(args).await?;
    let text = simulate::report::render(&result);
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let charts =
        simulate::charts::write_charts(&a.out, &result.assets, &result.days, &simulate::record::STRESS_WINDOWS)?;
    std::fs::write(a.out.join("report.txt"), &text)?;
    std::fs::write(a.out.join("days.json"), serde_json::to_string(&result.days)?)?;
    std::fs::write(a.out.join("summary.json"), serde_json::to_string_pretty(&simulate::report::summary(&result))?)?;
    if let Some(st) = &result.stress {
        std::fs::write(a.out.join("stress.json"), serde_json::to_string_pretty(st)?)?;
        std::fs::write(a.out.join("stress.svg"), keeper::stress::chart::svg(st))?;
    }
    print!("{text}");
    let stress_files = if result.stress.is_some() { ", stress.json, stress.svg" } else { "" };
    println!(
        "\nwrote {}/report.txt, days.json, summary.json{stress_files} and {} charts:",
        a.out.display(),
        charts.len()
    );
    for c in charts {
        println!("  {}", c.display());
    }
    Ok(())
}

/// Plays the Pyth receiver on a local network: writes each asset's PriceUpdateV2 account from
/// the price file, one row per tick, stamped with the chain's clock.
pub async fn feed(a: FeedArgs) -> Result<()> {
    let config = Config::load(&a.target.config)?;
    let rpc = a
        .target
        .chain
        .rpc()
        .context("feed writes accounts through a local network's cheatcodes: --rpc-url is required")?;
    let (_, group) = rpc_target(&a.target, &config)?;
    let state = GroupState::fetch(&rpc, &group).await?;
    let symbols: Vec<String> = config.assets.iter().map(|x| x.symbol.clone()).collect();
    let table = keeper::prices::PriceTable::load(
        &a.prices,
        &keeper::prices::Selection { assets: symbols, start: Some(a.start.clone()), end: None },
    )?;
    anyhow::ensure!(table.rows() > 0, "no prices from {}", a.start);
    let mut published = 0usize;
    loop {
        let row = published % table.rows();
        let now = rpc.unix_time().await?;
        simulate::publish_prices(&rpc, &state, &table.prices[row], a.conf_ratio, now).await?;
        tracing::info!(row = table.date(row), now, "prices published");
        published += 1;
        if a.rows.is_some_and(|n| published >= n) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(a.interval_seconds)).await;
    }
}

pub async fn migrate(a: MigrateArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    let opts = a.chain.send_options();
    let run = match a.chain.rpc() {
        Some(rpc) => {
            let admin = a.chain.keypair_or(None)?;
            if let Some(sol) = a.airdrop_sol {
                rpc.airdrop(&admin.pubkey(), sol * 1_000_000_000).await?;
            }
            migrate::migrate(&rpc, &admin, &config, &opts).await?
        }
        None => {
            let chain = a.chain.embedded().await?;
            let admin = a.chain.keypair_or(Some(chain.payer()))?;
            if a.chain.keypair.is_some() {
                chain.airdrop(&admin.pubkey(), 100_000_000_000).await?;
            }
            migrate::migrate(&chain, &admin, &config, &opts).await?
        }
    };
    println!("group {} (risk model {})", run.group, run.risk_model);
    for (a, m) in config.assets.iter().zip(&run.mints) {
        println!("  {:<6} mint {m}", a.symbol);
    }
    if run.changes.is_empty() {
        println!("nothing to do: the chain already matches {}", a.config.display());
    }
    for c in &run.changes {
        println!("  {c}");
    }
    Ok(())
}

/// The RPC target's key and group.
fn rpc_target(g: &GroupArgs, config: &Config) -> Result<(Keypair, Pubkey)> {
    let key = g.chain.keypair_or(None)?;
    let group = g.group.unwrap_or_else(|| address::group(&key.pubkey(), config.group_id));
    Ok((key, group))
}

/// A fresh embedded chain with the config migrated: the chain, its payer and the group.
async fn embedded_target(g: &GroupArgs, config: &Config) -> Result<(Embedded, Keypair, Pubkey)> {
    let chain = g.chain.embedded().await?;
    let key = chain.payer().insecure_clone();
    let run = migrate::migrate(&chain, &key, config, &g.chain.send_options()).await?;
    let group = g.group.unwrap_or(run.group);
    Ok((chain, key, group))
}

fn serve_metrics(addr: Option<SocketAddr>) -> Result<Arc<Metrics>> {
    let m = Arc::new(Metrics::default());
    if let Some(addr) = addr {
        m.serve(addr)?;
    }
    Ok(m)
}

async fn crank_loop<C: Chain>(chain: &C, key: &Keypair, group: Pubkey, a: &CrankArgs) -> Result<()> {
    let metrics = serve_metrics(a.run.metrics_addr)?;
    let opts = a.target.chain.send_options();
    loop {
        let state = GroupState::fetch(chain, &group).await?;
        match crank_once(chain, key, &state, a.chunk, &opts, &metrics).await {
            Ok(CrankOutcome::TooEarly { due }) => tracing::info!(due, "next sample not due yet"),
            Ok(CrankOutcome::Sampled { sample_count, missing, compute_units }) => {
                println!(
                    "sample {sample_count} taken ({compute_units} CU){}",
                    if missing.is_empty() { String::new() } else { format!("; unusable oracles: {missing:?}") }
                )
            }
            Err(e) => tracing::error!("crank failed: {e:#}"),
        }
        if a.run.once {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(a.run.poll_seconds)).await;
    }
}

async fn liquidate_loop<C: Chain>(chain: &C, key: Keypair, group: Pubkey, a: &LiquidateArgs) -> Result<()> {
    let metrics = serve_metrics(a.run.metrics_addr)?;
    let mut liq = Liquidator::new(key, a.target.chain.send_options());
    let state = GroupState::fetch(chain, &group).await?;
    liq.ensure_token_accounts(chain, &state).await?;
    let ws_url = match (&a.target.chain.rpc_url, a.no_websocket || a.run.once) {
        (Some(rpc), false) => Some(a.ws_url.clone().unwrap_or_else(|| keeper::reactive::ws_url_for(rpc))),
        _ => None,
    };
    let poll = Duration::from_secs(a.run.poll_seconds);
    let report = |wake: keeper::reactive::Wake, r: &Result<keeper::liquidator::Round>| {
        match r {
            Ok(r) => {
                println!(
                    "[{wake:?}] scanned {} accounts: {} liquidatable, {} unpriced, {} in flight",
                    r.scanned, r.liquidatable, r.unpriced, r.skipped_in_flight
                );
                for act in &r.actions {
                    match act {
                        Action::Liquidated { account, repaid, shortfall_usd, .. } => {
                            println!("  liquidated {account}: repaid {repaid} (shortfall ${shortfall_usd:.2})")
                        }
                        Action::Bankruptcy { account, debt, insurance_paid, .. } => {
                            println!("  resolved bankruptcy of {account}: debt {debt}, insurance paid {insurance_paid}")
                        }
                        Action::PerpLiquidated { account, base_delta, reward, shortfall_usd, .. } => println!(
                            "  liquidated perp of {account}: closed {base_delta} (reward {reward}, shortfall ${shortfall_usd:.2})"
                        ),
                        Action::HedgeLiquidated { account, repaid, base_delta, shortfall_usd, .. } => println!(
                            "  liquidated hedge of {account}: repaid {repaid}, both legs {base_delta} (shortfall ${shortfall_usd:.2})"
                        ),
                        Action::Failed { account, error } => println!("  FAILED on {account}: {error}"),
                    }
                }
            }
            Err(e) => tracing::error!("liquidation round failed: {e:#}"),
        }
        !a.run.once
    };
    keeper::reactive::run(chain, &mut liq, group, ws_url, poll, &metrics, report).await
}

pub async fn crank(a: CrankArgs) -> Result<()> {
    let config = Config::load(&a.target.config)?;
    match a.target.chain.rpc() {
        Some(rpc) => {
            let (key, group) = rpc_target(&a.target, &config)?;
            crank_loop(&rpc, &key, group, &a).await
        }
        None => {
            let (chain, key, group) = embedded_target(&a.target, &config).await?;
            crank_loop(&chain, &key, group, &a).await
        }
    }
}

pub async fn liquidate(a: LiquidateArgs) -> Result<()> {
    let config = Config::load(&a.target.config)?;
    match a.target.chain.rpc() {
        Some(rpc) => {
            let (key, group) = rpc_target(&a.target, &config)?;
            liquidate_loop(&rpc, key, group, &a).await
        }
        None => {
            let (chain, key, group) = embedded_target(&a.target, &config).await?;
            liquidate_loop(&chain, key, group, &a).await
        }
    }
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The deployed program to check (default: this build's program id).
    #[arg(long, env = "KEEPER_PROGRAM_ID")]
    pub program_id: Option<Pubkey>,
    /// The local build to compare with (scripts/build-sbf writes it).
    #[arg(long, env = "KEEPER_PROGRAM_SO", default_value = "target/deploy/portfolio_margin.so")]
    pub so: PathBuf,
    /// Print the result as JSON.
    #[arg(long, env = "KEEPER_JSON")]
    pub json: bool,
}

/// `keeper verify`: whether the deployed program is the local build (false: exit code 1).
pub async fn verify(a: VerifyArgs) -> Result<bool> {
    let local = std::fs::read(&a.so).with_context(|| format!("reading {} (run scripts/build-sbf)", a.so.display()))?;
    let id = a.program_id.unwrap_or(portfolio_margin::ID);
    let v = match a.chain.rpc() {
        Some(rpc) => keeper::verify::verify(&rpc, &id, &local).await?,
        None => keeper::verify::verify(&a.chain.embedded().await?, &id, &local).await?,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", v.render());
    }
    Ok(v.matches)
}

/// `keeper stress`: the Monte Carlo stress test of a group's current books.
pub async fn stress(a: StressArgs) -> Result<()> {
    let config = Config::load(&a.target.config)?;
    let inputs = match a.target.chain.rpc() {
        Some(rpc) => {
            let (_, group) = rpc_target(&a.target, &config)?;
            keeper::stress::chain::load(&rpc, &group).await?
        }
        None => {
            let (chain, _, group) = embedded_target(&a.target, &config).await?;
            keeper::stress::chain::load(&chain, &group).await?
        }
    };
    let n = inputs.asset_count;
    // Asset names from the config when it describes this group, else their indices.
    let names: Vec<String> = if config.assets.len() == n {
        config.assets.iter().map(|a| a.symbol.clone()).collect()
    } else {
        (0..n).map(|i| format!("asset {i}")).collect()
    };
    if inputs.unpriced > 0 {
        eprintln!("{} accounts left out: an oracle of theirs is unusable now", inputs.unpriced);
    }
    let report = keeper::stress::run(
        &inputs.books,
        &names,
        &inputs.cov_h,
        inputs.horizon_scale,
        inputs.insurance_usd,
        &a.stress.config(),
        !a.no_progress && !a.json,
    )?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    std::fs::write(a.out.join("stress.json"), serde_json::to_string_pretty(&report)?)?;
    std::fs::write(a.out.join("stress.svg"), keeper::stress::chart::svg(&report))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", keeper::stress::render(&report));
        println!("wrote {}/stress.json and stress.svg", a.out.display());
    }
    Ok(())
}

/// Prints the report; returns whether every invariant holds.
pub async fn inspect(a: InspectArgs) -> Result<bool> {
    let config = Config::load(&a.target.config)?;
    let report = match a.target.chain.rpc() {
        Some(rpc) => {
            let (_, group) = rpc_target(&a.target, &config)?;
            keeper::inspect::inspect(&rpc, &group).await?
        }
        None => {
            let (chain, _, group) = embedded_target(&a.target, &config).await?;
            keeper::inspect::inspect(&chain, &group).await?
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(report.ok())
}
