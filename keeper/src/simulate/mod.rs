//! `keeper simulate`: the whole protocol on the embedded runtime over real daily prices.
//!
//! 1. starts the embedded runtime (the program's SBF binary in solana-program-test's bank) and sets
//!    its clock to the end of the bootstrap window;
//! 2. runs `migrate` with the given config (group, risk model, assets, bootstrap covariance);
//! 3. enrolls a seeded population of lenders and traders (leveraged long, leveraged short, hedged
//!    pairs, diversified baskets);
//! 4. each day: moves the clock, publishes the day's closes as Pyth PriceUpdateV2 accounts, runs the
//!    crank and the liquidator exactly as `keeper crank` / `keeper liquidate` do, then lets traders
//!    enter and re-lever through the program's instructions;
//! 5. records margin, realised losses (and a static-weight counterfactual), liquidations and bad
//!    debt per day, and reports per stress window, with charts.
pub mod charts;
pub mod perps;
pub mod record;
pub mod report;
pub mod traders;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use portfolio_margin::health::Pricing;
use portfolio_margin::state::Asset;
use portfolio_margin_client::chain::embedded::Embedded;
use portfolio_margin_client::chain::{AccountWriter, Chain, SendOptions};
use portfolio_margin_client::pyth::{self, Quote, VerificationLevel};
use portfolio_margin_client::state::{margin_accounts, GroupState};
use portfolio_margin_client::Signer;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::crank::{crank_once, CrankOutcome};
use crate::liquidator::{Action, Liquidator};
use crate::metrics::Metrics;
use crate::migrate::{self, Config};
use crate::prices::{parse_epoch, PriceTable, Selection};
use crate::view;
use record::DayRecord;
use traders::{Participant, Strategy};

pub struct SimArgs {
    pub config: Config,
    pub prices: PathBuf,
    pub start: String,
    pub end: String,
    pub traders: usize,
    pub seed: u64,
    /// Pyth confidence as a share of price.
    pub conf_ratio: f64,
    /// Static baseline maintenance rates (volatile, stable), for the counterfactual.
    pub static_rates: (f64, f64),
    pub stablecoins: Vec<String>,
    pub program_dir: PathBuf,
    pub progress: bool,
    /// Run the stress test on the final books with this scenario law.
    pub stress: Option<crate::stress::StressConfig>,
}

/// Everything the run produced.
pub struct SimResult {
    pub assets: Vec<String>,
    pub days: Vec<DayRecord>,
    pub strategies: Vec<report::StrategyStats>,
    pub transactions: u64,
    /// Borrows the program refused, by reason.
    pub refusals: std::collections::BTreeMap<String, u64>,
    pub crank_cu: Vec<u64>,
    pub liquidate_cu: Vec<u64>,
    /// Confirmed liquidations by kind: spot pairs, perp positions alone, both legs of a hedge.
    pub liquidations_by_kind: [u64; 3],
    pub wall_seconds: f64,
    pub insurance_usd_end: f64,
    /// `keeper inspect` of the final state.
    pub inspection: crate::inspect::Report,
    /// `keeper stress` of the final state.
    pub stress: Option<crate::stress::StressReport>,
    /// Seconds between price rows (86,400: daily) and rows per liquidation horizon.
    pub row_seconds: f64,
    pub horizon_rows: usize,
}

/// What the LP puts into the perp vault at the start, USD.
pub const PERP_VAULT_USD: f64 = 20_000_000.0;

/// A book held overnight: amounts and yesterday's margins.
struct Book {
    strategy: &'static str,
    amounts: Vec<(usize, f64)>,
    model_margin: f64,
    static_margin: f64,
}

