//! Tests of the fixed-point arithmetic: rounding directions, the exact references every native
//! path (products, divisions, roots, powers of ten) is held to.
use super::*;

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}

#[test]
fn multiplication_rounds_in_the_requested_direction() {
    let tiny = Fx::from_bits(1);
    let half = fx(0.5);
    assert_eq!(tiny.mul_floor(half).unwrap(), Fx::ZERO);
    assert_eq!(tiny.mul_ceil(half).unwrap(), tiny);
    assert_eq!((-tiny).mul_floor(half).unwrap(), -tiny);
    assert_eq!((-tiny).mul_ceil(half).unwrap(), Fx::ZERO);
    assert_eq!(fx(1.5).mul_floor(fx(-2.0)).unwrap(), fx(-3.0));
}

#[test]
fn wide_multiplication_matches_fixed_crate_and_reports_overflow() {
    let a = fx(123_456_789.123);
    let b = fx(-98_765.4321);
    let ours = a.mul_floor(b).unwrap();
    let theirs = a.checked_mul(b).unwrap();
    assert!((ours - theirs).abs() <= ULP);
    let big = fx(1e20);
    let e = big.mul_floor(big).unwrap_err();
    assert_eq!(e.op, MathOp::Mul);
    assert!(e.location.file().ends_with("fixed_point.rs"));
}

#[test]
fn division_rounds_in_the_requested_direction() {
    assert_eq!(fx(1.0).div_floor(fx(4.0)).unwrap(), fx(0.25));
    let third_floor = fx(1.0).div_floor(fx(3.0)).unwrap();
    let third_ceil = fx(1.0).div_ceil(fx(3.0)).unwrap();
    assert_eq!(third_ceil - third_floor, ULP);
    let neg = fx(-1.0).div_floor(fx(3.0)).unwrap();
    assert_eq!(neg, -third_ceil);
    assert_eq!(fx(1.0).div_floor(Fx::ZERO).unwrap_err().op, MathOp::Div);
    // Large numerator takes the long-division path.
    let big = fx(1e15);
    let q = big.div_floor(fx(7.0)).unwrap();
    assert!((q.to_num::<f64>() - 1e15 / 7.0).abs() < 1e-3);
}

#[test]
fn square_roots_bracket_the_true_value() {
    assert_eq!(fx(4.0).sqrt_floor().unwrap(), fx(2.0));
    assert_eq!(fx(4.0).sqrt_ceil().unwrap(), fx(2.0));
    let lo = fx(2.0).sqrt_floor().unwrap();
    let hi = fx(2.0).sqrt_ceil().unwrap();
    assert_eq!(hi - lo, ULP);
    assert!(lo.to_num::<f64>() <= 2f64.sqrt() && hi.to_num::<f64>() >= 2f64.sqrt());
    let big = fx(1e20);
    let r = big.sqrt_floor().unwrap().to_num::<f64>();
    assert!((r - 1e10).abs() / 1e10 < 1e-12);
    assert_eq!(fx(-1.0).sqrt_floor().unwrap_err().op, MathOp::Sqrt);
}

#[test]
fn wrapper_round_trips_and_has_alignment_one() {
    let v = fx(-1234.5678);
    assert_eq!(WrappedI80F48::new(v).get(), v);
    assert_eq!(core::mem::align_of::<WrappedI80F48>(), 1);
    assert_eq!(core::mem::size_of::<WrappedI80F48>(), 16);
}

#[test]
fn powers_are_the_checked_powers() {
    for e in 0..45u32 {
        assert_eq!(pow10(e).ok(), 10i128.checked_pow(e), "10^{e}");
    }
    for e in 0..14u32 {
        assert_eq!(POW5[e as usize], 5u32.pow(e));
    }
}

#[test]
fn integer_rounding_helpers() {
    assert_eq!(floor_to_int(fx(-1.5)), -2);
    assert_eq!(ceil_to_int(fx(-1.5)), -1);
    assert_eq!(ceil_to_int(fx(2.0)), 2);
    assert_eq!(fx_ratio(1, 8).unwrap(), fx(0.125));
}

mod small_division_tests {
    use crate::fixed_point::*;

    #[test]
    fn div_small_floor_equals_the_floor_of_the_exact_quotient() {
        for bits in [0i128, 1, -1, 7, -7, 1 << 100, -(1 << 100) - 3, i128::MAX, i128::MIN + 1, i128::MIN] {
            for n in [1u32, 2, 3, 7, 16, 1_000_003] {
                let got = div_small_floor(Fx::from_bits(bits), n).unwrap().to_bits();
                assert_eq!(got, bits.div_euclid(n as i128), "{bits} / {n}");
            }
        }
        assert!(div_small_floor(Fx::ONE, 0).is_err());
    }
}

mod multiplication_tests {
    use crate::fixed_point::*;
    use proptest::prelude::*;

