//! Unit tests of the margin model (terms by hand, rounding, the kernel's range).
use super::*;
use crate::covariance::OwnedMatrix;

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}
fn f(v: Fx) -> f64 {
    v.to_num()
}
/// Within 1e-7 relative (the kernel pads each form by ~1e-8 of the undiversified variance).
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-7 * want.abs().max(1.0)
}
fn pos(asset: usize, w: f64) -> PositionRisk {
    PositionRisk { asset, exposure: fx(w), floor_rate: fx(0.01) }
}
fn params() -> MarginParams {
    MarginParams {
        z: fx(2.0),
        horizon_scale: fx(4.0),
        spike_alpha: fx(0.5),
        breakdown_beta: fx(0.5),
        stress_vol_multiplier: fx(1.0),
        joint_move_sigmas: fx(1.0),
        initial_multiplier: fx(1.5),
        hedge_floor: Fx::ZERO,
    }
}
/// σ = (10%, 20%), ρ = 0.5.
fn two_assets() -> OwnedMatrix {
    OwnedMatrix::from_dense(2, &[fx(0.01), fx(0.01), fx(0.01), fx(0.04)]).unwrap()
}

#[test]
fn single_long_position_by_hand() {
    // w = 1000 in asset 0: σ_h = 0.1·√4 = 0.2 → VaR = 2·0.2·1000 = 400; with one asset every
    // correlation term equals VaR (m = 1), joint move = 1·0.2·1000 = 200, floor = 10.
    let b = margin(&two_assets(), &[pos(0, 1000.0)], &params()).unwrap();
    assert!(close(f(b.var), 400.0));
    assert!(close(f(b.correlation_spike), 400.0));
    assert!(close(f(b.correlation_breakdown), 400.0));
    assert!(close(f(b.joint_move), 200.0));
    assert!(close(f(b.floor), 10.0));
    assert!(close(f(b.maintenance), 400.0));
    assert!(close(f(b.initial), 600.0));
    // With one asset the three variance terms coincide; rounding pads decide which one "binds".
    assert!(matches!(b.binding, MarginTerm::Var | MarginTerm::CorrelationSpike | MarginTerm::CorrelationBreakdown));
    assert!(b.var >= fx(400.0), "rounded up");
}

#[test]
fn hedged_pair_by_hand() {
    // w = (+1000, -500): V = 1e6·0.01 + 2.5e5·0.04 − 2·1000·500·0.01 = 10000 → √V = 100.
    // VaR = 2·2·100 = 400. S = 1000·0.1 − 500·0.2 = 0 → spike V = 0.5·10000 → 2·2·70.71 = 282.8.
    // Breakdown V = 0.5·10000 + 0.5·(10000+10000) = 15000 → 4·122.47 = 489.9. Joint = 0.
    let b = margin(&two_assets(), &[pos(0, 1000.0), pos(1, -500.0)], &params()).unwrap();
    assert!(close(f(b.var), 400.0));
    assert!(close(f(b.correlation_spike), 4.0 * 5000f64.sqrt()));
    assert!(close(f(b.correlation_breakdown), 4.0 * 15000f64.sqrt()));
    assert!(f(b.joint_move) < 1e-5);
    assert_eq!(b.binding, MarginTerm::CorrelationBreakdown);
    assert!(close(f(b.variance), 10_000.0));
}

#[test]
fn floor_binds_when_variance_is_zero() {
    let zero = OwnedMatrix::zeros(2);
    let b = margin(&zero, &[pos(0, 1000.0), pos(1, -1000.0)], &params()).unwrap();
    assert_eq!(b.binding, MarginTerm::Floor);
    assert!((f(b.maintenance) - 20.0).abs() < 1e-9);
    // The deferred floor of `margin_levels` is summed when it binds.
    assert_eq!(margin_levels(&zero, &[pos(0, 1000.0), pos(1, -1000.0)], &params()).unwrap(), b.levels());
}

#[test]
fn empty_book_needs_no_margin() {
    assert_eq!(margin(&two_assets(), &[], &params()).unwrap().maintenance, Fx::ZERO);
}

#[test]
fn bad_books_are_rejected() {
    let m = two_assets();
    assert_eq!(margin(&m, &[pos(2, 1.0)], &params()), Err(RiskError::AssetOutOfRange { asset: 2, dim: 2 }));
    assert_eq!(margin(&m, &[pos(1, 1.0), pos(1, 2.0)], &params()), Err(RiskError::DuplicatePosition { asset: 1 }));
}

