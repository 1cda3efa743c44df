//! Perps on the real program: the cash-and-carry headline, the oracle-manipulation defence, and
//! the LP vault.
use portfolio_margin::error::ErrorCode as E;
use portfolio_margin::events::{BalanceChanged, HedgeLiquidated, PerpLiquidated, PerpSettled, PerpTraded};
use portfolio_margin::state::{MarginAccount, ModelView, PerpMarket, PerpParamsArgs};
use portfolio_margin_client::perp as pp;
use portfolio_margin_tests::*;
use risk_engine::Fx;

const BTC: AssetSpec = AssetSpec { decimals: 8, price: 50_000.0, daily_vol: 0.04, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };
const ALT: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.10, token_2022: false };
const ONE_BTC: i64 = 100_000_000;
const USD: u64 = 1_000_000;

fn fx(bits: i128) -> f64 {
    Fx::from_bits(bits).to_num::<f64>()
}

/// BTC and USDC, a BTC perp market, 2M USDC of LP liquidity and 1M USDC lent.
async fn btc_market() -> (World, Market, Perps, Lp) {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[BTC, USDC], 0.0).await;
    let p = Perps::new(&mut w, &m, 1, &[0], 1_000 * ONE_BTC as u64).await;
    let lp = p.lp(&mut w, &m, 2_000_000 * USD).await;
    w.send(&[p.deposit_lp_ix(&lp, 2_000_000 * USD)], &[&lp.trader.key]).await.ok();
    let lender = m.trader(&mut w, &[0, 1_000_000 * USD]).await;
    w.send(&[m.deposit_ix(&lender, 1, 1_000_000 * USD)], &[&lender.key]).await.ok();
    (w, m, p, lp)
}

#[tokio::test]
async fn cash_and_carry_nets_to_its_floor_and_survives_a_30pct_move_that_liquidates_the_naked_short() {
    let (mut w, m, p, _) = btc_market().await;
    // Hedged: 10 BTC spot, short 10 BTC perp in the same account.
    let h = m.trader(&mut w, &[10 * ONE_BTC as u64, 0]).await;
    w.send(&[m.deposit_ix(&h, 0, 10 * ONE_BTC as u64)], &[&h.key]).await.ok();
    let out = w.send(&[p.trade_ix(&m, &h, 0, -10 * ONE_BTC, 0, &[0], &[0])], &[&h.key]).await.ok();
    let hedged = fx(out.events::<PerpTraded>()[0].initial_margin_bits);
    println!("trade_perp (2 positions): {} CU", out.compute_units);
    // Apart: the same spot leg alone (its margin read from a 1-unit withdrawal) and the same perp
    // leg alone on USDC collateral.
    let s = m.trader(&mut w, &[10 * ONE_BTC as u64 + 1, 0]).await;
    w.send(&[m.deposit_ix(&s, 0, 10 * ONE_BTC as u64 + 1)], &[&s.key]).await.ok();
    let out = w.send(&[m.withdraw_ix(&s, 0, 1, &[0])], &[&s.key]).await.ok();
    let spot = fx(out.events::<BalanceChanged>()[0].initial_margin_bits);
    let q = m.trader(&mut w, &[0, 200_000 * USD]).await;
    w.send(&[m.deposit_ix(&q, 1, 200_000 * USD)], &[&q.key]).await.ok();
    let out = w.send(&[p.trade_ix(&m, &q, 0, -10 * ONE_BTC, 0, &[1], &[0])], &[&q.key]).await.ok();
    let perp = fx(out.events::<PerpTraded>()[0].initial_margin_bits);
    let ratio = hedged / (spot + perp);
    println!("cash and carry, 10 BTC: hedged ${hedged:.0} vs apart ${spot:.0} + ${perp:.0} ({:.1}%)", ratio * 100.0);
    assert!(ratio <= 0.10, "{ratio}");

    // The same leverage: both books hold $120k of equity against a $500k short.
    w.send(&[p.with_perp_health(m.borrow_ix(&h, 1, 380_000 * USD, &[0, 1]), &[0])], &[&h.key]).await.ok();
    let n = m.trader(&mut w, &[0, 120_000 * USD]).await;
    w.send(&[m.deposit_ix(&n, 1, 120_000 * USD)], &[&n.key]).await.ok();
    w.send(&[p.trade_ix(&m, &n, 0, -10 * ONE_BTC, 0, &[1], &[0])], &[&n.key]).await.ok();
    let liq = m.trader(&mut w, &[0, 0]).await;
    for price in [65_000.0, 35_000.0] {
        w.set_price(&m.assets[0], price).await;
        let out = w.send(&[p.liquidate_ix(&m, &liq, &h, 0, ONE_BTC as u64, &[0, 1], &[0])], &[&liq.key]).await;
        assert_eq!(out.custom_error(), Some(u32::from(E::NotLiquidatable)), "hedged book at ${price}");
    }
    w.set_price(&m.assets[0], 65_000.0).await;
    let before = w.token_balance(liq.tokens[1]).await;
    let out = w.send(&[p.liquidate_ix(&m, &liq, &n, 0, ONE_BTC as u64, &[1], &[0])], &[&liq.key]).await.ok();
    let e = &out.events::<PerpLiquidated>()[0];
    assert_eq!(e.base_delta, ONE_BTC, "one BTC of the short bought back");
    assert!(fx(e.fill_price_bits) > 65_000.0);
    assert!(e.reward > 0 && w.token_balance(liq.tokens[1]).await == before + e.reward);
    assert!(fx(e.maintenance_health_after_bits) > fx(e.maintenance_health_before_bits));
    println!("liquidate_perp (2 positions): {} CU", out.compute_units);
}

