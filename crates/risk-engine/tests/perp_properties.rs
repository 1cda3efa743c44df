//! Property tests of health with perps against an f64 reference: perp deltas net with spot before
//! the covariance terms, the add-on is added, PnL counts at its weights; the fixed-point figures
//! are on the protocol's side of the reference (equity never above, margin never below) and within
//! the kernel's tolerance.
use proptest::prelude::*;
use risk_engine::covariance::{CovarianceSource, OwnedMatrix};
use risk_engine::perp::{book_health_with_perps, PerpHolding};
use risk_engine::{Fx, Holding, MarginParams};

#[path = "support/reference.rs"]
mod reference;
use reference::reference_margin;

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}
fn f(v: Fx) -> f64 {
    v.to_num()
}

/// Three assets (vols 4%, 5%, 0.1%; BTC/ETH correlation 0.8), 8, 8 and 6 decimals.
fn matrix() -> (OwnedMatrix, Vec<Vec<f64>>) {
    let vols = [0.04, 0.05, 0.001];
    let rho = |i: usize, j: usize| {
        if i == j {
            1.0
        } else if i + j == 1 {
            0.8
        } else {
            0.0
        }
    };
    let dense: Vec<Vec<f64>> = (0..3).map(|i| (0..3).map(|j| rho(i, j) * vols[i] * vols[j]).collect()).collect();
    let flat: Vec<Fx> = dense.iter().flatten().map(|&v| fx(v)).collect();
    let m = OwnedMatrix::from_dense(3, &flat).unwrap();
    let exact: Vec<Vec<f64>> = (0..3).map(|i| (0..3).map(|j| f(m.cov(i, j))).collect()).collect();
    (m, exact)
}

const DECIMALS: [u8; 3] = [8, 8, 6];
const PRICES: [f64; 3] = [50_000.0, 2_000.0, 1.0];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn health_with_perps_is_on_the_protocols_side_of_f64(
        spot in prop::collection::vec(prop_oneof![Just(0.0f64), -20.0f64..20.0], 3),
        perp in prop::collection::vec(prop_oneof![Just(0.0f64), -20.0f64..20.0], 2),
        pnl in prop::collection::vec(-50_000.0f64..50_000.0, 2),
        weights in (0.0f64..0.5, 0.5f64..1.0),
        add_on in 0.0f64..0.02,
    ) {
        let (m, cov) = matrix();
        let p = MarginParams::daily_defaults();
        let conf = |i: usize| PRICES[i] * 0.001;
        let native = |i: usize, tokens: f64| (tokens * 10f64.powi(DECIMALS[i] as i32)) as i128;
        let holdings: Vec<Holding> = (0..3)
            .filter(|&i| spot[i] != 0.0)
            .map(|i| Holding {
                asset: i,
                amount: native(i, spot[i] * if i == 2 { 20_000.0 } else { 1.0 }),
                decimals: DECIMALS[i],
                price: fx(PRICES[i]),
                conf: fx(conf(i)),
                floor_rate: fx(0.01),
            })
            .collect();
        let perps: Vec<PerpHolding> = (0..2)
            .filter(|&i| perp[i] != 0.0)
            .map(|i| PerpHolding {
                asset: i,
                base: native(i, perp[i]),
                decimals: DECIMALS[i],
                price: fx(PRICES[i]),
                conf: fx(conf(i)),
                pnl: fx(pnl[i]),
                initial_weight: fx(weights.0),
                maintenance_weight: fx(weights.1),
                floor_rate: fx(0.01),
                add_on_rate: fx(add_on),
            })
            .collect();
        let h = book_health_with_perps(&m, &holdings, &perps, Fx::ONE, &p).unwrap();

        // The f64 reference: exposures at the biased price of the net side, per asset.
        let tokens = |amount: i128, i: usize| amount as f64 / 10f64.powi(DECIMALS[i] as i32);
        let biased = |i: usize, long: bool| if long { PRICES[i] - conf(i) } else { PRICES[i] + conf(i) };
        let mut equity = 0.0;
        for hd in &holdings {
            let t = tokens(hd.amount, hd.asset);
            equity += t * biased(hd.asset, t >= 0.0);
        }
        let (mut add, mut haircut) = (0.0, 0.0);
        for ph in &perps {
            let w = f(ph.pnl);
            equity += if w > 0.0 { w * f(ph.maintenance_weight) } else { w };
            if w > 0.0 {
                haircut += w * (f(ph.maintenance_weight) - f(ph.initial_weight));
            }
            add += tokens(ph.base, ph.asset).abs() * PRICES[ph.asset] * f(ph.add_on_rate);
        }
        let mut book = vec![];
        for i in 0..3 {
            let s = holdings.iter().find(|x| x.asset == i).map_or(0, |x| x.amount);
            let q = perps.iter().find(|x| x.asset == i).map_or(0, |x| x.base);
            let net = tokens(s + q, i);
            if s + q != 0 {
                book.push((i, net * biased(i, net >= 0.0), 0.01));
            }
        }
        let terms = if book.is_empty() { 0.0 } else { reference_margin(&cov, &book, &p) };
        let maintenance = terms + add;
        let initial = f(p.initial_multiplier) * maintenance + haircut;

        let tol = 1e-9 * maintenance.max(1.0) + 1e-6;
        prop_assert!(f(h.equity) <= equity + 1e-6, "equity {} above {equity}", f(h.equity));
        prop_assert!(f(h.equity) >= equity - 1e-6 * equity.abs().max(1.0), "equity {} far below {equity}", f(h.equity));
        prop_assert!(f(h.margin.maintenance) >= maintenance - tol, "maintenance {} below {maintenance}", f(h.margin.maintenance));
        prop_assert!(f(h.margin.initial) >= initial - 2.0 * tol, "initial {} below {initial}", f(h.margin.initial));
        // Precision: the kernel's pad (≤ 1e-7 of the standalone stress) plus rounding.
        let stress: f64 = book.iter().map(|&(i, w, _)| w.abs() * cov[i][i].sqrt()).sum::<f64>() * 2.33 * 1.25;
        prop_assert!(f(h.margin.maintenance) - maintenance <= 1e-7 * stress + 1e-8 * maintenance + 1e-5,
            "maintenance {} too far above {maintenance}", f(h.margin.maintenance));
        // A book whose perp legs exactly offset its spot legs pays only the add-on.
        if book.is_empty() && !perps.is_empty() {
            prop_assert_eq!(h.margin.variance, Fx::ZERO);
        }
    }
}

/// The cash-and-carry extreme: every spot leg hedged by its perp, at any size, pays the add-on
/// alone, to the bit.
#[test]
fn exact_hedges_pay_the_add_on_alone() {
    let (m, _) = matrix();
    let p = MarginParams::daily_defaults();
    for btc in [1i128, 7, 1_000, 123_456_789_000] {
        let spot =
            [Holding { asset: 0, amount: btc, decimals: 8, price: fx(50_000.0), conf: fx(50.0), floor_rate: fx(0.01) }];
        let perp = [PerpHolding {
            asset: 0,
            base: -btc,
            decimals: 8,
            price: fx(50_000.0),
            conf: fx(50.0),
            pnl: Fx::ZERO,
            initial_weight: fx(0.5),
            maintenance_weight: fx(0.8),
            floor_rate: fx(0.01),
            add_on_rate: fx(0.01),
        }];
        let h = book_health_with_perps(&m, &spot, &perp, Fx::ONE, &p).unwrap();
        assert_eq!(h.margin.maintenance, h.margin.perp_add_on, "{btc}");
        assert_eq!(h.margin.variance, Fx::ZERO);
    }
}
