//! Native tests of the replayed handlers (share arithmetic, rounding, slot order, refusals) against
//! hand-checked figures, and of the JSON layer. Exactness against the real program is checked in the
//! VM (`tests/tests/vm/preview.rs`).
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountSerialize, Discriminator};
use portfolio_margin::state::{Asset, Group, MarginAccount, Position, RiskModel, RiskParams, RiskParamsArgs};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use risk_engine::interest::Pool;
use risk_engine::{tri_index, Fx, WrappedI80F48};
use serde_json::Value;

use crate::api::Request;
use crate::books::{apply, evaluate, Action, Books, Kind, Market};

const T0: i64 = 1_700_000_000;
/// 2⁴⁸: one native unit in I80F48 bits.
const ONE: i128 = 1 << 48;

fn daily_params() -> RiskParamsArgs {
    RiskParamsArgs::daily_defaults()
}

fn feed(i: usize) -> [u8; 32] {
    let mut f = [0u8; 32];
    f[0] = 0xfe;
    f[31] = i as u8;
    f
}

fn with_disc<T: bytemuck::Pod + Discriminator>(v: &T) -> Vec<u8> {
    let mut out = T::DISCRIMINATOR.to_vec();
    out.extend_from_slice(bytemuck::bytes_of(v));
    out
}

/// PriceUpdateV2 data with exponent −8 and confidence 0.1% of the price.
fn oracle(i: usize, price: f64, publish_time: i64) -> Vec<u8> {
    let m = (price * 1e8).round() as i64;
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_unique(),
        verification_level: VerificationLevel::Full,
        price_message: PriceFeedMessage {
            feed_id: feed(i),
            price: m,
            conf: (m / 1000) as u64,
            exponent: -8,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: m,
            ema_conf: (m / 1000) as u64,
        },
        posted_slot: 1,
    };
    let mut data = Vec::new();
    update.try_serialize(&mut data).unwrap();
    data
}

/// SOL (9 decimals, $100, 5%/day) and USDC (6 decimals, $1, 0.1%/day), uncorrelated, as
/// register_asset leaves them at T0; the default curve (0 → 10% at 80% → 100%), 10% protocol share.
struct Fixture {
    group: Group,
    model: Box<RiskModel>,
    assets: Vec<Asset>,
    oracles: Vec<Option<Vec<u8>>>,
    account: Option<MarginAccount>,
}

fn fixture() -> Fixture {
    let key = Pubkey::new_unique();
    let mut group: Group = bytemuck::Zeroable::zeroed();
    group.params = RiskParams::from_args(&daily_params()).unwrap();
    group.asset_count = 2;
    let mut model: Box<RiskModel> = Box::new(bytemuck::Zeroable::zeroed());
    model.group = key;
    model.asset_count = 2;
    let vols = [0.05, 0.001];
    for (i, v) in vols.iter().enumerate() {
        model.covariance[tri_index(i, i)].set(Fx::from_num(v * v));
        model.volatility[i].set(Fx::from_num(*v));
        model.vol_scale[i].set(Fx::ONE);
    }
    model.refresh_kernel(0..2).unwrap();
    let assets = (0..2)
        .map(|i| {
            let mut a: Asset = bytemuck::Zeroable::zeroed();
            a.group = key;
            a.mint = Pubkey::new_unique();
            a.feed_id = feed(i);
            a.set_pool(&Pool::new(T0));
            a.optimal_utilization.set(Fx::from_num(0.8));
            a.rate_at_optimal.set(Fx::from_num(0.1));
            a.max_rate.set(Fx::ONE);
            a.protocol_share.set(Fx::from_num(0.1));
            a.floor_rate.set(Fx::from_num(0.01));
            a.deposit_cap = u64::MAX / 4;
            a.borrow_cap = u64::MAX / 4;
            a.index = i as u16;
            a.decimals = [9, 6][i];
            a
        })
        .collect();
    let oracles = vec![Some(oracle(0, 100.0, T0)), Some(oracle(1, 1.0, T0))];
    Fixture { group, model, assets, oracles, account: None }
}