#[tokio::test]
async fn a_levered_carry_no_single_leg_can_liquidate_is_unwound_on_both_legs_at_once() {
    let (mut w, m, p, _) = btc_market().await;
    // 10 BTC deposited, short 10 BTC perp, $470k USDC borrowed against the hedge.
    let h = m.trader(&mut w, &[10 * ONE_BTC as u64, 0]).await;
    w.send(&[m.deposit_ix(&h, 0, 10 * ONE_BTC as u64)], &[&h.key]).await.ok();
    w.send(&[p.trade_ix(&m, &h, 0, -10 * ONE_BTC, 0, &[0], &[0])], &[&h.key]).await.ok();
    w.send(&[p.with_perp_health(m.borrow_ix(&h, 1, 470_000 * USD, &[0, 1]), &[0])], &[&h.key]).await.ok();
    // The risk authority raises the market's floor rate from 0.5% to 5%: below maintenance.
    let admin = w.payer();
    let raised = PerpParamsArgs { floor_rate_e6: 50_000, ..PerpParamsArgs::defaults(1_000 * ONE_BTC as u64) };
    w.send(&[pp::update_perp_market(&admin, m.group, &p.markets[0].0, raised)], &[]).await.ok();
    let liq = m.trader(&mut w, &[0, 1_000_000 * USD]).await;

    // Neither leg alone improves the book, and it is solvent (no close-out).
    let spot = p.with_perp_health(m.liquidate_ix(&liq, &h, 1, 0, 10_000 * USD, &[0, 1]), &[0]);
    let out = w.send(&[spot], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::LiquidationDoesNotImprove)), "spot leg alone");
    let out = w.send(&[p.liquidate_ix(&m, &liq, &h, 0, ONE_BTC as u64, &[0, 1], &[0])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::LiquidationDoesNotImprove)), "perp leg alone");
    let out = w.send(&[p.liquidate_ix(&m, &liq, &h, 0, 10 * ONE_BTC as u64, &[0, 1], &[0])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::CloseOutOfSolventBook)), "perp close-out");

    // The engine's plan for the hedged step, on the data the program reads.
    let prices = [50_000.0, 1.0];
    let inputs = LiquidationInputs::read(&mut w, &m, &h, &prices, &[], 1, 0).await;
    let (perps, markets) = p.book(&mut w, &m, &h, &prices).await;
    let acc: MarginAccount = w.zero_copy(h.margin_account).await;
    let position = acc.perps[acc.find_perp(0).unwrap()].position();
    let (mp, lp) = (inputs.group.params.margin_params().unwrap(), inputs.group.params.liquidation_params());
    let book = risk_engine::perp::hedge::HedgeBook {
        cov: &ModelView { model: &inputs.model },
        holdings: &inputs.holdings,
        perps: &perps,
        liability: inputs.liability,
        collateral: inputs.collateral,
        target: 0,
        position,
        pricing: markets[0].pricing(&inputs.group),
        margin: &mp,
        liq: &lp,
        fee: markets[0].params.liquidation_fee,
    };
    let v = book.plan(i128::MAX).unwrap();
    let repay = v.repay as u64;
    let hedge = |max_repay| p.hedge_ix(&m, &liq, &h, (1, 0), 0, max_repay, &[0, 1], &[0]);
    let out = w.send(&[hedge(2 * repay)], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::OverLiquidation)));
    let usdc_before = w.token_balance(liq.tokens[1]).await;
    let out = w.send(&[hedge(repay)], &[&liq.key]).await.ok();
    let e = &out.events::<HedgeLiquidated>()[0];
    println!(
        "liquidate_hedge (2 spot + 1 perp): repaid ${:.0}, {:.4} BTC both legs, initial health {:.0} → {:.0}: {} CU",
        e.repaid as f64 / USD as f64,
        e.base_delta as f64 / ONE_BTC as f64,
        fx(e.initial_health_before_bits),
        fx(e.initial_health_after_bits),
        out.compute_units
    );
    assert_eq!(e.repaid, repay);
    assert_eq!(e.base_delta as u64, e.collateral_to_liquidator + e.collateral_to_insurance, "same base on both legs");
    assert!(fx(e.initial_health_after_bits) >= 0.0);
    assert!(fx(e.maintenance_health_after_bits) > fx(e.maintenance_health_before_bits));
    assert_eq!(w.token_balance(liq.tokens[1]).await, usdc_before - repay, "the liquidator paid the repay");
    let acc: MarginAccount = w.zero_copy(h.margin_account).await;
    let held = account_holdings(&mut w, &m, &h, &prices).await;
    let btc = held.iter().find(|x| x.asset == 0).unwrap().amount;
    let perp = acc.perps[acc.find_perp(0).unwrap()].position().base;
    assert!((btc + perp).abs() <= 1, "still an exact hedge: {btc} BTC, perp {perp}");
    // Now above maintenance: nothing more to liquidate.
    let out = w.send(&[hedge(repay)], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::NotLiquidatable)));
}

