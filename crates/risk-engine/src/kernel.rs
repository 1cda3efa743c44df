//! The margin kernel: the covariance in the form the health check reads with one 64-bit multiply
//! per entry.
//!
//! Every margin term but the floor is a function of the scaled exposures `w_i·d_i` and the matrix
//! `Σ` (see [`crate::margin`]). The kernel keeps `Σ` in per-asset power-of-two scales: asset `i`
//! gets an exponent `a_i` with `σ_i·2^{a_i} ∈ [½, 1)` (σ the stored, rounded-up volatility), and
//! the matrix becomes `C_ij = Σ_ij·2^{a_i+a_j}`, correlation-like (`|C_ij| < 1` when Σ is PSD),
//! stored as `C̃_ij = ⌊C_ij·2^29⌋` in an `i32` — an exact shift of the stored `Σ_ij`, so the crank
//! converts an entry with a shift, no multiply. The health check shifts each exposure the other
//! way (`x_i = w_i·d_i·2^{−a_i}`, a common power of two chosen so `Σ|x̃_i| ≤ 2^30 + k`), and a row
//! `Σ_j C̃_ij·x̃_j` is k native 64-bit multiply-adds that cannot overflow (`|C̃| ≤ 2^31`).
//!
//! Per asset it also keeps `s̃_i = ⌈σ_i·2^{a_i}·2^31⌉` (the joint-move and hedge-floor terms) and
//! `d̃_i = ⌈d_i·2^26⌉` (`d ≤ 32` fits a `u32`; exact for the `d` the crank stores, which
//! [`crate::procyclicality::vol_scale`] rounds up to that grid).
//!
//! Every rounding (the floor of `C̃`, of `x̃`, the ceiling of `s̃`) is bounded and padded in
//! [`crate::margin`], so the kernel's terms are upper bounds of the same terms in exact arithmetic
//! on the stored `Σ`, `σ` and `d`. The precision is relative to the book: the pads are ~1e-8 of
//! its standalone stress `Σ|w_i·d_i|·σ_i` in the margin (measured; the property tests allow 1e-7).
//! A position's exposure must stay below 2⁴⁷ USD (the product `w·d̃` in 127 bits); the variance's
//! own I80F48 range (`wᵀΣw < 2⁷⁹` USD²) binds first for any σ above 2⁻⁸.
use crate::fixed_point::{Fx, MathError, MathOp, MathResult, WrappedI80F48, FRAC_BITS};

/// Fraction bits of `C̃` (`|C| < 4` fits an `i32`).
pub const COV_BITS: u32 = 29;
/// Fraction bits of `s̃`.
pub const VOL_BITS: u32 = 31;
/// Fraction bits of `d̃` (and the grid the crank rounds `d` up to).
pub const SCALE_BITS: u32 = 26;
/// The bits of an [`Fx`] below the kernel's `d` grid (2⁻²⁶).
const SCALE_GRID: i128 = (1 << (FRAC_BITS - SCALE_BITS)) - 1;

/// `d` rounded up to the kernel's 2⁻²⁶ grid: the crank stores this, so `d̃` is exact and the
/// margin needs no pad for it.
pub fn round_scale_up(d: Fx) -> Fx {
    Fx::from_bits(d.to_bits().saturating_add(SCALE_GRID) & !SCALE_GRID)
}

/// Largest exponent: assets with σ below 2⁻²⁰ per sample keep a smaller `C_ii`, so the rounding
/// slack of a near-singular pair stays far inside the `i32` range.
pub const MAX_EXPONENT: i32 = 20;
/// Smallest exponent (σ up to 2⁸⁰; any stored value).
pub const MIN_EXPONENT: i32 = -80;

/// One asset's kernel data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct KernelAsset {
    /// `a_i`.
    pub exponent: i8,
    /// `s̃_i = ⌈σ_i·2^{a_i}·2^31⌉`.
    pub vol: u32,
    /// `d̃_i = ⌈d_i·2^26⌉`.
    pub scale: u32,
    /// Whether `d̃_i = d_i·2^26` exactly (the crank stores `d` on that grid).
    pub scale_exact: bool,
}

#[track_caller]
fn convert() -> MathError {
    MathError { op: MathOp::Convert, location: core::panic::Location::caller() }
}

