//! The permissionless covariance crank: sampling on schedule, missing prices, order and duplicate
//! checks, two-phase runs, and margin that rises when the covariance does.
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::{BalanceChanged, OracleUnusable, RiskModelUpdated};
use portfolio_margin::state::RiskModel;
use portfolio_margin_tests::*;
use risk_engine::{tri_index, Fx};

const A: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.03, token_2022: false };
const B: AssetSpec = AssetSpec { decimals: 6, price: 20.0, daily_vol: 0.04, token_2022: false };
const USD: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true };

async fn model(w: &mut World, m: &Market) -> RiskModel {
    w.zero_copy(m.risk_model).await
}

#[tokio::test]
async fn crank_samples_once_per_interval_and_a_crash_raises_covariance_and_margin() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[A, B, USD], 0.5).await;
    let lender = m.trader(&mut w, &[0, 0, 100_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 2, 50_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[20_000_000_000, 0, 0]).await;
    w.send(&[m.deposit_ix(&t, 0, 20_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.borrow_ix(&t, 2, 500_000_000, &[0, 2])], &[&t.key]).await.ok();

    // First crank records prices only; a second one right after is too early.
    let out = w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    println!("crank (3 assets, first sample): {} CU", out.compute_units);
    let out = w.send(&[m.crank_ix(0, &m.oracles())], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::SampleTooEarly)));

    let before = model(&mut w, &m).await;
    let var_before = before.covariance[tri_index(0, 0)].get();
    // Margin of the account before the crash (a tiny withdraw reports it).
    let out = w.send(&[m.withdraw_ix(&t, 0, 1, &[0, 2])], &[&t.key]).await.ok();
    let im_before = Fx::from_bits(out.events::<BalanceChanged>()[0].initial_margin_bits);

    // A day later both volatile assets fall 20%.
    w.advance_time(86_400).await;
    w.set_price(&m.assets[0], 80.0).await;
    w.set_price(&m.assets[1], 16.0).await;
    w.set_price(&m.assets[2], 1.0).await;
    let out = w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    println!("crank (3 assets, update): {} CU", out.compute_units);
    let ev = &out.events::<RiskModelUpdated>()[0];
    assert_eq!(ev.sample_count, 1);
    assert_eq!(ev.missing_mask, 0);
    let after = model(&mut w, &m).await;
    // Σ00' = 0.94·0.0009 + 0.06·0.04 = 0.003246.
    let var_after = after.covariance[tri_index(0, 0)].get();
    assert!((var_after.to_num::<f64>() - (0.94 * 0.0009 + 0.06 * 0.04)).abs() < 1e-9, "{var_after}");
    assert!(var_after > var_before);
    let cov01 = after.covariance[tri_index(0, 1)].get().to_num::<f64>();
    assert!((cov01 - (0.94 * 0.5 * 0.03 * 0.04 + 0.06 * 0.04)).abs() < 1e-9);

    let out = w.send(&[m.withdraw_ix(&t, 0, 1, &[0, 2])], &[&t.key]).await.ok();
    let im_after = Fx::from_bits(out.events::<BalanceChanged>()[0].initial_margin_bits);
    // Lower prices shrink the position, yet the margin rises with the volatility (√(Σ'/Σ) ≈ 1.9).
    assert!(im_after > im_before, "initial margin {im_before} → {im_after}");
}

