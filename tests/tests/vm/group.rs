//! create_group and update_risk_params: success, events, and every rejection leaves state unchanged.
use anchor_lang::error::ErrorCode as AnchorError;
use portfolio_margin::error::ErrorCode;
use portfolio_margin::events::{GroupCreated, RiskParamsUpdated};
use portfolio_margin::state::Group;
use portfolio_margin_tests::*;
use risk_engine::Fx;
use solana_signer::Signer;

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}

#[tokio::test]
async fn create_group_stores_validated_params_and_emits_an_event() {
    let mut w = World::new().await;
    let admin = w.payer();
    let risk = solana_keypair::Keypair::new().pubkey();
    let out = w.send(&[create_group_ix(&admin, &admin, 7, risk, default_params())], &[]).await.ok();
    let group_key = group_address(&admin, 7);

    let events = out.events::<GroupCreated>();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].group, group_key);
    assert_eq!(events[0].params, default_params());

    let g: Group = w.zero_copy(group_key).await;
    assert_eq!(g.admin, admin);
    assert_eq!(g.risk_authority, risk);
    assert_eq!(g.group_id, 7);
    assert_eq!(g.asset_count, 0);
    assert!((g.params.lambda.get() - fx(0.94)).abs() < fx(1e-9));
    assert!((g.params.z.get() - fx(2.326348)).abs() < fx(1e-9));
    assert_eq!(g.params.sample_interval_seconds, 86_400);
    assert!(g.created_at > 1_700_000_000, "clock read inside the VM");
    println!("create_group: {} CU", out.compute_units);
}

#[tokio::test]
async fn create_group_rejects_lambda_of_one_and_creates_nothing() {
    let mut w = World::new().await;
    let admin = w.payer();
    let mut p = default_params();
    p.lambda_e9 = 1_000_000_000;
    let out = w.send(&[create_group_ix(&admin, &admin, 1, admin, p)], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InvalidRiskParameter)));
    assert!(out.logs_contain("invalid risk parameter `lambda`: must be strictly between 0 and 1"), "{:#?}", out.logs);
    assert!(w.account_data(group_address(&admin, 1)).await.is_none());
}

/// A stablecoin registered with a de-peg gap: a book holding it pays the gap on top of its VaR (the
/// margin's de-peg term), here a $100k USD deposit against a small volatile borrow: the same trade
/// on a group whose stablecoin has no gap needs 1.5 × 10% × $100k less initial margin.
#[tokio::test]
async fn a_stablecoin_de_peg_gap_charges_its_holders() {
    use portfolio_margin::events::BalanceChanged;
    const VOL: AssetSpec = AssetSpec { decimals: 9, price: 100.0, daily_vol: 0.04, token_2022: false };
    const USD: AssetSpec = AssetSpec { decimals: 6, price: 1.0, daily_vol: 0.001, token_2022: false };
    let mut w = World::new().await;
    let mut margins = vec![];
    for (group_id, gap_e6) in [(0u32, 0u32), (1, 100_000)] {
        let mut m = Market::with_group_id(&mut w, group_id, &[VOL], 0.3).await;
        m.add_asset_with(&mut w, USD, 1, 0.3, &[VOL, USD], |a| a.depeg_gap_e6 = gap_e6).await.ok();
        let model: portfolio_margin::state::RiskModel = w.zero_copy(m.risk_model).await;
        assert_eq!(model.depeg_gap[1].get(), Fx::from_num(gap_e6) / Fx::from_num(1_000_000));
        let lender = m.trader(&mut w, &[1_000_000_000_000, 0]).await;
        w.send(&[m.deposit_ix(&lender, 0, 1_000_000_000_000)], &[&lender.key]).await.ok();
        let t = m.trader(&mut w, &[0, 100_000_000_000]).await;
        w.send(&[m.deposit_ix(&t, 1, 100_000_000_000)], &[&t.key]).await.ok();
        let out = w.send(&[m.borrow_ix(&t, 0, 10_000_000_000, &[1, 0])], &[&t.key]).await.ok();
        let ev = &out.events::<BalanceChanged>()[0];
        margins.push(Fx::from_bits(ev.initial_margin_bits).to_num::<f64>());
    }
    let (plain, with_gap) = (margins[0], margins[1]);
    println!("initial margin: {plain:.2} without a de-peg gap, {with_gap:.2} with 10%");
    // The de-peg term binds: VaR + 10% of the $100k deposit, × 1.5 for initial margin.
    assert!(with_gap >= 1.5 * 10_000.0, "{with_gap}");
    assert!(with_gap > plain + 1.5 * 10_000.0 * 0.9, "{plain} → {with_gap}");
}

