//! The hostile review's findings (issue "Hostile review"), one test each: every one failed on the
//! behaviour of a5c6d40 and passes now. Numbers in the comments are the test's own.
use anchor_lang::prelude::Pubkey;
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::{AssetRegistered, BankruptcyResolved, Liquidated};
use portfolio_margin::state::{Asset, MarginAccount, RiskModel};
use portfolio_margin_tests::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use risk_engine::{tri_index, Fx};
use solana_signer::Signer;

const SOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };
/// A quiet asset: each unit repaid frees less initial margin (~3%) than the 5% of fees it costs.
const QUIET: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.003, token_2022: false };

fn code(e: ErrorCode) -> Option<u32> {
    Some(u32::from(e))
}

async fn set_prices(w: &mut World, m: &Market, prices: &[f64]) {
    for (i, p) in prices.iter().enumerate() {
        w.set_price(&m.assets[i], *p).await;
    }
}

/// Writes the asset's registered oracle as a price published `age` seconds ago.
async fn stale_price(w: &mut World, a: &AssetAccounts, price: f64, age: i64) {
    let now = w.clock().await.unix_timestamp;
    w.set_oracle(a.oracle, price_update_data(a.feed_id, price, price * 0.001, now - age, VerificationLevel::Full));
}

async fn bytes(w: &mut World, keys: &[Pubkey]) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for k in keys {
        out.push(w.account_data(*k).await.unwrap_or_default());
    }
    out
}

async fn verdict(
    w: &mut World,
    m: &Market,
    t: &Trader,
    prices: &[f64],
    unpriced: &[usize],
    pair: (usize, usize),
) -> risk_engine::liquidation::Verdict {
    LiquidationInputs::read(w, m, t, prices, unpriced, pair.0, pair.1).await.verdict()
}

/// Finding 1 (high): a close-out (taking a whole collateral position without improving health) of
/// a book with positive equity used to be accepted whenever the collateral bounded the repay,
/// leaving unbacked debt. Now a close-out needs negative equity, and partial steps that do not
/// improve are refused.
#[tokio::test]
async fn a_solvent_book_cannot_be_closed_out_into_bad_debt() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[QUIET, QUIET], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 1_000_000_000), (1, 50_000_000_000, 900_000_000)).await;
    let liq = m.trader(&mut w, &[0, 10_000_000_000]).await;
    // The debt rises 9%: $999 of collateral against $982 of debt, $17 of equity, below the ~$19.8
    // maintenance margin (the 1% floors), and every repay costs more in fees than it frees.
    set_prices(&mut w, &m, &[1.0, 1.09]).await;
    let keys = [t.margin_account, liq.margin_account, m.assets[0].asset, m.assets[1].asset, m.assets[1].vault];
    let before = bytes(&mut w, &keys).await;
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, 10_000_000, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::LiquidationDoesNotImprove));
    // Taking all 1,000 units (the old close-out) would leave ~28 units of debt with nothing behind.
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, u64::MAX, &[0, 1])], &[&liq.key]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::CloseOutOfSolventBook), "{:#?}", out.logs);
    assert_eq!(bytes(&mut w, &keys).await, before, "refusals change nothing");

    // The debt rises to $1.20: equity is negative, nothing can restore the book: it winds down.
    set_prices(&mut w, &m, &[1.0, 1.2]).await;
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, u64::MAX, &[0, 1])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    assert!(e.close_out);
    assert_eq!(e.collateral_to_liquidator + e.collateral_to_insurance, 1_000_000_000);
}