#[test]
fn a_repeated_asset_is_found_in_either_word_of_the_bit_set_and_beyond_it() {
    let m = OwnedMatrix::from_dense(140, &alloc::vec![Fx::ZERO; 140 * 140]).unwrap();
    let held = [0usize, 1, 62, 63, 64, 65, 126, 127, 128, 129, 139];
    assert!(check_positions(&m, &held.map(|a| pos(a, 1.0))).is_ok(), "distinct assets pass");
    for (n, &again) in held.iter().enumerate() {
        // The repeat after every other asset, and right after its first appearance.
        let mut book: Vec<_> = held.iter().map(|&a| pos(a, 1.0)).collect();
        book.push(pos(again, 2.0));
        assert_eq!(check_positions(&m, &book), Err(RiskError::DuplicatePosition { asset: again }));
        let mut early: Vec<_> = held[..=n].iter().map(|&a| pos(a, 1.0)).collect();
        early.push(pos(again, 2.0));
        assert_eq!(check_positions(&m, &early), Err(RiskError::DuplicatePosition { asset: again }));
    }
    // Two assets sharing a bit position in different words are different assets.
    assert!(check_positions(&m, &[pos(3, 1.0), pos(67, 1.0), pos(131, 1.0)]).is_ok());
}

#[test]
fn an_exposure_beyond_the_kernels_range_is_an_error_not_a_wrong_margin() {
    // The variance's I80F48 range (wᵀΣw < 2^79 USD², as before the kernel) binds first here;
    // the kernel's own bound is 2^47 USD per position (w_bits·d̃ in 127 bits).
    let fine = margin(&two_assets(), &[pos(0, 1.0e11)], &params()).unwrap();
    assert!(fine.var > Fx::ZERO);
    assert!(matches!(margin(&two_assets(), &[pos(0, 2.0e14)], &params()), Err(RiskError::Math(_))));
}

#[test]
fn params_are_bounded() {
    let mut p = params();
    p.validate().unwrap();
    p.z = Fx::ZERO;
    assert!(matches!(p.validate(), Err(RiskError::InvalidParameter { name: "z", .. })));
    let mut p = params();
    p.spike_alpha = fx(1.5);
    assert!(p.validate().is_err());
    let mut p = params();
    p.initial_multiplier = fx(0.9);
    assert!(p.validate().is_err());
    MarginParams::daily_defaults().validate().unwrap();
}

