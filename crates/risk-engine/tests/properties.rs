//! Property tests: the fixed-point engine against an f64 reference, PSD preservation, monotonicity,
//! and liquidation sizing that never over-liquidates and never leaves the account worse.
use proptest::prelude::*;
use risk_engine::covariance::{CovarianceSource, OwnedMatrix, ScaledCovariance};
use risk_engine::ewma::ewma_update;
use risk_engine::health::book_levels;
use risk_engine::liquidation::{plan_liquidation, LiquidationParams, LiquidationTarget};
use risk_engine::{book_health, margin, Fx, Holding, MarginParams, PositionRisk, RiskError, WrappedI80F48};

#[path = "support/reference.rs"]
mod reference;
use reference::{reference_margin, reference_margin_full};

fn fx(v: f64) -> Fx {
    Fx::from_num(v)
}
fn f(v: Fx) -> f64 {
    v.to_num()
}

fn dense(m: &OwnedMatrix) -> Vec<Vec<f64>> {
    let n = m.dim();
    (0..n).map(|i| (0..n).map(|j| f(m.cov(i, j))).collect()).collect()
}

/// A random covariance matrix built the way the chain builds it: EWMA over random returns.
fn ewma_matrix(n: usize, returns: &[Vec<f64>], lambda: f64) -> (OwnedMatrix, Vec<Vec<f64>>) {
    let mut m = OwnedMatrix::zeros(n);
    let mut reference = vec![vec![0.0; n]; n];
    for r in returns {
        let rf: Vec<Fx> = r.iter().map(|&x| fx(x)).collect();
        ewma_update(&mut m, fx(lambda), &rf).unwrap();
        for i in 0..n {
            for j in 0..n {
                reference[i][j] = lambda * reference[i][j] + (1.0 - lambda) * r[i] * r[j];
            }
        }
    }
    (m, reference)
}

fn returns_strategy(n: usize, len: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    // Correlated returns: a common factor plus idiosyncratic noise, some days missing (0).
    prop::collection::vec(
        (-0.3f64..0.3, prop::collection::vec((-0.2f64..0.2, 0u8..10), n)).prop_map(|(common, idio)| {
            idio.into_iter().map(|(e, miss)| if miss == 0 { 0.0 } else { 0.6 * common + e }).collect()
        }),
        len,
    )
}

fn params() -> MarginParams {
    MarginParams::daily_defaults()
}