/// Number of significant bits of `|v|`.
#[inline]
pub fn bit_len(v: u128) -> i32 {
    // By 64-bit halves: SBF has no count-leading-zeros instruction, and LLVM's expansion for a u128
    // counts both halves (measured ~80 CU a call, against ~40 for one half).
    let hi = (v >> 64) as u64;
    if hi != 0 {
        128 - hi.leading_zeros() as i32
    } else {
        64 - (v as u64).leading_zeros() as i32
    }
}

/// `⌊v·2^shift⌋` (shift of either sign), or `None` on overflow.
#[inline]
pub fn shift_floor(v: i128, shift: i32) -> Option<i128> {
    if shift >= 0 {
        // |v|·2^shift must stay below 2^127.
        if shift >= 127 || v.unsigned_abs() >> (127 - shift) != 0 {
            return None;
        }
        Some(v << shift)
    } else if shift <= -127 {
        Some(if v < 0 { -1 } else { 0 })
    } else {
        Some(v >> (-shift))
    }
}

/// [`shift_floor`] when the result fits an `i64` (`None` otherwise). A right shift is done on the
/// two native words (a 128-bit shift by a variable amount is a branchy sequence on SBF, and the
/// health check takes two per position). The shift is an `i64`: SBF has no 32-bit sign extension,
/// so `i32` arithmetic costs a shift pair per operation.
#[inline(always)]
pub fn shift_floor_i64(v: i128, shift: i64) -> Option<i64> {
    if (-126..0).contains(&shift) {
        let r = shift.unsigned_abs() as u32;
        let (lo, hi) = (v as u64, (v >> 64) as i64);
        if r >= 64 {
            return Some(hi >> (r - 64));
        }
        // The result's bits from 63 up are v's from 63 + r up: it fits when they all copy the sign,
        // i.e. when hi >> (r − 1) is 0 or −1.
        let top = hi >> (r - 1);
        if top != 0 && top != -1 {
            return None;
        }
        return Some(((hi << (64 - r)) as u64 | (lo >> r)) as i64);
    }
    wide_shift_floor_i64(v, shift)
}

/// [`shift_floor_i64`] for a left shift or one of 126 bits and more: out of the hot loops' line.
#[cold]
#[inline(never)]
fn wide_shift_floor_i64(v: i128, shift: i64) -> Option<i64> {
    shift_floor(v, shift.clamp(-200, 200) as i32).and_then(|x| i64::try_from(x).ok())
}

/// `⌈v·2^shift⌉` (shift of either sign), or `None` on overflow.
#[inline]
pub fn shift_ceil(v: i128, shift: i32) -> Option<i128> {
    if shift >= 0 {
        return shift_floor(v, shift);
    }
    if shift <= -127 {
        return Some(if v > 0 { 1 } else { 0 });
    }
    let q = v >> (-shift);
    Some(if v & ((1i128 << (-shift)) - 1) != 0 { q + 1 } else { q })
}

/// The kernel data of an asset from its stored volatility (≥ √Σ_ii, > 0 after registration) and
/// volatility scale `d ≥ 1`.
pub fn asset(vol: Fx, scale: Fx) -> MathResult<KernelAsset> {
    let (bits, d) = (vol.to_bits(), scale.to_bits());
    // Native words for any σ in [2⁻²¹, 2¹⁶) (the exponent then unclamped) and d in [0, 2¹⁶): the
    // same shifts and ceilings as `wide_asset` (every 128-bit shift by a variable amount is a
    // branchy sequence on SBF, and the crank takes one per asset).
    if let (Ok(v), Ok(dv)) = (u64::try_from(bits), u64::try_from(d)) {
        if v >> 27 != 0 {
            // len ∈ 28..=64, so a = 48 − len ∈ [−16, 20]; s̃ = ⌈v·2^{31 − len}⌉ ∈ [2³⁰, 2³¹].
            let len = 64 - v.leading_zeros() as i32;
            let vol = if len <= VOL_BITS as i32 {
                v << (VOL_BITS as i32 - len)
            } else {
                let k = len - VOL_BITS as i32;
                (v >> k) + (v & ((1 << k) - 1) != 0) as u64
            };
            let grid = (FRAC_BITS - SCALE_BITS) as u64;
            let scaled = (dv >> grid) + (dv & SCALE_GRID as u64 != 0) as u64;
            return Ok(KernelAsset {
                exponent: (FRAC_BITS as i32 - len) as i8,
                vol: u32::try_from(vol).map_err(|_| convert())?,
                scale: u32::try_from(scaled).map_err(|_| convert())?,
                scale_exact: dv & SCALE_GRID as u64 == 0,
            });
        }
    }
    wide_asset(bits, d)
}