#[test]
fn contributions_add_up_to_var_and_hedges_are_negative() {
    let m = two_assets();
    let book = [pos(0, 1000.0), pos(1, -200.0)];
    let c = risk_contributions(&m, &book, &params()).unwrap();
    let b = margin(&m, &book, &params()).unwrap();
    let total: f64 = c.iter().map(|&x| f(x)).sum();
    assert!(close(total, f(b.var)));
    // (Σw)_1 = 0.01·1000 − 0.04·200 = 2 > 0 while w_1 < 0: the short hedges.
    assert!(c[1] < Fx::ZERO);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    /// `levels` (one square root for the VaR and the two correlation terms) is `terms`' maintenance
    /// and initial margin bit for bit, overflow included: any quadratic pieces, with and without a
    /// de-peg loss, a hedge floor, a horizon other than one day, up to values whose terms overflow.
    #[test]
    fn levels_equal_the_terms_levels(
        pieces in proptest::collection::vec(
            proptest::prop_oneof![0i128..1 << 40, 0i128..1 << 80, 0i128..i128::MAX >> 1, proptest::prelude::Just(0i128)],
            7,
        ),
        z in 1i128..10 << 48,
        horizon in proptest::prop_oneof![proptest::prelude::Just(1i128 << 48), 1i128 << 40..100 << 48],
        alpha in 0i128..=1 << 48,
        beta in 0i128..=1 << 48,
        m in 1i128 << 48..=10 << 48,
        c in 0i128..=20 << 48,
        initial in 1i128 << 48..=10 << 48,
        u in proptest::prop_oneof![proptest::prelude::Just(0i128), 0i128..=1 << 48],
        slack in proptest::prop_oneof![proptest::prelude::Just(0i128), 0i128..1 << 60, proptest::prelude::Just(i128::MAX)],
    ) {
        let b = Fx::from_bits;
        let q = QuadraticParts {
            variance: b(pieces[0]),
            diagonal: b(pieces[1]),
            joint_sigma: b(pieces[2]),
            undiversified: b(pieces[3]),
            depeg_loss: b(pieces[4]),
            gross: b(pieces[5]),
            floor: b(pieces[6]),
            floor_bound: None,
        };
        let params = MarginParams {
            z: b(z),
            horizon_scale: b(horizon),
            spike_alpha: b(alpha),
            breakdown_beta: b(beta),
            stress_vol_multiplier: b(m),
            joint_move_sigmas: b(c),
            initial_multiplier: b(initial),
            hedge_floor: b(u),
        };
        let Ok(constants) = TermConstants::new(&params) else { return Ok(()) };
        let full = terms(&q, &constants).map(|t| t.levels());
        let fast = levels(&q, &constants, exact_only);
        proptest::prop_assert_eq!(full.is_ok(), fast.is_ok(), "{:?} {:?}", full, fast);
        if let (Ok(full), Ok(fast)) = (full, fast) {
            proptest::prop_assert_eq!(full, fast);
        }
        // The floor deferred behind any bound at or above it: the same levels, and the floor
        // summed only when the bound exceeds the other terms.
        let bound = b(pieces[6].saturating_add(slack));
        let deferred = QuadraticParts { floor: Fx::ZERO, floor_bound: Some(bound), ..q };
        let mut asked = false;
        let lazy = levels(&deferred, &constants, || {
            asked = true;
            Ok(b(pieces[6]))
        });
        proptest::prop_assert_eq!(lazy, fast);
        if let Ok(l) = lazy {
            proptest::prop_assert!(asked || bound <= l.maintenance, "skipped a floor whose bound {:?} exceeds {:?}", bound, l);
        }
    }
}

proptest::proptest! {
    /// The split sums are the exact 128-bit sums of the products, within kernel_book's bounds
    /// (|v| < 2^62, Σ|x| ≤ 2^30 + k).
    #[test]
    fn split_products_sum_exactly(terms in proptest::collection::vec((proptest::prelude::any::<i64>(), proptest::prelude::any::<i32>(), 0u32..8), 1..64)) {
        let k = terms.len() as i64;
        let mut budget = (1i64 << 30) + k;
        let (mut parts, mut want) = ((0i64, 0i64), 0i128);
        for (v, x, shift) in terms {
            let v = v >> 2; // |v| < 2^62
            // Shifted by 7 the 64 terms share the budget evenly; unshifted one term takes it all.
            let x = ((x as i64) >> shift).clamp(-budget, budget);
            budget -= x.abs();
            parts = add_split(parts, v, x);
            want += v as i128 * x as i128;
        }
        proptest::prop_assert_eq!(join_split(parts), want);
    }
}

proptest::proptest! {
    /// The pieces' product is the 128-bit product within its bounds (|bits| < 2^95, d̃ < 2^32).
    #[test]
    fn scaled_products_equal_the_wide_product(bits in proptest::prelude::any::<i128>(), shift in 33u32..128, scale in proptest::prelude::any::<u32>()) {
        let bits = bits >> shift; // |bits| < 2^95
        proptest::prop_assert_eq!(scaled_product(bits, scale), bits * scale as i128);
        for edge in [(1i128 << 95) - 1, -(1i128 << 95) + 1] {
            proptest::prop_assert_eq!(scaled_product(edge, scale), edge * scale as i128);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    /// The largest `top_of` is the same whether each position's bit length is counted or only
    /// those that can raise it, at every product width, exponent and running top.
    #[test]
    fn raising_the_top_equals_the_maximum(
        v in proptest::prelude::any::<i128>(),
        s in 0u32..128,
        exponent in -128i32..128,
        top in proptest::prelude::any::<i32>(),
        ts in 0u32..32,
    ) {
        let h = KernelPosition {
            asset: 0,
            exponent: exponent as i8,
            vol: 1 << 30,
            scale_exact: true,
            product: v >> s,
            abs_bits: 0,
        };
        let top = if ts == 31 { i32::MIN } else { top >> ts };
        proptest::prop_assert_eq!(raise_top(top, &h), top.max(top_of(&h)));
    }
}
