//! Prices and exposures: oracle prices to fixed point, confidence-biased valuation, token amounts
//! to USD. Equity is rounded down: every value here rounds toward −∞ (a liability gets more negative).
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{fx_from_int, mul_64, pow10, pow10_fraction, scale_by_pow10, Fx, FxExt, FRAC_BITS};

/// `mantissa × 10^exponent` as [`Fx`], rounded down (`round_up = false`) or up. Exact whenever the
/// value is representable; no floating point is involved.
#[inline(always)]
pub fn price_from_oracle(mantissa: i64, exponent: i32, round_up: bool) -> RiskResult<Fx> {
    if exponent < 0 {
        if let Some(bits) = scale_by_pow10(mantissa as i128, FRAC_BITS, exponent.unsigned_abs(), round_up) {
            return Ok(Fx::from_bits(bits));
        }
    }
    price_from_oracle_wide(mantissa, exponent, round_up)
}

/// An oracle's price (rounded down) and confidence (rounded up), which share its exponent: bit for
/// bit the two [`price_from_oracle`] calls, the common case (non-negative mantissas, exponent
/// −12..=−1: every Pyth feed) in one pass.
#[inline(always)]
pub fn price_and_conf_from_oracle(price: i64, conf: i64, exponent: i32) -> RiskResult<(Fx, Fx)> {
    if (-12..=-1).contains(&exponent) && price >= 0 && conf >= 0 {
        let e = exponent.unsigned_abs();
        let (p, c) = (pow10_fraction(price as u64, e, false), pow10_fraction(conf as u64, e, true));
        return Ok((Fx::from_bits(p as i128), Fx::from_bits(c as i128)));
    }
    Ok((price_from_oracle(price, exponent, false)?, price_from_oracle(conf, exponent, true)?))
}

/// [`price_from_oracle`] for a non-negative exponent or beyond `scale_by_pow10`'s range.
#[inline(never)]
fn price_from_oracle_wide(mantissa: i64, exponent: i32, round_up: bool) -> RiskResult<Fx> {
    let m = mantissa as i128;
    if exponent >= 0 {
        let scale = pow10(exponent as u32)?;
        let v = m.checked_mul(scale).ok_or(RiskError::InvalidParameter { name: "price", reason: "too large" })?;
        return Ok(fx_from_int(v)?);
    }
    let exp = exponent.unsigned_abs();
    if let Some(bits) = scale_by_pow10(m, FRAC_BITS, exp, round_up) {
        return Ok(Fx::from_bits(bits));
    }
    let div = pow10(exp)?;
    // mantissa · 2^48 fits in i128 for any i64 mantissa.
    let num = m << FRAC_BITS;
    let q = num.div_euclid(div);
    let exact = num.rem_euclid(div) == 0;
    Ok(Fx::from_bits(if round_up && !exact { q + 1 } else { q }))
}