/// Finding 2: an owner deposited one native unit of an asset whose feed had stopped, and every
/// liquidation failed on that stale oracle. Now a deposit without a usable price counts as
/// worth nothing in a liquidation; only a debt must be priced.
#[tokio::test]
async fn a_dust_deposit_with_a_stopped_feed_does_not_block_liquidation() {
    let mut w = World::new().await;
    let junk = AssetSpec { decimals: 6, price: 5.0, daily_vol: 0.08, token_2022: false };
    let m = Market::new(&mut w, &[SOL, USDC, junk], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 10_000_000_000), (1, 50_000_000_000, 600_000_000)).await;
    // The feed of asset 2 stops; the owner deposits one native unit of it (no price needed).
    w.mint_to(&m.assets[2], t.tokens[2], 1).await;
    stale_price(&mut w, &m.assets[2], 5.0, 3_600).await;
    w.send(&[m.deposit_ix(&t, 2, 1)], &[&t.key]).await.ok();
    // SOL falls to $68: liquidatable. The liquidation passes every position's oracle.
    w.set_price(&m.assets[0], 68.0).await;
    let liq = m.trader(&mut w, &[0, 1_000_000_000, 0]).await;
    let v = verdict(&mut w, &m, &t, &[68.0, 1.0, 5.0], &[2], (1, 0)).await;
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, v.repay as u64, &[0, 1, 2])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    assert_eq!(e.repaid as i128, v.repay);
    assert!(Fx::from_bits(e.initial_health_after_bits) >= Fx::ZERO);
    // A withdrawal by the owner still needs every price: the owner carries its own stale asset.
    let out = w.send(&[m.withdraw_ix(&t, 0, 1, &[0, 1, 2])], &[&t.key]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::OracleStale));
}

/// Finding 3: seized collateral was paid in tokens from the vault, so an owner whose second account
/// borrowed that whole asset blocked every liquidation. Now it is credited to the liquidator's
/// margin account as a deposit: nothing leaves the vault.
#[tokio::test]
async fn borrowing_out_the_collateral_pool_does_not_block_liquidation() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 10_000_000_000), (1, 50_000_000_000, 600_000_000)).await;
    // The owner's second wallet deposits USDC and borrows every SOL in the vault (a short).
    let short = m.trader(&mut w, &[0, 5_000_000_000]).await;
    w.send(&[m.deposit_ix(&short, 1, 5_000_000_000)], &[&short.key]).await.ok();
    w.send(&[m.borrow_ix(&short, 0, 10_000_000_000, &[1, 0])], &[&short.key]).await.ok();
    assert_eq!(w.token_balance(m.assets[0].vault).await, 0, "the SOL pool is lent out");
    set_prices(&mut w, &m, &[68.0, 1.0]).await;
    let liq = m.trader(&mut w, &[0, 1_000_000_000]).await;
    let v = verdict(&mut w, &m, &t, &[68.0, 1.0], &[], (1, 0)).await;
    let out = w.send(&[m.liquidate_ix(&liq, &t, 1, 0, v.repay as u64, &[0, 1])], &[&liq.key]).await.ok();
    let e = &out.events::<Liquidated>()[0];
    assert_eq!(e.liquidator_account, liq.margin_account);
    let sol: Asset = w.zero_copy(m.assets[0].asset).await;
    let mine: MarginAccount = w.zero_copy(liq.margin_account).await;
    let got = sol.position_amount(&sol.pool(), &mine.positions[mine.find(0).unwrap()]).unwrap();
    assert!((e.collateral_to_liquidator as i128 - got).abs() <= 1, "credited {got}");
}

/// Finding 4: anyone could crank with old or partially verified updates of a feed, recorded as "no
/// move": fifteen such samples took a variance to 40% of its start. Only the registered oracle is
/// accepted now, and a sample without a usable price keeps that asset's variance.
#[tokio::test]
async fn fifteen_samples_without_a_price_keep_the_variance_and_the_matrix_psd() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC, QUIET], 0.5).await;
    w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    let var0 = model.covariance[tri_index(0, 0)].get();
    let cross0 = model.covariance[tri_index(0, 1)].get();
    for day in 1..=15 {
        w.advance_time(86_400).await;
        set_prices(&mut w, &m, &[100.0, 1.0 + 0.001 * day as f64, 1.0 - 0.002 * day as f64]).await;
        stale_price(&mut w, &m.assets[0], 100.0 * (1.0 + 0.05 * (day % 2) as f64), 120).await;
        w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    }
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    assert_eq!(model.sample_count, 15);
    assert_eq!(model.covariance[tri_index(0, 0)].get(), var0, "variance kept (was ×0.94¹⁵ = 0.40 before)");
    let cross = model.covariance[tri_index(0, 1)].get();
    assert!(cross.abs() < cross0.abs(), "cross terms decay by √λ");
    let n = 3;
    let matrix = risk_engine::TriangularMatrix::new(n, model.covariance[..risk_engine::tri_len(n)].to_vec()).unwrap();
    matrix.check_psd(Fx::from_num(1e-12)).unwrap();
}