/// [`asset`] on 128-bit words: a clamped exponent, or σ or d beyond the native path.
#[cold]
#[inline(never)]
fn wide_asset(bits: i128, d: i128) -> MathResult<KernelAsset> {
    if bits < 0 {
        return Err(convert());
    }
    let exponent = (FRAC_BITS as i32 - bit_len(bits as u128)).clamp(MIN_EXPONENT, MAX_EXPONENT);
    // s̃ = ⌈σ_bits · 2^{a + 31 − 48}⌉ ∈ [2^30, 2^31] unless a was clamped.
    let vol = shift_ceil(bits, exponent + VOL_BITS as i32 - FRAC_BITS as i32).ok_or_else(convert)?;
    let scaled = shift_ceil(d, SCALE_BITS as i32 - FRAC_BITS as i32).ok_or_else(convert)?;
    Ok(KernelAsset {
        exponent: exponent as i8,
        vol: u32::try_from(vol).map_err(|_| convert())?,
        scale: u32::try_from(scaled).map_err(|_| convert())?,
        scale_exact: d & SCALE_GRID == 0,
    })
}

/// The bound of every kernel entry: `|C̃_ij| ≤ 2^29 + 2^20`. With `σ_i ≥ √Σ_ii` and
/// `σ_i·2^{a_i} < 1`, `|C_ij| = |ρ_ij|·√(C_ii·C_jj) < |ρ_ij|`, so only a correlation above
/// `1 + 2^-9` could reach it: registration checks `cov² ≤ var·var` (to rounding) and the EWMA keeps
/// the matrix PSD (to ~1e-12). An entry beyond it is refused (the crank or registration fails with
/// a conversion error), so the health check's pad takes this constant as `C_max` instead of
/// comparing every entry it reads (measured: ~60 CU per position at 16 positions). The pad's entry
/// term then is what the largest entry read gives when a held diagonal is near 2^29, and up to 4×
/// that when every held `σ·2^a` is near ½.
pub const ENTRY_BOUND: i64 = (1 << 29) + (1 << 20);

/// `C̃_ij = ⌊Σ_ij·2^{a_i + a_j + 29}⌋`, refused beyond [`ENTRY_BOUND`] (only for a correlation
/// above `1 + 2^-9`, which the EWMA and the registration checks never store).
#[inline]
pub fn entry(cov: Fx, a_i: i8, a_j: i8) -> MathResult<i32> {
    stored_entry(&WrappedI80F48::new(cov), entry_shift(a_i, a_j))
}

/// The shift from `Σ_ij`'s bits to `C̃_ij`: `a_i + a_j + 29 − 48`.
#[inline(always)]
fn entry_shift(a_i: i8, a_j: i8) -> i32 {
    a_i as i32 + a_j as i32 + COV_BITS as i32 - FRAC_BITS as i32
}

/// [`entry`] of a stored `Σ_ij`, read as its two 64-bit words.
#[inline(always)]
fn stored_entry(cov: &WrappedI80F48, shift: i32) -> MathResult<i32> {
    // The common case in native words: a stored entry below 2¹⁵ (its high word the sign of its low
    // one) and a right shift (σ above ~2⁻¹⁰). A 128-bit shift by a variable amount is a branchy
    // sequence on SBF (~75 CU an entry, 528 entries per crank at 32 assets).
    let (lo, hi) = cov.words();
    if hi == lo >> 63 && (-63..=0).contains(&shift) {
        let v = lo >> -shift;
        // v ∈ [−ENTRY_BOUND, ENTRY_BOUND] in one unsigned comparison.
        if (v.wrapping_add(ENTRY_BOUND) as u64) <= 2 * ENTRY_BOUND as u64 {
            return Ok(v as i32);
        }
        return Err(convert());
    }
    wide_entry(cov.get().to_bits(), shift)
}

/// [`stored_entry`] beyond 64 bits or for a left shift.
#[cold]
#[inline(never)]
fn wide_entry(bits: i128, shift: i32) -> MathResult<i32> {
    let v = shift_floor(bits, shift).ok_or_else(convert)?;
    if v.unsigned_abs() > ENTRY_BOUND as u128 {
        return Err(convert());
    }
    i32::try_from(v).map_err(|_| convert())
}

/// The kernel's stored arrays (the risk model account's fields, or a copy of them).
pub struct KernelStore<'a> {
    pub exponent: &'a mut [i8],
    pub vol: &'a mut [u32],
    pub scale: &'a mut [u32],
    /// 1 when `scale` is exact.
    pub exact: &'a mut [u8],
    /// `C̃`, packed upper triangle (`crate::tri_index`).
    pub cov: &'a mut [i32],
}

