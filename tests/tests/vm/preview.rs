//! The web app's preview (clients/wasm) against the real program: for each deposit, borrow,
//! withdraw and repay, the preview is built from the accounts' raw bytes exactly as the app does, the
//! instruction then runs in the VM, and
//! - the replayed books (every asset account and the margin account) equal the accounts the program
//!   wrote, byte for byte;
//! - the previewed health after equals the figures of the program's `BalanceChanged` event (equity and
//!   initial margin bits) and the health of the written accounts;
//! - `max_amount` is the exact limit: one unit more is refused by the program, the amount passes.
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::BalanceChanged;
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_tests::*;
use risk_wasm::api::Request;
use risk_wasm::books::{evaluate, Action, Kind};
use serde_json::Value;

const SOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true };

/// Every account a preview reads, fetched raw, as the app would (one getMultipleAccounts).
async fn request(w: &mut World, m: &Market, t: &Trader, action: Option<(Kind, u16, u64)>) -> Request {
    let now = w.clock().await.unix_timestamp;
    let group = w.account_data(m.group).await.unwrap();
    let model = w.account_data(m.risk_model).await.unwrap();
    let (mut assets, mut oracles, mut vaults) = (vec![], vec![], vec![]);
    for a in &m.assets {
        assets.push(w.account_data(a.asset).await.unwrap());
        oracles.push(w.account_data(a.oracle).await);
        vaults.push(w.account_data(a.vault).await);
    }
    let account = w.account_data(t.margin_account).await;
    Request::from_accounts(&group, &model, &assets, &oracles, &vaults, account.as_deref(), now, action)
}

/// The JSON API, as JavaScript calls it.
fn call(f: fn(&str) -> String, req: &Request) -> Value {
    serde_json::from_str(&f(&serde_json::to_string(req).unwrap())).unwrap()
}

fn bits(v: &Value) -> i128 {
    v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}")).parse().unwrap()
}

/// Runs `ix` after previewing it; asserts the preview equals what the program did, to the bit.
async fn previewed(w: &mut World, m: &Market, t: &Trader, kind: Kind, asset: usize, amount: u64) -> Value {
    let req = request(w, m, t, Some((kind, asset as u16, amount))).await;
    let now = req.now.unwrap();
    let p = call(risk_wasm::preview, &req);
    assert_eq!(p["ok"], true, "preview refuses {kind:?} {amount}: {p}");
    let held: Vec<usize> = {
        // Health accounts after the action: the replayed account's positions in slot order.
        let (market, books) = req.load().unwrap();
        let ev = evaluate(&market, &books, Action { kind, asset: asset as u16, amount }, now, false);
        ev.books.account.active().map(|p| p.asset_index as usize).collect()
    };
    let ix = match kind {
        Kind::Deposit => m.deposit_ix(t, asset, amount),
        Kind::Repay => m.repay_ix(t, asset, amount),
        Kind::Withdraw => m.withdraw_ix(t, asset, amount, &held),
        Kind::Borrow => m.borrow_ix(t, asset, amount, &held),
    };
    let out = w.send(&[ix], &[&t.key]).await.ok();
    let a: Asset = w.zero_copy(m.assets[asset].asset).await;
    assert_eq!(a.last_accrual, now, "the program ran at the previewed clock");

    // The event: shares after, and for withdraw / borrow the equity and initial margin it checked.
    let e = &out.events::<BalanceChanged>()[0];
    assert_eq!(e.amount, amount);
    assert_eq!(e.shares_after_bits, bits(&p["shares_after_bits"]), "shares after");
    if matches!(kind, Kind::Withdraw | Kind::Borrow) {
        assert_eq!(e.equity_bits, bits(&p["after"]["equity_bits"]), "equity: {p}");
        assert_eq!(e.initial_margin_bits, bits(&p["after"]["initial_margin_bits"]), "initial margin: {p}");
    }

    // The replayed books are the accounts the program wrote, byte for byte.
    let (market, books) = req.load().unwrap();
    let ev = evaluate(&market, &books, Action { kind, asset: asset as u16, amount }, now, false);
    ev.verdict().unwrap();
    for (i, replayed) in ev.books.assets.iter().enumerate() {
        let data = w.account_data(m.assets[i].asset).await.unwrap();
        assert_eq!(bytemuck::bytes_of(replayed), &data[8..8 + std::mem::size_of::<Asset>()], "asset {i}");
    }
    let data = w.account_data(t.margin_account).await.unwrap();
    assert_eq!(bytemuck::bytes_of(&ev.books.account), &data[8..8 + std::mem::size_of::<MarginAccount>()]);

    // Health of the written accounts now = the previewed health after (every figure and position).
    let post = call(risk_wasm::preview, &request(w, m, t, None).await);
    assert_eq!(post["before"], p["after"], "health of the written accounts");
    p
}

