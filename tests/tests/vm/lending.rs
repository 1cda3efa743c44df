//! Deposit, withdraw, borrow, repay, close: success paths with every balance asserted, and the
//! rejections, each with its specific error and nothing changed.
use anchor_lang::error::ErrorCode as AnchorError;
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::{BalanceAction, BalanceChanged};
use portfolio_margin::state::{Asset, MarginAccount};
use portfolio_margin_tests::*;
use risk_engine::Fx;
use solana_signer::Signer;

const SOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true };

async fn setup() -> (World, Market, Trader) {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC], 0.0).await;
    // A lender providing USDC liquidity, and a trader with 10 SOL.
    let lender = m.trader(&mut w, &[0, 100_000_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 50_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[10_000_000_000, 0]).await;
    (w, m, t)
}

/// Every balance a rejection must leave unchanged.
async fn snapshot(w: &mut World, m: &Market, t: &Trader) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for key in [
        t.margin_account,
        m.assets[0].asset,
        m.assets[1].asset,
        m.assets[0].vault,
        m.assets[1].vault,
        t.tokens[0],
        t.tokens[1],
    ] {
        out.push(w.account_data(key).await.unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn deposit_moves_tokens_into_the_vault_and_credits_shares() {
    let (mut w, m, t) = setup().await;
    let out = w.send(&[m.deposit_ix(&t, 0, 4_000_000_000)], &[&t.key]).await.ok();
    assert_eq!(w.token_balance(t.tokens[0]).await, 6_000_000_000);
    assert_eq!(w.token_balance(m.assets[0].vault).await, 4_000_000_000);
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.positions[0].asset_index, 0);
    assert_eq!(acc.positions[0].shares.get(), Fx::from_num(4_000_000_000u64));
    let e = &out.events::<BalanceChanged>()[0];
    assert_eq!((e.action, e.amount), (BalanceAction::Deposit, 4_000_000_000));
    println!("deposit: {} CU", out.compute_units);
}

#[tokio::test]
async fn token_2022_deposits_work_like_classic_ones() {
    let (mut w, m, _) = setup().await;
    // The lender's USDC (a Token-2022 mint) is in the vault.
    assert_eq!(w.token_balance(m.assets[1].vault).await, 50_000_000_000);
    let a: Asset = w.zero_copy(m.assets[1].asset).await;
    assert_eq!(a.token_program, anchor_spl::token_2022::ID);
    assert_eq!(a.deposit_shares.get(), Fx::from_num(50_000_000_000u64));
}

#[tokio::test]
async fn zero_and_oversized_amounts_are_rejected_without_changes() {
    let (mut w, m, t) = setup().await;
    let before = snapshot(&mut w, &m, &t).await;
    let out = w.send(&[m.deposit_ix(&t, 0, 0)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::ZeroAmount)));
    let out = w.send(&[m.deposit_ix(&t, 0, u64::MAX)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::DepositCapExceeded)));
    let out = w.send(&[m.borrow_ix(&t, 1, u64::MAX, &[1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InsufficientLiquidity)));
    let out = w.send(&[m.withdraw_ix(&t, 0, 0, &[])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::ZeroAmount)));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);
}

#[tokio::test]
async fn borrow_within_initial_margin_works_and_beyond_it_fails() {
    let (mut w, m, t) = setup().await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    // $1000 of SOL (valued at 100 − 0.1 conf); borrow $500 of USDC.
    let out = w.send(&[m.borrow_ix(&t, 1, 500_000_000, &[0, 1])], &[&t.key]).await.ok();
    assert_eq!(w.token_balance(t.tokens[1]).await, 500_000_000);
    let e = &out.events::<BalanceChanged>()[0];
    let equity = Fx::from_bits(e.equity_bits).to_num::<f64>();
    let im = Fx::from_bits(e.initial_margin_bits).to_num::<f64>();
    assert!(equity > 498.0 && equity < 500.0, "equity {equity}");
    assert!(im > 100.0 && im < equity, "initial margin {im}");
    println!("borrow (2 positions): {} CU; equity {equity:.2} IM {im:.2}", out.compute_units);

    let before = snapshot(&mut w, &m, &t).await;
    let out = w.send(&[m.borrow_ix(&t, 1, 400_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InitialHealthBelowZero)));
    assert!(out.logs_contain("initial margin"), "{:#?}", out.logs);
    assert_eq!(snapshot(&mut w, &m, &t).await, before);

    // Withdrawing most of the collateral would also break initial health.
    let out = w.send(&[m.withdraw_ix(&t, 0, 9_000_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InitialHealthBelowZero)));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);
}

