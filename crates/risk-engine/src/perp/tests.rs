use super::*;
use crate::covariance::OwnedMatrix;
use crate::margin::{margin, MarginParams};

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

#[test]
fn a_cash_and_carry_book_nets_to_its_floor() {
    // BTC and ETH, daily vols 4% and 5%, correlation 0.8; USDC-like third asset.
    let (v0, v1) = (0.04f64 * 0.04, 0.05f64 * 0.05);
    let c = 0.8 * 0.04 * 0.05;
    let cov = OwnedMatrix::from_dense(3, &[fx(v0), fx(c), fx(0.0), fx(c), fx(v1), fx(0.0), fx(0.0), fx(0.0), fx(1e-8)])
        .unwrap();
    let mp = MarginParams::daily_defaults();
    let price = fx(50_000.0);
    let spot = Holding { asset: 0, amount: 10 * ONE_BTC, decimals: 8, price, conf: fx(10.0), floor_rate: fx(0.02) };
    let short = PerpHolding { asset: 0, base: -10 * ONE_BTC, decimals: 8, price, conf: fx(10.0) };
    let pp = params();
    // Together: the BTC delta nets to zero exactly; only the add-on remains.
    let together = net_positions(&[spot], &[short], Fx::ONE, pp.floor_rate).unwrap();
    assert!(together.is_empty(), "{together:?}");
    let add_on = perp_add_on(&[short], pp.floor_rate, pp.funding_cap, 86_400).unwrap();
    let hedged = margin(&cov, &together, &mp).unwrap().maintenance.add_checked(add_on).unwrap();
    // Apart: the spot book and the perp book each pay their full margin.
    let spot_alone =
        margin(&cov, &net_positions(&[spot], &[], Fx::ONE, pp.floor_rate).unwrap(), &mp).unwrap().maintenance;
    let perp_alone = margin(&cov, &net_positions(&[], &[short], Fx::ONE, pp.floor_rate).unwrap(), &mp)
        .unwrap()
        .maintenance
        .add_checked(add_on)
        .unwrap();
    let apart = spot_alone.add_checked(perp_alone).unwrap();
    let ratio = hedged.to_num::<f64>() / apart.to_num::<f64>();
    // Printed for the README and the issue note.
    extern crate std;
    std::println!(
        "cash and carry, 10 BTC: hedged ${:.2} vs apart ${:.2} ({:.1}%)",
        hedged.to_num::<f64>(),
        apart.to_num::<f64>(),
        ratio * 100.0
    );
    assert!(ratio <= 0.10, "hedged ${hedged} vs apart ${apart}: {ratio:.3}");
    // A half hedge leaves half the delta, priced on the long side's biased price.
    let half = PerpHolding { base: -5 * ONE_BTC, ..short };
    let n = net_positions(&[spot], &[half], Fx::ONE, pp.floor_rate).unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].exposure, fx(5.0).mul_floor(fx(49_990.0)).unwrap());
    // Two perps on one asset are one position too many.
    assert!(net_positions(&[spot], &[half, half], Fx::ONE, pp.floor_rate).is_err());
}

#[test]
fn profits_count_at_their_weight_losses_in_full() {
    assert_eq!(weighted_pnl(fx(-100.0), fx(0.5)).unwrap(), fx(-100.0));
    assert_eq!(weighted_pnl(fx(100.0), fx(0.5)).unwrap(), fx(50.0));
    assert_eq!(weighted_pnl(Fx::ZERO, fx(0.5)).unwrap(), Fx::ZERO);
}