#[tokio::test]
async fn preview_equals_the_program_to_the_bit() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.3).await;
    let lender = m.trader(&mut w, &[0, 100_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 50_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[20_000_000_000, 1_000_000_000]).await;

    // A new account: the preview from no margin account at all equals the one from its empty bytes.
    let mut fresh = request(&mut w, &m, &t, Some((Kind::Deposit, 0, 10_000_000_000))).await;
    let from_bytes = call(risk_wasm::preview, &fresh);
    fresh.margin_account = None;
    assert_eq!(call(risk_wasm::preview, &fresh), from_bytes);

    let p = previewed(&mut w, &m, &t, Kind::Deposit, 0, 10_000_000_000).await;
    println!("deposit: equity {} → {}", p["before"]["equity"], p["after"]["equity"]);
    let p = previewed(&mut w, &m, &t, Kind::Borrow, 1, 300_000_000).await;
    println!("borrow: initial health {} (binding {})", p["after"]["initial_health"], p["after"]["binding"]);

    // Three days later, new prices: interest accrues on the touched pool first.
    w.advance_time(3 * 86_400).await;
    w.set_price(&m.assets[0], 97.5).await;
    w.set_price(&m.assets[1], 1.0).await;
    previewed(&mut w, &m, &t, Kind::Borrow, 1, 123_456_789).await;
    w.advance_time(3_600).await;
    w.set_price(&m.assets[0], 97.5).await;
    w.set_price(&m.assets[1], 1.0).await;
    let p = previewed(&mut w, &m, &t, Kind::Withdraw, 0, 1_234_567_891).await;
    println!("withdraw: equity {} initial margin {}", p["after"]["equity"], p["after"]["initial_margin"]);
    w.advance_time(600).await;
    w.set_price(&m.assets[0], 97.5).await;
    w.set_price(&m.assets[1], 1.0).await;
    previewed(&mut w, &m, &t, Kind::Repay, 1, 100_000_000).await;

    // The largest withdrawal: one unit more is refused by the program, the amount itself passes.
    let held = held_assets(&mut w, &t).await;
    let max = call(risk_wasm::max_amount, &request(&mut w, &m, &t, Some((Kind::Withdraw, 0, 0))).await);
    assert_eq!(max["limited_by"]["code"], "InitialHealthBelowZero", "{max}");
    let amount: u64 = max["amount"].as_str().unwrap().parse().unwrap();
    let out = w.send(&[m.withdraw_ix(&t, 0, amount + 1, &held)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InitialHealthBelowZero)));
    let p = previewed(&mut w, &m, &t, Kind::Withdraw, 0, amount).await;
    println!("max withdraw {amount}: initial health after {}", p["after"]["initial_health"]);

    // Collateral back in, then the largest borrow, likewise.
    previewed(&mut w, &m, &t, Kind::Deposit, 0, 5_000_000_000).await;
    let held = held_assets(&mut w, &t).await;
    let max = call(risk_wasm::max_amount, &request(&mut w, &m, &t, Some((Kind::Borrow, 1, 0))).await);
    assert_eq!(max["limited_by"]["code"], "InitialHealthBelowZero", "{max}");
    assert_eq!(max["liquidity_exact"], true);
    let amount: u64 = max["amount"].as_str().unwrap().parse().unwrap();
    assert!(amount > 100_000_000, "{max}");
    let over = call(risk_wasm::preview, &request(&mut w, &m, &t, Some((Kind::Borrow, 1, amount + 1))).await);
    assert_eq!(over["error_code"], "InitialHealthBelowZero");
    let out = w.send(&[m.borrow_ix(&t, 1, amount + 1, &held)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InitialHealthBelowZero)));
    let p = previewed(&mut w, &m, &t, Kind::Borrow, 1, amount).await;
    println!("max borrow {amount}: initial health after {}", p["after"]["initial_health"]);
}