#[tokio::test]
async fn stale_wide_and_substituted_oracles_block_borrowing_but_not_deposits() {
    let (mut w, m, t) = setup().await;
    w.send(&[m.deposit_ix(&t, 0, 9_000_000_000)], &[&t.key]).await.ok();
    let before = snapshot(&mut w, &m, &t).await;

    // Wrong feed: the USDC oracle passed where SOL's belongs.
    let mut bad = m.borrow_ix(&t, 1, 1_000_000, &[0, 1]);
    bad.accounts[10].pubkey = m.assets[1].oracle;
    let out = w.send(&[bad], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleFeedMismatch)));

    // An account that is not a Pyth price update (the asset account itself).
    let mut bad = m.borrow_ix(&t, 1, 1_000_000, &[0, 1]);
    bad.accounts[10].pubkey = m.assets[0].asset;
    let out = w.send(&[bad], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::AccountOwnedByWrongProgram as u32));

    // Missing health accounts.
    let out = w.send(&[m.borrow_ix(&t, 1, 1_000_000, &[0])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::HealthAccountsMismatch)));

    // Wide confidence (5% > 2% limit).
    let now = w.clock().await.unix_timestamp;
    let a0 = m.assets[0];
    w.set_oracle(
        a0.oracle,
        price_update_data(a0.feed_id, 100.0, 5.0, now, pyth_solana_receiver_sdk::price_update::VerificationLevel::Full),
    );
    let out = w.send(&[m.borrow_ix(&t, 1, 1_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleConfidenceTooWide)));

    // Partially verified.
    w.set_oracle(
        a0.oracle,
        price_update_data(
            a0.feed_id,
            100.0,
            0.1,
            now,
            pyth_solana_receiver_sdk::price_update::VerificationLevel::Partial { num_signatures: 5 },
        ),
    );
    let out = w.send(&[m.borrow_ix(&t, 1, 1_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleNotFullyVerified)));

    // Stale: published 61 s ago with a 60 s limit.
    w.set_oracle(
        a0.oracle,
        price_update_data(
            a0.feed_id,
            100.0,
            0.1,
            now - 61,
            pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        ),
    );
    let out = w.send(&[m.borrow_ix(&t, 1, 1_000_000, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::OracleStale)));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);

    // Deposits need no price: they still work with the stale oracle.
    w.send(&[m.deposit_ix(&t, 0, 1)], &[&t.key]).await.ok();
}

#[tokio::test]
async fn substituted_accounts_and_wrong_signers_are_rejected() {
    let (mut w, m, t) = setup().await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    let before = snapshot(&mut w, &m, &t).await;

    // Another asset's vault.
    let mut bad = m.withdraw_ix(&t, 0, 1, &[0]);
    bad.accounts[5].pubkey = m.assets[1].vault;
    let out = w.send(&[bad], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintHasOne as u32));

    // Another asset's mint.
    let mut bad = m.deposit_ix(&t, 0, 1);
    bad.accounts[5].pubkey = m.assets[1].mint;
    let out = w.send(&[bad], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintHasOne as u32));

    // Someone else withdrawing from this account.
    let thief = m.trader(&mut w, &[0, 0]).await;
    let mut bad = m.withdraw_ix(&t, 0, 1_000, &[0]);
    bad.accounts[0].pubkey = thief.key.pubkey();
    bad.accounts[7].pubkey = thief.tokens[0];
    let out = w.send(&[bad], &[&thief.key]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintHasOne as u32));

    // A health asset account of another position.
    let out = w.send(&[m.withdraw_ix(&t, 0, 1, &[1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::WrongAssetAccount)));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);
}