/// The volatility memories: right after a −40% day the short memory (λ_f = 0.7) has taken 30% of the
/// shock where the fast EWMA took 6%, so the scale d = κ_f·σ_short/σ_fast lifts the crashed asset's
/// margins at once; 80 calm days later the fast variance has decayed by 0.94⁸⁰ but the slow one
/// only by 0.995⁸⁰, so d = κ_s·σ_slow/σ_fast keeps them up. The crank stores exactly what the engine
/// computes, every day.
#[tokio::test]
async fn the_slow_memory_keeps_margins_up_after_a_crash_calms_down() {
    use risk_engine::procyclicality::{update_slow_variance, vol_scale, VolFloorParams};
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[A, B, USD], 0.5).await;
    let params = VolFloorParams::daily_defaults();
    let start = model(&mut w, &m).await;
    assert_eq!(start.slow_variance[0].get(), start.covariance[tri_index(0, 0)].get(), "starts at the bootstrap");
    w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    let mut slow = start.slow_variance[0].get();
    let mut short = start.short_variance[0].get();
    let (mut price, mut scale_after_crash) = (100.0, Fx::ZERO);
    for day in 0..81 {
        w.advance_time(86_400).await;
        let next = if day == 0 { 60.0 } else { price };
        w.set_price(&m.assets[0], next).await;
        w.set_price(&m.assets[1], 20.0).await;
        w.set_price(&m.assets[2], 1.0).await;
        w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
        let r = risk_engine::ewma::simple_return(0, Fx::from_num(price), Fx::from_num(next)).unwrap();
        slow = update_slow_variance(slow, r, params.slow_lambda).unwrap();
        short = update_slow_variance(short, r, params.short_lambda).unwrap();
        price = next;
        let now = model(&mut w, &m).await;
        assert_eq!(now.slow_variance[0].get(), slow, "day {day}: the crank stores the engine's slow variance");
        assert_eq!(now.short_variance[0].get(), short, "day {day}: and its short variance");
        let fast = now.covariance[tri_index(0, 0)].get();
        assert_eq!(now.vol_scale[0].get(), vol_scale(fast, slow, short, &params).unwrap(), "day {day}");
        if day == 0 {
            scale_after_crash = now.vol_scale[0].get();
        }
    }
    let end = model(&mut w, &m).await;
    let d = end.vol_scale[0].get().to_num::<f64>();
    let expect = 0.7
        * (end.slow_variance[0].get().to_num::<f64>() / end.covariance[tri_index(0, 0)].get().to_num::<f64>()).sqrt();
    println!(
        "asset 0 scale: {scale_after_crash} after the crash, {d:.4} 80 calm days later (κ√(slow/fast) = {expect:.4})"
    );
    // κ_f·√((0.7·0.0009 + 0.3·0.16) / (0.94·0.0009 + 0.06·0.16)) = 1.2 × 2.16 ≈ 2.59.
    assert!(scale_after_crash > Fx::from_num(2.5), "the short memory reacts to the crash: {scale_after_crash}");
    // d is rounded up to the margin kernel's 2⁻²⁶ grid.
    assert!(d > 1.2 && (d - expect.max(1.0)).abs() < 2e-8, "the calm days lift the crashed asset's scale to {d}");
}

#[tokio::test]
async fn oracles_out_of_order_repeated_or_substituted_are_rejected() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[A, B], 0.5).await;
    let o = m.oracles();
    let out = w.send(&[m.crank_ix(0, &[o[1], o[0]])], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleFeedMismatch)));
    let out = w.send(&[m.crank_ix(0, &[o[0], o[0]])], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleFeedMismatch)));
    let out = w.send(&[m.crank_ix(1, &[o[1], o[0]])], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CrankOrder)));
    let out = w.send(&[m.crank_ix(0, &[])], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CrankOrder)));
    // Recording asset 0 twice in one sample.
    w.send(&[m.crank_ix(0, &[o[0]])], &[]).await.ok();
    let out = w.send(&[m.crank_ix(0, &[o[0]])], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CrankOrder)));
    assert_eq!(model(&mut w, &m).await.last_sample_time, 0, "nothing applied yet");
}

