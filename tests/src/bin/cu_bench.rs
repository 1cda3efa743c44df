//! Prints the compute units of every instruction in the real SBF VM (solana-program-test 4.2.2),
//! including the margin check at 1, 8 and 16 positions and the crank at 32 assets.
//! Run: `bash scripts/bench` — the table goes into BENCHMARKS.md.
use portfolio_margin_tests::*;

const VOLATILE: AssetSpec = AssetSpec { decimals: 9, price: 10.0, daily_vol: 0.04, token_2022: false };
const STABLE: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };

struct Table(Vec<(String, Outcome)>);

impl Table {
    fn row(&mut self, name: impl Into<String>, out: Outcome) {
        if let Err(e) = &out.result {
            eprintln!("{}: failed {e:?}\n{}", name.into(), out.logs.join("\n"));
            std::process::exit(1);
        }
        let name = name.into();
        // `CU_BENCH_LOGS=<part of a row's name>`: that row's program logs (with a cu-probes build,
        // `SBF_OUT_DIR=target/deploy/cu-probes`, its probe marks and units left).
        if std::env::var("CU_BENCH_LOGS").is_ok_and(|part| !part.is_empty() && name.contains(&part)) {
            eprintln!("{name}:\n{}", out.logs.join("\n"));
        }
        self.0.push((name, out));
    }
}

/// One crank of a 64-asset model a day later (prices moved ±): assets 0..32, then 32..64 with the
/// update; the second transaction's outcome.
async fn crank64(
    w: &mut World,
    m: &Market,
    specs: &[AssetSpec],
    oracles: &[anchor_lang::prelude::Pubkey],
    day: usize,
) -> Outcome {
    w.advance_time(86_400).await;
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, specs[i].price * if (i + day) % 2 == 0 { 0.97 } else { 1.02 }).await;
    }
    let first = w.send(&[compute_limit_ix(1_400_000), m.crank_ix(0, &oracles[..32])], &[]).await;
    assert!(first.result.is_ok(), "crank 0..32: {:?}", first.logs);
    w.send(&[compute_limit_ix(1_400_000), m.crank_ix(32, &oracles[32..])], &[]).await
}