#[tokio::test]
async fn a_pumped_oracle_pays_no_more_than_the_vault_holds_and_unrealized_profit_counts_at_its_weight() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[BTC, USDC, ALT], 0.0).await;
    let p = Perps::new(&mut w, &m, 1, &[0, 2], 1_000_000_000 * USD).await;
    let lp = p.lp(&mut w, &m, 100_000 * USD).await;
    w.send(&[p.deposit_lp_ix(&lp, 100_000 * USD)], &[&lp.trader.key]).await.ok();
    let lender = m.trader(&mut w, &[100 * ONE_BTC as u64, 1_000_000 * USD, 0]).await;
    w.send(&[m.deposit_ix(&lender, 1, 1_000_000 * USD)], &[&lender.key]).await.ok();
    w.send(&[m.deposit_ix(&lender, 0, 100 * ONE_BTC as u64)], &[&lender.key]).await.ok();
    // The attacker: $20k of USDC, long $20k of the thin asset's perp.
    let a = m.trader(&mut w, &[0, 20_000 * USD, 0]).await;
    w.send(&[m.deposit_ix(&a, 1, 20_000 * USD)], &[&a.key]).await.ok();
    w.send(&[p.trade_ix(&m, &a, 1, 20_000 * USD as i64, 2 * USD, &[1], &[1])], &[&a.key]).await.ok();
    // The oracle is pumped tenfold: ~$180k of paper profit against a $100k vault.
    w.set_price(&m.assets[2], 10.0).await;
    // Borrowing against the paper profit is refused well below it: one BTC ($50k) is too much.
    let out = w.send(&[p.with_perp_health(m.borrow_ix(&a, 0, ONE_BTC as u64, &[1, 0]), &[1])], &[&a.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::InitialHealthBelowZero)));
    // Settlement pays what the vault holds and not a token more.
    let vault_before = w.token_balance(p.vault.tokens).await;
    let out = w.send(&[p.settle_ix(&a, 1)], &[]).await.ok();
    let paid = out.events::<PerpSettled>()[0].tokens;
    assert_eq!(paid as u64, vault_before, "the whole vault, no more");
    assert_eq!(w.token_balance(p.vault.tokens).await, 0);
    println!("settle_perp_pnl: {} CU", out.compute_units);
    let out = w.send(&[p.settle_ix(&a, 1)], &[]).await.ok();
    assert_eq!(out.events::<PerpSettled>()[0].tokens, 0, "an empty vault pays nothing");
    // The rest of the profit counts for nothing now: what the attacker can take out is bounded by
    // what it really received.
    let out = w.send(&[p.with_perp_health(m.withdraw_ix(&a, 1, 119_000 * USD, &[1]), &[1])], &[&a.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::InitialHealthBelowZero)));
    // The vault now owes traders more than it holds: new LP money is refused.
    let lp2 = p.lp(&mut w, &m, 1_000 * USD).await;
    let out = w.send(&[p.deposit_lp_ix(&lp2, 1_000 * USD)], &[&lp2.trader.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(E::PerpVaultInsolvent)));
}

