use super::*;
use crate::covariance::OwnedMatrix;
use crate::margin::MarginParams;

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}

const BTC_DECIMALS: u8 = 8;
const ONE_BTC: i128 = 100_000_000;

fn params() -> PerpParams {
    PerpParams {
        base_spread: fx(0.0005),
        impact_fee_scale: fx(0.01),
        // 0.43% a day at the cap (Drift caps hourly funding at a similar order of magnitude).
        funding_skew_k: fx(0.000_000_1),
        funding_cap: fx(0.000_000_05),
        long_oi_cap: 1_000 * ONE_BTC,
        short_oi_cap: 1_000 * ONE_BTC,
        max_position_notional: fx(50_000_000.0),
        upnl_initial_weight: fx(0.5),
        upnl_maintenance_weight: fx(0.8),
        floor_rate: fx(0.005),
        liquidation_fee: fx(0.01),
        settle_limit: fx(1_000_000.0),
    }
}

#[test]
fn each_nonsense_parameter_is_refused_by_name() {
    params().validate().unwrap();
    type Spoil = (&'static str, fn(&mut PerpParams));
    let cases: [Spoil; 9] = [
        ("base_spread", |p| p.base_spread = fx(0.2)),
        ("impact_fee_scale", |p| p.impact_fee_scale = fx(-0.1)),
        ("funding_skew_k", |p| p.funding_skew_k = fx(0.01)),
        ("funding_cap", |p| p.funding_cap = fx(-0.000_001)),
        ("oi_cap", |p| p.short_oi_cap = 0),
        ("max_position_notional", |p| p.max_position_notional = Fx::ZERO),
        ("upnl_weights", |p| p.upnl_initial_weight = p.upnl_maintenance_weight),
        ("liquidation_fee", |p| p.liquidation_fee = fx(0.5)),
        ("settle_limit", |p| p.settle_limit = Fx::ZERO),
    ];
    for (name, spoil) in cases {
        let mut p = params();
        spoil(&mut p);
        match p.validate() {
            Err(RiskError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn funding_follows_the_skew_within_the_cap() {
    let (k, cap) = (fx(0.000_001), fx(0.000_000_5));
    assert_eq!(funding_rate(0, 0, k, cap).unwrap(), Fx::ZERO);
    assert_eq!(funding_rate(10, 10, k, cap).unwrap(), Fx::ZERO);
    // 3:1 long: skew 0.5 → 5e-7, exactly the cap; all long is capped; all short likewise.
    assert!((funding_rate(30, 10, k, cap).unwrap() - fx(0.000_000_5)).abs() <= fx(1e-12));
    assert_eq!(funding_rate(10, 0, k, cap).unwrap(), cap);
    assert_eq!(funding_rate(0, 10, k, cap).unwrap(), -cap);
    // 11:9 long: skew 0.1 → 1e-7, inside the cap.
    assert!((funding_rate(11, 9, k, cap).unwrap() - fx(0.000_000_1)).abs() <= fx(1e-12));
    assert!(funding_rate(-1, 0, k, cap).is_err());
}

#[test]
fn the_heavier_side_pays_the_lighter_receives_and_the_vault_keeps_the_difference() {
    let p = params();
    let mut f = Funding { last_update: 1_000, ..Default::default() };
    // Longs 3 BTC, shorts 1 BTC at $50,000.
    let mut long = PerpPosition::default();
    let mut short = PerpPosition::default();
    long.trade(3 * ONE_BTC, BTC_DECIMALS, fx(50_000.0), &f).unwrap();
    short.trade(-ONE_BTC, BTC_DECIMALS, fx(50_000.0), &f).unwrap();
    let rate = f.accrue(3 * ONE_BTC, ONE_BTC, fx(50_000.0), 1_000 + 3_600, &p).unwrap();
    assert!(rate > Fx::ZERO);
    let owed_long = long.funding_owed(BTC_DECIMALS, &f).unwrap();
    let owed_short = short.funding_owed(BTC_DECIMALS, &f).unwrap();
    assert!(owed_long > Fx::ZERO && owed_short < Fx::ZERO, "{owed_long} {owed_short}");
    // Exact: rate·P·dt per token; longs pay 3×, shorts receive 1×, the vault nets 2×.
    let per_token = rate.to_num::<f64>() * 50_000.0 * 3_600.0;
    assert!((owed_long.to_num::<f64>() - 3.0 * per_token).abs() < 1e-6);
    assert!((owed_short.to_num::<f64>() + per_token).abs() < 1e-6);
    let vault = owed_long.add_checked(owed_short).unwrap();
    assert!(vault.to_num::<f64>() >= 2.0 * per_token - 1e-9, "the vault is never short of its share");
    // Settling books it into the quote; a second settlement owes nothing.
    assert_eq!(long.settle_funding(BTC_DECIMALS, &f).unwrap(), owed_long);
    assert_eq!(long.funding_owed(BTC_DECIMALS, &f).unwrap(), Fx::ZERO);
    assert!(f.accrue(0, 0, fx(1.0), 999, &p).is_err(), "time never runs backwards");
}

#[test]
fn fills_are_on_the_conservative_side_and_cost_more_when_larger_or_skewing() {
    let p = params();
    let (px, conf, k) = (fx(50_000.0), fx(10.0), Fx::ONE);
    let buy = fill_price(px, conf, k, ONE_BTC, 0, &p).unwrap();
    let sell = fill_price(px, conf, k, -ONE_BTC, 0, &p).unwrap();
    assert!(buy > px + conf && sell < px - conf, "{buy} {sell}");
    let big = fill_price(px, conf, k, 100 * ONE_BTC, 0, &p).unwrap();
    assert!(big > buy, "size costs impact");
    // With the market 50 BTC short, a 10 BTC buy reduces the skew: cheaper than adding to a long skew.
    let reducing = fill_price(px, conf, k, 10 * ONE_BTC, -50 * ONE_BTC, &p).unwrap();
    let adding = fill_price(px, conf, k, 10 * ONE_BTC, 50 * ONE_BTC, &p).unwrap();
    assert!(reducing < adding, "{reducing} {adding}");
    assert!(fill_price(Fx::ZERO, conf, k, ONE_BTC, 0, &p).is_err());
}

#[test]
fn a_round_trip_never_profits_the_trader() {
    let p = params();
    let f = Funding::default();
    let (px, conf) = (fx(50_000.0), fx(5.0));
    for size in [1, 999, ONE_BTC, 7 * ONE_BTC + 3] {
        for side in [1i128, -1] {
            let mut pos = PerpPosition::default();
            let open = pos
                .trade(side * size, BTC_DECIMALS, fill_price(px, conf, Fx::ONE, side * size, 0, &p).unwrap(), &f)
                .unwrap();
            let close = pos
                .trade(
                    -side * size,
                    BTC_DECIMALS,
                    fill_price(px, conf, Fx::ONE, -side * size, side * size, &p).unwrap(),
                    &f,
                )
                .unwrap();
            assert_eq!(pos.base, 0);
            // The trader's cash: −quote; the vault's: −(open + close) = quote.
            assert!(pos.quote > Fx::ZERO, "size {size} side {side}: quote {}", pos.quote);
            assert_eq!(open.add_checked(close).unwrap(), pos.quote);
            assert_eq!(pos.pnl(BTC_DECIMALS, px, &f).unwrap(), -pos.quote);
        }
    }
}

/// A small deterministic generator for the randomized sequences below.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn range(&mut self, n: u64) -> i128 {
        (self.next() % n) as i128
    }
}

#[test]
fn every_cash_flow_is_booked_exactly_and_traders_and_the_vault_sum_to_zero() {
    let p = params();
    for seed in 0..40u64 {
        let mut rng = Lcg(seed);
        let mut f = Funding::default();
        let mut positions = [PerpPosition::default(); 5];
        // What each position's calls returned (trades, funding, settlements): must equal its quote.
        let mut booked = [Fx::ZERO; 5];
        // Settled PnL paid to each trader's quote-asset balance (from the vault's tokens).
        let mut paid = [Fx::ZERO; 5];
        let mut price = fx(50_000.0);
        let mut now = 0i64;
        for _ in 0..200 {
            let (long_oi, short_oi) =
                positions.iter().fold(
                    (0i128, 0i128),
                    |(l, s), x| {
                        if x.base > 0 {
                            (l + x.base, s)
                        } else {
                            (l, s - x.base)
                        }
                    },
                );
            now += rng.range(7_200) as i64;
            f.accrue(long_oi, short_oi, price, now, &p).unwrap();
            let moved = price.to_num::<f64>() * (1.0 + (rng.range(2_001) - 1_000) as f64 / 20_000.0);
            price = fx(moved.max(100.0));
            let i = rng.range(positions.len() as u64) as usize;
            if rng.range(3) < 2 {
                let delta = rng.range(20 * ONE_BTC as u64) - 10 * ONE_BTC;
                let fill = fill_price(price, fx(3.0), Fx::ONE, delta, long_oi - short_oi, &p).unwrap();
                let funding = positions[i].funding_owed(BTC_DECIMALS, &f).unwrap();
                let cash = positions[i].trade(delta, BTC_DECIMALS, fill, &f).unwrap();
                booked[i] = booked[i].add_checked(funding).unwrap().add_checked(cash).unwrap();
            } else {
                let funding = positions[i].funding_owed(BTC_DECIMALS, &f).unwrap();
                let settled = positions[i].settle(BTC_DECIMALS, price, &f).unwrap();
                booked[i] = booked[i].add_checked(funding).unwrap().add_checked(settled).unwrap();
                paid[i] = paid[i].add_checked(settled).unwrap();
                // The settled position is worth between 0 and a rounding unit.
                let left = positions[i].pnl(BTC_DECIMALS, price, &f).unwrap();
                assert!(left >= Fx::ZERO && left <= fx(1e-9), "seed {seed}: {left}");
            }
            assert_eq!(positions[i].quote, booked[i], "seed {seed}: the quote is exactly what was booked");
        }
        // Traders' wealth: what was paid out plus open PnL. The vault's: the tokens it paid out, plus
        // its opposite positions (quote + funding owed − value). Their sum is zero to the last bit.
        let mut total = Fx::ZERO;
        for (pos, paid) in positions.iter().zip(paid) {
            let owed = pos.funding_owed(BTC_DECIMALS, &f).unwrap();
            let value = native_to_tokens_floor(pos.base, BTC_DECIMALS).unwrap().mul_floor(price).unwrap();
            let trader = paid.add_checked(pos.pnl(BTC_DECIMALS, price, &f).unwrap()).unwrap();
            let vault = pos.quote.add_checked(owed).unwrap().sub_checked(value).unwrap().sub_checked(paid).unwrap();
            total = total.add_checked(trader).unwrap().add_checked(vault).unwrap();
        }
        assert_eq!(total, Fx::ZERO, "seed {seed}");
    }
}

/// A BTC perp holding of `base` at `price` with no PnL, on the test market's parameters.
fn perp_at(base: i128, price: Fx) -> PerpHolding {
    let pp = params();
    PerpHolding {
        asset: 0,
        base,
        decimals: BTC_DECIMALS,
        price,
        conf: fx(10.0),
        pnl: Fx::ZERO,
        initial_weight: pp.upnl_initial_weight,
        maintenance_weight: pp.upnl_maintenance_weight,
        floor_rate: fx(0.02),
        add_on_rate: pp.add_on_rate(86_400).unwrap(),
    }
}

fn btc_eth_usdc() -> OwnedMatrix {
    // BTC and ETH, daily vols 4% and 5%, correlation 0.8; USDC-like third asset.
    let (v0, v1) = (0.04f64 * 0.04, 0.05f64 * 0.05);
    let c = 0.8 * 0.04 * 0.05;
    OwnedMatrix::from_dense(3, &[fx(v0), fx(c), fx(0.0), fx(c), fx(v1), fx(0.0), fx(0.0), fx(0.0), fx(1e-8)]).unwrap()
}

#[test]
fn a_cash_and_carry_book_nets_to_its_floor() {
    let cov = btc_eth_usdc();
    let mp = MarginParams::daily_defaults();
    let price = fx(50_000.0);
    let spot = Holding { asset: 0, amount: 10 * ONE_BTC, decimals: 8, price, conf: fx(10.0), floor_rate: fx(0.02) };
    let short = perp_at(-10 * ONE_BTC, price);
    // Together: the BTC delta nets to zero exactly; only the add-on remains.
    let together = net_positions(&[spot], &[short], Fx::ONE).unwrap();
    assert!(together.is_empty(), "{together:?}");
    let hedged = book_health_with_perps(&cov, &[spot], &[short], Fx::ONE, &mp).unwrap().margin;
    assert_eq!(hedged.maintenance, perp_add_on(&[short]).unwrap());
    assert_eq!(hedged.variance, Fx::ZERO);
    // Apart: the spot book and the perp book each pay their full margin.
    let spot_alone = book_health_with_perps(&cov, &[spot], &[], Fx::ONE, &mp).unwrap().margin.maintenance;
    let perp_alone = book_health_with_perps(&cov, &[], &[short], Fx::ONE, &mp).unwrap().margin.maintenance;
    let apart = spot_alone.add_checked(perp_alone).unwrap();
    let ratio = hedged.maintenance.to_num::<f64>() / apart.to_num::<f64>();
    // Printed for the README and the issue note.
    extern crate std;
    std::println!(
        "cash and carry, 10 BTC: hedged ${:.2} vs apart ${:.2} ({:.1}%)",
        hedged.maintenance.to_num::<f64>(),
        apart.to_num::<f64>(),
        ratio * 100.0
    );
    assert!(ratio <= 0.10, "hedged ${} vs apart ${apart}: {ratio:.3}", hedged.maintenance);
    // A half hedge leaves half the delta, priced on the long side's biased price.
    let half = perp_at(-5 * ONE_BTC, price);
    let n = net_positions(&[spot], &[half], Fx::ONE).unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].exposure, fx(5.0).mul_floor(fx(49_990.0)).unwrap());
    // Two perps on one asset are one position too many.
    assert!(net_positions(&[spot], &[half, half], Fx::ONE).is_err());
    assert!(book_health_with_perps(&cov, &[spot], &[half, half], Fx::ONE, &mp).is_err());
}

#[test]
fn without_perps_the_health_is_the_spot_health_bit_for_bit() {
    let cov = btc_eth_usdc();
    let mp = MarginParams::daily_defaults();
    let spot = [
        Holding {
            asset: 0,
            amount: 3 * ONE_BTC,
            decimals: 8,
            price: fx(50_000.0),
            conf: fx(10.0),
            floor_rate: fx(0.02),
        },
        Holding { asset: 2, amount: -40_000_000_000, decimals: 6, price: fx(1.0), conf: fx(0.0), floor_rate: fx(0.01) },
    ];
    assert_eq!(
        book_health_with_perps(&cov, &spot, &[], Fx::ONE, &mp).unwrap(),
        book_health(&cov, &spot, Fx::ONE, &mp).unwrap()
    );
    // A perp position of zero size adds nothing but its (zero) add-on.
    let flat = perp_at(0, fx(50_000.0));
    let h = book_health_with_perps(&cov, &spot, &[flat], Fx::ONE, &mp).unwrap();
    let s = book_health(&cov, &spot, Fx::ONE, &mp).unwrap();
    assert_eq!((h.equity, h.margin.maintenance, h.margin.initial), (s.equity, s.margin.maintenance, s.margin.initial));
}

#[test]
fn a_perp_profit_counts_at_its_weight_in_each_health_and_a_loss_in_full() {
    let cov = btc_eth_usdc();
    let mp = MarginParams::daily_defaults();
    let usdc =
        Holding { asset: 2, amount: 10_000_000_000, decimals: 6, price: fx(1.0), conf: fx(0.0), floor_rate: fx(0.01) };
    let base = book_health_with_perps(&cov, &[usdc], &[perp_at(ONE_BTC, fx(50_000.0))], Fx::ONE, &mp).unwrap();
    let win = PerpHolding { pnl: fx(1_000.0), ..perp_at(ONE_BTC, fx(50_000.0)) };
    let h = book_health_with_perps(&cov, &[usdc], &[win], Fx::ONE, &mp).unwrap();
    // Maintenance: 80% of the profit; initial: 50%.
    let mh = h.maintenance_health().unwrap().sub_checked(base.maintenance_health().unwrap()).unwrap();
    let ih = h.initial_health().unwrap().sub_checked(base.initial_health().unwrap()).unwrap();
    assert_eq!(mh, win.maintenance_weight.mul_floor(fx(1_000.0)).unwrap());
    assert!((ih.to_num::<f64>() - 500.0).abs() < 1e-9, "{ih}");
    assert!(ih <= win.initial_weight.mul_floor(fx(1_000.0)).unwrap(), "rounded the protocol's way");
    let haircut = h.margin.perp_profit_haircut.to_num::<f64>();
    assert!((haircut - 300.0).abs() < 1e-9, "{haircut}");
    let loss = PerpHolding { pnl: fx(-1_000.0), ..win };
    let h = book_health_with_perps(&cov, &[usdc], &[loss], Fx::ONE, &mp).unwrap();
    assert_eq!(h.maintenance_health().unwrap().sub_checked(base.maintenance_health().unwrap()).unwrap(), fx(-1_000.0));
    assert_eq!(h.margin.perp_profit_haircut, Fx::ZERO);
}

#[test]
fn profit_counts_only_as_far_as_the_vault_could_pay_it() {
    assert_eq!(profit_scale(fx(100.0), fx(50.0)).unwrap(), Fx::ONE);
    assert_eq!(profit_scale(fx(100.0), fx(100.0)).unwrap(), Fx::ONE);
    assert_eq!(profit_scale(fx(100.0), fx(400.0)).unwrap(), fx(0.25));
    assert_eq!(profit_scale(fx(-5.0), fx(400.0)).unwrap(), Fx::ZERO);
    assert_eq!(profit_scale(Fx::ZERO, Fx::ZERO).unwrap(), Fx::ONE);
    // The weights a position gets are scaled and stay ordered.
    let pp = params();
    let funding = Funding::default();
    let pos = PerpPosition { base: ONE_BTC, quote: fx(40_000.0), funding_index: Fx::ZERO };
    let m = PerpPricing {
        asset: 0,
        decimals: BTC_DECIMALS,
        price: fx(50_000.0),
        conf: fx(10.0),
        conf_k: Fx::ONE,
        funding: &funding,
        params: &pp,
        floor_rate: fx(0.02),
        horizon_seconds: 86_400,
        profit_scale: fx(0.25),
    };
    let h = PerpHolding::of(&pos, &m).unwrap();
    assert_eq!(h.pnl, fx(9_990.0), "a long is valued at P − k·conf");
    assert_eq!((h.initial_weight, h.maintenance_weight), (fx(0.125), fx(0.2)));
    let short = PerpPosition { base: -ONE_BTC, quote: fx(-60_000.0), funding_index: Fx::ZERO };
    assert_eq!(PerpHolding::of(&short, &m).unwrap().pnl, fx(9_990.0), "a short is valued at P + k·conf");
}

#[test]
fn profits_count_at_their_weight_losses_in_full() {
    assert_eq!(weighted_pnl(fx(-100.0), fx(0.5)).unwrap(), fx(-100.0));
    assert_eq!(weighted_pnl(fx(100.0), fx(0.5)).unwrap(), fx(50.0));
    assert_eq!(weighted_pnl(Fx::ZERO, fx(0.5)).unwrap(), Fx::ZERO);
}

/// The group's default liquidation fees, to initial health.
fn liq() -> crate::liquidation::LiquidationParams {
    use crate::liquidation::{LiquidationParams, LiquidationTarget};
    LiquidationParams {
        liquidator_fee: fx(0.025),
        insurance_fee: fx(0.025),
        target: LiquidationTarget::Initial,
        conf_k: Fx::ONE,
    }
}

mod liquidating {
    use super::*;
    use crate::liquidation::{Acceptance, Refusal};
    use crate::perp::liquidation::PerpBook;

    /// A short of 10 BTC opened at $50,000 with `usdc` dollars of collateral.
    fn short_book(usdc: i128) -> (Holding, PerpPosition, Funding) {
        let funding = Funding::default();
        let mut pos = PerpPosition::default();
        pos.trade(-10 * ONE_BTC, BTC_DECIMALS, fx(50_000.0), &funding).unwrap();
        let h = Holding {
            asset: 2,
            amount: usdc * 1_000_000,
            decimals: 6,
            price: Fx::ONE,
            conf: Fx::ZERO,
            floor_rate: fx(0.01),
        };
        (h, pos, funding)
    }

    #[test]
    fn a_losing_short_is_closed_just_enough_and_no_further() {
        let cov = btc_eth_usdc();
        let mp = MarginParams::daily_defaults();
        let lp = liq();
        let pp = params();
        let (usdc, pos, funding) = short_book(100_000);
        let pricing = PerpPricing {
            asset: 0,
            decimals: BTC_DECIMALS,
            price: fx(55_000.0),
            conf: fx(10.0),
            conf_k: Fx::ONE,
            funding: &funding,
            params: &pp,
            floor_rate: fx(0.02),
            horizon_seconds: 86_400,
            profit_scale: Fx::ONE,
        };
        let perps = [PerpHolding::of(&pos, &pricing).unwrap()];
        let holdings = [usdc];
        let book = PerpBook {
            cov: &cov,
            holdings: &holdings,
            perps: &perps,
            target: 0,
            position: pos,
            pricing,
            margin: &mp,
            liq: &lp,
            fee: pp.liquidation_fee,
        };
        let before = book.health_at(0).unwrap();
        assert!(before.maintenance_health().unwrap() < Fx::ZERO, "{before:?}");
        let v = book.plan().unwrap();
        assert_eq!(v.acceptance, Acceptance::Improves);
        assert!(v.target_after >= Fx::ZERO && v.target_after > v.target_before);
        assert!(v.close.delta > 0 && v.close.delta < 10 * ONE_BTC, "a partial close: {}", v.close.delta);
        assert!(v.close.fill > fx(55_000.0), "bought back above the oracle: {}", v.close.fill);
        assert!(v.close.fee > Fx::ZERO);
        // Twice as much is over-liquidation; the planned amount again is accepted.
        assert_eq!(book.judge(2 * v.close.delta).unwrap().unwrap_err(), Refusal::OverLiquidation);
        assert_eq!(book.judge(v.close.delta).unwrap().unwrap().close, v.close);
        // A healthy book is refused outright.
        let (rich, ..) = short_book(10_000_000);
        let rich_holdings = [rich];
        let healthy = PerpBook { holdings: &rich_holdings, ..book };
        assert_eq!(healthy.judge(ONE_BTC).unwrap().unwrap_err(), Refusal::NotLiquidatable);
        // The liquidator's reward is its share of the fee.
        let r = crate::perp::liquidation::liquidator_reward(v.close.fee, &lp).unwrap();
        assert!(r <= v.close.fee.mul_floor(fx(0.5)).unwrap() && r > Fx::ZERO);
    }
}

mod hedging {
    use super::*;
    use crate::liquidation::{judge_liquidation_with_perps, Acceptance, Refusal};
    use crate::perp::hedge::{HedgeBook, HedgedLeg};
    use crate::perp::liquidation::PerpBook;

    /// A levered cash and carry: 10 BTC deposited, 10 BTC short perp opened at $50,000, `debt`
    /// dollars of USDC borrowed; BTC now at `price`.
    fn carry(debt: i128) -> ([Holding; 2], PerpPosition, Funding) {
        let funding = Funding::default();
        let mut pos = PerpPosition::default();
        pos.trade(-10 * ONE_BTC, BTC_DECIMALS, fx(50_000.0), &funding).unwrap();
        let btc = Holding {
            asset: 0,
            amount: 10 * ONE_BTC,
            decimals: 8,
            price: fx(50_000.0),
            conf: fx(10.0),
            floor_rate: fx(0.02),
        };
        let usdc = Holding {
            asset: 2,
            amount: -debt * 1_000_000,
            decimals: 6,
            price: Fx::ONE,
            conf: Fx::ZERO,
            floor_rate: fx(0.01),
        };
        ([usdc, btc], pos, funding)
    }

    #[test]
    fn a_levered_carry_is_unwound_on_both_legs_where_neither_leg_alone_can_be() {
        let cov = btc_eth_usdc();
        let mp = MarginParams::daily_defaults();
        let lp = liq();
        let pp = params();
        // Equity ≈ $500,000 − $491,000 = $9,000 less the confidence spread, below the maintenance
        // margin (~$9,570: the perp add-on plus the debt's floor).
        let (holdings, pos, funding) = carry(491_000);
        let pricing = PerpPricing {
            asset: 0,
            decimals: BTC_DECIMALS,
            price: fx(50_000.0),
            conf: fx(10.0),
            conf_k: Fx::ONE,
            funding: &funding,
            params: &pp,
            floor_rate: fx(0.02),
            horizon_seconds: 86_400,
            profit_scale: Fx::ONE,
        };
        let perps = [PerpHolding::of(&pos, &pricing).unwrap()];
        let before = book_health_with_perps(&cov, &holdings, &perps, Fx::ONE, &mp).unwrap();
        assert!(before.maintenance_health().unwrap() < Fx::ZERO && before.equity > Fx::ZERO, "{before:?}");

        // Neither leg alone improves the book, and it is solvent: no close-out either.
        let spot = judge_liquidation_with_perps(&cov, &holdings, &perps, 0, 1, 50_000_000_000, &mp, &lp).unwrap();
        assert_eq!(spot.unwrap_err(), Refusal::DoesNotImprove);
        let perp_only = PerpBook {
            cov: &cov,
            holdings: &holdings,
            perps: &perps,
            target: 0,
            position: pos,
            pricing,
            margin: &mp,
            liq: &lp,
            fee: pp.liquidation_fee,
        };
        assert_eq!(perp_only.judge(ONE_BTC).unwrap().unwrap_err(), Refusal::DoesNotImprove);
        assert_eq!(perp_only.judge(10 * ONE_BTC).unwrap().unwrap_err(), Refusal::SolventCloseOut);

        // Both legs at once: the delta stays zero and the book reaches initial health.
        let hedge = HedgeBook {
            cov: &cov,
            holdings: &holdings,
            perps: &perps,
            liability: 0,
            collateral: 1,
            target: 0,
            position: pos,
            pricing,
            margin: &mp,
            liq: &lp,
            fee: pp.liquidation_fee,
        };
        assert_eq!(hedge.leg().unwrap(), HedgedLeg::Collateral);
        let fee = hedge.step_params().unwrap();
        let rate = fee.liquidator_fee + fee.insurance_fee;
        assert!(rate <= perps[0].add_on_rate && rate <= pp.liquidation_fee, "{rate}");
        let v = hedge.plan(i128::MAX).unwrap();
        assert_eq!(v.acceptance, Acceptance::Improves);
        assert!(v.target_after >= Fx::ZERO, "{v:?}");
        assert!(v.after.maintenance_health().unwrap() > v.before.maintenance_health().unwrap());
        let taken = v.step.flows.to_liquidator + v.step.flows.to_insurance;
        assert_eq!(v.step.close.delta, taken, "the perp buys back exactly the BTC seized");
        assert_eq!(v.step.close.fee, Fx::ZERO, "the fee is charged once, on the spot leg");
        assert!(v.repay < 491_000_000_000 * 6 / 10, "a partial step: {}", v.repay);
        // The delta of the book after the step is still zero.
        let mut after = holdings.to_vec();
        crate::liquidation::apply_flows(&holdings, 0, 1, &v.step.flows, &mut after).unwrap();
        let hedged = after[1].amount + v.step.close.position.base;
        assert_eq!(hedged, 0, "still an exact hedge");
        // The acceptance rule: twice the repay is over-liquidation; the planned repay is accepted.
        assert_eq!(hedge.judge(2 * v.repay).unwrap().unwrap_err(), Refusal::OverLiquidation);
        assert_eq!(hedge.judge(v.repay).unwrap().unwrap(), v);
        // A step can never take more base than the perp holds.
        assert!(hedge.step(hedge.whole().unwrap()).unwrap().close.position.base <= 0);
        // A perp on the wrong side of the leg is no hedge.
        let long = PerpPosition { base: 10 * ONE_BTC, ..pos };
        let not_hedge = HedgeBook { position: long, perps: &[PerpHolding::of(&long, &pricing).unwrap()], ..hedge };
        assert!(not_hedge.leg().is_err() && not_hedge.judge(1).is_err());
    }
}