#[tokio::test]
async fn repay_clears_debt_and_the_empty_account_closes() {
    let (mut w, m, t) = setup().await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.borrow_ix(&t, 1, 200_000_000, &[0, 1])], &[&t.key]).await.ok();
    let before = snapshot(&mut w, &m, &t).await;
    let out = w.send(&[m.repay_ix(&t, 1, 200_000_001)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::RepayExceedsDebt)));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);
    let out = w.send(&[m.repay_ix(&t, 1, 200_000_000)], &[&t.key]).await.ok();
    println!("repay: {} CU", out.compute_units);
    assert_eq!(w.token_balance(t.tokens[1]).await, 0);
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    assert_eq!(acc.active_count(), 1, "the USDC position is closed");

    let close = ix(
        portfolio_margin::accounts::CloseMarginAccount { owner: t.key.pubkey(), margin_account: t.margin_account },
        portfolio_margin::instruction::CloseMarginAccount {},
    );
    let out = w.send(&[close.clone()], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::AccountNotEmpty)));
    let out = w.send(&[m.withdraw_ix(&t, 0, 10_000_000_000, &[])], &[&t.key]).await.ok();
    println!("withdraw (last position): {} CU", out.compute_units);
    assert_eq!(w.token_balance(t.tokens[0]).await, 10_000_000_000);
    w.send(&[close], &[&t.key]).await.ok();
    assert!(w.account_data(t.margin_account).await.is_none());
}

#[tokio::test]
async fn interest_accrues_to_depositors_and_protocol() {
    let (mut w, m, t) = setup().await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.borrow_ix(&t, 1, 400_000_000, &[0, 1])], &[&t.key]).await.ok();
    w.advance_time(30 * 86_400).await;
    w.set_price(&m.assets[0], 100.0).await;
    w.set_price(&m.assets[1], 1.0).await;
    // The debt grew: repaying the original principal leaves interest owed.
    w.send(&[m.repay_ix(&t, 1, 400_000_000)], &[&t.key]).await.ok();
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let slot = acc.find(1).expect("USDC debt remains");
    assert!(acc.positions[slot].shares.get() < Fx::ZERO);
    let a: Asset = w.zero_copy(m.assets[1].asset).await;
    // 30 days at 0.8% utilisation → 0.1%/year: ≈ 32,877 native units of interest on 400 USDC.
    let owed = a.pool().borrow_value(-acc.positions[slot].shares.get()).unwrap().to_num::<f64>();
    assert!((owed - 32_877.0).abs() < 5.0, "interest owed {owed}");
    assert!(a.protocol_fees.get() > Fx::ZERO);
    assert!(a.borrow_index.get() > Fx::ONE);
    assert!(a.deposit_index.get() > Fx::ONE);
    // Vault covers the books: vault ≥ deposits − borrows + protocol fees.
    let pool = a.pool();
    let books = pool.total_deposits().unwrap() - pool.total_borrows().unwrap() + pool.protocol_fees;
    let vault = w.token_balance(m.assets[1].vault).await;
    assert!(books <= Fx::from_num(vault), "books {books} vault {vault}");

    // Anyone moves the protocol's share to the insurance vault: whole units only.
    let fees = a.protocol_fees.get();
    let a1 = m.assets[1];
    let collect = m.collect_fees_ix(1);
    w.send(&[collect.clone()], &[]).await.ok();
    let moved = w.token_balance(a1.insurance_vault).await;
    assert!(moved > 3_000 && Fx::from_num(moved) <= fees + Fx::ONE, "moved {moved} of {fees}");
    assert_eq!(w.token_balance(a1.vault).await, vault - moved);
    let a: Asset = w.zero_copy(a1.asset).await;
    assert!(a.protocol_fees.get() < Fx::ONE);
    let pool = a.pool();
    let books = pool.total_deposits().unwrap() - pool.total_borrows().unwrap() + pool.protocol_fees;
    assert!(books <= Fx::from_num(vault - moved));
    // Nothing left to collect.
    let out = w.send(&[collect], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::ZeroAmount)));
}

#[tokio::test]
async fn deposits_from_someone_elses_token_account_are_rejected() {
    let (mut w, m, t) = setup().await;
    let other = m.trader(&mut w, &[5_000_000_000, 0]).await;
    let before = snapshot(&mut w, &m, &t).await;
    let mut bad = m.deposit_ix(&t, 0, 1_000);
    bad.accounts[6].pubkey = other.tokens[0];
    let out = w.send(&[bad], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintTokenOwner as u32));
    assert_eq!(snapshot(&mut w, &m, &t).await, before);
    assert_eq!(w.token_balance(other.tokens[0]).await, 5_000_000_000);
}