#[tokio::test]
async fn preview_refuses_what_the_program_refuses() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let lender = m.trader(&mut w, &[0, 1_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 1_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[20_000_000_000, 0]).await;
    w.send(&[m.deposit_ix(&t, 0, 20_000_000_000)], &[&t.key]).await.ok();

    // Liquidity: the vault holds 1,000 USDC; the preview reads the same vault.
    let cases: [(Kind, usize, u64, ErrorCode); 4] = [
        (Kind::Borrow, 1, 1_000_000_001, ErrorCode::InsufficientLiquidity),
        (Kind::Repay, 1, 1, ErrorCode::NoDebt),
        (Kind::Withdraw, 1, 1, ErrorCode::InsufficientDeposit),
        (Kind::Borrow, 0, 1, ErrorCode::BorrowAgainstOwnDeposit),
    ];
    for (kind, asset, amount, code) in cases {
        let p = call(risk_wasm::preview, &request(&mut w, &m, &t, Some((kind, asset as u16, amount))).await);
        assert_eq!(p["ok"], false);
        assert_eq!(p["error_code"], code.name(), "{kind:?}: {p}");
        assert_eq!(p["error"], code.to_string());
        let held = held_assets(&mut w, &t).await;
        let ix = match kind {
            Kind::Repay => m.repay_ix(&t, asset, amount),
            Kind::Withdraw => m.withdraw_ix(&t, asset, amount, &held),
            _ => m.borrow_ix(&t, asset, amount, &[0, asset]),
        };
        let out = w.send(&[ix], &[&t.key]).await;
        assert_eq!(out.custom_error(), Some(u32::from(code)), "{kind:?}");
    }

    // A stale price: the preview of a borrow names it, as the program does; deposits stay allowed.
    w.advance_time(61).await;
    let p = call(risk_wasm::preview, &request(&mut w, &m, &t, Some((Kind::Borrow, 1, 1_000))).await);
    assert_eq!(p["error_code"], ErrorCode::OracleStale.name());
    let out = w.send(&[m.borrow_ix(&t, 1, 1_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleStale)));
    let p = call(risk_wasm::preview, &request(&mut w, &m, &t, Some((Kind::Deposit, 0, 1))).await);
    assert_eq!(p["ok"], true);
    assert!(p["health_error"].is_string());
}