#[tokio::test]
async fn create_group_rejects_each_nonsense_parameter_by_name() {
    let mut w = World::new().await;
    let admin = w.payer();
    type Tweak = fn(&mut portfolio_margin::state::RiskParamsArgs);
    let cases: [(&str, Tweak); 13] = [
        ("z", |p| p.z_e6 = 0),
        ("spike_alpha", |p| p.spike_alpha_e6 = 1_000_001),
        ("breakdown_beta", |p| p.breakdown_beta_e6 = 2_000_000),
        ("stress_vol_multiplier", |p| p.stress_vol_multiplier_e6 = 999_999),
        ("initial_multiplier", |p| p.initial_multiplier_e6 = 900_000),
        ("horizon_seconds", |p| p.horizon_seconds = 3_600),
        ("oracle_max_age_seconds", |p| p.oracle_max_age_seconds = 0),
        ("liquidator_fee", |p| p.liquidator_fee_e6 = 300_000),
        ("hedge_floor", |p| p.hedge_floor_e6 = 1_000_001),
        ("slow_lambda", |p| p.slow_lambda_e9 = 1_000_000_000),
        ("vol_floor_weight", |p| p.vol_floor_weight_e6 = 10_000_001),
        ("short_lambda", |p| p.short_lambda_e9 = 0),
        ("short_vol_weight", |p| p.short_vol_weight_e6 = 10_000_001),
    ];
    for (i, (name, tweak)) in cases.iter().enumerate() {
        let mut p = default_params();
        tweak(&mut p);
        let out = w.send(&[create_group_ix(&admin, &admin, 100 + i as u32, admin, p)], &[]).await;
        assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InvalidRiskParameter)), "{name}");
        assert!(out.logs_contain(&format!("invalid risk parameter `{name}`")), "{name}: {:#?}", out.logs);
        assert!(w.account_data(group_address(&admin, 100 + i as u32)).await.is_none());
    }
}

#[tokio::test]
async fn create_group_cannot_be_run_twice_for_the_same_id() {
    let mut w = World::new().await;
    let admin = w.payer();
    w.send(&[create_group_ix(&admin, &admin, 3, admin, default_params())], &[]).await.ok();
    let before = w.account_data(group_address(&admin, 3)).await.unwrap();
    let mut p = default_params();
    p.z_e6 = 3_000_000;
    let out = w.send(&[create_group_ix(&admin, &admin, 3, admin, p)], &[]).await;
    assert!(out.result.is_err(), "re-initialisation must fail");
    assert!(out.logs_contain("already in use"), "{:#?}", out.logs);
    assert_eq!(w.account_data(group_address(&admin, 3)).await.unwrap(), before);
}

#[tokio::test]
async fn create_group_rejects_a_pda_of_another_admin() {
    let mut w = World::new().await;
    let admin = w.payer();
    let other = solana_keypair::Keypair::new().pubkey();
    let out = w.send(&[create_group_ix(&admin, &other, 5, admin, default_params())], &[]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintSeeds as u32));
    assert!(w.account_data(group_address(&other, 5)).await.is_none());
}

#[tokio::test]
async fn admin_updates_risk_params_with_an_event() {
    let mut w = World::new().await;
    let admin = w.payer();
    w.send(&[create_group_ix(&admin, &admin, 1, admin, default_params())], &[]).await.ok();
    let group = group_address(&admin, 1);
    let mut p = default_params();
    p.breakdown_beta_e6 = 200_000;
    let out = w.send(&[update_risk_params_ix(&admin, group, p)], &[]).await.ok();
    assert_eq!(out.events::<RiskParamsUpdated>()[0].params, p);
    let g: Group = w.zero_copy(group).await;
    assert!((g.params.breakdown_beta.get() - fx(0.2)).abs() < fx(1e-9));
    println!("update_risk_params: {} CU", out.compute_units);
}