pub async fn run(args: SimArgs) -> Result<SimResult> {
    let started = Instant::now();
    let cfg = &args.config;
    let symbols: Vec<String> = cfg.assets.iter().map(|a| a.symbol.clone()).collect();
    let table = PriceTable::load(
        &args.prices,
        &Selection { assets: symbols.clone(), start: Some(args.start.clone()), end: Some(args.end.clone()) },
    )?;
    anyhow::ensure!(table.rows() >= 2, "no prices between {} and {}", args.start, args.end);
    let quote = symbols
        .iter()
        .position(|s| args.stablecoins.iter().any(|x| x.eq_ignore_ascii_case(s)))
        .context("simulate needs a stablecoin among the assets (the quote for longs and shorts)")?;
    let is_stable: Vec<bool> =
        symbols.iter().map(|s| args.stablecoins.iter().any(|x| x.eq_ignore_ascii_case(s))).collect();
    let volatile: Vec<usize> = (0..symbols.len()).filter(|&i| !is_stable[i]).collect();

    let chain = Embedded::start(&args.program_dir).await?;
    let admin = chain.payer().insecure_clone();
    // The embedded bank charges no fees and has no block limits: no simulation before each of the
    // run's thousands of transactions, no priority fee.
    let opts = SendOptions { simulate: false, compute_unit_price: Some(0), ..SendOptions::default() };
    let t0 = parse_epoch(&table.timestamps[0]).context("timestamp")?;
    chain.set_unix_time(t0 - 86_400).await?;
    let migration = migrate::migrate(&chain, &admin, cfg, &opts).await?;
    let mut state = GroupState::fetch(&chain, &migration.group).await?;
    let n = state.assets.len();

    // Participants.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let pairs: Vec<(usize, usize)> = correlated_pairs(&state, &volatile);
    let population = traders::population(&mut rng, args.traders, &volatile, &pairs);
    let mut people = enroll_all(&chain, &admin, &state, population, b"sim trader", args.seed, &mut rng, &opts).await?;
    // The LP funds the vault on the first day, once the markets' oracles carry prices.
    let mut pending_lp = None;
    // Perp traders (when the group lists perps): half as many again, from their own stream so the
    // spot population is the same with or without perps; and one LP funding the vault.
    let perp_assets: Vec<usize> =
        state.perps.iter().flat_map(|p| p.markets.iter().map(|(_, m)| m.asset_index as usize)).collect();
    if !perp_assets.is_empty() {
        let mut prng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x7065_7270);
        let population = perps::population(&mut prng, args.traders / 2, &perp_assets);
        let seed = args.seed;
        people
            .extend(enroll_all(&chain, &admin, &state, population, b"sim perp trader", seed, &mut prng, &opts).await?);
        let lp = migrate::derive_keypair(&[b"sim perp lp", &args.seed.to_le_bytes()]);
        let (lp, _, lp_tokens) = traders::enroll(&chain, &admin, &state, lp, &opts).await?;
        pending_lp = Some((lp, lp_tokens));
    }
    let liquidator_key = migrate::derive_keypair(&[b"sim liquidator", &args.seed.to_le_bytes()]);
    chain.airdrop(&liquidator_key.pubkey(), 10_000_000_000).await?;
    let mut liquidator = Liquidator::new(liquidator_key, opts.clone());
    liquidator.ensure_token_accounts(&chain, &state).await?;
    // The liquidator's inventory: what it repays debts with (topped up daily, as a market maker
    // would rebalance), in USD per asset.
    let inventory_usd = 50_000_000.0;
    let metrics = Metrics::default();

    let pb = if args.progress { ProgressBar::new(table.rows() as u64) } else { ProgressBar::hidden() };
    pb.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} days {msg} [{elapsed_precise}]").unwrap());
    let mut days = Vec::with_capacity(table.rows());
    // Books are judged over the group's horizon: with daily rows and a one-day horizon, each night's
    // books against the next close; with hourly rows, each hour's books against the close 24 rows on
    // (the books of the last `horizon_rows` rows are kept).
    let horizon_rows = ((cfg.params.horizon_seconds as f64 / table.sample_interval_seconds()).round() as usize).max(1);
    let mut past_books: std::collections::VecDeque<HashMap<Pubkey, Book>> = Default::default();
    let mut books: HashMap<Pubkey, Book> = HashMap::new();
    let mut strategies = report::StrategyTally::default();
    let (mut crank_cu, mut liquidate_cu) = (vec![], vec![]);
    let mut by_kind = [0u64; 3];
    let mut refusals: std::collections::BTreeMap<String, u64> = Default::default();
    let mut funding_seen: HashMap<(Pubkey, u16), risk_engine::perp::PerpPosition> = HashMap::new();
    let label_of: HashMap<Pubkey, &'static str> = people.iter().map(|p| (p.account, p.strategy.label())).collect();

    for (d, px) in table.prices.iter().enumerate() {
        let date = table.date(d).to_string();
        let now = parse_epoch(&table.timestamps[d]).context("timestamp")?;
        chain.advance_to(now).await?;
        publish_prices(&chain, &state, px, args.conf_ratio, now).await?;
        if let Some((lp, lp_tokens)) = pending_lp.take() {
            perps::fund_vault(&chain, &admin, &state, &lp, &lp_tokens, PERP_VAULT_USD, &opts).await?;
            state = GroupState::fetch(&chain, &migration.group).await?;
        }
        let mut rec = DayRecord { date: date.clone(), prices: px.clone(), ..Default::default() };

        // P&L over the horizon of the books taken `horizon_rows` rows ago, against their margins.
        let judged = if past_books.len() == horizon_rows { past_books.pop_front() } else { None };
        for book in judged.iter().flat_map(|b| b.values()) {
            let then = &table.prices[d - horizon_rows];
            let loss = -book.amounts.iter().map(|(a, amt)| amt * (px[*a] - then[*a])).sum::<f64>();
            if loss > 0.0 {
                rec.realised_loss_usd += loss;
                rec.model_breaches += (loss > book.model_margin) as u32;
                rec.static_breaches += (loss > book.static_margin) as u32;
                strategies.breaches(book.strategy, loss > book.model_margin, loss > book.static_margin);
            }
            let e = rec.strategy_breaches.entry(book.strategy.to_string()).or_default();
            e.0 += (loss > book.model_margin) as u32;
            e.1 += (loss > book.static_margin) as u32;
            e.2 += 1;
        }

        restock(&chain, &admin, &state, &liquidator, px, inventory_usd, &opts).await?;

        // The keeper's jobs, as `keeper crank` and `keeper liquidate` run them.
        match crank_once(&chain, &admin, &state, 32, &opts, &metrics).await {
            Ok(CrankOutcome::Sampled { compute_units, .. }) => crank_cu.push(compute_units),
            Ok(CrankOutcome::TooEarly { due }) => tracing::warn!(date, due, "crank not due"),
            Err(e) => tracing::warn!(date, "crank failed: {e:#}"),
        }
        state = GroupState::fetch(&chain, &migration.group).await?;
        let round = liquidator.round(&chain, &state, &metrics).await?;
        for a in &round.actions {
            if let Action::Liquidated { account, .. }
            | Action::PerpLiquidated { account, .. }
            | Action::HedgeLiquidated { account, .. } = a
            {
                strategies.liquidated(label_of.get(account).copied().unwrap_or("other"));
            }
            match a {
                Action::Liquidated { liability_asset, repaid, compute_units, .. }
                | Action::HedgeLiquidated { liability_asset, repaid, compute_units, .. } => {
                    by_kind[if matches!(a, Action::HedgeLiquidated { .. }) { 2 } else { 0 }] += 1;
                    rec.liquidations += 1;
                    let li = state.assets.iter().position(|x| x.keys.asset == *liability_asset).unwrap_or(0);
                    rec.repaid_usd += *repaid as f64 / 10f64.powi(state.assets[li].account.decimals as i32) * px[li];
                    liquidate_cu.extend(compute_units);
                }
                Action::Bankruptcy { asset, debt, .. } => {
                    let ai = state.assets.iter().position(|x| x.keys.asset == *asset).unwrap_or(0);
                    rec.bad_debt_usd += *debt as f64 / 10f64.powi(state.assets[ai].account.decimals as i32) * px[ai];
                }
                Action::PerpLiquidated { compute_units, .. } => {
                    by_kind[1] += 1;
                    rec.liquidations += 1;
                    liquidate_cu.extend(compute_units);
                }
                Action::Failed { .. } => {}
            }
        }
        if round.liquidatable > 0 {
            state = GroupState::fetch(&chain, &migration.group).await?;
        }

        // Traders act.
        let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
        let oracles = chain.accounts(&state.oracles()).await?;
        let prices = view::read_oracles(&state, &oracles, now);
        for p in people.iter_mut() {
            if d < p.next_action_day {
                continue;
            }
            if !p.opened {
                traders::open(&chain, &admin, &state, p, quote, px, &opts).await?;
                p.opened = true;
            }
            let refused = if p.strategy.is_perp() {
                perps::relever(&chain, &admin, &state, &assets, &prices, p, px, &opts, now).await?
            } else {
                traders::relever(&chain, &admin, &state, &assets, &prices, p, quote, px, &opts, now).await?
            };
            if let Some(why) = refused {
                let key = why.split(" (").next().unwrap_or(&why).to_string();
                *refusals.entry(key).or_default() += 1;
            }
            p.next_action_day = d + rand::Rng::gen_range(&mut rng, 5..20);
        }

        // Tonight's books, margins as the program computes them, and the static counterfactual.
        state = GroupState::fetch(&chain, &migration.group).await?;
        let assets: Vec<Asset> = state.assets.iter().map(|a| a.account).collect();
        books.clear();
        let accounts = margin_accounts(&chain, &migration.group).await?;
        // Positions closed since last night are dropped (a reopened one starts afresh).
        let funding_last_night = std::mem::take(&mut funding_seen);
        for (address, acc) in &accounts {
            let Ok(h) = view::holdings(&assets, &prices, acc, now, Pricing::Strict) else { continue };
            let Ok((perp_book, perp_markets)) = view::perp_book(&state.group, state.perps.as_ref(), &prices, acc, now)
            else {
                continue;
            };
            // Funding on last night's positions over the day (the engine's `funding_owed` of the
            // position as it was against tonight's indices); then tonight's positions are kept.
            let strategy = label_of.get(address).copied().unwrap_or("other");
            for (slot, lp) in acc.active_perps().zip(&perp_markets) {
                let key = (*address, slot.market_index);
                if let Some(prev) = funding_last_night.get(&key) {
                    let owed =
                        prev.funding_owed(lp.market.decimals, &lp.funding).map_err(|e| anyhow::anyhow!("{e}"))?;
                    strategies.funding(strategy, owed.to_num::<f64>());
                }
                let mut now_pos = slot.position();
                now_pos.funding_index = lp.funding.index_for(now_pos.base);
                funding_seen.insert(key, now_pos);
            }
            if !h.iter().any(|x| x.amount < 0) && perp_book.is_empty() {
                continue;
            }
            let bh = view::health_with_perps(&state.group, &state.model, &h, &perp_book)?;
            let spot: Vec<(usize, f64)> =
                h.iter().map(|x| (x.asset, x.amount as f64 / 10f64.powi(x.decimals as i32))).collect();
            let perp_legs: Vec<(usize, f64)> =
                perp_book.iter().map(|x| (x.asset, x.base as f64 / 10f64.powi(x.decimals as i32))).collect();
            // The book's price exposure per asset (spot and perp legs add: their P&L over the
            // horizon is amount × Δprice either way; funding is left out).
            let mut amounts = spot.clone();
            for (a, b) in &perp_legs {
                match amounts.iter_mut().find(|(x, _)| x == a) {
                    Some(e) => e.1 += b,
                    None => amounts.push((*a, *b)),
                }
            }
            let gross: f64 = spot.iter().chain(&perp_legs).map(|(a, amt)| (amt * px[*a]).abs()).sum();
            // The per-leg counterfactual: static weights on every spot leg, a peer's perp margin
            // ratio on every perp leg, hedges not netted.
            let static_margin: f64 = spot
                .iter()
                .map(|(a, amt)| {
                    (amt * px[*a]).abs() * if is_stable[*a] { args.static_rates.1 } else { args.static_rates.0 }
                })
                .chain(perp_legs.iter().map(|(a, b)| (b * px[*a]).abs() * perps::STATIC_PERP_RATE))
                .sum();
            let model_margin = bh.margin.maintenance.to_num::<f64>();
            rec.model_margin_usd += model_margin;
            rec.static_margin_usd += static_margin;
            if bh.maintenance_health().map(|m| m < risk_engine::Fx::ZERO).unwrap_or(false) {
                rec.liquidatable_after += 1;
            }
            strategies.add(strategy, gross, model_margin, static_margin);
            books.insert(*address, Book { strategy, amounts, model_margin, static_margin });
        }
        past_books.push_back(std::mem::take(&mut books));
        rec.correlation = crate::inspect::correlation(&state.model, n);
        if let Some(p) = &state.perps {
            rec.perp_vault_usd =
                p.tokens as f64 / 10f64.powi(state.assets[p.keys.quote.index as usize].account.decimals as i32);
            let mut traders_pnl = 0.0;
            for (_, m) in &p.markets {
                if let Some(Ok(price)) = prices.get(m.asset_index as usize) {
                    let f = m.funding_at(price.price, now).map_err(|e| anyhow::anyhow!("{e}"))?;
                    traders_pnl += m.traders_pnl(price.price, &f).map_err(|e| anyhow::anyhow!("{e}"))?.to_num::<f64>();
                }
            }
            rec.perp_vault_value_usd = rec.perp_vault_usd - traders_pnl;
            rec.perp_open_interest_usd = p
                .markets
                .iter()
                .map(|(_, m)| {
                    (m.long_oi + m.short_oi) as f64 / 10f64.powi(m.decimals as i32) * px[m.asset_index as usize]
                })
                .sum();
        }
        days.push(rec);
        pb.inc(1);
        if d % 30 == 0 {
            pb.set_message(date);
        }
    }
    pb.finish_and_clear();
    let insurance_usd_end = crate::stress::chain::insurance_usd(&chain, &state, table.prices.last().unwrap()).await?;
    // The auditor's view of the final state.
    let inspection = crate::inspect::inspect(&chain, &migration.group).await?;
    // The Monte Carlo stress test of the final books (what `keeper stress` prints on a live group).
    let stress = match &args.stress {
        Some(cfg) => {
            let inputs = crate::stress::chain::load(&chain, &migration.group).await?;
            Some(crate::stress::run(
                &inputs.books,
                &symbols,
                &inputs.cov_h,
                inputs.horizon_scale,
                inputs.insurance_usd,
                cfg,
                args.progress,
            )?)
        }
        None => None,
    };
    Ok(SimResult {
        assets: symbols,
        days,
        strategies: strategies.finish(),
        transactions: chain.transactions(),
        refusals,
        crank_cu,
        liquidate_cu,
        liquidations_by_kind: by_kind,
        wall_seconds: started.elapsed().as_secs_f64(),
        insurance_usd_end,
        inspection,
        stress,
        row_seconds: table.sample_interval_seconds(),
        horizon_rows,
    })
}