#[tokio::main]
async fn main() {
    let mut w = World::new().await;
    let mut t = Table(vec![]);
    let admin = w.payer();

    // Admin instructions.
    let group = group_address(&admin, 9);
    t.row("create_group", w.send(&[create_group_ix(&admin, &admin, 9, admin, default_params())], &[]).await);
    t.row("update_risk_params", w.send(&[update_risk_params_ix(&admin, group, default_params())], &[]).await);
    t.row("account_layouts", w.simulate(&[account_layouts_ix()]).await);

    // A 32-asset market: 31 volatile assets and a stablecoin (index 31).
    let mut specs: Vec<AssetSpec> = (0..31).map(|i| AssetSpec { price: 10.0 + i as f64, ..VOLATILE }).collect();
    specs.push(STABLE);
    let m = Market::new(&mut w, &specs[..1], 0.3).await;
    let mut m = m;
    for (i, spec) in specs.iter().enumerate().skip(1) {
        let out = m.add_asset(&mut w, *spec, i, 0.3, &specs).await;
        if i == 23 {
            t.row("register_asset (24th asset: LDLᵀ PSD check of the 24×24 matrix)", out);
        } else if i == 31 {
            t.row("register_asset (32nd asset: pairwise bounds only)", out);
        } else {
            out.ok();
        }
    }
    let oracles = m.oracles();
    t.row(
        "crank_risk_model, 32 assets, first sample (prices only)",
        w.send(&[compute_limit_ix(1_400_000), m.crank_ix(0, &oracles)], &[]).await,
    );
    w.advance_time(86_400).await;
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, specs[i].price * if i % 2 == 0 { 0.95 } else { 1.03 }).await;
    }
    t.row(
        "crank_risk_model, 32 assets, EWMA update",
        w.send(&[compute_limit_ix(1_400_000), m.crank_ix(0, &oracles)], &[]).await,
    );
    w.advance_time(86_400).await;
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, specs[i].price).await;
    }
    t.row(
        "crank_risk_model, two-phase: assets 0..16",
        w.send(&[compute_limit_ix(1_400_000), m.crank_ix(0, &oracles[..16])], &[]).await,
    );
    t.row(
        "crank_risk_model, two-phase: assets 16..32 + apply",
        w.send(&[compute_limit_ix(1_400_000), m.crank_ix(16, &oracles[16..])], &[]).await,
    );

    // Liquidity in the stablecoin, then one trader growing to 8 and 16 positions.
    let mut amounts = vec![0u64; 32];
    amounts[31] = 1_000_000_000_000;
    let lender = m.trader(&mut w, &amounts).await;
    w.send(&[m.deposit_ix(&lender, 31, 500_000_000_000)], &[&lender.key]).await.ok();
    // Realistic sizes: 5,000 tokens at $10–$40 per position ($50k–$200k), a $100k borrow.
    let trader = m.trader(&mut w, &[10_000_000_000_000; 31]).await;

    t.row("deposit (1st position)", w.send(&[m.deposit_ix(&trader, 0, 5_000_000_000_000)], &[&trader.key]).await);
    t.row("withdraw, 1 position", w.send(&[m.withdraw_ix(&trader, 0, 1_000_000, &[0])], &[&trader.key]).await);
    for i in 1..7 {
        w.send(&[m.deposit_ix(&trader, i, 5_000_000_000_000)], &[&trader.key]).await.ok();
    }
    let mut held: Vec<usize> = (0..7).collect();
    held.push(31);
    t.row(
        "borrow, 8 positions (opens the 8th)",
        w.send(&[m.borrow_ix(&trader, 31, 100_000_000_000, &held)], &[&trader.key]).await,
    );
    t.row("deposit, 8 positions", w.send(&[m.deposit_ix(&trader, 3, 1_000_000)], &[&trader.key]).await);
    t.row("withdraw, 8 positions", w.send(&[m.withdraw_ix(&trader, 3, 1_000_000, &held)], &[&trader.key]).await);
    t.row("repay, 8 positions", w.send(&[m.repay_ix(&trader, 31, 1_000_000)], &[&trader.key]).await);
    // A crash (volatile assets −90%) makes the account liquidatable; the liquidator repays the
    // engine's amount of the stablecoin debt against asset 0.
    let mut liq_amounts = vec![0u64; 32];
    liq_amounts[31] = 1_000_000_000_000;
    let liquidator = m.trader(&mut w, &liq_amounts).await;
    let crash: Vec<f64> = specs.iter().enumerate().map(|(i, s)| if i == 31 { 1.0 } else { s.price * 0.1 }).collect();
    let normal: Vec<f64> = specs.iter().map(|s| s.price).collect();
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, crash[i]).await;
    }
    let plan = plan_for(&mut w, &m, &trader, &crash, 31, 0).await;
    t.row(
        "liquidate, 8 positions",
        w.send(
            &[compute_limit_ix(1_400_000), m.liquidate_ix(&liquidator, &trader, 31, 0, plan.flows.repay as u64, &held)],
            &[&liquidator.key],
        )
        .await,
    );
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, normal[i]).await;
    }
    // Back to 16 positions (the crash liquidation may have closed one): deposit until 15 deposits.
    let mut next = 7;
    while held_assets(&mut w, &trader).await.len() < 16 {
        w.send(&[m.deposit_ix(&trader, next, 5_000_000_000_000)], &[&trader.key]).await.ok();
        next += 1;
    }
    let held16 = held_assets(&mut w, &trader).await;
    let deposit_asset = held16[1];
    t.row("borrow, 16 positions", w.send(&[m.borrow_ix(&trader, 31, 100_000_000_000, &held16)], &[&trader.key]).await);
    t.row(
        "withdraw, 16 positions",
        w.send(&[m.withdraw_ix(&trader, deposit_asset, 1_000_000, &held16)], &[&trader.key]).await,
    );
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, crash[i]).await;
    }
    let plan = plan_for(&mut w, &m, &trader, &crash, 31, deposit_asset).await;
    t.row(
        "liquidate, 16 positions",
        w.send(
            &[
                compute_limit_ix(1_400_000),
                m.liquidate_ix(&liquidator, &trader, 31, deposit_asset, plan.flows.repay as u64, &held16),
            ],
            &[&liquidator.key],
        )
        .await,
    );

    // Every position accrued: a second trader borrows from each pool the first one holds, a day
    // passes with no pool touched, then the first one withdraws (16 pools accrued in memory).
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, normal[i]).await;
    }
    let held16 = held_assets(&mut w, &trader).await;
    let mut amounts = vec![0u64; 32];
    amounts[31] = 10_000_000_000_000;
    let borrower = m.trader(&mut w, &amounts).await;
    w.send(&[m.deposit_ix(&borrower, 31, 10_000_000_000_000)], &[&borrower.key]).await.ok();
    let mut bheld = vec![31];
    for &a in held16.iter().filter(|&&a| a != 31) {
        bheld.push(a);
        let out = w
            .send(&[compute_limit_ix(1_400_000), m.borrow_ix(&borrower, a, 1_000_000_000, &bheld)], &[&borrower.key])
            .await;
        if out.result.is_err() {
            bheld.pop();
        }
    }
    w.advance_time(86_400).await;
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, normal[i]).await;
    }
    let deposit_asset = held16[1];
    t.row(
        format!("withdraw, 16 positions, {} of their pools a day unaccrued", bheld.len()),
        w.send(
            &[compute_limit_ix(1_400_000), m.withdraw_ix(&trader, deposit_asset, 1_000_000, &held16)],
            &[&trader.key],
        )
        .await,
    );

    // Perps: a vault in the stablecoin and markets on assets 0..3; a trader with 5 spot positions
    // (4 small deposits, $80k of the stablecoin) and 3 perps of 8,000 tokens (~$264k): 8 positions.
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, normal[i]).await;
    }
    let p = Perps::new(&mut w, &m, 31, &[0, 1, 2], u64::MAX / 8).await;
    let lp = p.lp(&mut w, &m, 1_000_000_000_000).await;
    w.send(&[p.deposit_lp_ix(&lp, 1_000_000_000_000)], &[&lp.trader.key]).await.ok();
    let mut amounts = vec![10_000_000_000_000u64; 31];
    amounts.push(1_000_000_000_000);
    let pt = m.trader(&mut w, &amounts).await;
    for i in [4, 5, 6, 7] {
        w.send(&[m.deposit_ix(&pt, i, 100_000_000_000)], &[&pt.key]).await.ok();
    }
    w.send(&[m.deposit_ix(&pt, 31, 80_000_000_000)], &[&pt.key]).await.ok();
    let spot = [4, 5, 6, 7, 31];
    let size = 8_000_000_000_000i64;
    w.send(&[p.trade_ix(&m, &pt, 0, size, u64::MAX, &spot, &[0])], &[&pt.key]).await.ok();
    w.send(&[p.trade_ix(&m, &pt, 1, size, u64::MAX, &spot, &[0, 1])], &[&pt.key]).await.ok();
    t.row(
        "trade_perp, 8 positions (opens the 3rd perp)",
        w.send(&[p.trade_ix(&m, &pt, 2, size, u64::MAX, &spot, &[0, 1, 2])], &[&pt.key]).await,
    );
    t.row(
        "trade_perp, 8 positions (adds to a perp)",
        w.send(&[p.trade_ix(&m, &pt, 2, 1_000_000_000, u64::MAX, &spot, &[0, 1, 2])], &[&pt.key]).await,
    );
    w.set_price(&m.assets[0], normal[0] * 1.01).await;
    t.row("settle_perp_pnl (a profit into the stablecoin deposit)", w.send(&[p.settle_ix(&pt, 0)], &[]).await);
    // The perps' assets fall 30%: the book is below maintenance; the liquidator closes the
    // engine's amount of the first perp against the vault.
    let mut perp_crash = normal.clone();
    for (i, price) in perp_crash.iter_mut().enumerate().take(3) {
        *price = normal[i] * 0.7;
        w.set_price(&m.assets[i], *price).await;
    }
    let holdings = account_holdings(&mut w, &m, &pt, &perp_crash).await;
    let (perps, markets) = p.book(&mut w, &m, &pt, &perp_crash).await;
    let group: portfolio_margin::state::Group = w.zero_copy(m.group).await;
    let model: portfolio_margin::state::RiskModel = w.zero_copy(m.risk_model).await;
    let acc: portfolio_margin::state::MarginAccount = w.zero_copy(pt.margin_account).await;
    let (mp, lq) = (group.params.margin_params().unwrap(), group.params.liquidation_params());
    let book = risk_engine::perp::liquidation::PerpBook {
        cov: &portfolio_margin::state::ModelView { model: &model },
        holdings: &holdings,
        perps: &perps,
        target: 0,
        position: acc.perps[0].position(),
        pricing: markets[0].pricing(&group),
        margin: &mp,
        liq: &lq,
        fee: markets[0].params.liquidation_fee,
    };
    let close = book.plan().expect("the crashed perp book is liquidatable").close.delta.unsigned_abs() as u64;
    t.row(
        "liquidate_perp, 8 positions",
        w.send(
            &[compute_limit_ix(1_400_000), p.liquidate_ix(&m, &liquidator, &pt, 0, close, &spot, &[0, 1, 2])],
            &[&liquidator.key],
        )
        .await,
    );

    // A levered hedge at the same 8 positions: 3 small deposits, 8,000 tokens of asset 0 hedged by
    // a short perp of the same size, longs in two other perps, a stablecoin debt; the market's floor
    // rate raised to 25% puts it below maintenance, and one step unwinds both legs of the hedge.
    let hc = m.trader(&mut w, &amounts).await;
    for i in [4, 5, 6] {
        w.send(&[m.deposit_ix(&hc, i, 100_000_000_000)], &[&hc.key]).await.ok();
    }
    w.send(&[m.deposit_ix(&hc, 0, size as u64)], &[&hc.key]).await.ok();
    let spot = [4, 5, 6, 0];
    w.send(&[p.trade_ix(&m, &hc, 0, -size, 0, &spot, &[0])], &[&hc.key]).await.ok();
    for (k, market) in [1usize, 2].iter().enumerate() {
        let held: Vec<usize> = [0, 1, 2][..k + 2].to_vec();
        w.send(&[p.trade_ix(&m, &hc, *market, size / 100, u64::MAX, &spot, &held)], &[&hc.key]).await.ok();
    }
    let spot = [4, 5, 6, 0, 31];
    let value = 8_000.0 * perp_crash[0];
    let debt = (value * 0.9 * 1e6) as u64;
    let out = w.send(&[p.with_perp_health(m.borrow_ix(&hc, 31, debt, &spot), &[0, 1, 2])], &[&hc.key]).await;
    assert!(out.result.is_ok(), "the levered hedge borrows 90% of its spot: {:?}", out.logs);
    let admin = w.payer();
    let raised = portfolio_margin::state::PerpParamsArgs {
        floor_rate_e6: 250_000,
        ..portfolio_margin::state::PerpParamsArgs::defaults(u64::MAX / 8)
    };
    let update = portfolio_margin_client::perp::update_perp_market(&admin, m.group, &p.markets[0].0, raised);
    w.send(&[update], &[]).await.ok();
    let inputs = LiquidationInputs::read(&mut w, &m, &hc, &perp_crash, &[], 31, 0).await;
    let (perps, markets) = p.book(&mut w, &m, &hc, &perp_crash).await;
    let acc: portfolio_margin::state::MarginAccount = w.zero_copy(hc.margin_account).await;
    let (mp, lq) = (inputs.group.params.margin_params().unwrap(), inputs.group.params.liquidation_params());
    let hedge = risk_engine::perp::hedge::HedgeBook {
        cov: &portfolio_margin::state::ModelView { model: &inputs.model },
        holdings: &inputs.holdings,
        perps: &perps,
        liability: inputs.liability,
        collateral: inputs.collateral,
        target: 0,
        position: acc.perps[acc.find_perp(0).unwrap()].position(),
        pricing: markets[0].pricing(&inputs.group),
        margin: &mp,
        liq: &lq,
        fee: markets[0].params.liquidation_fee,
    };
    let repay = hedge.plan(i128::MAX).expect("the levered hedge is liquidatable").repay as u64;
    t.row(
        "liquidate_hedge, 8 positions (both legs of a levered hedge)",
        w.send(
            &[compute_limit_ix(1_400_000), p.hedge_ix(&m, &liquidator, &hc, (31, 0), 0, repay, &spot, &[0, 1, 2])],
            &[&liquidator.key],
        )
        .await,
    );

    // The 32-asset update when the keeper records the prices first: assets 0..31 in one
    // transaction, then the last price and the update (the update's own cost, oracle reads apart).
    w.advance_time(86_400).await;
    for (i, a) in m.assets.clone().iter().enumerate() {
        w.set_price(a, specs[i].price * if i % 2 == 0 { 1.02 } else { 0.99 }).await;
    }
    let recorded = w.send(&[compute_limit_ix(1_400_000), m.crank_ix(0, &oracles[..31])], &[]).await;
    assert!(recorded.result.is_ok(), "recording 31 prices: {:?}", recorded.logs);
    t.row(
        "crank_risk_model, 32 assets, EWMA update after 31 prices recorded: asset 31 + apply",
        w.send(&[compute_limit_ix(1_400_000), m.crank_ix(31, &oracles[31..])], &[]).await,
    );

    // The crank at the model's full size: 32 more volatile assets (64), one EWMA update in two
    // transactions (64 oracles do not fit one): assets 0..32, then 32..64 and the update.
    let mut specs64 = specs.clone();
    specs64.extend((32..64).map(|i| AssetSpec { price: 10.0 + i as f64, ..VOLATILE }));
    for i in 32..64 {
        let out = m.add_asset(&mut w, specs64[i], i, 0.3, &specs64).await;
        assert!(out.result.is_ok(), "registering asset {i}: {:?}", out.logs);
    }
    let oracles64 = m.oracles();
    // The first sample after registration records the new assets' prices; the next is an update.
    let recorded = crank64(&mut w, &m, &specs64, &oracles64, 0).await;
    assert!(recorded.result.is_ok(), "first 64-asset sample: {:?}", recorded.logs);
    let update = crank64(&mut w, &m, &specs64, &oracles64, 1).await;
    match &update.result {
        Ok(()) => t.row("crank_risk_model, 64 assets, EWMA update: assets 32..64 + apply (after 0..32)", update),
        Err(e) => println!("crank_risk_model, 64 assets, EWMA update: fails ({e:?}): beyond the 1.4M CU budget?"),
    }

    use portfolio_margin::state::{Asset, Group, MarginAccount, RiskModel};
    println!("| account | bytes (with discriminator) |");
    println!("| --- | --: |");
    for (name, size) in [
        ("Group", Group::SPACE),
        ("Asset", Asset::SPACE),
        ("MarginAccount (16 spot + 16 perp positions)", MarginAccount::SPACE),
        ("PerpMarket", portfolio_margin::state::PerpMarket::SPACE),
        ("PerpVault", portfolio_margin::state::PerpVault::SPACE),
        ("RiskModel (64 assets)", RiskModel::SPACE),
    ] {
        println!("| {name} | {size} |");
    }
    println!();
    println!("| instruction | CU |");
    println!("| --- | --: |");
    for (name, out) in &t.0 {
        println!("| {name} | {} |", out.compute_units);
    }
    // Issue 15's figures beside their goals.
    let cu = |name: &str| t.0.iter().find(|(n, _)| n == name).map(|(_, o)| o.compute_units as f64);
    println!();
    if let (Some(one), Some(sixteen)) = (cu("withdraw, 1 position"), cu("withdraw, 16 positions")) {
        println!(
            "per-position slope of the health check (withdraw 1 → 16 positions): {:.0} CU (Mango v4 asserts ≤ 3,350 per \
             token position, programs/mango-v4/tests/cases/test_health_compute.rs; issue 15's goal ≤ 1,500)",
            (sixteen - one) / 15.0
        );
    }
    for (name, goal) in [
        ("liquidate, 8 positions", 50_000.0),
        ("liquidate, 16 positions", 80_000.0),
        ("crank_risk_model, 32 assets, EWMA update", 120_000.0),
    ] {
        if let Some(v) = cu(name) {
            println!("{name}: {v:.0} CU (issue 15's goal ≤ {goal:.0}: {})", if v <= goal { "met" } else { "not met" });
        }
    }
    if let Some(v) = cu("crank_risk_model, 32 assets, EWMA update after 31 prices recorded: asset 31 + apply") {
        println!("crank_risk_model, 32 assets, the update's transaction when the prices are recorded first: {v:.0} CU");
    }
}