#[tokio::test]
async fn two_phase_crank_applies_one_sample_and_a_stale_oracle_keeps_its_variance() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[A, B], 0.5).await;
    let o = m.oracles();
    w.send(&[m.crank_ix(0, &o)], &[]).await.ok();
    w.advance_time(86_400).await;
    w.set_price(&m.assets[0], 110.0).await; // B's oracle is now a day old: unusable.
    let out = w.send(&[m.crank_ix(0, &[o[0]])], &[]).await.ok();
    assert!(out.events::<RiskModelUpdated>().is_empty(), "phase one only records");
    let out = w.send(&[m.crank_ix(1, &[o[1]])], &[]).await.ok();
    let unusable = out.events::<OracleUnusable>();
    assert_eq!(unusable.len(), 1);
    assert_eq!(unusable[0].asset_index, 1);
    let ev = &out.events::<RiskModelUpdated>()[0];
    assert_eq!(ev.missing_mask, 0b10);
    let after = model(&mut w, &m).await;
    assert_eq!(after.sample_count, 1);
    // B was not observed: its variance is kept (not decayed), its covariance with A decays by √λ,
    // and its last price is kept.
    let var_b = after.covariance[tri_index(1, 1)].get().to_num::<f64>();
    assert!((var_b - 0.0016).abs() < 1e-12);
    let cov_ab = after.covariance[tri_index(0, 1)].get().to_num::<f64>();
    assert!((cov_ab - 0.94f64.sqrt() * 0.5 * 0.03 * 0.04).abs() < 1e-9, "{cov_ab}");
    assert!((after.last_prices[1].get().to_num::<f64>() - 20.0).abs() < 1e-6);
    // A's return of +10% entered: Σ00 = 0.94·0.0009 + 0.06·0.01.
    let var_a = after.covariance[tri_index(0, 0)].get().to_num::<f64>();
    assert!((var_a - (0.94 * 0.0009 + 0.06 * 0.01)).abs() < 1e-9);
}

/// The crank and valuation decide a price's confidence by one rule (`valuation::confidence_too_wide`,
/// on native words). Around the 2% bound, one unit of the mantissa either side, both refuse
/// exactly the same prices: the crank records the asset as missing when, and only when, a
/// withdraw valued at that price fails with `OracleConfidenceTooWide`.
#[tokio::test]
async fn the_crank_refuses_exactly_the_confidences_valuation_refuses() {
    use pyth_solana_receiver_sdk::price_update::VerificationLevel;
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[A, B], 0.5).await;
    let o = m.oracles();
    let t = m.trader(&mut w, &[20_000_000_000, 0]).await;
    w.send(&[m.deposit_ix(&t, 0, 20_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.crank_ix(0, &o)], &[]).await.ok();
    let mut refused = Vec::new();
    // A's price 100 with exponent −8: confidences 1.99999999, 2.0 and 2.00000001 (mantissas
    // 199,999,999 … 200,000,001) straddle ⌊100 × 2%⌋ on the 2⁻⁴⁸ grid; 1% and 3% are far inside and out.
    for conf in [1.0, 1.999_999_99, 2.0, 2.000_000_01, 3.0] {
        w.advance_time(86_400).await;
        let now = w.clock().await.unix_timestamp;
        let a = m.assets[0];
        w.set_oracle(a.oracle, price_update_data(a.feed_id, 100.0, conf, now, VerificationLevel::Full));
        w.set_price(&m.assets[1], 20.0).await;
        let out = w.send(&[m.crank_ix(0, &o)], &[]).await.ok();
        let crank_refused = !out.events::<OracleUnusable>().is_empty();
        assert_eq!(out.events::<RiskModelUpdated>()[0].missing_mask, crank_refused as u64, "conf {conf}");
        let wd = w.send(&[m.withdraw_ix(&t, 0, 1, &[0])], &[&t.key]).await;
        let valuation_refused = wd.custom_error() == Some(u32::from(ErrorCode::OracleConfidenceTooWide));
        assert!(valuation_refused || wd.result.is_ok(), "conf {conf}: {:?}", wd.logs);
        assert_eq!(crank_refused, valuation_refused, "conf {conf}");
        refused.push(crank_refused);
    }
    assert_eq!(refused.first(), Some(&false));
    assert_eq!(refused.last(), Some(&true));
    assert!(refused.windows(2).all(|p| p[0] <= p[1]), "refusal is monotone in the confidence: {refused:?}");
}