/// Enrolls a population (keys derived from `tag`, the seed and the index): lenders act from day 0,
/// traders enter over the first month.
#[allow(clippy::too_many_arguments)]
async fn enroll_all(
    chain: &Embedded,
    admin: &portfolio_margin_client::Keypair,
    state: &GroupState,
    population: Vec<(Strategy, f64, f64)>,
    tag: &[u8],
    seed: u64,
    rng: &mut ChaCha8Rng,
    opts: &SendOptions,
) -> Result<Vec<Participant>> {
    let mut people = Vec::with_capacity(population.len());
    for (i, (strategy, capital, appetite)) in population.into_iter().enumerate() {
        let key = migrate::derive_keypair(&[tag, &seed.to_le_bytes(), &(i as u64).to_le_bytes()]);
        let (key, account, tokens) = traders::enroll(chain, admin, state, key, opts).await?;
        let entry = if strategy == Strategy::Lender { 0 } else { rand::Rng::gen_range(rng, 1..30) };
        people.push(Participant {
            key,
            account,
            tokens,
            strategy,
            capital_usd: capital,
            appetite,
            next_action_day: entry,
            opened: false,
        });
    }
    Ok(people)
}

/// Writes each asset's price as its Pyth push-oracle account would hold it (fully verified,
/// published at `now`, confidence `conf_ratio` of the price).
pub async fn publish_prices<C: AccountWriter>(
    chain: &C,
    state: &GroupState,
    px: &[f64],
    conf_ratio: f64,
    now: i64,
) -> Result<()> {
    for (a, price) in state.assets.iter().zip(px) {
        let q = Quote::from_f64(*price, conf_ratio, now);
        let data = pyth::price_update_data(a.account.feed_id, q, VerificationLevel::Full, a.keys.oracle);
        let account = solana_account::Account {
            lamports: 10_000_000,
            data,
            owner: pyth::RECEIVER,
            executable: false,
            rent_epoch: 0,
        };
        chain.write_account(&a.keys.oracle, account).await?;
    }
    Ok(())
}