#[tokio::test]
async fn register_asset_validates_the_bootstrap_covariance() {
    let mut w = World::new().await;
    let mut m = Market::new(&mut w, &[SOL], 0.0).await;
    // |ρ| > 1 against SOL.
    let out = m.add_asset(&mut w, USDC, 1, 1.5, &[SOL, USDC]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CovarianceOutOfBounds)));
    let zero_var = AssetSpec { daily_vol: 0.0, ..USDC };
    let out = m.add_asset(&mut w, zero_var, 1, 0.0, &[SOL, zero_var]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::NonPositiveVariance)));
    assert_eq!(m.assets.len(), 1);
    let out = m.add_asset(&mut w, USDC, 1, 0.3, &[SOL, USDC]).await;
    out.ok();
}

#[tokio::test]
async fn admin_only_and_one_time_setup_instructions_reject_intruders() {
    let mut w = World::new().await;
    let mut m = Market::new(&mut w, &[SOL], 0.0).await;
    let intruder = w.funded_keypair().await;
    // register_asset by someone other than the admin.
    let (mint, program) = w.create_mint(6, false).await;
    let reg = register_asset_ix(
        &intruder.pubkey(),
        &m,
        mint,
        program,
        register_args(feed_id(1), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 1_000_000_000_000]),
    );
    let out = w.send(&[reg], &[&intruder]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintHasOne as u32));
    assert!(w.account_data(asset_address(&m.group, &mint)).await.is_none());
    // register_asset with an account that is not a risk model, then another group's risk model.
    let own_model = m.risk_model;
    m.risk_model = m.assets[0].asset;
    let reg = register_asset_ix(
        &w.payer(),
        &m,
        mint,
        program,
        register_args(feed_id(1), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 1_000_000_000_000]),
    );
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::AccountDiscriminatorMismatch as u32));
    let other = Market::with_group_id(&mut w, 1, &[], 0.0).await;
    m.risk_model = other.risk_model;
    let reg = register_asset_ix(
        &w.payer(),
        &m,
        mint,
        program,
        register_args(feed_id(1), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 1_000_000_000_000]),
    );
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::WrongRiskModel)));
    m.risk_model = own_model;
    // A second risk model for the same group.
    let admin = w.payer();
    let model = solana_keypair::Keypair::new();
    let space = portfolio_margin::state::RiskModel::SPACE;
    let ixs = [
        anchor_lang::solana_program::system_instruction::create_account(
            &admin,
            &model.pubkey(),
            w.rent_exempt(space).await,
            space as u64,
            &portfolio_margin::ID,
        ),
        ix(
            portfolio_margin::accounts::CreateRiskModel { admin, group: m.group, risk_model: model.pubkey() },
            portfolio_margin::instruction::CreateRiskModel {},
        ),
    ];
    let out = w.send(&ixs, &[&model]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::RiskModelAlreadySet)));
    // Covariance row of the wrong length.
    let reg = register_asset_ix(
        &admin,
        &m,
        mint,
        program,
        register_args(feed_id(1), anchor_lang::prelude::Pubkey::new_unique(), vec![1_000_000_000_000]),
    );
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::CovarianceRowLength)));
    // A margin account PDA of someone else.
    let victim = solana_keypair::Keypair::new().pubkey();
    let create = ix(
        portfolio_margin::accounts::CreateMarginAccount {
            owner: intruder.pubkey(),
            group: m.group,
            margin_account: margin_account_address(&m.group, &victim, 0),
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CreateMarginAccount { index: 0 },
    );
    let out = w.send(&[create], &[&intruder]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintSeeds as u32));
}

#[tokio::test]
async fn crank_rejects_a_risk_model_of_another_group() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL], 0.0).await;
    let other = Market::with_group_id(&mut w, 1, &[SOL], 0.0).await;
    let mut crank = m.crank_ix(0, &m.oracles());
    crank.accounts[1].pubkey = other.risk_model;
    let out = w.send(&[crank], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::WrongRiskModel)));
    let mut crank = m.crank_ix(0, &m.oracles());
    crank.accounts[1].pubkey = m.assets[0].asset;
    let out = w.send(&[crank], &[]).await;
    assert_eq!(out.custom_error(), Some(anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch as u32));
}

