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
//! - a rejected action changes nothing.
//!
//! It runs on solana-program-test's bank (`FUZZ_STEPS`, default 600) and on the fast harness
//! (mollusk-svm running the same .so, `FAST_FUZZ_STEPS`, default 20,000); `FUZZ_SEED` (default 7).
use portfolio_margin::events::Liquidated;
use portfolio_margin::state::{Asset, Group, MarginAccount, ModelView, RiskModel};
use portfolio_margin_tests::*;
use risk_engine::{book_health, Fx};

/// xorshift64*: small, seeded, no dependency.
struct Rng(u64);
impl Rng {
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
}

/// Whether `t` owes an asset whose oracle is unusable (its liquidation would be refused).
async fn owes_unpriced(w: &mut World, t: &Trader, stale: Option<usize>) -> bool {
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let owes = acc.active().any(|p| p.shares.get() < Fx::ZERO && Some(p.asset_index as usize) == stale);
    owes
}

async fn snapshot(w: &mut World, m: &Market, traders: &[Trader]) -> Vec<Vec<u8>> {
    let mut keys = vec![];
    for a in &m.assets {
        keys.extend([a.asset, a.vault, a.insurance_vault]);
    }
    for t in traders {
        keys.push(t.margin_account);
        keys.extend(t.tokens.iter().copied());
    }
    let mut out = vec![];
    for k in keys {
        out.push(w.account_data(k).await.unwrap_or_default());
    }
    out
}

async fn check_vaults(w: &mut World, m: &Market, step: usize) {
    for a in &m.assets {
        let asset: Asset = w.zero_copy(a.asset).await;
        let pool = asset.pool();
        let books = pool.total_deposits().unwrap() - pool.total_borrows().unwrap() + pool.protocol_fees;
        let vault = w.token_balance(a.vault).await;
        assert!(books <= Fx::from_num(vault), "step {step}: asset {} books {books} exceed vault {vault}", a.index);
        assert!(pool.protocol_fees >= Fx::ZERO);
    }
}

