//! The adversarial table: every instruction × attack class, each case one hostile transaction that
//! must fail with its specific error and leave every account of the market byte-for-byte unchanged.
//! All cases run against one market (an account with collateral and a debt, a lender, a liquidator,
//! and a second group), since a rejected case changes nothing.
use anchor_lang::error::ErrorCode as A;
use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin::error::ErrorCode as E;
use portfolio_margin::instructions::RegisterAssetArgs;
use portfolio_margin_tests::*;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_keypair::Keypair;
use solana_signer::Signer;

const SOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.05, token_2022: false };
const USDC: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: true };
const ETH: AssetSpec = AssetSpec { decimals: 8, price: 2_000.0, daily_vol: 0.04, token_2022: false };

fn custom(e: E) -> u32 {
    u32::from(e)
}
fn anchor(e: A) -> u32 {
    e as u32
}

/// Every account whose bytes must not change when a case is rejected.
async fn snapshot(w: &mut World, m: &Market, others: &[&Market], people: &[&Trader]) -> Vec<Vec<u8>> {
    let mut keys = vec![m.group, m.risk_model];
    for market in std::iter::once(m).chain(others.iter().copied()) {
        for a in &market.assets {
            keys.extend([a.asset, a.vault, a.insurance_vault, a.oracle]);
        }
    }
    for p in people {
        keys.push(p.margin_account);
        keys.extend(p.tokens.iter().copied());
    }
    let mut out = vec![];
    for k in keys {
        out.push(w.account_data(k).await.unwrap_or_default());
    }
    out
}

fn unsign(mut ix: Instruction, index: usize) -> Instruction {
    ix.accounts[index].is_signer = false;
    ix
}

fn swap(mut ix: Instruction, index: usize, key: anchor_lang::prelude::Pubkey) -> Instruction {
    ix.accounts[index].pubkey = key;
    ix
}