    /// `a·b / 2⁴⁸` rounded as asked, from the exact 256-bit product in `u128` halves (the textbook
    /// algorithm, independent of [`mul_64`]'s limbs).
    fn reference(a: i128, b: i128, ceil: bool) -> Option<i128> {
        const MASK: u128 = u64::MAX as u128;
        let negative = (a < 0) != (b < 0);
        let (x, y) = (a.unsigned_abs(), b.unsigned_abs());
        let (x1, x0, y1, y0) = (x >> 64, x & MASK, y >> 64, y & MASK);
        let (p00, p01, p10, p11) = (x0 * y0, x0 * y1, x1 * y0, x1 * y1);
        let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
        let lo = (p00 & MASK) | (mid << 64);
        let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        if hi >> FRAC_BITS != 0 {
            return None;
        }
        let mag = (hi << (128 - FRAC_BITS)) | (lo >> FRAC_BITS);
        let dropped = lo & ((1 << FRAC_BITS) - 1) != 0;
        let mag = if dropped && negative != ceil { mag.checked_add(1)? } else { mag };
        signed_from_magnitude(mag, negative)
    }

    /// Operands of every width: the narrow path, one wide operand, two wide operands, the edges.
    fn operand() -> impl Strategy<Value = i128> {
        prop_oneof![
            any::<i64>().prop_map(|v| v as i128),
            any::<u64>().prop_map(|v| v as i128),
            (any::<i128>(), 0u32..127).prop_map(|(v, s)| v >> s),
            any::<i128>(),
            prop_oneof![
                Just(0i128),
                Just(1),
                Just(-1),
                Just(i128::MAX),
                Just(i128::MIN),
                Just(1 << 64),
                Just(-(1 << 64))
            ],
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn limb_products_equal_the_exact_product_rounded(a in operand(), b in operand()) {
            for ceil in [false, true] {
                prop_assert_eq!(mul_bits(a, b, ceil), reference(a, b, ceil), "{} · {} (ceil {})", a, b, ceil);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn checked_products_overflow_exactly_when_i128_does(a in operand(), b in operand(), c in any::<u64>()) {
            prop_assert_eq!(checked_mul_i128(a, b), a.checked_mul(b));
            prop_assert_eq!(checked_mul_u64(a, c), a.checked_mul(c as i128));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// `n·2^shift / 10^exp` rounded either way, against the exact quotient in `u128` on every
        /// width of `n`, both signs, every exponent and the fixed-point and other shifts.
        #[test]
        fn powers_of_ten_scale_exactly(n in operand(), exp in 0u32..15, shift in prop_oneof![Just(48u32), 0u32..64], ceil in any::<bool>()) {
            let want = (|| {
                // n·2^shift/10^exp = n·2^(shift−exp)/5^exp: the same rational, held in 128 bits.
                let (mag, d) = if shift >= exp {
                    (n.unsigned_abs().checked_mul(1u128.checked_shl(shift - exp)?)?, 5u128.pow(exp))
                } else {
                    (n.unsigned_abs().checked_mul(1u128 << shift)?, 10u128.pow(exp))
                };
                let (q, r) = (mag / d, mag % d);
                let q = q + (r != 0 && ((n < 0) != ceil)) as u128;
                signed_from_magnitude(q, n < 0)
            })();
            let got = scale_by_pow10(n, shift, exp, ceil);
            // The function may refuse what it cannot hold (exponents above 13, products beyond 2¹²⁸);
            // whatever it answers is exact.
            if exp <= 13 && shift >= exp && (n.unsigned_abs() >> (128 - (shift - exp)).min(127)) == 0 {
                prop_assert_eq!(got, want, "{} · 2^{} / 10^{} (ceil {})", n, shift, exp, ceil);
            } else if let Some(v) = got {
                prop_assert_eq!(Some(v), want);
            }
        }

        /// Shares times an index as native units: the two roundings composed, bit for bit and
        /// error for error, on every width (both signs, indices beyond 64 bits, products beyond
        /// the fixed-point range) and at the edge of that range.
        #[test]
        fn products_to_integers_equal_the_composed_roundings(a in operand(), b in operand(), edge in -3i128..=3, ceil in any::<bool>()) {
            let compose = |a: Fx, b: Fx| -> Option<i128> {
                if ceil { a.mul_ceil(b).ok().map(ceil_to_int) } else { a.mul_floor(b).ok().map(floor_to_int) }
            };
            for (x, y) in [(a, b), (a.saturating_abs(), b.saturating_abs() >> 64)] {
                let (x, y) = (Fx::from_bits(x), Fx::from_bits(y));
                prop_assert_eq!(mul_to_int(x, y, ceil).ok(), compose(x, y), "{:?} · {:?} (ceil {})", x, y, ceil);
            }
            // Products within a few 2^48 of 2^175, where the fixed-point product leaves its range:
            // y = 2^48 + 1 and x = ⌊2^175 / y⌋ + edge = 2^127 − 2^79 + 2^31 − 1 + edge, so
            // x·y = 2^175 − 2^48 + 2^31 − 1 + edge·y: the floor's limit between edge 0 and 1, the
            // ceiling's between −1 and 0.
            let y = (1i128 << 48) + 1;
            let x = Fx::from_bits(i128::MAX - (1i128 << 79) + (1i128 << 31) + edge);
            prop_assert_eq!(mul_to_int(x, Fx::from_bits(y), ceil).ok(), compose(x, Fx::from_bits(y)));
        }

        /// The native path where its result crosses a 64-bit word.
        #[test]
        fn powers_of_ten_scale_exactly_across_a_word(exp in 1u32..=12, j in 1u128..4, delta in -3i128..=3, negative in any::<bool>(), ceil in any::<bool>()) {
            // m·2^(48−k)/5^k just around j·2^64: m = ⌊j·2^64·5^k / 2^(48−k)⌋ + δ (below 2^64).
            let m = ((j << 64) * 5u128.pow(exp) >> (48 - exp)) as i128 + delta;
            prop_assume!((0..1i128 << 64).contains(&m));
            let n = if negative { -m } else { m };
            let mag = (m as u128) << (48 - exp);
            let (q, r) = (mag / 5u128.pow(exp), mag % 5u128.pow(exp));
            let want = signed_from_magnitude(q + (r != 0 && (negative != ceil)) as u128, negative);
            prop_assert_eq!(scale_by_pow10(n, 48, exp, ceil), want, "{} at 10^-{} (ceil {})", n, exp, ceil);
        }

        #[test]
        fn quotients_equal_the_exact_quotient_rounded(a in operand(), b in operand()) {
            prop_assume!(b != 0);
            let negative = (a < 0) != (b < 0);
            for ceil in [false, true] {
                let want = limbs::tests::reference(a.unsigned_abs(), b.unsigned_abs()).and_then(|(q, inexact)| {
                    let q = if inexact && negative != ceil { q.checked_add(1)? } else { q };
                    signed_from_magnitude(q, negative)
                });
                prop_assert_eq!(div_bits(a, b, ceil), want, "{} / {} (ceil {})", a, b, ceil);
            }
        }
    }

    /// `sqrt_bits` as first written: core's `u128::isqrt` on the same grid.
    fn reference_sqrt(a: i128, ceil: bool) -> Option<i128> {
        if a < 0 {
            return None;
        }
        let a = a as u128;
        if a == 0 {
            return Some(0);
        }
        let s = core::cmp::min(FRAC_BITS, a.leading_zeros() & !1);
        let n = a << s;
        let r = n.isqrt();
        let scale = (FRAC_BITS - s) / 2;
        let mut root = r << scale;
        if ceil && !(r * r == n && scale == 0) {
            root += 1u128 << scale;
        }
        i128::try_from(root).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn square_roots_equal_the_exact_root_on_their_grid(a in operand()) {
            for ceil in [false, true] {
                prop_assert_eq!(sqrt_bits(a, ceil), reference_sqrt(a, ceil), "√{} (ceil {})", a, ceil);
            }
        }
    }

    #[test]
    fn square_roots_of_exact_squares_and_their_neighbours() {
        for r in [1i128, 2, 3, 1 << 20, (1 << 40) + 7, 3_037_000_499, (1 << 63) - 1] {
            for a in [r * r - 1, r * r, r * r + 1] {
                for ceil in [false, true] {
                    assert_eq!(sqrt_bits(a, ceil), reference_sqrt(a, ceil), "√{a}");
                    assert_eq!(sqrt_bits(a << 48, ceil), reference_sqrt(a << 48, ceil), "√{a}·2^48");
                }
            }
        }
    }

    #[test]
    fn checked_products_at_the_edges_of_the_range() {
        let edges = [1i128 << 64, -(1i128 << 64), 1 << 63, -(1 << 63), (1 << 63) - 1, i128::MAX, i128::MIN, 3, -3, 0];
        for a in edges {
            for b in edges {
                assert_eq!(checked_mul_i128(a, b), a.checked_mul(b), "{a} · {b}");
            }
            assert_eq!(checked_mul_u64(a, 1 << 63), a.checked_mul(1 << 63), "{a} · 2^63");
        }
    }

    #[test]
    fn a_64_bit_product_has_both_halves() {
        for (a, b) in
            [(u64::MAX, u64::MAX), (u64::MAX, 1), (1 << 63, 2), (0xdead_beef_1234_5678, 0x9abc_def0_1111_2222)]
        {
            let p = a as u128 * b as u128;
            assert_eq!(mul_64(a, b), ((p >> 64) as u64, p as u64));
        }
    }
}
