//! Liquidation planning on arbitrary books: never panics; an accepted step repays between 0 and the
//! debt and within the budget, and leaves the book healthier unless it is a close-out of a book
//! with negative equity (the program's own acceptance rule, `judge_liquidation`).
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use risk_engine::covariance::OwnedMatrix;
use risk_engine::liquidation::{plan_or_close_out, Acceptance, LiquidationParams, LiquidationTarget};
use risk_engine::{Fx, Holding, MarginParams};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Native amounts (6 decimals) of three assets; negative = debt.
    amounts: [i64; 3],
    /// Prices in cents.
    prices: [u32; 3],
    conf_bp: [u8; 3],
    vols_bp: [u16; 3],
    rho_pct: i8,
    liability: u8,
    collateral: u8,
    budget: u64,
}

fuzz_target!(|x: Input| {
    let vol = |i: usize| (1 + x.vols_bp[i] as u64 % 2_000) as f64 / 10_000.0;
    let rho = (x.rho_pct as f64 / 128.0).clamp(-0.9, 0.9);
    let mut dense = vec![0.0f64; 9];
    for i in 0..3 {
        for j in 0..3 {
            let r = if i == j {
                1.0
            } else if i + j == 1 {
                rho
            } else {
                0.0
            };
            dense[i * 3 + j] = r * vol(i) * vol(j);
        }
    }
    let flat: Vec<Fx> = dense.iter().map(|v| Fx::from_num(*v)).collect();
    let Ok(cov) = OwnedMatrix::from_dense(3, &flat) else { return };
    let holdings: Vec<Holding> = (0..3)
        .map(|i| {
            let price = Fx::from_num(1 + x.prices[i] as u64 % 10_000_000) / Fx::from_num(100);
            Holding {
                asset: i,
                amount: x.amounts[i] as i128,
                decimals: 6,
                price,
                conf: price * Fx::from_num(x.conf_bp[i] as f64 / 10_000.0),
                floor_rate: Fx::from_num(0.01),
            }
        })
        .collect();
    let (li, ci) = (x.liability as usize % 3, x.collateral as usize % 3);
    if li == ci || holdings[li].amount >= 0 || holdings[ci].amount <= 0 {
        return;
    }
    let liq = LiquidationParams {
        liquidator_fee: Fx::from_num(0.025),
        insurance_fee: Fx::from_num(0.025),
        target: LiquidationTarget::Initial,
        conf_k: Fx::ONE,
    };
    let budget = x.budget as i128;
    if let Ok(v) = plan_or_close_out(&cov, &holdings, li, ci, budget, &MarginParams::daily_defaults(), &liq) {
        let debt = -holdings[li].amount;
        assert!(
            v.repay > 0 && v.repay <= debt && v.repay <= budget,
            "repay {} of debt {debt}, budget {budget}",
            v.repay
        );
        match v.acceptance {
            Acceptance::Improves => assert!(v.target_after > v.target_before, "an improving step that does not: {v:?}"),
            Acceptance::CloseOut => assert!(v.before.equity < Fx::ZERO, "a close-out of a solvent book: {v:?}"),
        }
    }
});