/// Tops the liquidator's token accounts up to `usd` of each asset.
async fn restock(
    chain: &Embedded,
    admin: &portfolio_margin_client::Keypair,
    state: &GroupState,
    liq: &Liquidator,
    px: &[f64],
    usd: f64,
    opts: &SendOptions,
) -> Result<()> {
    for (i, a) in state.assets.iter().enumerate() {
        let t = liq.token_account(&a.account);
        let have = match chain.account(&t).await? {
            Some(acc) => portfolio_margin_client::state::token_amount(&acc)?,
            None => 0,
        };
        let want = traders::native(usd, px[i], a.account.decimals);
        if have < want / 2 {
            let ix = portfolio_margin_client::token::mint_to(
                &a.keys.token_program,
                &a.keys.mint,
                &t,
                &admin.pubkey(),
                want - have,
            );
            portfolio_margin_client::chain::send_ixs(chain, admin, &[], &[ix], opts)
                .await?
                .check("restocking the liquidator")?;
        }
    }
    Ok(())
}

/// Pairs of volatile assets most correlated in the bootstrap covariance (hedged books).
fn correlated_pairs(state: &GroupState, volatile: &[usize]) -> Vec<(usize, usize)> {
    let corr = crate::inspect::correlation(&state.model, state.assets.len());
    let mut pairs: Vec<(usize, usize, f64)> = vec![];
    for (k, &i) in volatile.iter().enumerate() {
        for &j in &volatile[k + 1..] {
            pairs.push((i, j, corr[i][j]));
        }
    }
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    pairs.truncate(6.max(pairs.len() / 3));
    pairs.into_iter().map(|(i, j, _)| (i, j)).collect()
}
