//! Division and square root on native 64-bit words.
//!
//! SBF divides 64-bit words natively but has no 128-bit division: `u128` division and `isqrt` are
//! software routines (~300 and ~600 CU each, measured). These give the same exact results from
//! 2-by-1 divisions of 64-bit words (the normalized long division of Knuth's algorithm D, in
//! Hacker's Delight's `divlu` form: 32-bit half-digits, each estimated by one native division and
//! corrected at most twice).
use super::{mul_64, FRAC_BITS};

/// `(u1·2⁶⁴ + u0) / v` and its remainder, for a normalized divisor (`v ≥ 2⁶³`) and `u1 < v` (the
/// quotient then fits 64 bits): two half-digits, each `(top·2³² + next) / v` with `top < v`.
#[inline(always)]
pub(super) fn div_2by1(u1: u64, u0: u64, v: u64) -> (u64, u64) {
    debug_assert!(v >> 63 == 1 && u1 < v);
    let (un1, un0) = (u0 >> 32, u0 & HALF);
    let q1 = half_digit(u1, un1, v);
    // The partial remainder (u1, un1) − q1·v is below v: computed modulo 2⁶⁴.
    let un21 = ((u1 << 32) | un1).wrapping_sub(q1.wrapping_mul(v));
    let q0 = half_digit(un21, un0, v);
    let r = ((un21 << 32) | un0).wrapping_sub(q0.wrapping_mul(v));
    ((q1 << 32) | q0, r)
}

const HALF: u64 = (1 << 32) - 1;

/// The half-digit `⌊(top·2³² + next) / v⌋` (below 2³²) for a normalized `v`, `top < v` and
/// `next < 2³²`: estimated from `top / v_hi` (vhi ≥ 2³¹, so at most 2 above the digit) and
/// corrected against `v`'s low half. `rhat < 2³²` wherever a product is formed, so no step wraps.
#[inline(always)]
fn half_digit(top: u64, next: u64, v: u64) -> u64 {
    let (vn1, vn0) = (v >> 32, v & HALF);
    let mut q = top / vn1;
    let mut rhat = top.wrapping_sub(q.wrapping_mul(vn1));
    while q > HALF || q.wrapping_mul(vn0) > ((rhat << 32) | next) {
        q -= 1;
        rhat += vn1;
        if rhat > HALF {
            break;
        }
    }
    q
}

/// `⌊a·2⁴⁸ / d⌋` and whether a remainder was dropped, for a nonzero `d`, when the quotient is below
/// 2⁶⁴ (`None` otherwise): one 2-by-1 division of `a·2^(48+s)` by the normalized `d·2^s`, whose
/// quotient is the same and whose remainder is `2^s` times the true one.
#[inline(always)]
pub(super) fn div_frac_u64(a: u64, d: u64) -> Option<(u64, bool)> {
    debug_assert!(d != 0);
    let s = d.leading_zeros();
    let v = d << s;
    let t = FRAC_BITS + s; // 48..=111
    let (u1, u0) = if t < 64 {
        (a >> (64 - t), a << t)
    } else {
        let k = t - 64; // 0..=47
        if k > 0 && a >> (64 - k) != 0 {
            return None;
        }
        (a << k, 0)
    };
    if u1 >= v {
        return None;
    }
    let (q, r) = div_2by1(u1, u0, v);
    Some((q, r != 0))
}

/// `⌊n·2⁴⁸ / d⌋` for a nonzero divisor below 2⁶⁴, and whether a remainder was dropped; `None`
/// when the quotient does not fit 128 bits. Three 2-by-1 divisions at most (leading words below
/// the divisor are skipped; the top word, below 2⁴⁷, always is).
#[inline(never)]
pub(super) fn div_frac_by_u64(n: u128, d: u64) -> Option<(u128, bool)> {
    debug_assert!(d != 0);
    let s = d.leading_zeros();
    let v = d << s;
    // n·2^(48 + s) in four words (below 2²³⁹): the quotient is the same, the remainder scaled.
    let t = FRAC_BITS + s; // 48..=111
    let high = n >> (128 - t);
    let low = n << t;
    let words = [(high >> 64) as u64, high as u64, (low >> 64) as u64, low as u64];
    let mut q = [0u64; 4];
    let mut r = 0u64;
    for (qi, &w) in q.iter_mut().zip(words.iter()) {
        if r == 0 && w < v {
            r = w;
            continue;
        }
        let (digit, rest) = div_2by1(r, w, v);
        *qi = digit;
        r = rest;
    }
    if q[0] != 0 || q[1] != 0 {
        return None;
    }
    Some((((q[2] as u128) << 64) | q[3] as u128, r != 0))
}