/// An account holding a perp: the preview of a borrow, given the perp vault and markets, equals
/// the program's health check to the bit; without them it is refused rather than wrong.
#[tokio::test]
async fn a_book_with_perps_previews_to_the_bit() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.3).await;
    let p = Perps::new(&mut w, &m, 1, &[0], 1_000_000_000_000).await;
    let lp = p.lp(&mut w, &m, 1_000_000_000_000).await;
    w.send(&[p.deposit_lp_ix(&lp, 1_000_000_000_000)], &[&lp.trader.key]).await.ok();
    let lender = m.trader(&mut w, &[0, 100_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 50_000_000_000)], &[&lender.key]).await.ok();
    // 100 SOL spot, short 60 SOL perp.
    let t = m.trader(&mut w, &[100_000_000_000, 0]).await;
    w.send(&[m.deposit_ix(&t, 0, 100_000_000_000)], &[&t.key]).await.ok();
    w.send(&[p.trade_ix(&m, &t, 0, -60_000_000_000, 0, &[0], &[0])], &[&t.key]).await.ok();
    w.set_price(&m.assets[0], 104.0).await;

    let amount = 1_000_000_000u64;
    let mut req = request(&mut w, &m, &t, Some((Kind::Borrow, 1, amount))).await;
    let refused = call(risk_wasm::preview, &req);
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("perp"), "{refused}");
    req.perp_vault = Some(b64(&w.account_data(p.vault.perp_vault).await.unwrap()));
    req.perp_vault_tokens = Some(b64(&w.account_data(p.vault.tokens).await.unwrap()));
    req.perp_markets = vec![b64(&w.account_data(p.markets[0].0.perp_market).await.unwrap())];
    let pv = call(risk_wasm::preview, &req);
    assert_eq!(pv["ok"], true, "{pv}");
    let out = w.send(&[p.with_perp_health(m.borrow_ix(&t, 1, amount, &[0, 1]), &[0])], &[&t.key]).await.ok();
    let e = &out.events::<BalanceChanged>()[0];
    assert_eq!(e.equity_bits, bits(&pv["after"]["equity_bits"]), "equity: {pv}");
    assert_eq!(e.initial_margin_bits, bits(&pv["after"]["initial_margin_bits"]), "initial margin: {pv}");
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// `preview_trade` against `trade_perp`: an opening short, a reducing buy and a short beyond
/// initial health, each previewed from the raw accounts and then sent; the fill, the position and
/// health after equal the program's `PerpTraded` event to the bit, and the refusal is the program's.
#[tokio::test]
async fn a_perp_trade_previews_to_the_bit() {
    use portfolio_margin::events::PerpTraded;
    use risk_wasm::api::TradeRequest;
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.3).await;
    let p = Perps::new(&mut w, &m, 1, &[0], 1_000_000_000_000).await;
    let lp = p.lp(&mut w, &m, 1_000_000_000_000).await;
    w.send(&[p.deposit_lp_ix(&lp, 1_000_000_000_000)], &[&lp.trader.key]).await.ok();
    let t = m.trader(&mut w, &[100_000_000_000, 0]).await;
    w.send(&[m.deposit_ix(&t, 0, 100_000_000_000)], &[&t.key]).await.ok();
    let sol = 1_000_000_000i64;
    for (step, delta, price) in
        [("open a short", -60 * sol, 100.0), ("buy back", 30 * sol, 104.0), ("beyond health", -800 * sol, 104.0)]
    {
        w.set_price(&m.assets[0], price).await;
        let mut req = request(&mut w, &m, &t, None).await;
        req.perp_vault = Some(b64(&w.account_data(p.vault.perp_vault).await.unwrap()));
        req.perp_vault_tokens = Some(b64(&w.account_data(p.vault.tokens).await.unwrap()));
        req.perp_markets = vec![b64(&w.account_data(p.markets[0].0.perp_market).await.unwrap())];
        req.trade = Some(TradeRequest { market: 0, base_delta: delta.to_string(), limit_price_e6: None });
        let pv = call(risk_wasm::preview_trade, &req);
        let limit = if delta > 0 { u64::MAX } else { 0 };
        let out = w.send(&[p.trade_ix(&m, &t, 0, delta, limit, &[0], &[0])], &[&t.key]).await;
        if step == "beyond health" {
            assert_eq!(pv["ok"], false, "{pv}");
            assert_eq!(pv["error_code"], ErrorCode::InitialHealthBelowZero.name(), "{pv}");
            assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InitialHealthBelowZero)), "{step}");
            continue;
        }
        assert_eq!(pv["ok"], true, "{step}: {pv}");
        let e = &out.ok().events::<PerpTraded>()[0];
        assert_eq!(e.fill_price_bits, bits(&pv["fill_price_bits"]), "{step}: fill");
        assert_eq!(e.base_after.to_string(), pv["position_after"]["base"].as_str().unwrap(), "{step}: base");
        assert_eq!(e.quote_after_bits, bits(&pv["position_after"]["quote_bits"]), "{step}: entry");
        assert_eq!(e.equity_bits, bits(&pv["after"]["equity_bits"]), "{step}: equity");
        assert_eq!(e.initial_margin_bits, bits(&pv["after"]["initial_margin_bits"]), "{step}: initial margin");
    }
    // `decode` shows the position with its PnL at the oracle price and its funding.
    let mut req = request(&mut w, &m, &t, None).await;
    req.perp_vault = Some(b64(&w.account_data(p.vault.perp_vault).await.unwrap()));
    req.perp_vault_tokens = Some(b64(&w.account_data(p.vault.tokens).await.unwrap()));
    req.perp_markets = vec![b64(&w.account_data(p.markets[0].0.perp_market).await.unwrap())];
    let d = call(risk_wasm::decode, &req);
    let pos = &d["account"]["perp_positions"][0];
    assert_eq!(pos["base"], (-30 * sol).to_string(), "{d}");
    // Short 60 at ~100, 30 bought back at ~104 (that loss stays in the entry until settled), the
    // remaining 30 marked at 104: ~60 × −$4.3 with spreads.
    let pnl = pos["pnl"].as_f64().unwrap();
    assert!(pnl < -200.0 && pnl > -300.0, "{pos}");
    assert!(pos["funding_owed"].is_number() && pos["price"].as_f64() == Some(104.0), "{pos}");
}