/// Finding 5: one sample could combine prices recorded up to half a sample interval apart. A
/// pending sample now stays open for one oracle max age (60 s): its prices come from one window.
#[tokio::test]
async fn a_sample_never_mixes_prices_from_different_windows() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    w.advance_time(86_400).await;
    set_prices(&mut w, &m, &[101.0, 1.0]).await;
    w.send(&[m.crank_ix(0, &[m.assets[0].oracle])], &[]).await.ok();
    // 61 seconds later the second half arrives: the first half is discarded, a new sample starts.
    w.advance_time(61).await;
    set_prices(&mut w, &m, &[102.0, 1.0]).await;
    let out = w.send(&[m.crank_ix(1, &[m.assets[1].oracle])], &[]).await.ok();
    assert!(out.logs_contain("discarding a pending sample"));
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    assert_eq!(model.sample_count, 0, "no sample applied from two windows");
    assert_eq!(model.pending_mask, 0b10, "only the new window's price is recorded");
    // Completed within the window, the sample applies.
    w.send(&[m.crank_ix(0, &[m.assets[0].oracle])], &[]).await.ok();
    let model: RiskModel = w.zero_copy(m.risk_model).await;
    assert_eq!(model.sample_count, 1);
}

/// Finding 6: withdraw and borrow valued the other positions without accrued interest: a year at
/// high utilisation later, a debt of ~910 USDC still counted as 500. Every position is now accrued
/// to now in memory.
#[tokio::test]
async fn a_withdrawal_sees_the_interest_accrued_on_every_debt() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let (_, t) = m.levered_trader(&mut w, (0, 10_000_000_000), (1, 520_000_000, 500_000_000)).await;
    // Utilisation 96%: 82% a year. A year passes without the USDC pool being touched.
    w.advance_time(365 * 86_400).await;
    set_prices(&mut w, &m, &[100.0, 1.0]).await;
    let h = account_holdings(&mut w, &m, &t, &[100.0, 1.0]).await;
    assert!(h[1].amount < -900_000_000, "debt accrued in memory: {}", h[1].amount);
    // $800 of SOL left against ~$910 of debt: refused (the old check saw $500 and allowed it).
    let before = bytes(&mut w, &[t.margin_account, m.assets[0].asset, m.assets[1].asset]).await;
    let out = w.send(&[m.withdraw_ix(&t, 0, 2_000_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::InitialHealthBelowZero));
    assert_eq!(bytes(&mut w, &[t.margin_account, m.assets[0].asset, m.assets[1].asset]).await, before);
}