impl Fixture {
    fn account(&mut self) -> &mut MarginAccount {
        let group = self.assets[0].group;
        self.account.get_or_insert_with(|| {
            let mut a: MarginAccount = bytemuck::Zeroable::zeroed();
            a.group = group;
            a
        })
    }

    fn set_position(&mut self, slot: usize, asset: u16, shares_bits: i128) {
        self.account().positions[slot] = Position {
            shares: WrappedI80F48::new(Fx::from_bits(shares_bits)),
            asset_index: asset,
            active: 1,
            ..Default::default()
        };
    }

    fn request(&self, now: i64, action: Option<(Kind, u16, u64)>) -> Request {
        let assets: Vec<Vec<u8>> = self.assets.iter().map(with_disc).collect();
        let account = self.account.as_ref().map(with_disc);
        Request::from_accounts(
            &with_disc(&self.group),
            &with_disc(&*self.model),
            &assets,
            &self.oracles,
            &[],
            account.as_deref(),
            now,
            action,
        )
    }

    fn loaded(&self) -> (Market, Books) {
        self.request(T0, None).load().unwrap()
    }
}

fn act(kind: Kind, asset: u16, amount: u64) -> Action {
    Action { kind, asset, amount }
}

fn shares(b: &Books, slot: usize) -> i128 {
    b.account.positions[slot].shares.get().to_bits()
}

#[track_caller]
fn code(r: Result<Fx, crate::books::Refusal>) -> String {
    r.unwrap_err().code
}

#[test]
fn deposit_at_index_one_mints_one_share_per_unit_into_the_first_free_slot() {
    let f = fixture();
    let (_, mut b) = f.loaded();
    let after = apply(&mut b, act(Kind::Deposit, 0, 4_000_000_000), T0, 0).unwrap();
    assert_eq!(after.to_bits(), 4_000_000_000 * ONE);
    assert_eq!(b.account.positions[0].asset_index, 0);
    assert_eq!(b.account.positions[0].active, 1);
    assert_eq!(b.assets[0].deposit_shares.get().to_bits(), 4_000_000_000 * ONE);
}

#[test]
fn shares_round_for_the_protocol_at_index_one_and_a_half() {
    // 10 native at 1.5 per share = 20/3 shares: 20·2⁴⁸/3 = 1876499844737706.67 bits.
    let mut f = fixture();
    f.assets[0].deposit_index.set(Fx::from_num(1.5));
    f.assets[1].borrow_index.set(Fx::from_num(1.5));
    f.assets[1].deposit_shares.set(Fx::from_num(1_000_000));
    let (_, b0) = f.loaded();
    // Deposit mints floor.
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Deposit, 0, 10), T0, 0).unwrap();
    assert_eq!(after.to_bits(), 1_876_499_844_737_706);
    // Borrow owes ceil.
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Borrow, 1, 10), T0, 1_000_000).unwrap();
    assert_eq!(after.to_bits(), -1_876_499_844_737_707);
    assert_eq!(b.assets[1].borrow_shares.get().to_bits(), 1_876_499_844_737_707);

    // The 20/3 shares minted above (…706 bits) are worth floor(9.99…) = 9 units: the 10 deposited
    // cannot be withdrawn; 6 burns ceil(6/1.5) = 4 shares; 9, the whole value, burns every share
    // and frees the slot.
    f.set_position(0, 0, 1_876_499_844_737_706);
    f.assets[0].deposit_shares.set(Fx::from_bits(1_876_499_844_737_706));
    let (_, b0) = f.loaded();
    let mut b = b0.clone();
    assert_eq!(code(apply(&mut b, act(Kind::Withdraw, 0, 10), T0, 100)), "InsufficientDeposit");
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Withdraw, 0, 6), T0, 100).unwrap();
    assert_eq!(after.to_bits(), 1_876_499_844_737_706 - 4 * ONE);
    assert_eq!(b.assets[0].deposit_shares.get().to_bits(), 1_876_499_844_737_706 - 4 * ONE);
    assert_eq!(b.account.positions[0].active, 1, "a remainder keeps the slot open");
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Withdraw, 0, 9), T0, 100).unwrap();
    assert_eq!(after, Fx::ZERO);
    assert_eq!(b.assets[0].deposit_shares.get(), Fx::ZERO);
    assert_eq!(b.account.positions[0].active, 0, "the whole value frees the slot");
}

