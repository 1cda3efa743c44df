//! Exact fixed-point products in native 64-bit words. SBF has no widening multiply: an `i128`
//! product is a ~45 CU call (`__multi3`), and a checked one several times that. When one operand
//! is below 2⁴⁶ and the other's high part small enough, `⌊x·y/2⁴⁸⌋` is three native products of
//! `y`'s 16-bit pieces, with the same bits.
use super::Fx;

/// Bound on `|x|` in [`mul_floor_48`] (in the EWMA: an entry or a weighted return): 2⁴⁶, a value
/// of 0.25.
pub(crate) const SPLIT_X: u64 = 1 << 46;
/// Bound on `|y|` in [`mul_floor_48`] (a return or `1 − λ`): 2⁴⁸, a value of 1.
pub(crate) const SPLIT_Y: u64 = 1 << 48;

/// `y = hi·2³² + mid·2¹⁶ + lo` with `0 ≤ mid, lo < 2¹⁶` (so `hi = y >> 32`, arithmetic).
#[derive(Clone, Copy)]
pub(crate) struct Pieces {
    pub(crate) hi: i64,
    pub(crate) mid: i64,
    pub(crate) lo: i64,
}

impl Pieces {
    #[inline(always)]
    pub(crate) fn of(y: i64) -> Self {
        Self { hi: y >> 32, mid: (y >> 16) & 0xFFFF, lo: y & 0xFFFF }
    }
}

/// `⌊x·y/2⁴⁸⌋` exactly, for `|x| < 2⁴⁶` and `|y| < 2⁴⁸`, in three native 64-bit products (SBF has
/// no widening multiply: the `i128` product is a ~45 CU call).
///
/// With `y = hi·2³² + mid·2¹⁶ + lo` and `Pₖ = x·yₖ`: `⌊x·y/2¹⁶⌋ = P_hi·2¹⁶ + P_mid + ⌊P_lo/2¹⁶⌋`,
/// and nested floors by powers of two compose, so `⌊x·y/2⁴⁸⌋ = ⌊(P_hi + ⌊U/2¹⁶⌋)/2¹⁶⌋` with
/// `U = P_mid + ⌊P_lo/2¹⁶⌋`. Bounds: `|P_lo|, |P_mid| < 2⁴⁶·2¹⁶ = 2⁶²`, `|hi| ≤ 2¹⁶` so
/// `|P_hi| ≤ 2⁶²`; `|U| < 2⁶² + 2⁴⁶` and the last sum `< 2⁶² + 2⁴⁷`: no step leaves `i64`.
#[inline(always)]
pub(crate) fn mul_floor_48(x: i64, y: Pieces) -> i64 {
    let u = x.wrapping_mul(y.mid).wrapping_add(x.wrapping_mul(y.lo) >> 16);
    x.wrapping_mul(y.hi).wrapping_add(u >> 16) >> 16
}

/// `⌊x·y/2⁴⁸⌋` (or `⌈x·y/2⁴⁸⌉` when `ceil`) in native products when [`mul_floor_48`] applies with
/// the operands in either order — one below 2⁴⁶ and its product with the other's high piece
/// `y >> 32` at most 2⁶² (the bound each step of [`mul_floor_48`] needs) — else `None`. The
/// ceiling is `−⌊(−x)·y/2⁴⁸⌋`.
#[inline(always)]
pub(crate) fn mul_native(a: Fx, b: Fx, ceil: bool) -> Option<Fx> {
    let (a, b) = (i64::try_from(a.to_bits()).ok()?, i64::try_from(b.to_bits()).ok()?);
    let fits = |x: i64, y: i64| {
        let xa = x.unsigned_abs();
        xa < SPLIT_X && (y >> 32).unsigned_abs() <= (1u64 << 62) / xa.max(1)
    };
    let (x, y) = if fits(a, b) {
        (a, b)
    } else if fits(b, a) {
        (b, a)
    } else {
        return None;
    };
    let p = Pieces::of(y);
    let v = if ceil { mul_floor_48(x.wrapping_neg(), p).wrapping_neg() } else { mul_floor_48(x, p) };
    Some(Fx::from_bits(v as i128))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Whenever it answers, the native product is the exact floor or ceiling; it answers for
        /// every pair within its bounds.
        #[test]
        fn native_products_are_exact(a in any::<i64>(), sa in 0u32..64, b in any::<i64>(), sb in 0u32..64) {
            let (a, b) = (a >> sa, b >> sb);
            let exact = (a as i128) * (b as i128);
            for ceil in [false, true] {
                let want = if ceil { -((-exact) >> 48) } else { exact >> 48 };
                match mul_native(Fx::from_bits(a as i128), Fx::from_bits(b as i128), ceil) {
                    Some(v) => prop_assert_eq!(v.to_bits(), want, "{} · {} (ceil {})", a, b, ceil),
                    None => prop_assert!(a.unsigned_abs() >= SPLIT_X || (b >> 32).unsigned_abs() > (1 << 62) / a.unsigned_abs().max(1)),
                }
            }
        }
    }
}
