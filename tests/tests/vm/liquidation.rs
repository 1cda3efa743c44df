//! Liquidation: only below maintenance, never by the owner, never beyond initial health, sized by
//! the same engine the liquidator runs; every balance asserted.
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::Liquidated;
use portfolio_margin_tests::*;
use risk_engine::Fx;

const SOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true };

/// A trader with 10 SOL deposited and 600 USDC borrowed, a liquidator holding 1,000 USDC.
async fn setup() -> (World, Market, Trader, Trader) {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 10_000_000_000), (1, 50_000_000_000, 600_000_000)).await;
    let liquidator = m.trader(&mut w, &[0, 1_000_000_000]).await;
    (w, m, t, liquidator)
}

async fn set_prices(w: &mut World, m: &Market, prices: &[f64]) {
    for (i, p) in prices.iter().enumerate() {
        w.set_price(&m.assets[i], *p).await;
    }
}

async fn balances(w: &mut World, m: &Market, t: &Trader, l: &Trader) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for key in [
        t.margin_account,
        m.assets[0].asset,
        m.assets[1].asset,
        m.assets[0].vault,
        m.assets[1].vault,
        m.assets[0].insurance_vault,
        l.tokens[0],
        l.tokens[1],
    ] {
        out.push(w.account_data(key).await.unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn a_crash_makes_the_account_liquidatable_and_the_engine_sizes_the_repay_exactly() {
    let (mut w, m, t, liq) = setup().await;
    // Healthy at $100: nothing to liquidate.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 100_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NotLiquidatable)));

    // SOL falls to $68: $680 of collateral against $600 of debt.
    let prices = [68.0, 1.0];
    set_prices(&mut w, &m, &prices).await;
    let plan = plan_for(&mut w, &m, &t, &prices, 1, 0).await;
    assert!(plan.maintenance_before < Fx::ZERO && plan.target_reached);
    let repay = plan.flows.repay as u64;

    // The owner cannot liquidate itself.
    let own = m.liquidate_ix(&t, &t, 1, 0, repay, &[0, 1]);
    let out = w.send(&[own], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::SelfLiquidation)));

    // 5% more than needed is over-liquidation; nothing moves.
    let before = balances(&mut w, &m, &t, &liq).await;
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, repay * 105 / 100, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OverLiquidation)));
    assert_eq!(balances(&mut w, &m, &t, &liq).await, before);

    // The engine's amount goes through.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, repay, &[0, 1])], &[&liq.key]).await.ok();
    println!("liquidate (2 positions): {} CU, repaid {repay}", out.compute_units);
    let e = &out.events::<Liquidated>()[0];
    assert_eq!(e.repaid, repay);
    assert_eq!(e.collateral_to_liquidator as i128, plan.flows.to_liquidator);
    assert_eq!(e.collateral_to_insurance as i128, plan.flows.to_insurance);
    assert!(Fx::from_bits(e.initial_health_after_bits) >= Fx::ZERO);
    assert!(Fx::from_bits(e.maintenance_health_after_bits) > Fx::from_bits(e.maintenance_health_before_bits));
    assert_eq!(w.token_balance(liq.tokens[1]).await, 1_000_000_000 - repay);
    // The collateral is credited to the liquidator's margin account (no tokens leave the vault);
    // the insurance fee is owed to the insurance fund as protocol fees.
    let sol: portfolio_margin::state::Asset = w.zero_copy(m.assets[0].asset).await;
    let mine: portfolio_margin::state::MarginAccount = w.zero_copy(liq.margin_account).await;
    let credited = sol.position_amount(&sol.pool(), &mine.positions[mine.find(0).unwrap()]).unwrap();
    assert!(credited <= e.collateral_to_liquidator as i128 && credited + 1 >= e.collateral_to_liquidator as i128);
    assert_eq!(sol.protocol_fees.get(), Fx::from_num(e.collateral_to_insurance));
    assert_eq!(w.token_balance(m.assets[0].vault).await, 10_000_000_000);
    // Liquidator bonus: collateral worth 2.5% more than the repaid debt.
    let got_usd = e.collateral_to_liquidator as f64 / 1e9 * 68.0;
    assert!((got_usd / (repay as f64 / 1e6) - 1.025).abs() < 1e-3, "bonus {got_usd}");

    // Now healthy again: a second liquidation is refused.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NotLiquidatable)));
}

