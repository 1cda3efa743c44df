//! The web app's preview (`clients/wasm`: the program's own health code) on hostile account bytes:
//! a consistent group of one to three assets, then arbitrary byte patches over every account (the
//! group, the risk model, the assets, the oracles, the margin account) and an arbitrary action.
//! `preview`, `max_amount` and `decode` must answer (a figure or a clear refusal), never panic.
#![no_main]
use anchor_lang::{AccountSerialize, Discriminator};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use portfolio_margin::state::{Asset, Group, MarginAccount, RiskModel, RiskParams, RiskParamsArgs};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use risk_engine::{tri_index, Fx, WrappedI80F48};
use risk_wasm::api::{decode, max_amount, preview, Request};
use risk_wasm::books::Kind;

#[derive(Arbitrary, Debug)]
struct Input {
    n: u8,
    /// (account, offset, value): account 0 group, 1 model, 2..5 assets, 5..8 oracles, 8 margin account.
    patches: Vec<(u8, u16, u8)>,
    shares: [i64; 3],
    kind: u8,
    asset: u16,
    amount: u64,
    age: u16,
}

fn bytes<T: bytemuck::Pod + Discriminator>(v: &T) -> Vec<u8> {
    let mut out = T::DISCRIMINATOR.to_vec();
    out.extend_from_slice(bytemuck::bytes_of(v));
    out
}

fn oracle(feed: [u8; 32], price: i64, publish_time: i64) -> Vec<u8> {
    let u = PriceUpdateV2 {
        write_authority: Default::default(),
        verification_level: VerificationLevel::Full,
        price_message: PriceFeedMessage {
            feed_id: feed,
            price,
            conf: (price / 1_000).max(1) as u64,
            exponent: -8,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: price,
            ema_conf: 1,
        },
        posted_slot: 1,
    };
    let mut data = vec![];
    u.try_serialize(&mut data).unwrap();
    data
}

fuzz_target!(|x: Input| {
    let n = 1 + x.n as usize % 3;
    let now = 1_700_000_000i64;
    let w = |v: f64| WrappedI80F48::new(Fx::from_num(v));
    let mut group: Group = bytemuck::Zeroable::zeroed();
    group.params = RiskParams::from_args(&RiskParamsArgs::daily_defaults()).unwrap();
    group.asset_count = n as u16;
    let mut model: RiskModel = bytemuck::Zeroable::zeroed();
    model.asset_count = n as u16;
    let mut assets = vec![];
    let mut oracles = vec![];
    for i in 0..n {
        let mut a: Asset = bytemuck::Zeroable::zeroed();
        a.index = i as u16;
        a.decimals = 6;
        a.feed_id = [i as u8 + 1; 32];
        a.deposit_index = w(1.0);
        a.borrow_index = w(1.0);
        a.deposit_shares = w(1e12);
        a.borrow_shares = w(1e11);
        a.optimal_utilization = w(0.8);
        a.rate_at_optimal = w(0.1);
        a.max_rate = w(1.0);
        a.floor_rate = w(0.01);
        a.last_accrual = now - 3_600;
        a.deposit_cap = u64::MAX / 4;
        a.borrow_cap = u64::MAX / 4;
        model.feed_ids[i] = a.feed_id;
        model.covariance[tri_index(i, i)] = w(0.0016);
        model.volatility[i] = w(0.04);
        model.vol_scale[i] = w(1.0);
        assets.push(a);
        oracles.push(Some(oracle(a.feed_id, (i as i64 + 1) * 10_000_000_000, now - x.age as i64 % 120)));
    }
    model.refresh_kernel(0..n).unwrap();
    let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
    for i in 0..n {
        let s = x.shares[i];
        if s != 0 {
            let p = &mut account.positions[i];
            p.asset_index = i as u16;
            p.active = 1;
            p.shares = WrappedI80F48::new(Fx::from_num(s));
        }
    }
    let mut accounts: Vec<Vec<u8>> = vec![bytes(&group), bytes(&model)];
    accounts.extend(assets.iter().map(bytes));
    while accounts.len() < 5 {
        accounts.push(vec![]);
    }
    for o in &oracles {
        accounts.push(o.clone().unwrap());
    }
    while accounts.len() < 8 {
        accounts.push(vec![]);
    }
    accounts.push(bytes(&account));
    for &(which, offset, value) in x.patches.iter().take(32) {
        let count = accounts.len();
        let acc = &mut accounts[which as usize % count];
        if !acc.is_empty() {
            let at = offset as usize % acc.len();
            acc[at] ^= value;
        }
    }
    let kind = [Kind::Deposit, Kind::Withdraw, Kind::Borrow, Kind::Repay][x.kind as usize % 4];
    let assets_bytes: Vec<Vec<u8>> = accounts[2..2 + n].to_vec();
    let oracle_bytes: Vec<Option<Vec<u8>>> = accounts[5..5 + n].iter().cloned().map(Some).collect();
    let req = Request::from_accounts(
        &accounts[0],
        &accounts[1],
        &assets_bytes,
        &oracle_bytes,
        &[],
        Some(&accounts[8]),
        now,
        Some((kind, x.asset % 4, x.amount)),
    );
    let _ = preview(&req);
    let _ = max_amount(&req);
    let _ = decode(&req);
});