/// Whether an oracle's confidence is too wide to use: `conf > ⌊price·max_ratio⌋` (both converted
/// by [`price_from_oracle`], the confidence rounded up), with the errors of `mul_floor`. The one
/// rule of valuation and the crank.
///
/// For `conf, price ≥ 0` and `0 ≤ max_ratio < 1` it is decided on native words: `C` is an integer
/// (the raw bits), so `C > ⌊P·r/2⁴⁸⌋ ⟺ C·2⁴⁸ > P·r`; both sides are below 2¹⁷⁵ and are compared
/// as three 64-bit limbs, `P·r` from two [`mul_64`] (an `i128` product is a `__multi3` call on
/// SBF, and `P` of a price above $2¹⁵ is beyond `mul_floor`'s 64-bit path), one when `P < 2^64`
/// (`C > ⌊P·r/2⁴⁸⌋` then compared on the floor itself). The product then fits, so `mul_floor`
/// could not have failed.
#[inline(always)]
pub fn confidence_too_wide(conf: Fx, price: Fx, max_ratio: Fx) -> RiskResult<bool> {
    let (c, p, r) = (conf.to_bits(), price.to_bits(), max_ratio.to_bits());
    if c >= 0 && p >= 0 && (0..1i128 << FRAC_BITS).contains(&r) {
        let (c, p, r) = (c as u128, p as u128, r as u64);
        let (h0, l0) = mul_64(p as u64, r);
        if p >> 64 == 0 {
            // A price below 2^16 USD: P·r = h0·2^64 + l0 < 2^112, and C > ⌊P·r/2^48⌋ directly.
            return Ok(c > ((h0 as u128) << (64 - FRAC_BITS) | (l0 >> FRAC_BITS) as u128));
        }
        let (h1, l1) = mul_64((p >> 64) as u64, r);
        let (m, carry) = h0.overflowing_add(l1);
        // P < 2^127, r < 2^48: the product is below 2^175, so the top limb cannot wrap.
        let pr = (h1.wrapping_add(carry as u64), m, l0);
        let c48 = ((c >> (128 - FRAC_BITS)) as u64, (c >> (64 - FRAC_BITS)) as u64, (c as u64) << FRAC_BITS);
        return Ok(c48 > pr);
    }
    Ok(conf > price.mul_floor(max_ratio)?)
}

/// Price for valuing a holding: `P − k·conf` for assets (never below 0), `P + k·conf` for liabilities.
#[inline(always)]
pub fn biased_price(price: Fx, conf: Fx, k: Fx, is_asset: bool) -> RiskResult<Fx> {
    // k = 1 (the default): the product is `conf` exactly, so it is not computed (every position
    // of every health check).
    let widen = if k == Fx::ONE { conf } else { widened(k, conf)? };
    if is_asset {
        Ok(price.sub_checked(widen)?.max(Fx::ZERO))
    } else {
        Ok(price.add_checked(widen)?)
    }
}

/// `k·conf` rounded up, for a `k` other than 1: out of the health check's line.
#[inline(never)]
fn widened(k: Fx, conf: Fx) -> RiskResult<Fx> {
    Ok(k.mul_ceil(conf)?)
}

/// USD value of a signed native token amount at `price` (USD per whole token), rounded toward −∞.
#[inline(always)]
pub fn token_value(amount_native: i128, decimals: u8, price: Fx) -> RiskResult<Fx> {
    if let (Ok(m), Ok(p)) = (u64::try_from(amount_native.unsigned_abs()), u64::try_from(price.to_bits())) {
        if (1..=12).contains(&decimals) {
            // The whole product on the magnitude, its sign applied once: the tokens' magnitude
            // rounded up for a debt (the signed floor of `native_to_tokens_floor`), then the same
            // product and rounding as below.
            let negative = amount_native < 0;
            let t = pow10_fraction(m, decimals as u32, negative);
            if t >> 64 == 0 {
                return Ok(Fx::from_bits(signed_product_floor(t as u64, p, negative)));
            }
        }
    }
    wide_token_value(amount_native, decimals, price)
}

/// [`token_value`] beyond its magnitude path: the tokens, then their product with the price (out
/// of the health check's line).
#[inline(never)]
fn wide_token_value(amount_native: i128, decimals: u8, price: Fx) -> RiskResult<Fx> {
    let tokens = native_to_tokens_floor(amount_native, decimals)?;
    let (t, p) = (tokens.to_bits(), price.to_bits());
    if p >= 0 && (t.unsigned_abs() | p as u128) >> 64 == 0 {
        // |tokens|, price < 2^64 in raw bits: the product in two native words ([`mul_64`]: an
        // `i128` product is a `__multi3` call on SBF), below 2^128, so ⌊·/2^48⌋ < 2^80 fits. Rounded
        // toward −∞ on the magnitude's sign: a debt's value is −⌈|t|·p/2^48⌉. Here and not in
        // `mul_bits` (which `mul_floor` inlines at every multiply): there it measured +50 CU per
        // position and +60 kB; here, once per position, −22.
        return Ok(Fx::from_bits(signed_product_floor(t.unsigned_abs() as u64, p as u64, t < 0)));
    }
    Ok(tokens.mul_floor(price)?)
}