#[tokio::test]
async fn liquidation_needs_fresh_prices_and_the_right_assets() {
    let (mut w, m, t, liq) = setup().await;
    set_prices(&mut w, &m, &[68.0, 1.0]).await;
    let before = balances(&mut w, &m, &t, &liq).await;
    // Stale SOL price.
    let now = w.clock().await.unix_timestamp;
    let a0 = m.assets[0];
    w.set_oracle(
        a0.oracle,
        price_update_data(
            a0.feed_id,
            68.0,
            0.068,
            now - 120,
            pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        ),
    );
    // The SOL deposit cannot be priced: it is worth nothing to the health check and cannot be seized.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CollateralUnpriced)));
    w.set_price(&a0, 68.0).await;
    // The collateral as liability and vice versa.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 0, 1, 1_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NoDebt)));
    // The same asset on both sides: Anchor refuses the duplicated mutable account first.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 1, 1_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::LiquidationSameAsset)));
    // Zero.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 0, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::ZeroAmount)));
    assert_eq!(balances(&mut w, &m, &t, &liq).await, before);
    // A partial fill (well below the full amount) is allowed and improves health.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 10_000_000, &[0, 1])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    assert_eq!(e.repaid, 10_000_000);
    assert!(Fx::from_bits(e.initial_health_after_bits) > Fx::from_bits(e.initial_health_before_bits));
}

#[tokio::test]
async fn crash_liquidation_bad_debt_insurance_then_socialisation_a_walk_through() {
    use portfolio_margin::events::BankruptcyResolved;
    use portfolio_margin::state::{Asset, MarginAccount};
    // A trader: 10 SOL deposited at $100, 600 USDC borrowed from a lender's 50,000.
    let (mut w, m, t, liq) = setup().await;
    // The insurance fund holds 50 USDC from earlier fees.
    w.mint_to(&m.assets[1], m.assets[1].insurance_vault, 50_000_000).await;
    // SOL crashes to $50: $500 of collateral against $600 of debt — the account is underwater.
    set_prices(&mut w, &m, &[50.0, 1.0]).await;
    // Resolving bankruptcy while collateral remains is refused.
    let out = w.send(&[m.resolve_bankruptcy_ix(&t, 1)], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NotBankrupt)));
    // A liquidator takes all the collateral: repay bounded by the SOL (at a 5% total discount).
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, u64::MAX, &[0, 1])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    let repaid = e.repaid;
    // $500 of SOL pays for $500 / 1.05 ≈ $476.19 of debt.
    assert!((repaid as f64 / 1e6 - 500.0 / 1.05).abs() < 0.01, "repaid {repaid}");
    assert_eq!(e.collateral_to_liquidator + e.collateral_to_insurance, 10_000_000_000, "all collateral taken");
    assert_eq!(w.token_balance(m.assets[0].vault).await, 10_000_000_000, "credited, not paid out");
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.active_count(), 1, "only the USDC debt remains");
    let remaining_debt = 600_000_000 - repaid;

    // Bankruptcy: insurance pays 50 USDC, the rest is socialised over USDC depositors.
    let vault_before = w.token_balance(m.assets[1].vault).await;
    let out = w.send(&[m.resolve_bankruptcy_ix(&t, 1)], &[]).await.ok();
    let b = &out.events::<BankruptcyResolved>()[0];
    assert_eq!(b.debt, remaining_debt);
    assert_eq!(b.insurance_paid, 50_000_000);
    let socialized = Fx::from_bits(b.socialized_bits).to_num::<f64>();
    assert!((socialized - (remaining_debt - 50_000_000) as f64).abs() < 1.0);
    assert_eq!(w.token_balance(m.assets[1].insurance_vault).await, 0);
    assert_eq!(w.token_balance(m.assets[1].vault).await, vault_before + 50_000_000);
    let usdc: Asset = w.zero_copy(m.assets[1].asset).await;
    let expected_index = (50_000_000_000.0 - socialized) / 50_000_000_000.0;
    assert!((usdc.deposit_index.get().to_num::<f64>() - expected_index).abs() < 1e-9);
    assert_eq!(usdc.borrow_shares.get(), Fx::ZERO, "no borrows left");
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.active_count(), 0, "account cleared");
    // The vault still covers the books.
    let pool = usdc.pool();
    let books = pool.total_deposits().unwrap() - pool.total_borrows().unwrap() + pool.protocol_fees;
    assert!(books <= Fx::from_num(w.token_balance(m.assets[1].vault).await));
    // Nothing left to resolve.
    let out = w.send(&[m.resolve_bankruptcy_ix(&t, 1)], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NoDebt)));
}