#[tokio::test]
async fn only_the_admin_can_update_risk_params() {
    let mut w = World::new().await;
    let admin = w.payer();
    w.send(&[create_group_ix(&admin, &admin, 1, admin, default_params())], &[]).await.ok();
    let group = group_address(&admin, 1);
    let before = w.account_data(group).await.unwrap();
    let intruder = w.funded_keypair().await;
    let out = w.send(&[update_risk_params_ix(&intruder.pubkey(), group, default_params())], &[&intruder]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::ConstraintHasOne as u32));
    assert_eq!(w.account_data(group).await.unwrap(), before);
}

#[tokio::test]
async fn invalid_update_changes_nothing() {
    let mut w = World::new().await;
    let admin = w.payer();
    w.send(&[create_group_ix(&admin, &admin, 1, admin, default_params())], &[]).await.ok();
    let group = group_address(&admin, 1);
    let before = w.account_data(group).await.unwrap();
    let mut p = default_params();
    p.lambda_e9 = 0;
    let out = w.send(&[update_risk_params_ix(&admin, group, p)], &[]).await;
    assert_eq!(out.custom_error(), Some(u32::from(ErrorCode::InvalidRiskParameter)));
    assert_eq!(w.account_data(group).await.unwrap(), before);
}

#[tokio::test]
async fn update_requires_the_admin_signature() {
    let mut w = World::new().await;
    let admin_kp = w.funded_keypair().await;
    let admin = admin_kp.pubkey();
    w.send(&[create_group_ix(&admin, &admin, 1, admin, default_params())], &[&admin_kp]).await.ok();
    let group = group_address(&admin, 1);
    // Same instruction, but the admin account is not marked as a signer.
    let mut ix = update_risk_params_ix(&admin, group, default_params());
    ix.accounts[0].is_signer = false;
    let out = w.send(&[ix], &[]).await;
    assert_eq!(out.custom_error(), Some(AnchorError::AccountNotSigner as u32));
}

#[test]
fn the_programs_daily_defaults_are_the_engines_bit_for_bit() {
    let stored = portfolio_margin::state::RiskParams::from_args(&default_params()).unwrap();
    assert_eq!(stored.margin_params().unwrap(), risk_engine::MarginParams::daily_defaults());
}

#[tokio::test]
async fn the_admin_records_lookup_tables_on_the_group() {
    use portfolio_margin::events::LookupTableSet;
    use portfolio_margin::instructions::admin::set_lookup_table::ADDRESS_LOOKUP_TABLE_PROGRAM;
    let mut w = World::new().await;
    let admin = w.payer();
    w.send(&[create_group_ix(&admin, &admin, 3, admin, default_params())], &[]).await.ok();
    let group = group_address(&admin, 3);
    let tables = [anchor_lang::prelude::Pubkey::new_unique(), anchor_lang::prelude::Pubkey::new_unique()];
    for (i, t) in tables.iter().enumerate() {
        w.set_lookup_table_account(*t, Some(admin), false, ADDRESS_LOOKUP_TABLE_PROGRAM);
        let ix = portfolio_margin_client::instructions::set_lookup_table(&admin, group, i as u8, *t);
        let out = w.send(&[ix], &[]).await.ok();
        let e = out.events::<LookupTableSet>();
        assert_eq!((e[0].group, e[0].index, e[0].lookup_table), (group, i as u8, *t));
        println!("set_lookup_table: {} CU", out.compute_units);
    }
    let g: Group = w.zero_copy(group).await;
    assert_eq!(g.lookup_tables, tables);
    // A frozen table (no authority) could never take a new asset's addresses: refused.
    let frozen = anchor_lang::prelude::Pubkey::new_unique();
    w.set_lookup_table_account(frozen, None, false, ADDRESS_LOOKUP_TABLE_PROGRAM);
    let ix = portfolio_margin_client::instructions::set_lookup_table(&admin, group, 0, frozen);
    let out = w.send(&[ix], &[]).await;
    assert_eq!(out.custom_error(), Some(ErrorCode::LookupTableInvalid as u32 + 6000));
    assert_eq!(w.zero_copy::<Group>(group).await.lookup_tables, tables);
}