/// The stored model a kernel is computed from: `Σ` packed like the matrix ([`crate::tri_index`]),
/// `σ` (≥ √Σ_ii, > 0 after registration) and `d` per asset.
pub struct KernelSource<'a> {
    pub covariance: &'a [WrappedI80F48],
    pub volatility: &'a [WrappedI80F48],
    pub vol_scale: &'a [WrappedI80F48],
}

/// Recomputes the kernel of the assets in `columns` and of every entry `(i, j)`, `i ≤ j`, of those
/// columns from `src`'s `Σ`, `σ` and `d` (the crank: every column; a registration: the new one).
/// Each column is read and written as one slice.
pub fn refresh(src: KernelSource<'_>, columns: core::ops::Range<usize>, out: KernelStore<'_>) -> MathResult<()> {
    let end = columns.end;
    let packed = crate::covariance::tri_len(end);
    if end > out.exponent.len().min(out.vol.len()).min(out.scale.len()).min(out.exact.len())
        || end > src.volatility.len().min(src.vol_scale.len())
        || packed > out.cov.len().min(src.covariance.len())
    {
        return Err(convert());
    }
    for j in columns.clone() {
        let k = asset(src.volatility[j].get(), src.vol_scale[j].get())?;
        out.exponent[j] = k.exponent;
        out.vol[j] = k.vol;
        out.scale[j] = k.scale;
        out.exact[j] = k.scale_exact as u8;
    }
    for j in columns {
        let column = crate::covariance::tri_index(0, j);
        let a_j = out.exponent[j];
        let targets = &mut out.cov[column..=column + j];
        for ((c, s), &a_i) in targets.iter_mut().zip(&src.covariance[column..=column + j]).zip(&out.exponent[..=j]) {
            *c = stored_entry(s, entry_shift(a_i, a_j))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    #[test]
    fn an_asset_is_scaled_into_half_to_one() {
        for sigma in [1e-6, 0.0123, 0.05, 0.5, 1.0, 3.7, 200.0] {
            let k = asset(fx(sigma), Fx::ONE).unwrap();
            let s = sigma * 2f64.powi(k.exponent as i32);
            assert!((0.5..1.0).contains(&s), "σ {sigma}: scaled {s}");
            let v = k.vol as f64 / 2f64.powi(31);
            assert!(v >= s && v - s < 1e-9, "s̃ rounds up: {v} vs {s}");
            assert_eq!(k.scale, 1 << SCALE_BITS);
            assert!(k.scale_exact);
        }
        let tiny = asset(Fx::from_bits(1), Fx::ONE).unwrap();
        assert_eq!(tiny.exponent as i32, MAX_EXPONENT, "clamped");
    }

    #[test]
    fn entries_are_exact_shifts_rounded_down() {
        let (a, b) = (asset(fx(0.05), Fx::ONE).unwrap(), asset(fx(0.2), Fx::ONE).unwrap());
        let c = entry(fx(0.5 * 0.05 * 0.2), a.exponent, b.exponent).unwrap();
        let exact = 0.005 * 2f64.powi(a.exponent as i32 + b.exponent as i32 + COV_BITS as i32);
        assert!(c as f64 <= exact && exact - (c as f64) < 1.0);
        let n = entry(fx(-0.005), a.exponent, b.exponent).unwrap();
        assert!(n as f64 <= -exact && -exact - (n as f64) < 1.0);
        assert!(entry(fx(1.0), a.exponent, b.exponent).is_err(), "a correlation of 100: beyond the bound");
    }

    #[test]
    fn entries_beyond_the_bound_are_refused() {
        let ulp = Fx::from_bits(1);
        // a_i = a_j = 0: C̃ = ⌊Σ·2^29⌋ (a right shift, the native path); the bound is Σ = 1 + 2^-9.
        let edge = fx(1.0) + Fx::from_bits(1 << 39);
        assert_eq!(entry(edge, 0, 0).unwrap() as i64, ENTRY_BOUND);
        assert_eq!(entry(-edge, 0, 0).unwrap() as i64, -ENTRY_BOUND);
        assert!(entry(edge + Fx::from_bits(1 << 19), 0, 0).is_err());
        assert!(entry(-edge - ulp, 0, 0).is_err(), "⌊·⌋ of a value below the bound");
        // a_i = a_j = 10: a left shift by one (the wide path).
        let at = |bits: i128| entry(Fx::from_bits(bits), 10, 10);
        let half = (ENTRY_BOUND / 2) as i128;
        assert_eq!(at(half).unwrap() as i64, ENTRY_BOUND);
        assert_eq!(at(-half).unwrap() as i64, -ENTRY_BOUND);
        assert!(at(half + 1).is_err());
        assert!(at(-half - 1).is_err());
    }

    proptest::proptest! {
        #[test]
        fn bit_lengths_and_shifts_match_their_definitions(v in proptest::prelude::any::<i128>(), s in 0u32..128, shift in -130i32..130) {
            let u = (v as u128) >> s;
            proptest::prop_assert_eq!(bit_len(u), (128 - u.leading_zeros()) as i32);
            let w = v >> s;
            // A left shift must stay below 2¹²⁷ in magnitude (so −2¹²⁷ itself is refused).
            let exact = if shift >= 0 {
                w.checked_mul(1i128.checked_shl(shift as u32).unwrap_or(0)).filter(|&x| shift < 127 && x != i128::MIN)
            } else {
                Some(w >> (-shift).min(127))
            };
            proptest::prop_assert_eq!(shift_floor(w, shift), exact, "{} · 2^{}", w, shift);
        }
    }

    proptest::proptest! {
        /// The native words' right shift is the 128-bit one whenever that fits an i64, and `None`
        /// exactly when it does not.
        #[test]
        fn native_shifts_equal_the_wide_shift(v in proptest::prelude::any::<i128>(), s in 0u32..128, shift in -130i32..130) {
            let w = v >> s;
            let want = shift_floor(w, shift).and_then(|x| i64::try_from(x).ok());
            proptest::prop_assert_eq!(shift_floor_i64(w, shift as i64), want, "{} · 2^{}", w, shift);
            // At the edge of the i64 range.
            for edge in [i64::MAX as i128, i64::MIN as i128, (i64::MAX as i128) + 1, (i64::MIN as i128) - 1] {
                let e = edge << (shift.unsigned_abs() % 64);
                let want = shift_floor(e, shift).and_then(|x| i64::try_from(x).ok());
                proptest::prop_assert_eq!(shift_floor_i64(e, shift as i64), want, "{} · 2^{}", e, shift);
            }
        }
    }

    proptest::proptest! {
        /// The native path gives the 128-bit path's kernel data (or its error), on both sides of
        /// its bounds.
        #[test]
        fn assets_equal_the_wide_path(v in proptest::prelude::any::<i128>(), s in 0u32..128, d in proptest::prelude::any::<i128>(), t in 0u32..128) {
            let (bits, scale) = (v >> s, d >> t);
            proptest::prop_assert_eq!(asset(Fx::from_bits(bits), Fx::from_bits(scale)).ok(), wide_asset(bits, scale).ok());
            for b in [1i128 << 27, (1 << 27) - 1, 1 << 31, (1 << 31) + 1, (1 << 32) - 1, i64::MAX as i128, u64::MAX as i128] {
                proptest::prop_assert_eq!(asset(Fx::from_bits(b), Fx::from_bits(scale)).ok(), wide_asset(b, scale).ok());
            }
        }

        #[test]
        fn entries_equal_the_generic_shift(v in proptest::prelude::any::<i128>(), s in 0u32..128, a_i in -80i8..=20, a_j in -80i8..=20) {
            let bits = v >> s;
            let shift = a_i as i32 + a_j as i32 + COV_BITS as i32 - FRAC_BITS as i32;
            let want = shift_floor(bits, shift).filter(|x| x.unsigned_abs() <= ENTRY_BOUND as u128).map(|x| x as i32);
            proptest::prop_assert_eq!(entry(Fx::from_bits(bits), a_i, a_j).ok(), want, "{} · 2^{}", bits, shift);
        }
    }

    #[test]
    fn scales_round_up_to_the_grid() {
        assert_eq!(round_scale_up(Fx::ONE), Fx::ONE);
        let d = round_scale_up(fx(1.3));
        assert!(d >= fx(1.3) && d - fx(1.3) < fx(1.0 / 67_108_864.0));
        let k = asset(fx(0.1), d).unwrap();
        assert!(k.scale_exact && k.scale as i128 == d.to_bits() >> (FRAC_BITS - SCALE_BITS));
        assert!(!asset(fx(0.1), fx(1.3)).unwrap().scale_exact);
    }
}
