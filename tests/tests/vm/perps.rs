//! Perps on the real program: the cash-and-carry headline, the oracle-manipulation defence, and
//! the LP vault.
use portfolio_margin::error::ErrorCode as E;
use portfolio_margin::events::{BalanceChanged, PerpLiquidated, PerpSettled, PerpTraded};
use portfolio_margin::state::{MarginAccount, PerpMarket};
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
