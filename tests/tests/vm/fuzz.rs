//! Invariant fuzzing against the real program in the VM: seeded random sequences of deposits,
//! withdrawals, borrows, repayments, price moves, cranks, liquidations and bankruptcies, with the
//! protocol's invariants checked after every step:
//! - every vault covers its books: `vault ≥ deposits − borrows + protocol fees` (rounded for the
//!   protocol);
//! - an owner's successful withdraw or borrow leaves the account at initial health ≥ 0 (recomputed
//!   off-chain with the same engine on the same data);
//! - a successful liquidation leaves the account healthier than it found it, or is a close-out of a
//!   book whose equity was negative (never of a solvent book);
//! - a crank while an asset's registered oracle is unusable never lowers that asset's variance;
//! - an owner's own action never leaves its account owing an asset that cannot be priced (which
//!   would block its liquidation);
//! - a rejected action changes nothing;
//! - perps: every market's aggregates (open interest, Σ quote, funding bases) are the sum of the
//!   positions in it, to the last bit; the perp vault's tokens move only by LP deposits and
//!   withdrawals, settlements and liquidation rewards, each as its event states (traders' realized
//!   PnL and the vault's sum to zero in native units); a risk-increasing trade leaves its account at
//!   initial health ≥ 0.
//!
//! It runs on solana-program-test's bank (`FUZZ_STEPS`, default 600) and on the fast harness
//! (mollusk-svm running the same .so, `FAST_FUZZ_STEPS`, default 20,000); `FUZZ_SEED` (default 7).
use portfolio_margin::events::{Liquidated, PerpLiquidated, PerpLiquidityChanged, PerpSettled, PerpTraded};
use portfolio_margin::state::{Asset, Group, MarginAccount, ModelView, RiskModel};
use portfolio_margin_tests::*;
use risk_engine::perp::book_health_with_perps;
use risk_engine::{Fx, FxExt};

#[path = "fuzz_invariants.rs"]
mod invariants;
#[path = "fuzz_perps.rs"]
mod perps;
use invariants::{check_shares, check_vaults, owes_unpriced, snapshot, tokens_held};

/// xorshift64*: small, seeded, no dependency.
struct Rng(u64);
impl Rng {
    /// The stream of one step of one seed: splitmix64 of the pair (nearby seeds give unrelated
    /// streams).
    fn for_step(seed: u64, step: usize) -> Rng {
        let mut z = seed
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add((step as u64 + 1).wrapping_mul(0xd1b5_4a32_d192_ed03));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SPECS: [AssetSpec; 3] = [
    AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false },
    AssetSpec { decimals: 8, price: 2_000.0, daily_vol: 0.04, token_2022: false },
    AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true },
];

struct State {
    prices: Vec<f64>,
    /// An asset whose registered oracle is stale until the next price move.
    stale: Option<usize>,
    /// In a crash regime, price moves come from the worst days of the history.
    crash: bool,
}

/// Daily return vectors of SOL, ETH and USDC (the three assets' stand-ins) from the shared price
/// history, and the indices of the worst 5% of days (by SOL + ETH): price moves are drawn from
/// them, so the fuzzer meets real tails and real co-movement. `None` without the file.
struct Returns {
    days: Vec<[f64; 3]>,
    worst: Vec<usize>,
}

impl Returns {
    fn load() -> Option<Returns> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/crypto_daily_close_usd.csv");
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next()?.split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let cols = [col("SOL")?, col("ETH")?, col("USDC")?];
        let mut prev: Option<[f64; 3]> = None;
        let mut days = vec![];
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let row: Option<Vec<f64>> = cols.iter().map(|&c| f.get(c)?.parse::<f64>().ok()).collect();
            let Some(row) = row else {
                prev = None;
                continue;
            };
            let row = [row[0], row[1], row[2]];
            if let Some(p) = prev {
                days.push([row[0] / p[0] - 1.0, row[1] / p[1] - 1.0, row[2] / p[2] - 1.0]);
            }
            prev = Some(row);
        }
        // Without drift: each asset's mean daily log return is taken out, so a long run neither
        // inflates nor deflates the book (SOL rose 200-fold over the file).
        for k in 0..3 {
            let mean = days.iter().map(|d| (1.0 + d[k]).ln()).sum::<f64>() / days.len() as f64;
            for d in days.iter_mut() {
                d[k] = ((1.0 + d[k]).ln() - mean).exp() - 1.0;
            }
        }
        let mut order: Vec<usize> = (0..days.len()).collect();
        order.sort_by(|&a, &b| (days[a][0] + days[a][1]).total_cmp(&(days[b][0] + days[b][1])));
        let worst = order[..days.len() / 20].to_vec();
        (days.len() > 100).then_some(Returns { days, worst })
    }
}