/// `⌊n·2⁴⁸ / d⌋` for a divisor of 2⁶⁴ or more (the quotient is then below 2¹¹²), and whether a
/// remainder was dropped: Knuth's algorithm D with a two-word divisor. Each quotient word is
/// estimated from the top two words of the partial remainder by one 2-by-1 division and corrected
/// against the divisor's low word, which makes it exact (no add-back step with two words).
#[inline(never)]
pub(super) fn div_frac_by_u128(n: u128, d: u128) -> (u128, bool) {
    debug_assert!(d >> 64 != 0);
    let s = ((d >> 64) as u64).leading_zeros();
    let v = d << s;
    let (v1, v0) = ((v >> 64) as u64, v as u64);
    // n·2^(48 + s) in four words, as in `div_frac_by_u64`.
    let t = FRAC_BITS + s;
    let high = n >> (128 - t);
    let low = n << t;
    let words = [(high >> 64) as u64, high as u64, (low >> 64) as u64, low as u64];
    let mut q: u128 = 0;
    let mut r: u128 = 0; // the partial remainder, below v
    for &w in &words {
        let (r1, r0) = ((r >> 64) as u64, r as u64);
        let window = ((r0 as u128) << 64) | w as u128;
        if r1 == 0 && window < v {
            q <<= 64;
            r = window;
            continue;
        }
        // r1 ≤ v1 (r < v). The estimate from (r1, r0) / v1, with the remainder `rhat` of that
        // division (`None` once it reaches 2⁶⁴: then q̂·v0 < 2⁶⁴·2⁶⁴ ≤ rhat·2⁶⁴ and q̂ is exact).
        let (mut qhat, mut rhat) = if r1 >= v1 {
            // q̂ = 2⁶⁴ − 1, rhat = r1·2⁶⁴ + r0 − q̂·v1 = r0 + v1.
            let (x, over) = r0.overflowing_add(v1);
            (u64::MAX, (!over).then_some(x))
        } else {
            let (qd, rd) = div_2by1(r1, r0, v1);
            (qd, Some(rd))
        };
        // q̂·(v1, v0) ≤ (r1, r0, w) ⟺ q̂·v0 ≤ (rhat, w): at most two corrections.
        while let Some(rh) = rhat {
            if mul_64(qhat, v0) <= (rh, w) {
                break;
            }
            qhat -= 1;
            let (x, over) = rh.overflowing_add(v1);
            rhat = (!over).then_some(x);
        }
        // (r1, r0, w) − q̂·v is below v < 2¹²⁸: computed modulo 2¹²⁸.
        let (ph, pl) = mul_64(qhat, v0);
        let product = (((ph.wrapping_add(qhat.wrapping_mul(v1))) as u128) << 64) | pl as u128;
        r = window.wrapping_sub(product);
        q = (q << 64) | qhat as u128;
    }
    (q, r != 0)
}