#[test]
fn repay_rounds_the_debt_up_and_the_shares_cleared_down() {
    // Debt of 20/3 shares rounded up (…707 bits) at 1.5: 1876499844737707·3/2 = …60.5 bits → ceil
    // = 10 units + 1 ulp, so the debt is 11 native units.
    let mut f = fixture();
    f.assets[1].borrow_index.set(Fx::from_num(1.5));
    f.assets[1].borrow_shares.set(Fx::from_bits(1_876_499_844_737_707));
    f.set_position(0, 0, 5 * ONE);
    f.set_position(1, 1, -1_876_499_844_737_707);
    let (_, b0) = f.loaded();

    let mut b = b0.clone();
    let r = apply(&mut b, act(Kind::Repay, 1, 12), T0, 0).unwrap_err();
    assert_eq!(r.code, "RepayExceedsDebt");
    assert!(r.message.ends_with("(debt is 11 native units)"), "{}", r.message);

    // 5 units clear floor(5/1.5) = floor(10·2⁴⁸/3) = 938249922368853 bits.
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Repay, 1, 5), T0, 0).unwrap();
    assert_eq!(after.to_bits(), -1_876_499_844_737_707 + 938_249_922_368_853);
    assert_eq!(b.assets[1].borrow_shares.get().to_bits(), 1_876_499_844_737_707 - 938_249_922_368_853);
    assert_eq!(b.account.positions[1].active, 1);

    // 11 units clear every share and close the slot; the pool's shares reach zero.
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Repay, 1, 11), T0, 0).unwrap();
    assert_eq!(after, Fx::ZERO);
    assert_eq!(b.account.positions[1].active, 0);
    assert_eq!(b.account.positions[1].shares.get(), Fx::ZERO);
    assert_eq!(b.assets[1].borrow_shares.get(), Fx::ZERO);
    assert_eq!(b.account.positions[0].active, 1, "other slots untouched");
}

#[test]
fn interest_is_accrued_on_the_touched_asset_only_before_the_shares() {
    // USDC: 1,000 deposited, 500 borrowed → U = 0.5, rate 6.25%; a year later the borrow index is
    // 1.0625 (rounded up), the deposit index 1 + 28.125/1000 (rounded down).
    let mut f = fixture();
    let mut pool = Pool::new(T0);
    pool.deposit_shares = Fx::from_num(1_000);
    pool.borrow_shares = Fx::from_num(500);
    f.assets[1].set_pool(&pool);
    f.assets[0].last_accrual = T0 - 5;
    let year = 31_536_000;
    let (_, b0) = f.loaded();
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Deposit, 1, 1_000), T0 + year, 0).unwrap();
    let a = &b.assets[1];
    assert_eq!(a.last_accrual, T0 + year);
    assert!((a.borrow_index.get().to_num::<f64>() - 1.0625).abs() < 1e-12);
    assert!((a.deposit_index.get().to_num::<f64>() - 1.028125).abs() < 1e-9);
    assert!((a.protocol_fees.get().to_num::<f64>() - 3.125).abs() < 1e-9);
    // Minted at the new index, rounded down.
    let mut expect = Pool { ..pool };
    expect.accrue(T0 + year, &f.assets[1].curve(), Fx::from_num(0.1)).unwrap();
    assert_eq!(after, expect.deposit_shares_for(1_000).unwrap());
    assert_eq!(a.deposit_index.get(), expect.deposit_index);
    // The other asset's pool is as stored (not accrued).
    assert_eq!(b.assets[0].last_accrual, T0 - 5);
}