/// Finding 7: a socialised loss at least as large as every deposit set the deposit index to zero,
/// and every later deposit divided by it. Now the deposits are wiped out, the rest comes from the
/// protocol's fees, and the pool starts a new generation at index 1.
#[tokio::test]
async fn a_loss_larger_than_every_deposit_leaves_a_usable_pool() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let (lender, t) = m.levered_trader(&mut w, (0, 2_000_000_000), (1, 100_000_000, 100_000_000)).await;
    // Two years at 100% utilisation triple the debt (300 USDC: the lender is owed 280, the insurance
    // fund's fees are 20); SOL collapses to $0.00001, so the collateral repays almost nothing.
    w.advance_time(2 * 365 * 86_400).await;
    set_prices(&mut w, &m, &[0.00001, 1.0]).await;
    let liq = m.trader(&mut w, &[0, 1_000_000_000]).await;
    let v = verdict(&mut w, &m, &t, &[0.00001, 1.0], &[], (1, 0)).await;
    w.send(&[m.liquidate_ix(&liq, &t, 1, 0, v.repay as u64, &[0, 1])], &[&liq.key]).await.ok();
    let out = w.send(&[m.resolve_bankruptcy_ix(&t, 1)], &[]).await.ok();
    let b = &out.events::<BankruptcyResolved>()[0];
    // The insurance fund's fees pay first (its vault is empty), the lenders lose the rest: every
    // deposit is wiped out.
    assert!(b.insurance_fees_applied >= 19_000_000, "fees applied {}", b.insurance_fees_applied);
    assert!(b.deposits_wiped_out, "socialised {} of {}", Fx::from_bits(b.socialized_bits), b.debt);
    let usdc: Asset = w.zero_copy(m.assets[1].asset).await;
    assert_eq!((usdc.deposit_index.get(), usdc.deposit_shares.get(), usdc.deposit_epoch), (Fx::ONE, Fx::ZERO, 1));
    let old: MarginAccount = w.zero_copy(lender.margin_account).await;
    assert_eq!(usdc.position_amount(&usdc.pool(), &old.positions[old.find(1).unwrap()]).unwrap(), 0);
    // A new depositor deposits and withdraws in full (the old code divided by a zero index).
    let fresh = m.trader(&mut w, &[0, 50_000_000]).await;
    w.send(&[m.deposit_ix(&fresh, 1, 50_000_000)], &[&fresh.key]).await.ok();
    w.send(&[m.withdraw_ix(&fresh, 1, 50_000_000, &[])], &[&fresh.key]).await.ok();
    assert_eq!(w.token_balance(fresh.tokens[1]).await, 50_000_000);
    // The old lender's worthless position is replaced by a new deposit of the new generation.
    w.mint_to(&m.assets[1], lender.tokens[1], 10_000_000).await;
    w.send(&[m.deposit_ix(&lender, 1, 10_000_000)], &[&lender.key]).await.ok();
    let h = account_holdings(&mut w, &m, &lender, &[0.00001, 1.0]).await;
    assert_eq!(h[0].amount, 10_000_000);
}

/// Finding 8: a deposit could never be fully withdrawn (the burn rounds up, sub-unit shares stayed),
/// so the account could not be closed. Withdrawing the whole value now burns every share.
#[tokio::test]
async fn withdrawing_the_whole_value_frees_the_slot_and_the_account_closes() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let lender = m.trader(&mut w, &[0, 1_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 1_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[10_000_000_000, 200_000_000]).await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.borrow_ix(&t, 1, 300_000_000, &[0, 1])], &[&t.key]).await.ok();
    w.advance_time(37 * 86_400 + 1_234).await;
    set_prices(&mut w, &m, &[100.0, 1.0]).await;
    let debt = -account_holdings(&mut w, &m, &t, &[100.0, 1.0]).await[1].amount;
    w.send(&[m.repay_ix(&t, 1, debt as u64)], &[&t.key]).await.ok();
    // The lender's deposit earned interest: its shares are worth a non-integer amount.
    let value = account_holdings(&mut w, &m, &lender, &[100.0, 1.0]).await[0].amount;
    assert!(value > 1_000_000_000);
    // The whole value: the slot is freed, so no health accounts remain to pass.
    w.send(&[m.withdraw_ix(&lender, 1, value as u64, &[])], &[&lender.key]).await.ok();
    let acc: MarginAccount = w.zero_copy(lender.margin_account).await;
    assert_eq!(acc.active_count(), 0, "the slot is free");
    let close = ix(
        portfolio_margin::accounts::CloseMarginAccount {
            owner: lender.key.pubkey(),
            margin_account: lender.margin_account,
        },
        portfolio_margin::instruction::CloseMarginAccount {},
    );
    w.send(&[close], &[&lender.key]).await.ok();
    assert!(w.account_data(lender.margin_account).await.is_none());
}