/// `⌊√m⌋` for `m ≥ 2¹²⁶` (a root in [2⁶³, 2⁶⁴)): the root of the top word by Newton's iteration
/// in native divisions, one Newton step on the whole (one 2-by-1 division) and one correction.
#[inline(never)]
pub(super) fn isqrt_normalized(m: u128) -> u64 {
    debug_assert!(m >> 126 != 0);
    let (hi, lo) = ((m >> 64) as u64, m as u64);
    if hi == u64::MAX {
        // m ≥ 2¹²⁸ − 2⁶⁴: √m ∈ (2⁶⁴ − 1, 2⁶⁴).
        return u64::MAX;
    }
    // s = ⌊√hi⌋ ∈ [2³¹, 2³²), from hi/2³³ + 2³¹ (the tangent at 2⁶⁴: above √hi, by at most 25%
    // on [2⁶², 2⁶⁴)); from any start ≥ ⌊√hi⌋ the floor iteration decreases to it and stops.
    let mut s = (hi >> 33) + (1 << 31);
    loop {
        let y = (s + hi / s) >> 1;
        if y >= s {
            break;
        }
        s = y;
    }
    // x = (s + 1)·2³² > √m, capped at 2⁶⁴ − 1 when s = 2³² − 1 (then x may lie up to 2³² above
    // √m, or just below it when hi = 2⁶⁴ − 2). Either way |x − √m| ≤ 2³², x ≥ 2⁶³ (a normalized
    // divisor) and hi < x, which is all the step below needs (AM–GM holds from either side).
    let x = if s >= u32::MAX as u64 { u64::MAX } else { (s + 1) << 32 };
    let (q, _) = div_2by1(hi, lo, x);
    // y = ⌊(x + ⌊m/x⌋)/2⌋ ≥ ⌊√m⌋ (AM–GM) and y ≤ √m + (x − √m)²/(2x) ≤ √m + 1.
    let y = ((x as u128 + q as u128) >> 1) as u64;
    if mul_64(y, y) > (hi, lo) {
        y - 1
    } else {
        y
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `⌊√n⌋` through the normalized root, as `sqrt_bits` takes it: `n·4^j ≥ 2¹²⁶`, shifted back.
    fn isqrt_u128(n: u128) -> u128 {
        if n == 0 {
            return 0;
        }
        let k = n.leading_zeros() & !1;
        (isqrt_normalized(n << k) >> (k / 2)) as u128
    }

    /// Integers of every width, and the edges of each word.
    fn wide() -> impl Strategy<Value = u128> {
        prop_oneof![
            any::<u64>().prop_map(|v| v as u128),
            (any::<u128>(), 0u32..128).prop_map(|(v, s)| v >> s),
            any::<u128>(),
            (0u32..128, -3i64..=3).prop_map(|(s, d)| (1u128 << s).wrapping_add_signed(d as i128)),
            Just(u128::MAX),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50_000))]
        /// The one-division path is the exact quotient whenever it answers, and answers whenever
        /// the quotient fits 64 bits.
        #[test]
        fn one_division_quotients_are_exact(a in wide(), d in divisor()) {
            let a = a as u64;
            let want = reference(a as u128, d as u128);
            match div_frac_u64(a, d) {
                Some((q, inexact)) => prop_assert_eq!(Some((q as u128, inexact)), want),
                None => prop_assert!(want.is_none_or(|(q, _)| q >> 64 != 0)),
            }
        }
    }

    fn divisor() -> impl Strategy<Value = u64> {
        prop_oneof![
            (any::<u64>(), 0u32..64).prop_map(|(v, s)| (v >> s).max(1)),
            (0u32..64, -2i64..=2).prop_map(|(s, d)| (1u64 << s).wrapping_add_signed(d).max(1)),
            Just(u64::MAX),
        ]
    }

    /// `⌊n·2⁴⁸/d⌋` and whether a remainder was dropped, by binary long division one bit at a time
    /// (independent of the word divisions); `None` when the quotient does not fit 128 bits.
    pub(in crate::fixed_point) fn reference(n: u128, d: u128) -> Option<(u128, bool)> {
        let mut q: u128 = 0;
        let mut r: u128 = 0;
        // The bits of n·2^48, most significant first.
        for i in (0..128 + FRAC_BITS).rev() {
            let bit = if i >= FRAC_BITS { (n >> (i - FRAC_BITS)) & 1 } else { 0 };
            let top = r >> 127;
            r = (r << 1) | bit;
            if q >> 127 != 0 {
                return None;
            }
            q <<= 1;
            if top != 0 || r >= d {
                r = r.wrapping_sub(d);
                q |= 1;
            }
        }
        Some((q, r != 0))
    }

    fn wide_divisor() -> impl Strategy<Value = u128> {
        prop_oneof![
            (any::<u128>(), 0u32..64).prop_map(|(v, s)| (v >> s) | (1 << 64)),
            (64u32..128, -2i64..=2).prop_map(|(s, d)| (1u128 << s).wrapping_add_signed(d as i128).max(1 << 64)),
            Just(u128::MAX),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50_000))]
        #[test]
        fn word_division_equals_long_division(n in wide(), d in divisor()) {
            prop_assert_eq!(div_frac_by_u64(n, d), reference(n, d as u128), "{} · 2^48 / {}", n, d);
        }

        #[test]
        fn two_word_division_equals_long_division(n in wide(), d in wide_divisor()) {
            prop_assert_eq!(Some(div_frac_by_u128(n, d)), reference(n, d), "{} · 2^48 / {}", n, d);
        }

        #[test]
        fn word_square_roots_equal_the_exact_root(n in wide()) {
            prop_assert_eq!(isqrt_u128(n), n.isqrt(), "√{}", n);
        }

        #[test]
        fn two_by_one_division_is_exact(u1 in any::<u64>(), u0 in any::<u64>(), v in any::<u64>()) {
            let v = v | (1 << 63);
            let u1 = u1 % v;
            let n = ((u1 as u128) << 64) | u0 as u128;
            let (q, r) = div_2by1(u1, u0, v);
            prop_assert_eq!((q as u128, r as u128), (n / v as u128, n % v as u128));
        }
    }

    #[test]
    fn square_roots_at_the_edges() {
        for n in
            [0u128, 1, 2, 3, 4, u64::MAX as u128, 1 << 64, (1 << 126) - 1, 1 << 126, u128::MAX, u128::MAX - (1 << 64)]
        {
            assert_eq!(isqrt_u128(n), n.isqrt(), "√{n}");
        }
        for r in [1u128 << 63, (1 << 64) - 1, 0xffff_ffff_0000_0001, 3_037_000_499] {
            for n in [r * r - 1, r * r, r * r + 1, r * r + 2 * r] {
                assert_eq!(isqrt_u128(n), n.isqrt(), "√{n}");
            }
        }
    }
}