/// Overwrites a zero-copy account's body (after the discriminator), keeping lamports and owner.
async fn write_zero_copy<T: bytemuck::Pod>(w: &mut World, address: anchor_lang::prelude::Pubkey, value: &T) {
    let mut account = w.account(address).await.unwrap();
    account.data[8..8 + std::mem::size_of::<T>()].copy_from_slice(bytemuck::bytes_of(value));
    w.set_account(address, account);
}

#[tokio::test]
async fn an_insolvent_book_past_helping_is_closed_out_then_resolved_with_its_dust() {
    use portfolio_margin::events::BankruptcyResolved;
    use portfolio_margin::state::{Asset, MarginAccount};
    // Two quiet assets: each unit repaid frees less margin (~2%) than the 5% liquidation fees cost.
    const X: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.003, token_2022: false };
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[X, X, X], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 1_000_000_000), (1, 50_000_000_000, 900_000_000)).await;
    let liq = m.trader(&mut w, &[0, 10_000_000_000, 0]).await;
    // The borrowed asset doubles: $1,000 of collateral against $1,800 of debt.
    set_prices(&mut w, &m, &[1.0, 2.0, 1.0]).await;
    // A partial liquidation only makes it worse: refused.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 10_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::LiquidationDoesNotImprove)));
    // Taking the whole collateral position is allowed: the account winds down.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, u64::MAX, &[0, 1])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    assert_eq!(e.collateral_to_liquidator + e.collateral_to_insurance, 1_000_000_000, "all collateral taken");
    assert!(e.close_out, "a close-out of an insolvent book");
    assert!(Fx::from_bits(e.initial_health_after_bits) <= Fx::from_bits(e.initial_health_before_bits));
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.active_count(), 1, "no dust left behind by the seizure");

    // Rounding elsewhere can leave dust: give the account half a share of asset 2 (worth
    // < 1 native unit), booked in the pool too.
    let mut acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let slot = acc.find_or_open(2).unwrap();
    acc.positions[slot].shares.set(Fx::from_num(0.5));
    write_zero_copy(&mut w, t.margin_account, &acc).await;
    let mut a2: Asset = w.zero_copy(m.assets[2].asset).await;
    let mut pool = a2.pool();
    pool.deposit_shares += Fx::from_num(0.5);
    a2.set_pool(&pool);
    write_zero_copy(&mut w, m.assets[2].asset, &a2).await;

    // Without proof of the dust, the account still "holds deposits".
    let out = w.send(&[m.resolve_bankruptcy_ix(&t, 1)], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NotBankrupt)));
    // Only the account's own deposit positions can be proven dust: asset 0's account (that
    // deposit was seized) is refused.
    let mut ix = m.resolve_bankruptcy_ix(&t, 1);
    ix.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new(m.assets[0].asset, false));
    let out = w.send(&[ix], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::WrongAssetAccount)));
    // With asset 2's account: dust cleared, debt resolved.
    let mut ix = m.resolve_bankruptcy_ix(&t, 1);
    ix.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new(m.assets[2].asset, false));
    let out = w.send(&[ix], &[]).await.ok();
    assert_eq!(out.events::<BankruptcyResolved>().len(), 1);
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.active_count(), 0, "account cleared");
    let a2: Asset = w.zero_copy(m.assets[2].asset).await;
    assert_eq!(a2.deposit_shares.get(), Fx::ZERO, "dust shares left the pool's books");
}