/// Finding 9: changing the sample interval did not rescale the stored covariance. It is now fixed
/// once an asset is registered; other parameters still change.
#[tokio::test]
async fn the_sample_interval_is_fixed_once_assets_are_registered() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    let admin = w.payer();
    let before = w.account_data(m.group).await.unwrap();
    let mut p = default_params();
    p.sample_interval_seconds = 3_600;
    p.horizon_seconds = 86_400;
    let out = w.send(&[update_risk_params_ix(&admin, m.group, p)], &[]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::SampleIntervalLocked));
    assert_eq!(w.account_data(m.group).await.unwrap(), before);
    let mut p = default_params();
    p.breakdown_beta_e6 = 100_000;
    w.send(&[update_risk_params_ix(&admin, m.group, p)], &[]).await.ok();
}

/// Finding 10: an oracle max age above the sample interval, a 39-decimal mint and a bootstrap
/// covariance valid pair by pair but not positive semidefinite were all accepted.
#[tokio::test]
async fn registration_refuses_long_oracle_ages_huge_decimals_and_non_psd_matrices() {
    let mut w = World::new().await;
    let admin = w.payer();
    let mut p = default_params();
    p.sample_interval_seconds = 3_600;
    p.oracle_max_age_seconds = 3_600;
    let out = w.send(&[create_group_ix(&admin, &admin, 9, admin, p)], &[]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::InvalidRiskParameter));

    let m = Market::new(&mut w, &[SOL, USDC], 0.9).await;
    // ρ(0,2) = 0.9 and ρ(1,2) = −0.9 with ρ(0,1) = 0.9: each pair is fine, the matrix is not.
    let (mint, program) = w.create_mint(6, false).await;
    let v = |s: &AssetSpec| s.daily_vol;
    let e18 = |x: f64| (x * 1e18).round() as i64;
    let row = vec![e18(0.9 * v(&SOL) * 0.02), e18(-0.9 * v(&USDC) * 0.02), e18(0.02 * 0.02)];
    let reg = register_asset_ix(&admin, &m, mint, program, register_args(feed_id(2), Pubkey::new_unique(), row));
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::CovarianceNotPositiveSemidefinite), "{:#?}", out.logs);

    // A mint with 19 decimals (valuations scale by 10^decimals).
    let (huge, program) = w.create_mint_with(19, false, None).await;
    let row = vec![0, 0, e18(0.02 * 0.02)];
    let reg = register_asset_ix(&admin, &m, huge, program, register_args(feed_id(2), Pubkey::new_unique(), row));
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), code(ErrorCode::TooManyDecimals));
}

/// Finding 11: the mint's freeze authority is recorded and shown (a frozen vault locks every
/// depositor); the risk authority is the key that changes risk parameters.
#[tokio::test]
async fn the_freeze_authority_is_recorded_and_the_risk_authority_sets_the_parameters() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL], 0.0).await;
    let admin = w.payer();
    let (mint, program) = w.create_mint_with(6, false, Some(&admin)).await;
    let row = vec![0, 400_000_000_000_000];
    let reg = register_asset_ix(&admin, &m, mint, program, register_args(feed_id(1), Pubkey::new_unique(), row));
    let out = w.send(&[reg], &[]).await.ok();
    assert_eq!(out.events::<AssetRegistered>()[0].freeze_authority, Some(admin));
    let a: Asset = w.zero_copy(asset_address(&m.group, &mint)).await;
    assert_eq!((a.has_freeze_authority, a.freeze_authority), (1, admin));
    let sol: Asset = w.zero_copy(m.assets[0].asset).await;
    assert_eq!(sol.has_freeze_authority, 0);

    // A group whose risk authority is another key: the admin cannot change the parameters.
    let risk = w.funded_keypair().await;
    w.send(&[create_group_ix(&admin, &admin, 5, risk.pubkey(), default_params())], &[]).await.ok();
    let group = group_address(&admin, 5);
    let out = w.send(&[update_risk_params_ix(&admin, group, default_params())], &[]).await;
    assert_eq!(out.custom_error(), Some(anchor_lang::error::ErrorCode::ConstraintHasOne as u32));
    w.send(&[update_risk_params_ix(&risk.pubkey(), group, default_params())], &[&risk]).await.ok();
}