#[tokio::test]
async fn lps_enter_and_leave_at_the_vault_value_and_the_books_sum_to_zero() {
    let (mut w, m, p, lp) = btc_market().await;
    assert_eq!(w.token_balance(lp.shares).await, 2_000_000 * USD, "1:1 into an empty vault");
    // A trader goes long 2 BTC; the price rises 10%; the vault owes the trader its PnL.
    let t = m.trader(&mut w, &[0, 100_000 * USD]).await;
    w.send(&[m.deposit_ix(&t, 1, 100_000 * USD)], &[&t.key]).await.ok();
    w.send(&[p.trade_ix(&m, &t, 0, 2 * ONE_BTC, 60_000 * USD, &[1], &[0])], &[&t.key]).await.ok();
    let mk: PerpMarket = w.zero_copy(p.markets[0].0.perp_market).await;
    assert_eq!((mk.long_oi, mk.short_oi), (2 * ONE_BTC as u64, 0));
    w.set_price(&m.assets[0], 55_000.0).await;
    // The LP's half is worth half of (tokens − traders' PnL): less than it paid in.
    let before = w.token_balance(lp.trader.tokens[1]).await;
    w.send(&[p.withdraw_lp_ix(&lp, 1_000_000 * USD)], &[&lp.trader.key]).await.ok();
    let got = w.token_balance(lp.trader.tokens[1]).await - before;
    assert!(got < 1_000_000 * USD && got > 990_000 * USD, "{got}");
    // Settling moves the trader's profit from the vault to its USDC deposit; the position's PnL is
    // then below one native unit, and tokens are conserved.
    let vault_before = w.token_balance(p.vault.tokens).await;
    let pool_before = w.token_balance(m.assets[1].vault).await;
    let out = w.send(&[p.settle_ix(&t, 0)], &[]).await.ok();
    let paid = out.events::<PerpSettled>()[0].tokens;
    assert!(paid > 9_000 * USD as i64 && paid < 10_000 * USD as i64, "{paid}");
    assert_eq!(w.token_balance(p.vault.tokens).await, vault_before - paid as u64);
    assert_eq!(w.token_balance(m.assets[1].vault).await, pool_before + paid as u64);
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let pos = acc.perps[0].position();
    assert_eq!(pos.base, 2 * ONE_BTC as i128);
    // The market's aggregate equals the one position in it.
    let mk: PerpMarket = w.zero_copy(p.markets[0].0.perp_market).await;
    assert_eq!(mk.net_quote.get(), pos.quote);
}