#[test]
fn liquidity_is_the_vault_less_fees_rounded_up_after_accrual() {
    let mut f = fixture();
    f.assets[1].deposit_shares.set(Fx::from_num(1_000));
    f.assets[1].protocol_fees.set(Fx::from_num(2.25)); // 3 units reserved
    f.set_position(0, 0, 5_000_000_000 * ONE);
    let (_, b0) = f.loaded();
    let mut b = b0.clone();
    assert_eq!(code(apply(&mut b, act(Kind::Borrow, 1, 98), T0, 100)), "InsufficientLiquidity");
    let mut b = b0.clone();
    apply(&mut b, act(Kind::Borrow, 1, 97), T0, 100).unwrap();
    // The borrow took the first free slot (slot 1).
    assert_eq!((b.account.positions[1].asset_index, b.account.positions[1].active), (1, 1));
}

#[test]
fn refusals_come_in_the_handlers_order() {
    let mut f = fixture();
    f.assets[1].deposit_shares.set(Fx::from_num(1_000_000));
    f.set_position(0, 0, 10 * ONE);
    f.set_position(1, 1, -10 * ONE);
    f.assets[1].borrow_shares.set(Fx::from_num(10));
    let (_, b0) = f.loaded();
    let run = |a: Action, vault: u64| code(apply(&mut b0.clone(), a, T0, vault));
    assert_eq!(run(act(Kind::Deposit, 0, 0), 0), "ZeroAmount");
    assert_eq!(run(act(Kind::Deposit, 1, 5), 0), "DepositIntoDebt");
    assert_eq!(run(act(Kind::Borrow, 0, 5), 100), "BorrowAgainstOwnDeposit");
    // Liquidity is checked before the position.
    assert_eq!(run(act(Kind::Borrow, 0, 5), 4), "InsufficientLiquidity");
    assert_eq!(run(act(Kind::Withdraw, 1, 5), 100), "InsufficientDeposit");
    assert_eq!(run(act(Kind::Withdraw, 0, 11), 100), "InsufficientDeposit");
    // A withdrawal: the account's own deposit is checked before the vault's liquidity.
    assert_eq!(run(act(Kind::Withdraw, 0, 11), 4), "InsufficientDeposit");
    assert_eq!(run(act(Kind::Withdraw, 0, 5), 4), "InsufficientLiquidity");
    assert_eq!(run(act(Kind::Repay, 0, 5), 0), "NoDebt");
    let mut capped = f.assets.clone();
    // Caps bind the pool's totals (asset 0 has no pool deposits yet; asset 1 lent out 10).
    capped[0].deposit_cap = 5;
    capped[1].borrow_cap = 12;
    let b = Books { assets: capped, account: b0.account };
    assert_eq!(code(apply(&mut b.clone(), act(Kind::Deposit, 0, 6), T0, 0)), "DepositCapExceeded");
    apply(&mut b.clone(), act(Kind::Deposit, 0, 5), T0, 0).unwrap();
    assert_eq!(code(apply(&mut b.clone(), act(Kind::Borrow, 1, 3), T0, 100)), "BorrowCapExceeded");
}