/// `⌊±t·p/2^48⌋` (raw bits) of a magnitude `t` and a price `p`, both below 2^64, negative when
/// `negative`: the magnitude's quotient, rounded up for a negative value.
#[inline(always)]
fn signed_product_floor(t: u64, p: u64, negative: bool) -> i128 {
    let (hi, lo) = mul_64(t, p);
    let q = ((hi as u128) << (64 - FRAC_BITS) | (lo >> FRAC_BITS) as u128) as i128;
    if negative {
        -(q + (lo << (64 - FRAC_BITS) != 0) as i128)
    } else {
        q
    }
}

/// Native amount as whole tokens (`amount / 10^decimals`), rounded toward −∞.
#[inline(always)]
pub fn native_to_tokens_floor(amount_native: i128, decimals: u8) -> RiskResult<Fx> {
    if let Some(bits) = scale_by_pow10(amount_native, FRAC_BITS, decimals as u32, false) {
        return Ok(Fx::from_bits(bits));
    }
    native_to_tokens_floor_wide(amount_native, decimals)
}

/// [`native_to_tokens_floor`] beyond `scale_by_pow10`'s range.
#[inline(never)]
fn native_to_tokens_floor_wide(amount_native: i128, decimals: u8) -> RiskResult<Fx> {
    let bits = amount_native
        .checked_mul(1i128 << FRAC_BITS)
        .ok_or(RiskError::InvalidParameter { name: "amount", reason: "too large for fixed point" })?;
    Ok(Fx::from_bits(bits.div_euclid(pow10(decimals as u32)?)))
}

/// Native token amount worth `value` USD at `price`, rounded toward −∞ (never gives away more).
pub fn usd_to_native_floor(value: Fx, decimals: u8, price: Fx) -> RiskResult<i128> {
    if price <= Fx::ZERO {
        return Err(RiskError::NonPositivePrice { asset: usize::MAX });
    }
    let tokens = value.div_floor(price)?;
    // tokens · 10^decimals, floor, as an integer.
    let scaled = crate::fixed_point::checked_mul_i128(tokens.to_bits(), pow10(decimals as u32)?)
        .ok_or(RiskError::InvalidParameter { name: "amount", reason: "too large for fixed point" })?;
    Ok(scaled >> FRAC_BITS)
}