#[tokio::test]
async fn every_attack_fails_with_its_error_and_changes_nothing() {
    let mut w = World::new().await;
    let m = Market::new(&mut w, &[SOL, USDC, ETH], 0.3).await;
    let other = Market::with_group_id(&mut w, 1, &[SOL], 0.0).await;
    let lender = m.trader(&mut w, &[0, 100_000_000_000, 0]).await;
    w.send(&[m.deposit_ix(&lender, 1, 50_000_000_000)], &[&lender.key]).await.ok();
    let t = m.trader(&mut w, &[20_000_000_000, 0, 100_000_000]).await;
    w.send(&[m.deposit_ix(&t, 0, 10_000_000_000)], &[&t.key]).await.ok();
    w.send(&[m.borrow_ix(&t, 1, 300_000_000, &[0, 1])], &[&t.key]).await.ok();
    let liq = m.trader(&mut w, &[0, 1_000_000_000, 0]).await;
    let thief = m.trader(&mut w, &[1_000_000_000, 1_000_000_000, 100_000_000]).await;
    w.send(&[m.deposit_ix(&thief, 2, 50_000_000)], &[&thief.key]).await.ok();
    let admin = w.payer();
    let (sol, usdc, eth) = (m.assets[0], m.assets[1], m.assets[2]);
    let now = w.clock().await.unix_timestamp;

    // Oracle variants written to fresh addresses and swapped in where the SOL oracle goes.
    let stale = anchor_lang::prelude::Pubkey::new_unique();
    w.set_oracle(stale, price_update_data(sol.feed_id, 100.0, 0.1, now - 61, VerificationLevel::Full));
    let wide = anchor_lang::prelude::Pubkey::new_unique();
    w.set_oracle(wide, price_update_data(sol.feed_id, 100.0, 3.0, now, VerificationLevel::Full));
    let partial = anchor_lang::prelude::Pubkey::new_unique();
    w.set_oracle(
        partial,
        price_update_data(sol.feed_id, 100.0, 0.1, now, VerificationLevel::Partial { num_signatures: 9 }),
    );
    let negative = anchor_lang::prelude::Pubkey::new_unique();
    w.set_oracle(negative, price_update_data(sol.feed_id, -1.0, 0.0, now, VerificationLevel::Full));

    // Index of the first health oracle in a withdraw/borrow (9 fixed accounts, then asset, oracle),
    // and in a liquidation (11 fixed accounts).
    const HEALTH_ORACLE: usize = 10;
    const HEALTH_ASSET: usize = HEALTH_ORACLE - 1;
    const LIQ_HEALTH_ORACLE: usize = 12;
    let other_trader = other.trader(&mut w, &[0]).await;
    // The owner's second margin account, as a would-be liquidator of its first.
    let create = portfolio_margin_client::instructions::create_margin_account(&t.key.pubkey(), m.group, 1);
    w.send(&[create], &[&t.key]).await.ok();
    let t_second = Trader {
        key: t.key.insecure_clone(),
        margin_account: margin_account_address(&m.group, &t.key.pubkey(), 1),
        tokens: t.tokens.clone(),
    };
    let borrow = |amount| m.borrow_ix(&t, 1, amount, &[0, 1]);
    let withdraw = |amount| m.withdraw_ix(&t, 0, amount, &[0, 1]);
    let close = ix(
        portfolio_margin::accounts::CloseMarginAccount { owner: t.key.pubkey(), margin_account: t.margin_account },
        portfolio_margin::instruction::CloseMarginAccount {},
    );
    let collect = |insurance| {
        ix(
            portfolio_margin::accounts::CollectProtocolFees {
                asset: usdc.asset,
                vault: usdc.vault,
                insurance_vault: insurance,
                mint: usdc.mint,
                token_program: usdc.token_program,
            },
            portfolio_margin::instruction::CollectProtocolFees {},
        )
    };
    let mut bad_params = default_params();
    bad_params.z_e6 = 0;
    let (extra_mint, extra_program) = w.create_mint(6, false).await;
    // Lookup tables: the admin's, a stranger's, a deactivated one, and look-alikes owned elsewhere.
    use portfolio_margin::instructions::admin::set_lookup_table::ADDRESS_LOOKUP_TABLE_PROGRAM as ALT;
    let tables: Vec<anchor_lang::prelude::Pubkey> =
        (0..4).map(|_| anchor_lang::prelude::Pubkey::new_unique()).collect();
    w.set_lookup_table_account(tables[0], Some(admin), false, ALT);
    w.set_lookup_table_account(tables[1], Some(thief.key.pubkey()), false, ALT);
    w.set_lookup_table_account(tables[2], Some(admin), true, ALT);
    w.set_lookup_table_account(tables[3], Some(admin), false, portfolio_margin::ID);
    let set_table = |signer: anchor_lang::prelude::Pubkey, index: u8, table| {
        portfolio_margin_client::instructions::set_lookup_table(&signer, m.group, index, table)
    };

    // (case, instruction, extra signers, expected error)
    let cases: Vec<(&str, Instruction, Vec<&Keypair>, u32)> = vec![
        // set_lookup_table
        (
            "set_lookup_table: not the admin",
            set_table(thief.key.pubkey(), 0, tables[1]),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        ("set_lookup_table: index 2", set_table(admin, 2, tables[0]), vec![], custom(E::LookupTableIndex)),
        (
            "set_lookup_table: a table another key controls",
            set_table(admin, 0, tables[1]),
            vec![],
            custom(E::LookupTableInvalid),
        ),
        (
            "set_lookup_table: a deactivated table",
            set_table(admin, 0, tables[2]),
            vec![],
            custom(E::LookupTableInvalid),
        ),
        (
            "set_lookup_table: a look-alike not owned by the lookup-table program",
            set_table(admin, 0, tables[3]),
            vec![],
            custom(E::LookupTableInvalid),
        ),
        (
            "set_lookup_table: the group's own account",
            set_table(admin, 0, m.group),
            vec![],
            custom(E::LookupTableInvalid),
        ),
        // create_group / update_risk_params
        ("create_group: re-initialise", create_group_ix(&admin, &admin, 0, admin, default_params()), vec![], 0),
        (
            "create_group: PDA of another admin",
            create_group_ix(&admin, &thief.key.pubkey(), 9, admin, default_params()),
            vec![],
            anchor(A::ConstraintSeeds),
        ),
        (
            "create_group: z = 0",
            create_group_ix(&admin, &admin, 8, admin, bad_params),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "update_risk_params: not the admin",
            update_risk_params_ix(&thief.key.pubkey(), m.group, default_params()),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "update_risk_params: admin did not sign",
            unsign(update_risk_params_ix(&t.key.pubkey(), m.group, default_params()), 0),
            vec![],
            anchor(A::AccountNotSigner),
        ),
        (
            "update_risk_params: nonsense value",
            update_risk_params_ix(&admin, m.group, bad_params),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "update_risk_params: a non-group account",
            update_risk_params_ix(&admin, sol.asset, default_params()),
            vec![],
            anchor(A::AccountDiscriminatorMismatch),
        ),
        // register_asset
        (
            "register_asset: not the admin",
            register_asset_ix(
                &thief.key.pubkey(),
                &m,
                extra_mint,
                extra_program,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 0, 0, 1_000_000_000_000]),
            ),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "register_asset: the same mint again",
            register_asset_ix(
                &admin,
                &m,
                sol.mint,
                sol.token_program,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 0, 0, 1_000_000_000_000]),
            ),
            vec![],
            0,
        ),
        (
            "register_asset: another group's risk model",
            register_asset_ix(
                &admin,
                &Market { group: m.group, risk_model: other.risk_model, assets: vec![] },
                extra_mint,
                extra_program,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 0, 0, 1_000_000_000_000]),
            ),
            vec![],
            custom(E::WrongRiskModel),
        ),
        (
            "register_asset: |correlation| > 1",
            register_asset_ix(
                &admin,
                &m,
                extra_mint,
                extra_program,
                register_args(
                    feed_id(7),
                    anchor_lang::prelude::Pubkey::new_unique(),
                    vec![1_000_000_000_000_000, 0, 0, 1_000_000_000_000],
                ),
            ),
            vec![],
            custom(E::CovarianceOutOfBounds),
        ),
        (
            "register_asset: a de-peg gap above 100%",
            register_asset_ix(
                &admin,
                &m,
                extra_mint,
                extra_program,
                RegisterAssetArgs {
                    depeg_gap_e6: 1_000_001,
                    ..register_args(
                        feed_id(7),
                        anchor_lang::prelude::Pubkey::new_unique(),
                        vec![0, 0, 0, 1_000_000_000_000],
                    )
                },
            ),
            vec![],
            custom(E::InvalidRiskParameter),
        ),
        (
            "register_asset: zero variance",
            register_asset_ix(
                &admin,
                &m,
                extra_mint,
                extra_program,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 0, 0, 0]),
            ),
            vec![],
            custom(E::NonPositiveVariance),
        ),
        (
            "register_asset: short covariance row",
            register_asset_ix(
                &admin,
                &m,
                extra_mint,
                extra_program,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![1_000_000_000_000]),
            ),
            vec![],
            custom(E::CovarianceRowLength),
        ),
        (
            "register_asset: wrong token program for the mint",
            register_asset_ix(
                &admin,
                &m,
                extra_mint,
                anchor_spl::token_2022::ID,
                register_args(feed_id(7), anchor_lang::prelude::Pubkey::new_unique(), vec![0, 0, 0, 1_000_000_000_000]),
            ),
            vec![],
            0,
        ),
        // deposit
        ("deposit: owner did not sign", unsign(m.deposit_ix(&t, 0, 1_000), 0), vec![], anchor(A::AccountNotSigner)),
        (
            "deposit: into someone else's account",
            swap(swap(m.deposit_ix(&t, 0, 1_000), 0, thief.key.pubkey()), 6, thief.tokens[0]),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "deposit: from someone else's tokens",
            swap(m.deposit_ix(&t, 0, 1_000), 6, thief.tokens[0]),
            vec![&t.key],
            anchor(A::ConstraintTokenOwner),
        ),
        (
            "deposit: another asset's vault",
            swap(m.deposit_ix(&t, 0, 1_000), 4, eth.vault),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "deposit: another asset's mint",
            swap(m.deposit_ix(&t, 0, 1_000), 5, eth.mint),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "deposit: another group's asset",
            swap(m.deposit_ix(&t, 0, 1_000), 3, other.assets[0].asset),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "deposit: wrong token program",
            swap(m.deposit_ix(&t, 0, 1_000), 7, anchor_spl::token_2022::ID),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        ("deposit: zero", m.deposit_ix(&t, 0, 0), vec![&t.key], custom(E::ZeroAmount)),
        ("deposit: u64::MAX", m.deposit_ix(&t, 0, u64::MAX), vec![&t.key], custom(E::DepositCapExceeded)),
        ("deposit: into a debt", m.deposit_ix(&t, 1, 1_000), vec![&t.key], custom(E::DepositIntoDebt)),
        // withdraw
        ("withdraw: owner did not sign", unsign(withdraw(1_000), 0), vec![], anchor(A::AccountNotSigner)),
        (
            "withdraw: by a thief",
            swap(swap(withdraw(1_000), 0, thief.key.pubkey()), 7, thief.tokens[0]),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "withdraw: another asset's vault",
            swap(withdraw(1_000), 5, eth.vault),
            vec![&t.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "withdraw: a non-risk-model account",
            swap(withdraw(1_000), 2, sol.asset),
            vec![&t.key],
            anchor(A::AccountDiscriminatorMismatch),
        ),
        (
            "withdraw: another group's risk model",
            swap(withdraw(1_000), 2, other.risk_model),
            vec![&t.key],
            custom(E::WrongRiskModel),
        ),
        (
            "withdraw: oracle of another asset",
            swap(withdraw(1_000), HEALTH_ORACLE, eth.oracle),
            vec![&t.key],
            custom(E::OracleFeedMismatch),
        ),
        (
            "withdraw: an account that is not an oracle",
            swap(withdraw(1_000), HEALTH_ORACLE, usdc.vault),
            vec![&t.key],
            anchor(A::AccountOwnedByWrongProgram),
        ),
        (
            "withdraw: an older update of the feed in another account",
            swap(withdraw(1_000), HEALTH_ORACLE, stale),
            vec![&t.key],
            custom(E::WrongOracleAccount),
        ),
        (
            "withdraw: a wide update of the feed in another account",
            swap(withdraw(1_000), HEALTH_ORACLE, wide),
            vec![&t.key],
            custom(E::WrongOracleAccount),
        ),
        (
            "withdraw: a partially verified update in another account",
            swap(withdraw(1_000), HEALTH_ORACLE, partial),
            vec![&t.key],
            custom(E::WrongOracleAccount),
        ),
        (
            "withdraw: a negative price in another account",
            swap(withdraw(1_000), HEALTH_ORACLE, negative),
            vec![&t.key],
            custom(E::WrongOracleAccount),
        ),
        (
            "withdraw: health accounts missing",
            m.withdraw_ix(&t, 0, 1_000, &[0]),
            vec![&t.key],
            custom(E::HealthAccountsMismatch),
        ),
        (
            "withdraw: health asset duplicated",
            m.withdraw_ix(&t, 0, 1_000, &[0, 0]),
            vec![&t.key],
            custom(E::WrongAssetAccount),
        ),
        (
            "withdraw: a health asset owned by another program",
            swap(withdraw(1_000), HEALTH_ASSET, usdc.vault),
            vec![&t.key],
            anchor(A::AccountOwnedByWrongProgram),
        ),
        (
            "withdraw: a health asset of another account type",
            swap(withdraw(1_000), HEALTH_ASSET, m.risk_model),
            vec![&t.key],
            anchor(A::AccountDiscriminatorMismatch),
        ),
        (
            // The entrypoint reads remaining accounts as the runtime's records: a repeated one.
            "withdraw: the second position's oracle repeats the first's",
            swap(withdraw(1_000), HEALTH_ORACLE + 2, sol.oracle),
            vec![&t.key],
            custom(E::OracleFeedMismatch),
        ),
        (
            "withdraw: health accounts out of order",
            m.withdraw_ix(&t, 0, 1_000, &[1, 0]),
            vec![&t.key],
            custom(E::WrongAssetAccount),
        ),
        ("withdraw: zero", withdraw(0), vec![&t.key], custom(E::ZeroAmount)),
        ("withdraw: u64::MAX", withdraw(u64::MAX), vec![&t.key], custom(E::InsufficientDeposit)),
        (
            "withdraw: the last collateral of an indebted account",
            m.withdraw_ix(&t, 0, 10_000_000_000, &[1]),
            vec![&t.key],
            custom(E::InitialHealthBelowZero),
        ),
        (
            "withdraw: all collateral with stale health accounts",
            withdraw(10_000_000_000),
            vec![&t.key],
            custom(E::HealthAccountsMismatch),
        ),
        (
            "withdraw: an asset never deposited",
            m.withdraw_ix(&t, 2, 1_000, &[0, 1]),
            vec![&t.key],
            custom(E::InsufficientDeposit),
        ),
        // borrow
        ("borrow: owner did not sign", unsign(borrow(1_000), 0), vec![], anchor(A::AccountNotSigner)),
        ("borrow: beyond initial margin", borrow(600_000_000), vec![&t.key], custom(E::InitialHealthBelowZero)),
        ("borrow: u64::MAX", borrow(u64::MAX), vec![&t.key], custom(E::InsufficientLiquidity)),
        ("borrow: zero", borrow(0), vec![&t.key], custom(E::ZeroAmount)),
        (
            "borrow: against its own deposit",
            m.borrow_ix(&t, 0, 1_000, &[0, 1]),
            vec![&t.key],
            custom(E::BorrowAgainstOwnDeposit),
        ),
        (
            "borrow: an older update of the feed in another account",
            swap(borrow(1_000), HEALTH_ORACLE, stale),
            vec![&t.key],
            custom(E::WrongOracleAccount),
        ),
        ("borrow: another asset's mint", swap(borrow(1_000), 6, sol.mint), vec![&t.key], anchor(A::ConstraintHasOne)),
        // repay
        ("repay: owner did not sign", unsign(m.repay_ix(&t, 1, 1_000), 0), vec![], anchor(A::AccountNotSigner)),
        ("repay: more than the debt", m.repay_ix(&t, 1, 300_000_001), vec![&t.key], custom(E::RepayExceedsDebt)),
        ("repay: an asset not owed", m.repay_ix(&t, 0, 1_000), vec![&t.key], custom(E::NoDebt)),
        ("repay: zero", m.repay_ix(&t, 1, 0), vec![&t.key], custom(E::ZeroAmount)),
        // close
        ("close: not empty", close.clone(), vec![&t.key], custom(E::AccountNotEmpty)),
        ("close: owner did not sign", unsign(close.clone(), 0), vec![], anchor(A::AccountNotSigner)),
        (
            "close: by someone else",
            swap(close.clone(), 0, thief.key.pubkey()),
            vec![&thief.key],
            anchor(A::ConstraintHasOne),
        ),
        // liquidate
        (
            "liquidate: a healthy account",
            m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]),
            vec![&liq.key],
            custom(E::NotLiquidatable),
        ),
        (
            "liquidate: own account",
            m.liquidate_ix(&t, &t, 1, 0, 1_000_000, &[0, 1]),
            vec![&t.key],
            custom(E::SelfLiquidation),
        ),
        (
            "liquidate: own account from the owner's second margin account",
            m.liquidate_ix(&t_second, &t, 1, 0, 1_000_000, &[0, 1]),
            vec![&t.key],
            custom(E::SelfLiquidation),
        ),
        (
            "liquidate: liquidator did not sign",
            unsign(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 0),
            vec![],
            anchor(A::AccountNotSigner),
        ),
        ("liquidate: zero", m.liquidate_ix(&liq, &t, 1, 0, 0, &[0, 1]), vec![&liq.key], custom(E::ZeroAmount)),
        (
            "liquidate: an older update of the feed in another account",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), LIQ_HEALTH_ORACLE, stale),
            vec![&liq.key],
            custom(E::WrongOracleAccount),
        ),
        (
            "liquidate: someone else's margin account as the liquidator's",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 4, thief.margin_account),
            vec![&liq.key],
            custom(E::WrongLiquidatorAccount),
        ),
        (
            "liquidate: another group's margin account as the liquidator's",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 4, other_trader.margin_account),
            vec![&liq.key],
            custom(E::WrongLiquidatorAccount),
        ),
        (
            "liquidate: substituted liability vault",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 6, eth.vault),
            vec![&liq.key],
            anchor(A::ConstraintAddress),
        ),
        (
            "liquidate: substituted liability mint",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 7, eth.mint),
            vec![&liq.key],
            anchor(A::ConstraintAddress),
        ),
        (
            "liquidate: the liquidator's tokens of another mint",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 8, liq.tokens[0]),
            vec![&liq.key],
            anchor(A::ConstraintTokenMint),
        ),
        (
            "liquidate: repaid from someone else's tokens",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 8, thief.tokens[1]),
            vec![&liq.key],
            anchor(A::ConstraintTokenOwner),
        ),
        (
            "liquidate: a program account as the liquidator's tokens",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 8, liq.margin_account),
            vec![&liq.key],
            anchor(A::AccountOwnedByWrongProgram),
        ),
        (
            "liquidate: collateral asset of another group",
            swap(m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]), 10, other.assets[0].asset),
            vec![&liq.key],
            anchor(A::ConstraintHasOne),
        ),
        (
            "liquidate: same asset both sides",
            m.liquidate_ix(&liq, &t, 1, 1, 1_000_000, &[0, 1]),
            vec![&liq.key],
            custom(E::LiquidationSameAsset),
        ),
        // crank
        (
            "crank: oracles out of order",
            m.crank_ix(0, &[usdc.oracle, sol.oracle, eth.oracle]),
            vec![],
            custom(E::OracleFeedMismatch),
        ),
        (
            "crank: beyond the registered assets",
            m.crank_ix(2, &[eth.oracle, sol.oracle]),
            vec![],
            custom(E::CrankOrder),
        ),
        (
            "crank: another group's risk model",
            swap(m.crank_ix(0, &m.oracles()), 1, other.risk_model),
            vec![],
            custom(E::WrongRiskModel),
        ),
        (
            "crank: an older update of the feed in another account",
            m.crank_ix(0, &[stale, usdc.oracle, eth.oracle]),
            vec![],
            custom(E::WrongOracleAccount),
        ),
        (
            "crank: an oracle repeated",
            m.crank_ix(0, &[sol.oracle, sol.oracle, eth.oracle]),
            vec![],
            custom(E::OracleFeedMismatch),
        ),
        (
            "crank: one of its fixed accounts among the oracles",
            m.crank_ix(0, &[m.group, usdc.oracle, eth.oracle]),
            vec![],
            anchor(A::AccountOwnedByWrongProgram),
        ),
        (
            "crank: a non-oracle account",
            m.crank_ix(0, &[sol.vault, usdc.oracle, eth.oracle]),
            vec![],
            anchor(A::AccountOwnedByWrongProgram),
        ),
        // bankruptcy and fees
        (
            "resolve_bankruptcy: account still has collateral",
            m.resolve_bankruptcy_ix(&t, 1),
            vec![],
            custom(E::NotBankrupt),
        ),
        (
            "resolve_bankruptcy: substituted insurance vault",
            swap(m.resolve_bankruptcy_ix(&t, 1), 4, liq.tokens[1]),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        (
            "collect_protocol_fees: substituted insurance vault",
            collect(liq.tokens[1]),
            vec![],
            anchor(A::ConstraintHasOne),
        ),
        ("collect_protocol_fees: nothing accrued", collect(usdc.insurance_vault), vec![], custom(E::ZeroAmount)),
    ];

    let people = [&lender, &t, &liq, &thief];
    let mut table = vec![];
    for (name, ix, signers, expected) in cases {
        let before = snapshot(&mut w, &m, &[&other], &people).await;
        let out = w.send(&[ix], &signers).await;
        let got = out.custom_error();
        assert!(out.result.is_err(), "{name}: succeeded\n{:#?}", out.logs);
        if expected != 0 {
            assert_eq!(got, Some(expected), "{name}\n{:#?}", out.logs);
        }
        assert_eq!(snapshot(&mut w, &m, &[&other], &people).await, before, "{name}: state changed");
        table.push(format!(
            "{name} → {}",
            got.map(|c| c.to_string()).unwrap_or_else(|| format!("{:?}", out.result.unwrap_err()))
        ));
    }
    // The asset's own registered oracle unusable: the owner's withdraw and borrow are refused with
    // the reason; a liquidation may not seize a deposit it cannot price.
    let fresh = w.account_data(sol.oracle).await.unwrap();
    let variants = [
        ("stale", price_update_data(sol.feed_id, 100.0, 0.1, now - 61, VerificationLevel::Full), E::OracleStale),
        ("wide", price_update_data(sol.feed_id, 100.0, 3.0, now, VerificationLevel::Full), E::OracleConfidenceTooWide),
        (
            "partially verified",
            price_update_data(sol.feed_id, 100.0, 0.1, now, VerificationLevel::Partial { num_signatures: 9 }),
            E::OracleNotFullyVerified,
        ),
        (
            "negative",
            price_update_data(sol.feed_id, -1.0, 0.0, now, VerificationLevel::Full),
            E::OraclePriceNotPositive,
        ),
    ];
    for (variant, data, error) in variants {
        w.set_oracle(sol.oracle, data);
        let cases: [(String, Instruction, Vec<&Keypair>, E); 3] = [
            (format!("withdraw: {variant} registered oracle"), withdraw(1_000), vec![&t.key], error),
            (format!("borrow: {variant} registered oracle"), borrow(1_000), vec![&t.key], error),
            (
                format!("liquidate: seizing a deposit whose registered oracle is {variant}"),
                m.liquidate_ix(&liq, &t, 1, 0, 1_000_000, &[0, 1]),
                vec![&liq.key],
                E::CollateralUnpriced,
            ),
        ];
        for (name, ix, signers, expected) in cases {
            let before = snapshot(&mut w, &m, &[&other], &people).await;
            let out = w.send(&[ix], &signers).await;
            assert_eq!(out.custom_error(), Some(custom(expected)), "{name}\n{:#?}", out.logs);
            assert_eq!(snapshot(&mut w, &m, &[&other], &people).await, before, "{name}: state changed");
            table.push(format!("{name} → {}", custom(expected)));
        }
    }
    w.set_oracle(sol.oracle, fresh);

    // Crank too early: one sample taken, the next one is refused and changes nothing.
    w.send(&[m.crank_ix(0, &m.oracles())], &[]).await.ok();
    let before = snapshot(&mut w, &m, &[&other], &people).await;
    let out = w.send(&[m.crank_ix(0, &m.oracles())], &[]).await;
    assert_eq!(out.custom_error(), Some(custom(E::SampleTooEarly)));
    assert_eq!(snapshot(&mut w, &m, &[&other], &people).await, before);
    table.push(format!("crank: too early → {}", custom(E::SampleTooEarly)));
    println!("{} adversarial cases:\n{}", table.len(), table.join("\n"));
    assert!(table.len() >= 60);
}