#[test]
fn a_closed_slot_is_reused_first_and_health_follows_slot_order() {
    // Slot 0 USDC deposit, slot 1 SOL deposit; withdrawing all the USDC frees slot 0; a USDC borrow
    // reopens it: the health accounts are then (USDC, SOL).
    let mut f = fixture();
    f.assets[1].deposit_shares.set(Fx::from_num(1_000_000_000));
    f.set_position(0, 1, 100 * ONE);
    f.set_position(1, 0, 10_000_000_000 * ONE);
    let (m, b0) = f.loaded();
    let mut b = b0.clone();
    let after = apply(&mut b, act(Kind::Withdraw, 1, 100), T0, 1_000_000_000).unwrap();
    assert_eq!(after, Fx::ZERO);
    assert_eq!(b.account.positions[0].active, 0);
    apply(&mut b, act(Kind::Borrow, 1, 1_000_000), T0, 1_000_000_000).unwrap();
    assert_eq!((b.account.positions[0].asset_index, b.account.positions[0].active), (1, 1));
    assert_eq!(shares(&b, 0), -1_000_000 * ONE);
    let h = crate::books::account_health(&m, &b, T0).unwrap();
    assert_eq!(h.holdings.iter().map(|h| h.asset).collect::<Vec<_>>(), vec![1, 0]);
    assert_eq!(h.holdings[0].amount, -1_000_000);
    assert_eq!(h.holdings[1].amount, 10_000_000_000);
}

fn parse(s: String) -> Value {
    serde_json::from_str(&s).unwrap()
}

#[test]
fn preview_json_of_a_deposit_and_a_borrow_beyond_initial_margin() {
    let mut f = fixture();
    f.assets[1].deposit_shares.set(Fx::from_num(50_000_000_000u64));
    let req = f.request(T0, Some((Kind::Deposit, 0, 10_000_000_000)));
    let v = parse(crate::preview(&serde_json::to_string(&req).unwrap()));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["before"]["equity"], "0");
    // 10 SOL at 100 − 0.1 (confidence, k = 1) = $999 of equity, rounded down.
    let equity: f64 = v["after"]["equity"].as_str().unwrap().parse().unwrap();
    assert!((equity - 999.0).abs() < 1e-9, "{equity}");
    assert_eq!(v["after"]["positions"][0]["amount"], "10000000000");
    assert_eq!(v["shares_after_bits"], (10_000_000_000 * ONE).to_string());

    // The account now holds 10 SOL; borrow USDC beyond and within initial margin.
    f.set_position(0, 0, 10_000_000_000 * ONE);
    let max = parse(crate::max_amount(&serde_json::to_string(&f.request(T0, Some((Kind::Borrow, 1, 0)))).unwrap()));
    assert_eq!(max["ok"], true, "{max}");
    assert_eq!(max["limited_by"]["code"], "InitialHealthBelowZero");
    let m: u64 = max["amount"].as_str().unwrap().parse().unwrap();
    assert!(m > 500_000_000 && m < 999_000_000, "{m}");
    let at = |amount: u64| {
        parse(crate::preview(&serde_json::to_string(&f.request(T0, Some((Kind::Borrow, 1, amount)))).unwrap()))
    };
    let ok = at(m);
    assert_eq!(ok["ok"], true, "{ok}");
    let ih: f64 = ok["after"]["initial_health"].as_str().unwrap().parse().unwrap();
    assert!((0.0..0.01).contains(&ih), "initial health at the max {ih}");
    let over = at(m + 1);
    assert_eq!(over["ok"], false);
    assert_eq!(over["error_code"], "InitialHealthBelowZero");
    assert_eq!(over["error"], "The action would leave the account below its initial margin requirement");
    assert!(over["after"]["initial_health"].as_str().unwrap().starts_with('-'));
    assert_eq!(over["liquidity_exact"], false);
}

#[test]
fn an_unusable_price_blocks_borrowing_but_not_deposits() {
    let mut f = fixture();
    f.set_position(0, 0, 10 * ONE);
    f.oracles[0] = Some(oracle(0, 100.0, T0 - 61));
    let v = parse(crate::preview(&serde_json::to_string(&f.request(T0, Some((Kind::Deposit, 0, 5)))).unwrap()));
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["after"].is_null());
    assert!(v["health_error"].as_str().unwrap().contains("older than"), "{v}");
    f.assets[1].deposit_shares.set(Fx::from_num(1_000));
    let v = parse(crate::preview(&serde_json::to_string(&f.request(T0, Some((Kind::Borrow, 1, 5)))).unwrap()));
    assert_eq!(v["ok"], false);
    assert_eq!(v["error_code"], "OracleStale");
    // No oracle at all for a held asset.
    f.oracles[0] = None;
    let v = parse(crate::preview(&serde_json::to_string(&f.request(T0, None)).unwrap()));
    assert_eq!((v["ok"].as_bool(), v["error_code"].as_str()), (Some(false), Some("OracleMissing")));
}