#[tokio::test]
async fn token_2022_mints_with_extensions_are_refused() {
    use anchor_lang::solana_program::system_instruction::create_account;
    use anchor_spl::token_2022::spl_token_2022;
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL], 0.0).await;
    // A Token-2022 mint with the MintCloseAuthority extension: 82 + padding to 165 + type byte + TLV.
    let mint = solana_keypair::Keypair::new();
    let payer = w.payer();
    let len = 165 + 1 + 2 + 2 + 32;
    let ixs = [
        create_account(&payer, &mint.pubkey(), w.rent_exempt(len).await, len as u64, &spl_token_2022::ID),
        spl_token_2022::instruction::initialize_mint_close_authority(&spl_token_2022::ID, &mint.pubkey(), Some(&payer))
            .unwrap(),
        spl_token_2022::instruction::initialize_mint2(&spl_token_2022::ID, &mint.pubkey(), &payer, None, 6).unwrap(),
    ];
    w.send(&ixs, &[&mint]).await.ok();
    let reg = register_asset_ix(
        &payer,
        &m,
        mint.pubkey(),
        spl_token_2022::ID,
        register_args(feed_id(1), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 1_000_000_000_000]),
    );
    let out = w.send(&[reg], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::UnsupportedMintExtensions)));
    assert!(w.account_data(asset_address(&m.group, &mint.pubkey())).await.is_none());
}

#[tokio::test]
async fn borrow_caps_and_the_position_limit_are_enforced() {
    // 17 small assets: the 17th position does not fit; asset 1's borrow cap is 100 units.
    let specs: Vec<AssetSpec> =
        (0..17).map(|_| AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.01, token_2022: false }).collect();
    let mut w = World::new().await;
    let mut m = Market::new(&mut w, &specs[..1], 0.0).await;
    // Asset 1 registered by hand with a borrow cap of 100 native units.
    let (mint, program) = w.create_mint(6, false).await;
    let oracle = anchor_lang::prelude::Pubkey::new_unique();
    let mut args = register_args(feed_id(1), oracle, vec![0, 100_000_000_000_000]);
    args.borrow_cap = 100;
    let admin = w.payer();
    w.send(&[register_asset_ix(&admin, &m, mint, program, args)], &[]).await.ok();
    let asset = asset_address(&m.group, &mint);
    let a1 = AssetAccounts {
        index: 1,
        mint,
        token_program: program,
        asset,
        vault: pda(&[portfolio_margin::state::seeds::VAULT, asset.as_ref()]),
        insurance_vault: pda(&[portfolio_margin::state::seeds::INSURANCE, asset.as_ref()]),
        oracle,
        feed_id: feed_id(1),
        decimals: 6,
    };
    w.set_price(&a1, 1.0).await;
    m.assets.push(a1);
    for i in 2..17 {
        m.add_asset(&mut w, specs[i], i, 0.0, &specs).await.ok();
    }
    let lender = m.trader(&mut w, &[0, 1_000_000]).await;
    w.send(&[m.deposit_ix(&lender, 1, 1_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[1_000_000; 17]).await;
    w.send(&[m.deposit_ix(&t, 0, 1_000_000)], &[&t.key]).await.ok();
    let out = w.send(&[m.borrow_ix(&t, 1, 101, &[0, 1])], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::BorrowCapExceeded)));
    w.send(&[m.borrow_ix(&t, 1, 100, &[0, 1])], &[&t.key]).await.ok();
    for i in 2..16 {
        w.send(&[m.deposit_ix(&t, i, 1_000)], &[&t.key]).await.ok();
    }
    assert_eq!(held_assets(&mut w, &t).await.len(), 16);
    let before = w.account_data(t.margin_account).await;
    let out = w.send(&[m.deposit_ix(&t, 16, 1_000)], &[&t.key]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::TooManyPositions)));
    assert_eq!(w.account_data(t.margin_account).await, before);
}
