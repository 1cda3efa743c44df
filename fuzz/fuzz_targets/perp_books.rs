//! Perp bookkeeping under arbitrary sequences of trades, funding accruals, price moves and
//! settlements: never panics (arithmetic errors are refusals, not crashes), each position's quote
//! is exactly the sum of what its calls booked, and traders' and the vault's wealth sum to zero.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use risk_engine::perp::{fill_price, Funding, PerpParams, PerpPosition};
use risk_engine::valuation::native_to_tokens_floor;
use risk_engine::{Fx, FxExt};

#[derive(Arbitrary, Debug)]
enum Op {
    Trade { who: u8, delta: i32 },
    Time { seconds: u16 },
    Price { move_bp: i16 },
    Settle { who: u8 },
}

fn params() -> PerpParams {
    PerpParams {
        base_spread: Fx::from_num(0.0005),
        impact_fee_scale: Fx::from_num(0.01),
        funding_skew_k: Fx::from_num(0.000_000_1),
        funding_cap: Fx::from_num(0.000_000_05),
        long_oi_cap: 1 << 40,
        short_oi_cap: 1 << 40,
        max_position_notional: Fx::from_num(1e12),
        upnl_initial_weight: Fx::from_num(0.5),
        upnl_maintenance_weight: Fx::from_num(0.8),
        floor_rate: Fx::from_num(0.005),
        liquidation_fee: Fx::from_num(0.01),
        settle_limit: Fx::from_num(1e9),
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let p = params();
    let mut f = Funding::default();
    let mut pos = [PerpPosition::default(); 3];
    let mut booked = [Fx::ZERO; 3];
    let mut paid = [Fx::ZERO; 3];
    let mut price = Fx::from_num(100);
    let mut now = 0i64;
    for op in ops.iter().take(64) {
        let (long, short) =
            pos.iter().fold((0i128, 0i128), |(l, s), x| if x.base > 0 { (l + x.base, s) } else { (l, s - x.base) });
        match *op {
            Op::Trade { who, delta } => {
                let i = who as usize % 3;
                let Ok(fill) = fill_price(price, Fx::from_num(0.01), Fx::ONE, delta as i128, long - short, &p) else {
                    continue;
                };
                let before = pos[i];
                let Ok(funding) = pos[i].funding_owed(6, &f) else { continue };
                match pos[i].trade(delta as i128, 6, fill, &f) {
                    Ok(cash) => booked[i] = booked[i] + funding + cash,
                    Err(_) => pos[i] = before,
                }
            }
            Op::Time { seconds } => {
                now += seconds as i64;
                if f.accrue(long, short, price, now, &p).is_err() {
                    return;
                }
            }
            Op::Price { move_bp } => {
                let r = Fx::from_num(move_bp as f64 / 10_000.0);
                price = price.mul_floor(Fx::ONE + r).unwrap_or(price).max(Fx::from_num(0.01));
            }
            Op::Settle { who } => {
                let i = who as usize % 3;
                let before = pos[i];
                let Ok(funding) = pos[i].funding_owed(6, &f) else { continue };
                match pos[i].settle(6, price, &f) {
                    Ok(s) => {
                        booked[i] = booked[i] + funding + s;
                        paid[i] = paid[i] + s;
                    }
                    Err(_) => pos[i] = before,
                }
            }
        }
        for i in 0..3 {
            assert_eq!(pos[i].quote, booked[i], "position {i}: quote differs from what was booked");
        }
    }
    let mut total = Fx::ZERO;
    for i in 0..3 {
        let (Ok(owed), Ok(pnl), Ok(tokens)) =
            (pos[i].funding_owed(6, &f), pos[i].pnl(6, price, &f), native_to_tokens_floor(pos[i].base, 6))
        else {
            return;
        };
        let Ok(value) = tokens.mul_floor(price) else { return };
        let trader = paid[i] + pnl;
        let vault = pos[i].quote + owed - value - paid[i];
        total += trader + vault;
    }
    assert_eq!(total, Fx::ZERO, "traders and the vault do not sum to zero");
});