#[test]
fn malformed_requests_are_errors_not_panics() {
    let f = fixture();
    for bad in ["", "{}", "[1,2]", "{\"group\":\"***\",\"risk_model\":\"\",\"assets\":[]}"] {
        for out in [crate::preview(bad), crate::max_amount(bad), crate::decode(bad)] {
            let v = parse(out);
            assert_eq!(v["ok"], false, "{bad}: {v}");
            assert!(v["error"].is_string());
        }
    }
    // The group where the risk model belongs.
    let mut req = f.request(T0, None);
    req.risk_model = req.group.clone();
    let v = parse(crate::preview(&serde_json::to_string(&req).unwrap()));
    assert!(v["error"].as_str().unwrap().contains("risk_model"), "{v}");
    // Assets out of order.
    let mut req = f.request(T0, Some((Kind::Deposit, 0, 1)));
    req.assets.swap(0, 1);
    assert_eq!(parse(crate::preview(&serde_json::to_string(&req).unwrap()))["error_code"], "BadRequest");
    // Amount not a u64; unknown action.
    let mut req = f.request(T0, Some((Kind::Deposit, 0, 1)));
    req.action.as_mut().unwrap().amount = "-1".into();
    assert_eq!(parse(crate::preview(&serde_json::to_string(&req).unwrap()))["error_code"], "BadRequest");
    req.action.as_mut().unwrap().kind = "liquidate".into();
    assert_eq!(parse(crate::preview(&serde_json::to_string(&req).unwrap()))["error_code"], "BadRequest");
    // Huge amounts are refusals, not overflow panics.
    let req = f.request(T0, Some((Kind::Deposit, 0, u64::MAX)));
    let v = parse(crate::preview(&serde_json::to_string(&req).unwrap()));
    assert_eq!(v["ok"], false);
}

#[test]
fn amounts_may_be_json_numbers() {
    let f = fixture();
    let mut v: Value = serde_json::to_value(f.request(T0, Some((Kind::Deposit, 0, 1)))).unwrap();
    v["action"]["amount"] = Value::from(1_000u64);
    let out = parse(crate::preview(&v.to_string()));
    assert_eq!(out["ok"], true, "{out}");
}

#[test]
fn max_amount_of_withdraw_and_repay() {
    let mut f = fixture();
    f.assets[0].deposit_shares.set(Fx::from_num(10_000_000_000u64));
    f.set_position(0, 0, 10_000_000_000 * ONE);
    let (m, b) = f.loaded();
    // No debt: everything can be withdrawn; one unit more exceeds the deposit (checked before the
    // vault's liquidity, which here is the same amount).
    let r = crate::books::max_amount(&m, &b, Kind::Withdraw, 0, T0).unwrap();
    assert_eq!(r.amount, 10_000_000_000);
    assert_eq!(r.limited_by.unwrap().code, "InsufficientDeposit");
    // Repay without debt: nothing.
    let r = crate::books::max_amount(&m, &b, Kind::Repay, 1, T0).unwrap();
    assert_eq!((r.amount, r.limited_by.unwrap().code.as_str()), (0, "NoDebt"));
    // With a borrow the withdrawable amount drops, and the limit is health.
    let mut b2 = b.clone();
    b2.assets[1].deposit_shares.set(Fx::from_num(1_000_000_000u64));
    let ev = evaluate(&m, &b2, act(Kind::Borrow, 1, 300_000_000), T0, false);
    ev.verdict().unwrap();
    let r = crate::books::max_amount(&m, &ev.books, Kind::Withdraw, 0, T0).unwrap();
    assert!(r.amount > 1_000_000_000 && r.amount < 7_000_000_000, "{}", r.amount);
    assert_eq!(r.limited_by.unwrap().code, "InitialHealthBelowZero");
    // Repay max is the debt rounded up.
    let r = crate::books::max_amount(&m, &ev.books, Kind::Repay, 1, T0).unwrap();
    assert_eq!((r.amount, r.limited_by.unwrap().code.as_str()), (300_000_000, "RepayExceedsDebt"));
}