/// Signed, confidence-biased USD exposure of a holding: deposits at `P − k·conf`, borrows at
/// `P + k·conf`.
#[inline(always)]
pub fn exposure(amount_native: i128, decimals: u8, price: Fx, conf: Fx, conf_k: Fx) -> RiskResult<Fx> {
    let p = biased_price(price, conf, conf_k, amount_native >= 0)?;
    token_value(amount_native, decimals, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The native-word decision is `conf > ⌊price·max_ratio⌋` (and its errors) at every width,
        /// at the boundary and one unit either side of it.
        #[test]
        fn the_confidence_rule_equals_the_fixed_point_comparison(
            p in proptest::prelude::any::<i128>(),
            sp in 0u32..128,
            r in proptest::prelude::any::<i128>(),
            sr in 0u32..128,
            c in proptest::prelude::any::<i128>(),
            sc in 0u32..128,
            near in 0u8..4,
        ) {
            let (price, ratio) = (Fx::from_bits(p >> sp), Fx::from_bits(r >> sr));
            let conf = match (near, price.mul_floor(ratio)) {
                (1..=3, Ok(m)) => Fx::from_bits(m.to_bits().saturating_add(near as i128 - 2)),
                _ => Fx::from_bits(c >> sc),
            };
            let want = price.mul_floor(ratio).map(|m| conf > m);
            proptest::prop_assert_eq!(confidence_too_wide(conf, price, ratio).ok(), want.ok());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The price and confidence in one pass are the two conversions, bit for bit and error for
        /// error, at every width, sign and exponent.
        #[test]
        fn price_and_conf_equal_the_two_conversions(
            p in proptest::prelude::any::<i64>(),
            sp in 0u32..64,
            c in proptest::prelude::any::<i64>(),
            sc in 0u32..64,
            exponent in -20i32..6,
        ) {
            let (price, conf) = (p >> sp, c >> sc);
            let want = price_from_oracle(price, exponent, false).and_then(|a| Ok((a, price_from_oracle(conf, exponent, true)?)));
            proptest::prop_assert_eq!(price_and_conf_from_oracle(price, conf, exponent), want);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The native-word product is `mul_floor`'s, bit for bit and error for error, at every width
        /// and sign (amounts across the 64-bit boundary of the tokens' bits included).
        #[test]
        fn token_values_equal_the_fixed_point_product(
            a in proptest::prelude::any::<i128>(),
            sa in 0u32..128,
            p in proptest::prelude::any::<i128>(),
            sp in 0u32..128,
            decimals in 0u8..19,
        ) {
            let (amount, price) = (a >> sa, Fx::from_bits(p >> sp));
            let want = native_to_tokens_floor(amount, decimals).and_then(|t| Ok(t.mul_floor(price)?));
            proptest::prop_assert_eq!(token_value(amount, decimals, price), want);
        }
    }

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    #[test]
    fn oracle_prices_apply_the_exponent_exactly() {
        let lo = price_from_oracle(6_543_210, -2, false).unwrap();
        let hi = price_from_oracle(6_543_210, -2, true).unwrap();
        assert_eq!(hi - lo, Fx::from_bits(1));
        assert!(lo.to_num::<f64>() <= 65_432.10 && hi.to_num::<f64>() >= 65_432.10);
        assert_eq!(price_from_oracle(15, 3, false).unwrap(), fx(15_000.0));
        assert_eq!(
            price_from_oracle(1, -1, true).unwrap() - price_from_oracle(1, -1, false).unwrap(),
            Fx::from_bits(1)
        );
        assert_eq!(price_from_oracle(25, -2, false).unwrap(), fx(0.25));
        assert_eq!(price_from_oracle(25, -2, true).unwrap(), fx(0.25), "exact values are not bumped");
    }

    #[test]
    fn confidence_widens_against_the_holder() {
        let (p, c, k) = (fx(100.0), fx(0.5), fx(2.0));
        assert_eq!(biased_price(p, c, k, true).unwrap(), fx(99.0));
        assert_eq!(biased_price(p, c, k, false).unwrap(), fx(101.0));
        assert_eq!(biased_price(fx(1.0), fx(1.0), k, true).unwrap(), Fx::ZERO);
    }

    #[test]
    fn token_values_round_down_for_both_signs() {
        // 1.5 tokens of a 6-decimal mint at $2 = $3; -1 native unit at $1 with 6 decimals is -1e-6 (floor).
        assert_eq!(token_value(1_500_000, 6, fx(2.0)).unwrap(), fx(3.0));
        let tiny = token_value(-1, 6, fx(1.0)).unwrap();
        assert!(tiny <= fx(-0.000001));
        let e = exposure(-1_000_000, 6, fx(10.0), fx(0.1), Fx::ONE).unwrap();
        assert_eq!(e, fx(-10.1));
    }

    #[test]
    fn usd_to_native_never_rounds_up() {
        assert_eq!(usd_to_native_floor(fx(10.0), 6, fx(3.0)).unwrap(), 3_333_333);
        assert_eq!(usd_to_native_floor(fx(1.0), 9, fx(1.0)).unwrap(), 1_000_000_000);
    }
}
