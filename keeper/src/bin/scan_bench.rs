//! Benchmark: how many margin accounts per second the liquidator's health scan checks on one core,
//! each account holding 16 positions (the maximum) over a 16-asset group with a full covariance.
//! The scan is the program's own health code (`keeper::view::scan`): decode positions, value them
//! from pool indices, and run the risk engine's margin.
//!
//! `cargo run --profile test -p keeper --bin scan-bench -- [accounts]` (default 100000).
use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use bytemuck::Zeroable;
use keeper::view::{scan, PriceRead};
use portfolio_margin::oracle::OraclePrice;
use portfolio_margin::state::{Asset, Group, MarginAccount, RiskModel, RiskParams};
use rand::{Rng, SeedableRng};
use risk_engine::interest::Pool;
use risk_engine::{tri_index, Fx};

const ASSETS: usize = 16;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut group = Group::zeroed();
    group.params = RiskParams::from_args(&portfolio_margin_client::defaults::daily_params()).unwrap();
    group.asset_count = ASSETS as u16;
    let mut model: Box<RiskModel> = Box::new(RiskModel::zeroed());
    model.asset_count = ASSETS as u16;
    let vol: Vec<f64> = (0..ASSETS).map(|_| rng.gen_range(0.01..0.08)).collect();
    for j in 0..ASSETS {
        for i in 0..=j {
            let rho = if i == j { 1.0 } else { rng.gen_range(0.2..0.8) };
            model.covariance[tri_index(i, j)].set(Fx::from_num(rho * vol[i] * vol[j]));
        }
        model.volatility[j].set(Fx::from_num(vol[j]));
        model.vol_scale[j].set(Fx::ONE);
    }
    model.refresh_kernel(0..ASSETS).unwrap();
    let assets: Vec<Asset> = (0..ASSETS)
        .map(|i| {
            let mut a = Asset::zeroed();
            a.index = i as u16;
            a.decimals = 6 + (i % 3) as u8;
            a.floor_rate.set(Fx::from_num(0.01));
            // Every pool lent out and an hour of interest not yet accrued: the scan accrues each
            // pool to now, as the program values every position.
            let mut pool = Pool::new(-3_600);
            pool.deposit_index = Fx::from_num(1.0 + rng.gen_range(0.0..0.2));
            pool.borrow_index = Fx::from_num(1.0 + rng.gen_range(0.0..0.4));
            pool.deposit_shares = Fx::from_num(1e15);
            pool.borrow_shares = Fx::from_num(5e14);
            a.set_pool(&pool);
            a.optimal_utilization.set(Fx::from_num(0.8));
            a.rate_at_optimal.set(Fx::from_num(0.1));
            a.max_rate.set(Fx::from_num(1.0));
            a
        })
        .collect();
    let prices: Vec<PriceRead> = (0..ASSETS)
        .map(|_| {
            let p = Fx::from_num(rng.gen_range(0.1..50_000.0));
            Ok(OraclePrice { price: p, conf: p / Fx::from_num(1000), publish_time: 0 })
        })
        .collect();
    let accounts: Vec<(Pubkey, MarginAccount)> = (0..n)
        .map(|_| {
            let mut acc = MarginAccount::zeroed();
            for (k, p) in acc.positions.iter_mut().enumerate() {
                p.active = 1;
                p.asset_index = k as u16;
                let units = rng.gen_range(1e3..1e9) * if rng.gen_bool(0.4) { -1.0 } else { 1.0 };
                p.shares.set(Fx::from_num(units));
            }
            (Pubkey::new_unique(), acc)
        })
        .collect();

    // Warm up, then time the scan on this thread (one core).
    scan(&assets, &group, &model, None, &prices, &accounts[..n.min(1000)], 0).unwrap();
    let t = Instant::now();
    let result = scan(&assets, &group, &model, None, &prices, &accounts, 0).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "health scan: {n} accounts × {ASSETS} positions in {secs:.3} s on one core = {:.0} accounts/s ({:.2} µs/account); {} healthy, {} liquidatable",
        n as f64 / secs,
        secs * 1e6 / n as f64,
        result.healthy,
        result.liquidatable.len()
    );
}