/// How far above the exact margin the 64-bit kernel may land: 1e-9 relative, plus 1e-7 of the
/// book's standalone stress `z·√s·m·Σ|w_i|·d_i·σ_i` (the kernel's pads are ~1e-8 of it; see
/// `risk_engine::margin`), plus 1e-6 USD.
fn kernel_tolerance(cov: &[Vec<f64>], book: &[(usize, f64, f64)], p: &MarginParams, d: &[f64], want: f64) -> f64 {
    let stress: f64 = book.iter().map(|&(i, w, _)| w.abs() * d.get(i).copied().unwrap_or(1.0) * cov[i][i].sqrt()).sum();
    let scale = f(p.z) * f(p.horizon_scale).sqrt() * f(p.stress_vol_multiplier);
    1e-9 * want.max(1.0) + 1e-7 * scale * stress + 1e-6
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// EWMA in fixed point tracks an f64 EWMA: max abs error ≤ 1e-12 after 300 updates
    /// (entries are O(1e-2); the fixed-point grid is 3.6e-15).
    #[test]
    fn ewma_matches_f64_reference(returns in returns_strategy(5, 300)) {
        let (m, reference) = ewma_matrix(5, &returns, 0.94);
        for i in 0..5 {
            for j in 0..5 {
                prop_assert!((f(m.cov(i, j)) - reference[i][j]).abs() <= 1e-12);
            }
        }
    }

    /// PSD is preserved: after long random update sequences every random book has wᵀΣw ≥ −ε
    /// (ε = 1e-9 of its gross² — rounding only) and the LDLᵀ check passes.
    #[test]
    fn ewma_keeps_the_matrix_psd(
        returns in returns_strategy(6, 400),
        books in prop::collection::vec(prop::collection::vec(-1e6f64..1e6, 6), 20),
    ) {
        let (m, _) = ewma_matrix(6, &returns, 0.97);
        let d = dense(&m);
        for w in &books {
            let mut q = 0.0;
            for i in 0..6 { for j in 0..6 { q += w[i] * w[j] * d[i][j]; } }
            let gross: f64 = w.iter().map(|x| x.abs()).sum();
            prop_assert!(q >= -1e-9 * gross * gross, "wᵀΣw = {q}");
        }
        m.check_psd(fx(1e-10)).unwrap();
    }

    /// The fixed-point margin is an upper bound of the f64 margin and within the kernel's tolerance.
    #[test]
    fn margin_matches_f64_and_rounds_up(
        returns in returns_strategy(5, 120),
        book in prop::collection::vec((-5e6f64..5e6, 0.0f64..0.05), 5),
        held in prop::collection::vec(any::<bool>(), 5),
    ) {
        let (m, _) = ewma_matrix(5, &returns, 0.94);
        let d = dense(&m);
        let positions: Vec<PositionRisk> = book.iter().enumerate().filter(|(i, _)| held[*i])
            .map(|(i, &(w, r))| PositionRisk { asset: i, exposure: fx(w), floor_rate: fx(r) }).collect();
        let refbook: Vec<(usize, f64, f64)> = positions.iter()
            .map(|p| (p.asset, f(p.exposure), f(p.floor_rate))).collect();
        let got = f(margin(&m, &positions, &params()).unwrap().maintenance);
        let want = reference_margin(&d, &refbook, &params());
        prop_assert!(got >= want - 1e-9 * want.max(1.0), "fixed {got} below reference {want}");
        let tolerance = kernel_tolerance(&d, &refbook, &params(), &[], want);
        prop_assert!(got - want <= tolerance, "fixed {got} too far above {want} (tolerance {tolerance}): {:?}", 0);
    }

    /// With volatility scales, a hedge floor and de-peg gaps, the fixed-point margin is still an upper bound
    /// of the f64 margin on `DΣD` and within the kernel's tolerance.
    #[test]
    fn scaled_margin_matches_f64_and_rounds_up(
        returns in returns_strategy(5, 120),
        book in prop::collection::vec((-5e6f64..5e6, 0.0f64..0.05), 5),
        scales in prop::collection::vec(prop_oneof![Just(1.0f64), 1.0f64..6.0], 5),
        gaps in prop::collection::vec(prop_oneof![Just(0.0f64), 0.0f64..0.3], 5),
        hedge_floor in 0.0f64..1.0,
    ) {
        let (m, _) = ewma_matrix(5, &returns, 0.94);
        let d = dense(&m);
        // On the kernel's grid, as the crank stores them (`procyclicality::vol_scale`).
        let scales_fx: Vec<Fx> = scales.iter().map(|&x| risk_engine::kernel::round_scale_up(fx(x))).collect();
        // The reference uses the stored (fixed-point) scales exactly.
        let scales_f: Vec<f64> = scales_fx.iter().map(|&x| f(x)).collect();
        let gaps_fx: Vec<Fx> = gaps.iter().map(|&x| fx(x)).collect();
        let gaps_f: Vec<f64> = gaps_fx.iter().map(|&x| f(x)).collect();
        let wrap = |v: &[Fx]| v.iter().map(|&x| WrappedI80F48::new(x)).collect::<Vec<_>>();
        let (scales_w, gaps_w) = (wrap(&scales_fx), wrap(&gaps_fx));
        let cov = ScaledCovariance { inner: &m, scales: &scales_w, gaps: &gaps_w };
        let p = MarginParams { hedge_floor: fx(hedge_floor), ..params() };
        let positions: Vec<PositionRisk> = book.iter().enumerate()
            .map(|(i, &(w, r))| PositionRisk { asset: i, exposure: fx(w), floor_rate: fx(r) }).collect();
        let refbook: Vec<(usize, f64, f64)> = positions.iter()
            .map(|p| (p.asset, f(p.exposure), f(p.floor_rate))).collect();
        let got = f(margin(&cov, &positions, &p).unwrap().maintenance);
        let want = reference_margin_full(&d, &refbook, &p, &scales_f, &gaps_f);
        prop_assert!(got >= want - 1e-9 * want.max(1.0), "fixed {got} below reference {want}");
        let tolerance = kernel_tolerance(&d, &refbook, &p, &scales_f, want);
        prop_assert!(got - want <= tolerance, "fixed {got} too far above {want} (tolerance {tolerance}): {:?}", margin(&cov, &positions, &p).map(|b| (b.binding, f(b.var), f(b.correlation_spike), f(b.correlation_breakdown), f(b.joint_move), f(b.hedge_floor), f(b.depeg), f(b.variance))));
    }

    /// Scaling every exposure up never lowers margin; scaling the covariance up never lowers it.
    #[test]
    fn margin_is_monotone_in_exposure_and_volatility(
        returns in returns_strategy(4, 80),
        book in prop::collection::vec(-1e6f64..1e6, 4),
        scale in 1.0f64..5.0,
    ) {
        let (m, _) = ewma_matrix(4, &returns, 0.94);
        let positions: Vec<PositionRisk> = book.iter().enumerate()
            .map(|(i, &w)| PositionRisk { asset: i, exposure: fx(w), floor_rate: fx(0.01) }).collect();
        let base = margin(&m, &positions, &params()).unwrap();
        let bigger: Vec<PositionRisk> = positions.iter()
            .map(|p| PositionRisk { exposure: p.exposure * fx(scale), ..*p }).collect();
        prop_assert!(margin(&m, &bigger, &params()).unwrap().maintenance >= base.maintenance);
        let mut scaled = OwnedMatrix::zeros(4);
        for i in 0..4 { for j in i..4 { scaled.set(i, j, m.cov(i, j) * fx(scale)); } }
        prop_assert!(margin(&scaled, &positions, &params()).unwrap().maintenance >= base.maintenance);
    }

    /// Liquidation never over-liquidates (one unit less misses the target), never leaves the
    /// account worse, and never takes more collateral than the account holds.
    #[test]
    fn liquidation_is_minimal_and_improving(
        vol in 0.01f64..0.15,
        collateral_tokens in 1u64..1_000_000,
        leverage in 0.5f64..1.2,
        fee in 0.0f64..0.05,
        buffer in prop::option::of(0.0f64..0.2),
    ) {
        let cov = OwnedMatrix::from_dense(2, &[fx(vol * vol), Fx::ZERO, Fx::ZERO, fx(1e-8)]).unwrap();
        let price = 50.0;
        let coll = collateral_tokens as i128 * 1_000_000_000;
        let debt = (collateral_tokens as f64 * price * leverage * 1e6) as i128;
        let holdings = [
            Holding { asset: 0, amount: coll, decimals: 9, price: fx(price), conf: fx(0.05), floor_rate: fx(0.02) },
            Holding { asset: 1, amount: -debt, decimals: 6, price: Fx::ONE, conf: Fx::ZERO, floor_rate: fx(0.01) },
        ];
        let lp = LiquidationParams {
            liquidator_fee: fx(fee),
            insurance_fee: fx(fee / 2.0),
            target: buffer.map(|b| LiquidationTarget::MaintenanceBuffer(fx(b))).unwrap_or(LiquidationTarget::Initial),
            conf_k: Fx::ONE,
        };
        let mp = params();
        match plan_liquidation(&cov, &holdings, 1, 0, i128::MAX, &mp, &lp) {
            Err(RiskError::InvalidLiquidation(_)) => {
                // Only allowed when healthy or when no repayment helps.
                return Ok(());
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
            Ok(plan) => {
                prop_assert!(plan.health_after > plan.health_before);
                prop_assert!(plan.flows.to_liquidator + plan.flows.to_insurance <= coll);
                prop_assert!(plan.flows.repay <= debt);
                if plan.target_reached && plan.flows.repay > 1 {
                    let less = risk_engine::liquidation::flows_for(&holdings, 1, 0, plan.flows.repay - 1, &lp).unwrap();
                    let mut after = Vec::new();
                    risk_engine::liquidation::apply_flows(&holdings, 1, 0, &less, &mut after).unwrap();
                    let h = book_health(&cov, &after, Fx::ONE, &mp).unwrap();
                    let t = risk_engine::liquidation::target_health(&h.levels(), lp.target).unwrap();
                    prop_assert!(t < Fx::ZERO, "one unit less already reaches the target: over-liquidation");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The acceptance rule the program runs: whatever a liquidator asks, an accepted step either
    /// raises target health, or is the close-out of a book with negative equity that takes a whole
    /// side; a close-out never happens to a solvent book, and the engine's own plan is accepted.
    #[test]
    fn judged_liquidations_improve_or_close_out_an_insolvent_book(
        vol in 0.001f64..0.15,
        collateral_tokens in 1u64..1_000_000,
        leverage in 0.5f64..1.5,
        ask in 0.0f64..1.2,
        floor in 0.0f64..0.05,
    ) {
        use risk_engine::liquidation::{judge_liquidation, plan_or_close_out, Acceptance, Refusal};
        let cov = OwnedMatrix::from_dense(2, &[fx(vol * vol), Fx::ZERO, Fx::ZERO, fx(1e-8)]).unwrap();
        let price = 50.0;
        let coll = collateral_tokens as i128 * 1_000_000_000;
        let debt = (collateral_tokens as f64 * price * leverage * 1e6) as i128;
        let holdings = [
            Holding { asset: 0, amount: coll, decimals: 9, price: fx(price), conf: fx(0.05), floor_rate: fx(floor) },
            Holding { asset: 1, amount: -debt, decimals: 6, price: Fx::ONE, conf: Fx::ZERO, floor_rate: fx(floor) },
        ];
        let lp = LiquidationParams {
            liquidator_fee: fx(0.025),
            insurance_fee: fx(0.025),
            target: LiquidationTarget::Initial,
            conf_k: Fx::ONE,
        };
        let mp = params();
        let max_repay = ((debt as f64) * ask) as i128 + 1;
        match judge_liquidation(&cov, &holdings, 1, 0, max_repay, &mp, &lp).unwrap() {
            Ok(v) => {
                prop_assert!(v.flows.to_liquidator + v.flows.to_insurance <= coll);
                prop_assert!(v.repay <= debt && v.repay <= max_repay);
                match v.acceptance {
                    Acceptance::Improves => prop_assert!(v.target_after > v.target_before),
                    Acceptance::CloseOut => {
                        prop_assert!(v.before.equity < Fx::ZERO, "close-out of a solvent book");
                        prop_assert!(v.takes_all_collateral || v.repay == debt, "a close-out takes a whole side");
                    }
                }
            }
            Err(Refusal::SolventCloseOut) => prop_assert!(
                book_health(&cov, &holdings, Fx::ONE, &mp).unwrap().equity >= Fx::ZERO
            ),
            Err(_) => {}
        }
        match plan_or_close_out(&cov, &holdings, 1, 0, i128::MAX, &mp, &lp) {
            Ok(v) => {
                let again = judge_liquidation(&cov, &holdings, 1, 0, v.repay, &mp, &lp).unwrap();
                prop_assert_eq!(again, Ok(v), "the planner's step is the judge's");
            }
            // The planner and the judge run the same improvability test: never "no step improves"
            // from one and "a step improves" from the other.
            Err(RiskError::InvalidLiquidation(why)) => {
                prop_assert_ne!(why, Refusal::CloseOutWhileImprovable.reason());
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Our chunked long division agrees with the `fixed` crate within one ULP over the whole range,
    /// and floor/ceil bracket the quotient.
    #[test]
    fn division_matches_fixed_crate(a in any::<i128>(), b in any::<i128>(), shift_a in 0u32..127, shift_b in 0u32..127) {
        use risk_engine::FxExt;
        let a = Fx::from_bits(a >> shift_a);
        let b = Fx::from_bits(b >> shift_b);
        prop_assume!(b != Fx::ZERO);
        match (a.div_floor(b), a.checked_div(b)) {
            (Ok(ours), Some(theirs)) => {
                prop_assert!((ours.to_bits() - theirs.to_bits()).abs() <= 1, "{a} / {b}: {ours} vs {theirs}");
                let up = a.div_ceil(b).unwrap();
                prop_assert!(up.to_bits() - ours.to_bits() <= 1 && up >= ours);
            }
            (Err(_), None) => {}
            (Ok(ours), None) => prop_assert!(false, "{a} / {b}: we returned {ours}, fixed overflowed"),
            (Err(e), Some(theirs)) => prop_assert!(theirs.to_bits().abs() >= i128::MAX - 1, "{a} / {b}: {e} but fixed gives {theirs}"),
        }
    }

    /// Multiplication likewise (fast 64-bit path and the 256-bit path).
    #[test]
    fn multiplication_matches_fixed_crate(a in any::<i128>(), b in any::<i128>(), shift_a in 0u32..127, shift_b in 0u32..127) {
        use risk_engine::FxExt;
        let a = Fx::from_bits(a >> shift_a);
        let b = Fx::from_bits(b >> shift_b);
        match (a.mul_floor(b), a.checked_mul(b)) {
            (Ok(ours), Some(theirs)) => prop_assert!((ours.to_bits() - theirs.to_bits()).abs() <= 1),
            (Err(_), None) => {}
            (ours, theirs) => prop_assert!(false, "{a} × {b}: {ours:?} vs {theirs:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The small-divisor path of the valuation agrees with plain i128 floor division.
    #[test]
    fn token_values_match_plain_division(amount in any::<i64>(), decimals in 0u8..=13, mantissa in any::<i64>(), expo in -13i32..=0) {
        use risk_engine::valuation::{native_to_tokens_floor, price_from_oracle};
        let want = ((amount as i128) << 48).div_euclid(10i128.pow(decimals as u32));
        prop_assert_eq!(native_to_tokens_floor(amount as i128, decimals).unwrap().to_bits(), want);
        let num = (mantissa as i128) << 48;
        let d = 10i128.pow(expo.unsigned_abs());
        let floor = num.div_euclid(d);
        let ceil = if num.rem_euclid(d) == 0 { floor } else { floor + 1 };
        prop_assert_eq!(price_from_oracle(mantissa, expo, false).unwrap().to_bits(), floor);
        prop_assert_eq!(price_from_oracle(mantissa, expo, true).unwrap().to_bits(), ceil);
    }
}

/// A covariance source that keeps the kernel's `C̃` like the risk model account (the program's
/// path: `kernel_entries` is `Some`).
struct Stored<'a, C> {
    inner: &'a C,
    entries: Vec<i32>,
}

impl<'a, C: CovarianceSource> Stored<'a, C> {
    fn new(inner: &'a C) -> Self {
        let n = inner.dim();
        let mut entries = vec![0; risk_engine::tri_len(n)];
        for j in 0..n {
            let a_j = inner.kernel_asset(j).unwrap().exponent;
            for i in 0..=j {
                let a_i = inner.kernel_asset(i).unwrap().exponent;
                entries[risk_engine::tri_index(i, j)] = inner.kernel_entry(i, j, a_i, a_j).unwrap();
            }
        }
        Self { inner, entries }
    }
}

impl<C: CovarianceSource> CovarianceSource for Stored<'_, C> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn cov(&self, i: usize, j: usize) -> Fx {
        self.inner.cov(i, j)
    }
    fn vol(&self, i: usize) -> risk_engine::fixed_point::MathResult<Fx> {
        self.inner.vol(i)
    }
    fn vol_scale(&self, i: usize) -> Fx {
        self.inner.vol_scale(i)
    }
    fn depeg_gap(&self, i: usize) -> Fx {
        self.inner.depeg_gap(i)
    }
    fn kernel_entries(&self) -> Option<&[i32]> {
        Some(&self.entries)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// A prepared book with two holdings changed (a liquidation step) has bit for bit the health
    /// of the changed book evaluated in full, through the computed and the stored kernel (with
    /// floor rates up to 1, so the levels' deferred floor binds in some books); and
    /// small steps (the judge's: a repay and its slack) are answered without the full evaluation.
    #[test]
    fn a_prepared_book_changed_in_two_holdings_equals_the_full_evaluation(
        returns in returns_strategy(5, 80),
        amounts in prop::collection::vec(prop_oneof![-5_000_000_000_000i64..-1, 1i64..5_000_000_000_000], 5),
        scales in prop::collection::vec(prop_oneof![Just(1.0f64), 1.0f64..4.0], 5),
        gaps in prop::collection::vec(prop_oneof![Just(0.0f64), 0.0f64..0.2], 5),
        pair in (0usize..5, 1usize..5),
        step in prop_oneof![0.0f64..1e-3, 0.0f64..0.9],
        floor_rates in prop::collection::vec(prop_oneof![Just(0.02f64), 0.0f64..1.0], 5),
    ) {
        let (m, _) = ewma_matrix(5, &returns, 0.94);
        let wrap = |v: Vec<Fx>| v.into_iter().map(WrappedI80F48::new).collect::<Vec<_>>();
        let scales_w = wrap(scales.iter().map(|&x| risk_engine::kernel::round_scale_up(fx(x))).collect());
        let gaps_w = wrap(gaps.iter().map(|&x| fx(x)).collect());
        let scaled = ScaledCovariance { inner: &m, scales: &scales_w, gaps: &gaps_w };
        let stored = Stored::new(&scaled);
        let p = MarginParams { hedge_floor: fx(0.4), ..params() };
        let holdings: Vec<Holding> = amounts.iter().enumerate().map(|(i, &a)| Holding {
            asset: i, amount: a as i128, decimals: 6 + i as u8, price: fx(3.0 + 40.0 * i as f64), conf: fx(0.01), floor_rate: fx(floor_rates[i]),
        }).collect();
        let (l, c) = (pair.0, (pair.0 + pair.1) % 5);
        let mut changed = holdings.clone();
        for i in [l, c] {
            let moved = (changed[i].amount as f64 * step) as i128;
            changed[i].amount -= moved;
        }
        let mut answered = 0;
        macro_rules! check {
            ($cov:expr) => {{
                let (before, prepared) = risk_engine::health::prepare_book($cov, &holdings, Fx::ONE, &p).unwrap();
                prop_assert_eq!(before, book_health($cov, &holdings, Fx::ONE, &p).unwrap().levels());
                // The levels alone (one square root) equal the full breakdown's, bit for bit.
                let full = book_health($cov, &changed, Fx::ONE, &p).map(|h| h.levels());
                prop_assert_eq!(&book_levels($cov, &changed, Fx::ONE, &p), &full);
                match prepared.health_with($cov, &[changed[l], changed[c]], Fx::ONE) {
                    Ok(Some(h)) => { answered += 1; prop_assert_eq!(Ok(h), full) }
                    Ok(None) => {}
                    Err(e) => prop_assert!(full.is_err(), "prepared failed ({e}) where the full evaluation did not"),
                }
            }};
        }
        check!(&scaled);
        check!(&stored);
        let _ = answered;
    }
}

/// The judge's steps (a repay and the same less its slack, small against the book) are answered by
/// the prepared book nearly always: the full evaluation runs only when a step moves the book's
/// common power-of-two scale.
#[test]
fn small_steps_are_answered_by_the_prepared_book() {
    let returns: Vec<Vec<f64>> = (0..60)
        .map(|d| {
            (0..5).map(|i| 0.03 * (((d * 7 + i * 13) % 11) as f64 - 5.0) / 5.0 + 0.01 * ((d + i) % 3) as f64).collect()
        })
        .collect();
    let (m, _) = ewma_matrix(5, &returns, 0.94);
    let stored = Stored::new(&m);
    let p = params();
    let (mut answered, mut total) = (0, 0);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..500 {
        let holdings: Vec<Holding> = (0..5)
            .map(|i| {
                let a = (next() % 5_000_000_000_000) as i128 + 1_000_000;
                Holding {
                    asset: i,
                    amount: if next() % 2 == 0 { a } else { -a },
                    decimals: 6,
                    price: fx(2.0 + 30.0 * i as f64),
                    conf: fx(0.01),
                    floor_rate: fx(0.02),
                }
            })
            .collect();
        let (l, c) = ((next() % 5) as usize, (next() % 4) as usize);
        let c = if c >= l { c + 1 } else { c };
        let mut changed = holdings.clone();
        changed[l].amount -= changed[l].amount / 3000;
        changed[c].amount -= changed[c].amount / 3000;
        let (_, prepared) = risk_engine::health::prepare_book(&stored, &holdings, Fx::ONE, &p).unwrap();
        total += 1;
        if let Some(h) = prepared.health_with(&stored, &[changed[l], changed[c]], Fx::ONE).unwrap() {
            assert_eq!(h, book_health(&stored, &changed, Fx::ONE, &p).unwrap().levels());
            answered += 1;
        }
    }
    assert!(answered * 100 >= total * 95, "{answered} of {total} small steps answered");
}