async fn initial_health(w: &mut World, m: &Market, t: &Trader, prices: &[f64]) -> Fx {
    let h = account_holdings(w, m, t, prices).await;
    let group: Group = w.zero_copy(m.group).await;
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    let bh = book_health(
        &ModelView { model: &model },
        &h,
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

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// solana-program-test's bank: FUZZ_STEPS (default 600) steps from FUZZ_SEED (default 7).
#[tokio::test]
async fn random_action_sequences_keep_every_invariant() {
    run(World::new().await, env("FUZZ_STEPS", 600), env("FUZZ_SEED", 7), "bank").await;
}

/// The same fuzzer on the fast harness (mollusk-svm, the same .so): FAST_FUZZ_STEPS (default
/// 20,000) steps from FUZZ_SEED.
#[tokio::test]
async fn the_fast_harness_runs_the_same_fuzzer() {
    run(World::fast(), env("FAST_FUZZ_STEPS", 20_000), env("FUZZ_SEED", 7), "fast").await;
}

async fn run(mut w: World, steps: usize, seed: u64, harness: &str) {
    let started = std::time::Instant::now();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
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
    let mut st = State { prices: SPECS.iter().map(|s| s.price).collect(), stale: None };
    let mut stale_cranks = 0usize;
    let (mut ok, mut rejected, mut liquidations, mut bankruptcies) = (0usize, 0usize, 0usize, 0usize);
    let mut crank_ok = 0usize;

    for step in 0..steps {
        let t = &traders[rng.below(3) as usize];
        let asset = rng.below(3) as usize;
        let decimals = SPECS[asset].decimals as i32;
        // Amounts from dust to a large share of the trader's tokens.
        let amount =
            ((10f64.powi(decimals) * 10f64.powf(rng.unit() * 4.0 - 2.0)) / SPECS[asset].price * 100.0) as u64 + 1;
        let action = rng.below(100);
        let all: Vec<Trader> = traders
            .iter()
            .map(|x| Trader { key: x.key.insecure_clone(), margin_account: x.margin_account, tokens: x.tokens.clone() })
            .collect();
        let before = snapshot(&mut w, &m, &all).await;
        let owed_unpriced_before = owes_unpriced(&mut w, t, st.stale).await;
        let mut variance_before = None;
        let (kind, out) = if action < 25 {
            ("deposit", w.send(&[m.deposit_ix(t, asset, amount)], &[&t.key]).await)
        } else if action < 40 {
            let h = held(&mut w, t).await;
            ("withdraw", w.send(&[m.withdraw_ix(t, asset, amount, &h)], &[&t.key]).await)
        } else if action < 60 {
            let h = with_asset(held(&mut w, t).await, asset);
            ("borrow", w.send(&[m.borrow_ix(t, asset, amount, &h)], &[&t.key]).await)
        } else if action < 65 {
            ("repay", w.send(&[m.repay_ix(t, asset, amount)], &[&t.key]).await)
        } else if action < 72 {
            // Lever up: borrow half of what initial health allows (sized off-chain by the engine).
            let ih = initial_health(&mut w, &m, t, &st.prices).await.to_num::<f64>();
            if ih <= 1.0 {
                continue;
            }
            let native = (0.5 * ih / st.prices[asset] * 10f64.powi(decimals)) as u64;
            let h = with_asset(held(&mut w, t).await, asset);
            ("borrow", w.send(&[m.borrow_ix(t, asset, native.max(1), &h)], &[&t.key]).await)
        } else if action < 85 {
            // Prices move (volatile assets up to ±15%, the stablecoin ±0.2%), time passes, crank.
            let crash = rng.below(4) == 0;
            for (i, p) in st.prices.iter_mut().enumerate() {
                let width = if i == 2 { 0.002 } else { 0.15 };
                let shock = if crash && i != 2 { -0.25 } else { 0.0 };
                *p *= 1.0 + shock + width * (2.0 * rng.unit() - 1.0);
            }
            w.advance_time(3_600 + rng.below(2 * 86_400) as i64).await;
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
                if let Ok(v) = risk_engine::liquidation::plan_or_close_out(
                    &ModelView { model: &model },
                    &holdings,
                    li,
                    ci,
                    i128::MAX,
                    &group.params.margin_params().unwrap(),
                    &group.params.liquidation_params(),
                ) {
                    let ix = m.liquidate_ix(&liquidator, x, l, c, v.repay as u64, &h);
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
            match kind {
                "withdraw" | "borrow" => {
                    let ih = initial_health(&mut w, &m, t, &st.prices).await;
                    assert!(ih >= Fx::ZERO, "step {step}: {kind} left initial health {ih}");
                }
                "liquidate" => {
                    liquidations += 1;
                    let e = &out.events::<Liquidated>()[0];
                    assert!(
                        e.close_out
                            || Fx::from_bits(e.initial_health_after_bits) > Fx::from_bits(e.initial_health_before_bits),
                        "step {step}: liquidation left the account worse"
                    );
                }
                "resolve_bankruptcy" => bankruptcies += 1,
                "crank" => {
                    crank_ok += 1;
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
            if kind == "liquidate" && std::env::var("FUZZ_DEBUG").is_ok() {
                eprintln!("step {step}: liquidation rejected: {:?}", out.custom_error());
            }
            if kind != "crank" {
                assert_eq!(snapshot(&mut w, &m, &all).await, before, "step {step}: rejected {kind} changed state");
            }
        }
        check_vaults(&mut w, &m, step).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz ({harness}): seed {seed}: {ok} succeeded, {rejected} rejected, {liquidations} liquidations, \
         {bankruptcies} bankruptcies resolved, {crank_ok} covariance samples ({stale_cranks} with a stopped feed)"
    );
    println!("fuzz: {steps} steps, 0 violations, {:.0} steps/s", steps as f64 / secs);
    assert!(ok > steps / 10, "too few actions succeeded to mean anything ({ok})");
}