async fn initial_health(w: &mut World, m: &Market, p: &Perps, t: &Trader, prices: &[f64]) -> Fx {
    let h = account_holdings(w, m, t, prices).await;
    let (perps, _) = p.book(w, m, t, prices).await;
    let group: Group = w.zero_copy(m.group).await;
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    let bh = book_health_with_perps(
        &ModelView { model: &model },
        &h,
        &perps,
        group.params.conf_k.get(),
        &group.params.margin_params().unwrap(),
    )
    .unwrap();
    bh.initial_health().unwrap()
}

/// Indices of the assets `t` holds, in position order (the health accounts to pass).
async fn held(w: &mut World, t: &Trader) -> Vec<usize> {
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    acc.active().map(|p| p.asset_index as usize).collect()
}

/// Health accounts after an action that may open a position in `asset`.
fn with_asset(mut h: Vec<usize>, asset: usize) -> Vec<usize> {
    if !h.contains(&asset) {
        h.push(asset);
    }
    h
}

/// At most `want` new tokens of asset `a`, keeping its whole supply within u64::MAX / 8 (SPL Token
/// refuses a mint past u64::MAX: the harness's re-fundings, not the program, would fail).
fn mintable(supply: &[u128], a: usize, want: u64) -> u64 {
    let room = (u64::MAX / 8) as u128 - supply[a].min((u64::MAX / 8) as u128);
    (want as u128).min(room) as u64
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// solana-program-test's bank: FUZZ_STEPS (default 600) steps from FUZZ_SEED (default 7).
#[tokio::test]
async fn random_action_sequences_keep_every_invariant() {
    let plan = Plan { steps: env("FUZZ_STEPS", 600), seed: env("FUZZ_SEED", 7), only: None, canary: None };
    run(World::new().await, &plan, "bank").await;
}

/// The same fuzzer on the fast harness (the client's in-process runtime, the same .so):
/// FAST_FUZZ_STEPS (default 20,000) steps from FUZZ_SEED (default 1: a seed whose books include
/// hedges liquidated on both legs — 14 hedged liquidations, beside 29 perp and 84 spot ones; seed 7
/// has none); FUZZ_ONLY=3,17,120 replays just those
/// steps (a shrunk reproducer). A violation is shrunk to the shortest sequence of steps that still
/// breaks the same invariant (for at most FUZZ_SHRINK_SECS, default 600), printed with the command
/// that replays it.
#[test]
fn the_fast_harness_runs_the_same_fuzzer() {
    let only = std::env::var("FUZZ_ONLY").ok().map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    let plan = Plan { steps: env("FAST_FUZZ_STEPS", 20_000), seed: env("FUZZ_SEED", 1), only, canary: None };
    if let Err(failure) = replay(&plan) {
        if failure.step >= plan.steps {
            // Not a step's invariant (the run as a whole): nothing to shrink.
            panic!("fuzz: seed {} failed: {}", plan.seed, failure.message);
        }
        let shrunk = shrink(&plan, &failure, std::time::Duration::from_secs(env("FUZZ_SHRINK_SECS", 600)));
        panic!("{}", shrunk.describe(&plan, &failure));
    }
}

/// The shrinker finds a short reproducer: with a canary that fails the run at its first
/// liquidation, the thousands of steps before it shrink to the few that lever a book up, move
/// the price and liquidate it, and that sequence alone fails the same way.
#[test]
fn a_failing_run_shrinks_to_a_short_reproducer() {
    let plan = Plan { steps: 5_000, seed: 7, only: None, canary: Some("liquidate") };
    let failure = replay(&plan).expect_err("the canary fires within 5,000 steps");
    let shrunk = shrink(&plan, &failure, std::time::Duration::from_secs(env("FUZZ_SHRINK_SECS", 600)));
    println!("{}", shrunk.describe(&plan, &failure));
    assert!(shrunk.steps.len() * 10 <= failure.step + 1, "{} of {} steps kept", shrunk.steps.len(), failure.step + 1);
    let again = Plan { only: Some(shrunk.steps.iter().copied().collect()), ..plan };
    let f = replay(&again).expect_err("the reproducer fails");
    assert_eq!(f.kind(), failure.kind());
}

struct Plan {
    steps: usize,
    seed: u64,
    /// Run only these steps (each step draws from its own seeded stream, so any subset replays).
    only: Option<std::collections::BTreeSet<usize>>,
    /// Fail at the first successful step of this kind (tests the shrinker).
    canary: Option<&'static str>,
}

/// A violation: the step it happened at and the assertion's message.
#[derive(Debug)]
struct Failure {
    step: usize,
    message: String,
}

impl Failure {
    /// Which invariant broke: the message without its numbers.
    fn kind(&self) -> String {
        let mut out = String::new();
        for c in self.message.chars() {
            if c.is_ascii_digit() {
                if !out.ends_with('#') {
                    out.push('#');
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// Runs `plan` on a fresh fast harness; a violation (any panic) comes back as a [`Failure`].
fn replay(plan: &Plan) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    // The panic hook stays as it is (it is process-wide and other tests run beside this one): each
    // failing replay's message is printed, captured by the test harness unless --nocapture.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(run(World::fast(), plan, "fast"))));
    r.map_err(|e| {
        let message = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into());
        let step = message
            .split("step ")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(plan.steps);
        Failure { step, message }
    })
}

struct Shrunk {
    steps: Vec<usize>,
    replays: usize,
}

impl Shrunk {
    fn describe(&self, plan: &Plan, failure: &Failure) -> String {
        let only: Vec<String> = self.steps.iter().map(|s| s.to_string()).collect();
        format!(
            "fuzz: seed {} failed at step {}: {}\nfuzz: shrunk to {} steps ({} replays): {}\n\
             replay: FUZZ_SEED={} FAST_FUZZ_STEPS={} FUZZ_ONLY={} cargo test -p portfolio-margin-tests --test vm \
             the_fast_harness -- --nocapture",
            plan.seed,
            failure.step,
            failure.message,
            self.steps.len(),
            self.replays,
            only.join(","),
            plan.seed,
            self.steps.last().map_or(0, |s| s + 1),
            only.join(","),
        )
    }
}

/// Delta debugging (Zeller's ddmin) over the steps up to the failing one: drop chunks of steps
/// while the rest still breaks the same invariant, halving the chunks down to single steps, within
/// `budget`.
fn shrink(plan: &Plan, failure: &Failure, budget: std::time::Duration) -> Shrunk {
    let started = std::time::Instant::now();
    let all: Vec<usize> = match &plan.only {
        Some(o) => o.iter().copied().filter(|&s| s <= failure.step).collect(),
        None => (0..=failure.step).collect(),
    };
    let mut kept = all;
    let kind = failure.kind();
    let mut replays = 0;
    let mut fails = |steps: &[usize]| {
        replays += 1;
        let p = Plan {
            steps: steps.last().map_or(0, |s| s + 1),
            seed: plan.seed,
            only: Some(steps.iter().copied().collect()),
            canary: plan.canary,
        };
        replay(&p).is_err_and(|f| f.kind() == kind)
    };
    let mut chunks = 2usize;
    while kept.len() >= 2 && started.elapsed() < budget {
        let size = kept.len().div_ceil(chunks);
        let mut removed = false;
        let mut start = 0;
        while start < kept.len() && started.elapsed() < budget {
            let candidate: Vec<usize> =
                kept[..start].iter().chain(&kept[(start + size).min(kept.len())..]).copied().collect();
            if !candidate.is_empty() && fails(&candidate) {
                kept = candidate;
                removed = true;
            } else {
                start += size;
            }
        }
        if removed {
            chunks = (chunks - 1).max(2);
        } else if size == 1 {
            break;
        } else {
            chunks = (chunks * 2).min(kept.len());
        }
    }
    Shrunk { steps: kept, replays }
}

async fn run(mut w: World, plan: &Plan, harness: &str) {
    let (steps, seed) = (plan.steps, plan.seed);
    let started = std::time::Instant::now();
    let m = Market::new(&mut w, &SPECS, 0.6).await;
    let lender = m.trader(&mut w, &[100_000_000_000, 1_000_000_000, 10_000_000_000_000]).await;
    for (i, amount) in [50_000_000_000u64, 500_000_000, 5_000_000_000_000].into_iter().enumerate() {
        w.send(&[m.deposit_ix(&lender, i, amount)], &[&lender.key]).await.ok();
    }
    let mut traders = vec![];
    for _ in 0..3 {
        traders.push(m.trader(&mut w, &[100_000_000_000, 1_000_000_000, 100_000_000_000]).await);
    }
    let liquidator = m.trader(&mut w, &[1_000_000_000_000, 100_000_000_000, 10_000_000_000_000]).await;
    w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    // Perps on the first two assets against a vault in the stablecoin, with one LP.
    // Open-interest caps of 10^14 native units a side (10^5 of the first asset, 10^6 of the second):
    // a trade sized in dollars at a collapsed price meets the cap instead of opening a position
    // whose later PnL no pool could settle.
    let p = Perps::new(&mut w, &m, 2, &[0, 1], 100_000_000_000_000).await;
    let lp = p.lp(&mut w, &m, 10_000_000_000_000).await;
    w.send(&[p.deposit_lp_ix(&lp, 5_000_000_000_000)], &[&lp.trader.key]).await.ok();
    // What the perp vault must hold, from the events of every successful perp action.
    let mut vault_expected = w.token_balance(p.vault.tokens).await as i128;
    let (mut perp_trades, mut settlements, mut perp_liquidations, mut lp_moves) = (0usize, 0usize, 0usize, 0usize);
    let mut hedge_liquidations = 0usize;
    let mut st = State { prices: SPECS.iter().map(|s| s.price).collect(), stale: None, crash: false };
    let history = Returns::load();
    if history.is_none() {
        println!("fuzz: no price history at ../shared/data: uniform price moves");
    }
    // Every token account of the run, for value conservation: vault + insurance vault + wallets
    // change only by the admin's mints (re-funding traders).
    let wallets: Vec<Vec<anchor_lang::prelude::Pubkey>> = std::iter::once(&lender)
        .chain(traders.iter())
        .chain(std::iter::once(&liquidator))
        .chain(std::iter::once(&lp.trader))
        .map(|t| t.tokens.clone())
        .collect();
    let mut supply = tokens_held(&mut w, &m, &p, &wallets).await;
    let accounts: Vec<anchor_lang::prelude::Pubkey> = std::iter::once(&lender)
        .chain(traders.iter())
        .chain(std::iter::once(&liquidator))
        .map(|t| t.margin_account)
        .collect();
    let mut borrow_index: Vec<Fx> = vec![Fx::ONE; m.assets.len()];
    let (mut param_updates, mut refunds, mut crash_days) = (0usize, 0usize, 0usize);
    let mut stale_cranks = 0usize;
    let (mut ok, mut rejected, mut liquidations, mut bankruptcies) = (0usize, 0usize, 0usize, 0usize);
    let mut crank_ok = 0usize;
    // Why actions were refused (kind and error): what keeps a long run from reaching the limits.
    let mut refusals: std::collections::BTreeMap<String, usize> = Default::default();
    let mut top_ups = 0usize;
    let mut collects = 0usize;
    let mut top_up: Option<(usize, u64)> = None;
    let no_liquidity = u32::from(portfolio_margin::error::ErrorCode::InsufficientLiquidity);

    for step in 0..steps {
        if plan.only.as_ref().is_some_and(|only| !only.contains(&step)) {
            continue;
        }
        // Each step draws from its own stream: any subset of the steps replays (the shrinker).
        let mut rng = Rng::for_step(seed, step);
        if let Some((a, more)) = top_up.take().map(|(a, more)| (a, mintable(&supply, a, more))).filter(|t| t.1 > 0) {
            w.mint_to(&m.assets[a], lender.tokens[a], more).await;
            supply[a] += more as u128;
            // (Refused beyond the deposit cap: the tokens then stay in the lender's wallet.)
            let _ = w.send(&[m.deposit_ix(&lender, a, more)], &[&lender.key]).await;
            top_ups += 1;
        }
        let t = &traders[rng.below(3) as usize];
        let asset = rng.below(3) as usize;
        let decimals = SPECS[asset].decimals as i32;
        // Amounts from dust to a large share of the trader's tokens.
        let amount =
            ((10f64.powi(decimals) * 10f64.powf(rng.unit() * 4.0 - 2.0)) / SPECS[asset].price * 100.0) as u64 + 1;
        let action = rng.below(100);
        // Traders short of the asset are re-funded by the admin (counted as minted).
        let grant = mintable(&supply, asset, amount.saturating_mul(10));
        if w.token_balance(t.tokens[asset]).await < amount && grant > 0 {
            w.mint_to(&m.assets[asset], t.tokens[asset], grant).await;
            supply[asset] += grant as u128;
            refunds += 1;
        }
        let all: Vec<Trader> = traders
            .iter()
            .map(|x| Trader { key: x.key.insecure_clone(), margin_account: x.margin_account, tokens: x.tokens.clone() })
            .collect();
        let before = snapshot(&mut w, &m, &p, &all).await;
        let owed_unpriced_before = owes_unpriced(&mut w, t, st.stale).await;
        let mut variance_before = None;
        let perp_draw = rng.below(100);
        let (kind, out) = if perp_draw < 15 {
            match perps::step(&mut w, &m, &p, &lp, t, &traders, &liquidator, &st, &mut rng).await {
                Some(step) => step,
                None => continue,
            }
        } else if action < 3 {
            // The risk authority changes the margin parameters mid-run (sometimes to nonsense,
            // which must be refused with nothing changed).
            let mut p = default_params();
            p.z_e6 = 1_500_000 + rng.below(2_000_000) as u32;
            p.initial_multiplier_e6 = 1_000_000 + rng.below(1_000_000) as u32;
            p.hedge_floor_e6 = rng.below(600_000) as u32;
            p.spike_alpha_e6 = rng.below(500_000) as u32;
            if rng.below(5) == 0 {
                p.conf_k_e6 = 0;
                p.z_e6 = 0;
            }
            param_updates += 1;
            ("update_risk_params", w.send(&[update_risk_params_ix(&w.payer(), m.group, p)], &[]).await)
        } else if action < 20 {
            ("deposit", w.send(&[m.deposit_ix(t, asset, amount)], &[&t.key]).await)
        } else if action < 35 {
            let h = held(&mut w, t).await;
            let ph = p.held(&mut w, t).await;
            ("withdraw", w.send(&[p.with_perp_health(m.withdraw_ix(t, asset, amount, &h), &ph)], &[&t.key]).await)
        } else if action < 55 {
            let h = with_asset(held(&mut w, t).await, asset);
            let ph = p.held(&mut w, t).await;
            ("borrow", w.send(&[p.with_perp_health(m.borrow_ix(t, asset, amount, &h), &ph)], &[&t.key]).await)
        } else if action < 60 {
            ("repay", w.send(&[m.repay_ix(t, asset, amount)], &[&t.key]).await)
        } else if action < 72 {
            // Lever up to near the limit: borrow half of what initial health allows (sized off-chain
            // by the engine), up to four times; the step's outcome is the last borrow that landed
            // (or the refusal, which changed nothing).
            let mut last: Option<Outcome> = None;
            for _ in 0..4 {
                let ih = initial_health(&mut w, &m, &p, t, &st.prices).await.to_num::<f64>();
                if ih <= 1.0 {
                    break;
                }
                let native = (0.5 * ih / st.prices[asset] * 10f64.powi(decimals)) as u64;
                let h = with_asset(held(&mut w, t).await, asset);
                let ph = p.held(&mut w, t).await;
                let ix = p.with_perp_health(m.borrow_ix(t, asset, native.max(1), &h), &ph);
                let out = w.send(&[ix], &[&t.key]).await;
                let landed = out.result.is_ok();
                // Books grow beside the pools: when the pool cannot lend what the book could
                // carry, the lender deposits more (minted), so lever-ups keep reaching the limit.
                // (Done before the next step: this step's refusal must change nothing.)
                if out.custom_error() == Some(no_liquidity) {
                    top_up = Some((asset, native.max(1).saturating_mul(4).min(u64::MAX / 1_000)));
                }
                if landed || last.is_none() {
                    last = Some(out);
                }
                if !landed {
                    break;
                }
            }
            match last {
                Some(out) => ("borrow", out),
                None => continue,
            }
        } else if action < 85 {
            // Prices move by a historical day's returns (a crash regime draws from the worst 5%
            // of days and lasts a few moves), time passes, crank. Without the history: up to
            // ±15% (the stablecoin ±0.2%) with a −25% crash one time in four.
            st.crash = if st.crash { rng.below(3) != 0 } else { rng.below(12) == 0 };
            match &history {
                Some(h) => {
                    // A crash gaps: one to three of the worst days at once, before anyone can act.
                    let gap = if st.crash { 1 + rng.below(3) } else { 1 };
                    for _ in 0..gap {
                        let day = if st.crash {
                            crash_days += 1;
                            h.worst[rng.below(h.worst.len() as u64) as usize]
                        } else {
                            rng.below(h.days.len() as u64) as usize
                        };
                        for (p, r) in st.prices.iter_mut().zip(h.days[day]) {
                            *p = (*p * (1.0 + r)).max(1e-6);
                        }
                    }
                }
                None => {
                    let crash = rng.below(4) == 0;
                    for (i, p) in st.prices.iter_mut().enumerate() {
                        let width = if i == 2 { 0.002 } else { 0.15 };
                        let shock = if crash && i != 2 { -0.25 } else { 0.0 };
                        *p *= 1.0 + shock + width * (2.0 * rng.unit() - 1.0);
                    }
                }
            }
            // Ten minutes to half a day: a 100,000-step run spans about nine years. (Longer spans
            // once overflowed a pool compounding at the maximum rate for decades; debt now stops
            // compounding at u64::MAX native units: risk_engine::interest's century test.)
            w.advance_time(600 + rng.below(43_200) as i64).await;
            for (i, a) in m.assets.clone().iter().enumerate() {
                w.set_price(a, st.prices[i]).await;
            }
            st.stale = None;
            // Now and then one feed stops: its registered oracle keeps an old price.
            if rng.below(4) == 0 {
                let s = rng.below(3) as usize;
                let a = m.assets[s];
                let now = w.clock().await.unix_timestamp;
                let px = st.prices[s];
                let data = price_update_data(
                    a.feed_id,
                    px,
                    px * 0.001,
                    now - 7_200,
                    pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
                );
                w.set_oracle(a.oracle, data);
                st.stale = Some(s);
                let model: RiskModel = w.zero_copy(m.risk_model).await;
                variance_before = Some((s, model.covariance[risk_engine::tri_index(s, s)].get()));
            }
            ("crank", w.send(&[m.crank_ix(0, &m.oracles())], &[]).await)
        } else if action < 95 {
            // Liquidate whichever trader the engine finds liquidatable, with the engine's amount.
            let mut done = None;
            for x in &traders {
                let h = held(&mut w, x).await;
                let debts: Vec<usize> = {
                    let acc: MarginAccount = w.zero_copy(x.margin_account).await;
                    acc.active().filter(|p| p.shares.get() < Fx::ZERO).map(|p| p.asset_index as usize).collect()
                };
                let colls: Vec<usize> = {
                    let acc: MarginAccount = w.zero_copy(x.margin_account).await;
                    acc.active().filter(|p| p.shares.get() > Fx::ZERO).map(|p| p.asset_index as usize).collect()
                };
                if debts.is_empty() || colls.is_empty() {
                    continue;
                }
                // Holdings as the program builds them for a liquidation: a deposit whose oracle is
                // unusable is left out; a debt must be priced.
                if debts.iter().any(|&d| Some(d) == st.stale) {
                    continue;
                }
                let Some(c) = colls.iter().copied().find(|&c| Some(c) != st.stale) else { continue };
                let l = debts[0];
                // The program accrues the pair it liquidates before it values the book.
                let mut holdings = account_holdings_touching(&mut w, &m, x, &st.prices, &[l, c]).await;
                holdings.retain(|q| !(Some(q.asset) == st.stale && q.amount > 0));
                let group: Group = w.zero_copy(m.group).await;
                let model: RiskModel = w.zero_copy(m.risk_model).await;
                let li = holdings.iter().position(|q| q.asset == l).unwrap();
                let Some(ci) = holdings.iter().position(|q| q.asset == c && q.amount > 0) else { continue };
                // The engine's verdict, as the keeper computes it: a partial step that improves
                // health, or the close-out of an insolvent book no step improves.
                let (perps, _) = p.book(&mut w, &m, x, &st.prices).await;
                let verdict = risk_engine::liquidation::plan_or_close_out_with_perps(
                    &ModelView { model: &model },
                    &holdings,
                    &perps,
                    li,
                    ci,
                    i128::MAX,
                    &group.params.margin_params().unwrap(),
                    &group.params.liquidation_params(),
                );
                if std::env::var("FUZZ_DEBUG").is_ok() {
                    eprintln!("step {step}: liquidation candidate: {:?}", verdict.as_ref().map(|v| v.repay));
                }
                if let Ok(v) = verdict {
                    // The liquidator is re-funded too (it is paid in deposits, not tokens).
                    let grant = mintable(&supply, l, (v.repay as u64).saturating_mul(2));
                    if w.token_balance(liquidator.tokens[l]).await < v.repay as u64 && grant > 0 {
                        w.mint_to(&m.assets[l], liquidator.tokens[l], grant).await;
                        supply[l] += grant as u128;
                        refunds += 1;
                    }
                    let ph = p.held(&mut w, x).await;
                    let ix = p.with_perp_health(m.liquidate_ix(&liquidator, x, l, c, v.repay as u64, &h), &ph);
                    let out = w.send(&[compute_limit_ix(1_400_000), ix], &[&liquidator.key]).await;
                    if let Some(e) = out.events::<Liquidated>().first() {
                        assert!(!e.close_out || v.before.equity < Fx::ZERO, "step {step}: close-out of a solvent book");
                    }
                    done = Some(out);
                    break;
                }
            }
            match done {
                Some(out) => ("liquidate", out),
                None => continue,
            }
        } else if action < 97 {
            // Anyone moves an asset's protocol fees to its insurance vault (refused when nothing
            // whole has accrued: then nothing changes).
            ("collect_protocol_fees", w.send(&[m.collect_fees_ix(asset)], &[]).await)
        } else {
            // Resolve any trader whose deposits are gone but debts remain (else a random attempt).
            let mut target = (t, asset);
            for x in &traders {
                let acc: MarginAccount = w.zero_copy(x.margin_account).await;
                if acc.active_count() > 0 && acc.active().all(|p| p.shares.get() < Fx::ZERO) {
                    target = (x, acc.active().next().unwrap().asset_index as usize);
                }
            }
            ("resolve_bankruptcy", w.send(&[m.resolve_bankruptcy_ix(target.0, target.1)], &[]).await)
        };

        if out.result.is_ok() {
            ok += 1;
            if plan.canary == Some(kind) {
                panic!("step {step}: canary: a {kind} succeeded");
            }
            match kind {
                "trade_perp" => {
                    perp_trades += 1;
                    let e = &out.events::<PerpTraded>()[0];
                    let old = e.base_after as i128 - e.base_delta as i128;
                    if portfolio_margin::instructions::adds_risk(old, e.base_after as i128) {
                        let ih = initial_health(&mut w, &m, &p, t, &st.prices).await;
                        assert!(ih >= Fx::ZERO, "step {step}: a risk-increasing trade left initial health {ih}");
                    }
                }
                "settle_perp_pnl" => settlements += 1,
                "liquidate_perp" => perp_liquidations += 1,
                "liquidate_hedge" => {
                    hedge_liquidations += 1;
                    let e = &out.events::<portfolio_margin::events::HedgeLiquidated>()[0];
                    assert!(
                        e.close_out
                            || Fx::from_bits(e.initial_health_after_bits) > Fx::from_bits(e.initial_health_before_bits),
                        "step {step}: a hedged liquidation left the account worse"
                    );
                }
                "perp_liquidity" => lp_moves += 1,
                "withdraw" | "borrow" => {
                    let ih = initial_health(&mut w, &m, &p, t, &st.prices).await;
                    assert!(ih >= Fx::ZERO, "step {step}: {kind} left initial health {ih}");
                }
                "collect_protocol_fees" => collects += 1,
                "liquidate" => {
                    liquidations += 1;
                    let e = &out.events::<Liquidated>()[0];
                    assert!(
                        e.close_out
                            || Fx::from_bits(e.initial_health_after_bits) > Fx::from_bits(e.initial_health_before_bits),
                        "step {step}: liquidation left the account worse"
                    );
                }
                "resolve_bankruptcy" => {
                    bankruptcies += 1;
                    // The debt cleared = insurance + the fund's fees + socialised + from the
                    // protocol's fees (to the native unit the socialised parts round to).
                    let e = &out.events::<portfolio_margin::events::BankruptcyResolved>()[0];
                    let spread = Fx::from_bits(e.socialized_bits) + Fx::from_bits(e.from_fees_bits);
                    let covered = Fx::from_num(e.insurance_paid + e.insurance_fees_applied) + spread;
                    assert!(
                        covered <= Fx::from_num(e.debt) && Fx::from_num(e.debt) - covered < Fx::ONE
                            || e.deposits_wiped_out,
                        "step {step}: bankruptcy of {} cleared {} but covered {covered}",
                        e.account,
                        e.debt
                    );
                }
                "crank" => {
                    crank_ok += 1;
                    // The covariance stays PSD (LDLᵀ) and volatilities are √diag.
                    let model: RiskModel = w.zero_copy(m.risk_model).await;
                    let n = m.assets.len();
                    let entries = model.covariance[..risk_engine::tri_len(n)].to_vec();
                    risk_engine::TriangularMatrix::new(n, entries)
                        .and_then(|c| c.check_psd(Fx::from_num(1e-12)))
                        .unwrap_or_else(|e| panic!("step {step}: covariance after a crank: {e}"));
                    for i in 0..n {
                        let var = model.covariance[risk_engine::tri_index(i, i)].get();
                        assert_eq!(
                            model.volatility[i].get(),
                            var.sqrt_ceil().unwrap(),
                            "step {step}: volatility {i} ≠ √var"
                        );
                    }
                    if let Some((s, var)) = variance_before {
                        stale_cranks += 1;
                        let model: RiskModel = w.zero_copy(m.risk_model).await;
                        let after = model.covariance[risk_engine::tri_index(s, s)].get();
                        assert!(after >= var, "step {step}: a crank without asset {s}'s price lowered its variance");
                    }
                }
                _ => {}
            }
            if matches!(kind, "deposit" | "withdraw" | "borrow" | "repay") {
                assert!(
                    owed_unpriced_before || !owes_unpriced(&mut w, t, st.stale).await,
                    "step {step}: the owner's {kind} made its account owe an unpriced asset"
                );
            }
        } else {
            rejected += 1;
            *refusals.entry(format!("{kind} {:?}", out.custom_error())).or_default() += 1;
            if kind == "liquidate" && std::env::var("FUZZ_DEBUG").is_ok() {
                eprintln!("step {step}: liquidation rejected: {:?}", out.custom_error());
            }
            if kind != "crank" {
                assert_eq!(snapshot(&mut w, &m, &p, &all).await, before, "step {step}: rejected {kind} changed state");
            }
        }
        check_vaults(&mut w, &m, step).await;
        check_shares(&mut w, &m, &accounts, step).await;
        assert_eq!(
            tokens_held(&mut w, &m, &p, &wallets).await,
            supply,
            "step {step}: {kind} created or destroyed tokens"
        );
        perps::check_books(&mut w, &p, &accounts, step).await;
        if out.result.is_ok() {
            for e in out.events::<PerpLiquidityChanged>() {
                vault_expected += if e.deposit { e.tokens as i128 } else { -(e.tokens as i128) };
            }
            for e in out.events::<PerpSettled>() {
                vault_expected -= e.tokens as i128;
            }
            for e in out.events::<PerpLiquidated>() {
                vault_expected -= e.reward as i128;
            }
        }
        assert_eq!(
            w.token_balance(p.vault.tokens).await as i128,
            vault_expected,
            "step {step}: {kind}: the perp vault's tokens moved other than its events state"
        );
        for (i, a) in m.assets.iter().enumerate() {
            let now = w.zero_copy::<Asset>(a.asset).await.pool().borrow_index;
            assert!(now >= borrow_index[i], "step {step}: asset {i}'s borrow index fell ({} → {now})", borrow_index[i]);
            borrow_index[i] = now;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if plan.only.is_some() && std::env::var("FUZZ_ONLY").is_err() {
        return; // a shrinker's replay: no summary
    }
    println!(
        "fuzz ({harness}): seed {seed}: {ok} succeeded, {rejected} rejected, {liquidations} liquidations, \
         {bankruptcies} bankruptcies resolved, {crank_ok} covariance samples ({stale_cranks} with a stopped feed)"
    );
    println!(
        "fuzz ({harness}): {param_updates} parameter updates, {refunds} re-fundings, {top_ups} pool top-ups, \
         {crash_days} crash-regime price moves, {collects} fee collections"
    );
    let mut top: Vec<(&String, &usize)> = refusals.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    let top: Vec<String> = top.iter().take(6).map(|(k, n)| format!("{k} ×{n}")).collect();
    println!("fuzz ({harness}): most refused: {}", top.join(", "));
    println!(
        "fuzz ({harness}): perps: {perp_trades} trades, {settlements} settlements, {perp_liquidations} perp \
         liquidations, {hedge_liquidations} hedged liquidations, {lp_moves} LP deposits/withdrawals"
    );
    println!("fuzz: {steps} steps, 0 violations, {:.0} steps/s", steps as f64 / secs);
    if plan.only.is_none() {
        assert!(ok > steps / 10, "too few actions succeeded to mean anything ({ok})");
    }
}