#[test]
fn decode_shows_pools_rates_and_the_model() {
    let mut f = fixture();
    let mut pool = Pool::new(T0);
    pool.deposit_shares = Fx::from_num(1_000);
    pool.borrow_shares = Fx::from_num(400);
    f.assets[1].set_pool(&pool);
    f.set_position(0, 1, -10 * ONE);
    let v = parse(crate::decode(&serde_json::to_string(&f.request(T0, None)).unwrap()));
    assert_eq!(v["ok"], true, "{v}");
    let usdc = &v["assets"][1];
    assert!((usdc["utilization"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    assert!((usdc["borrow_rate"].as_f64().unwrap() - 0.05).abs() < 1e-12);
    assert!((usdc["deposit_rate"].as_f64().unwrap() - 0.05 * 0.4 * 0.9).abs() < 1e-12);
    assert!((usdc["oracle"]["price"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((v["model"]["correlation"][0][0].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(v["model"]["correlation"][0][1], 0.0);
    assert_eq!(v["account"]["positions"][0]["amount"], "-10");
    assert_eq!(v["group"]["params"]["oracle_max_age_seconds"], 60);
}

/// With `RISK_WASM_FIXTURES=<file>`: writes requests and the native answers as JSON lines, for
/// `scripts/wasm --check` to replay in the compiled WebAssembly (same bytes expected).
#[test]
fn write_fixtures_for_the_wasm_check() {
    let Ok(path) = std::env::var("RISK_WASM_FIXTURES") else { return };
    let mut f = fixture();
    let mut pool = Pool::new(T0 - 86_400);
    pool.deposit_shares = Fx::from_num(50_000_000_000u64);
    pool.borrow_shares = Fx::from_num(20_000_000_000u64);
    f.assets[1].set_pool(&pool);
    f.set_position(0, 0, 10_000_000_000 * ONE);
    f.set_position(1, 1, -200_000_000 * ONE);
    let mut lines = String::new();
    let mut case = |name: &str, req: Request| {
        let req = serde_json::to_string(&req).unwrap();
        let expected = match name {
            "preview" => crate::preview(&req),
            "max_amount" => crate::max_amount(&req),
            _ => crate::decode(&req),
        };
        let line = serde_json::json!({ "fn": name, "request": req, "expected": expected });
        lines.push_str(&line.to_string());
        lines.push('\n');
    };
    case("preview", f.request(T0, None));
    case("preview", f.request(T0, Some((Kind::Deposit, 0, 1_234_567_891))));
    case("preview", f.request(T0, Some((Kind::Borrow, 1, 100_000_000))));
    case("preview", f.request(T0, Some((Kind::Borrow, 1, 900_000_000))));
    case("preview", f.request(T0, Some((Kind::Withdraw, 0, 3_000_000_000))));
    case("preview", f.request(T0, Some((Kind::Repay, 1, 50_000_000))));
    case("max_amount", f.request(T0, Some((Kind::Borrow, 1, 0))));
    case("max_amount", f.request(T0, Some((Kind::Withdraw, 0, 0))));
    case("max_amount", f.request(T0, Some((Kind::Repay, 1, 0))));
    case("decode", f.request(T0, None));
    let mut bad = f.request(T0, None);
    bad.group = "not base64!".into();
    case("preview", bad);
    std::fs::write(path, lines).unwrap();
}
