//! Fixed-point numbers for the risk engine.
//!
//! Every value is an [`I80F48`] (80 integer bits, 48 fraction bits; one unit in the last place, `ULP`,
//! is 2⁻⁴⁸ ≈ 3.55e-15). Multiplication, division and square roots are implemented here on the raw
//! bits so the rounding direction is explicit and identical on every target (host, SBF, WASM):
//! `*_floor` rounds toward −∞ and `*_ceil` toward +∞. Every operation is checked and its error says
//! which operation failed and where (`#[track_caller]`).
//!
//! Values are stored in accounts as [`WrappedI80F48`], a 16-byte little-endian wrapper with alignment
//! 1, because `i128` has alignment 16 on x86_64 and 8 on SBF.
use core::fmt;
use core::panic::Location;

use bytemuck::{Pod, Zeroable};
pub use fixed::types::I80F48;

/// The engine's number type.
pub type Fx = I80F48;

/// Number of fraction bits of [`Fx`].
pub const FRAC_BITS: u32 = 48;
/// One unit in the last place of [`Fx`] (2⁻⁴⁸).
pub const ULP: Fx = Fx::from_bits(1);

/// Which arithmetic operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathOp {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    Neg,
    Convert,
}

/// An arithmetic failure: the operation and the source location that asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MathError {
    pub op: MathOp,
    pub location: &'static Location<'static>,
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.op {
            MathOp::Add => "addition overflowed",
            MathOp::Sub => "subtraction overflowed",
            MathOp::Mul => "multiplication overflowed",
            MathOp::Div => "division overflowed or divided by zero",
            MathOp::Sqrt => "square root of a negative number",
            MathOp::Neg => "negation overflowed",
            MathOp::Convert => "conversion out of range",
        };
        write!(f, "{what} at {}:{}", self.location.file(), self.location.line())
    }
}

#[track_caller]
fn err(op: MathOp) -> MathError {
    MathError { op, location: Location::caller() }
}

pub type MathResult<T> = Result<T, MathError>;

/// Checked fixed-point operations with explicit rounding.
pub trait FxExt: Sized {
    fn add_checked(self, rhs: Self) -> MathResult<Self>;
    fn sub_checked(self, rhs: Self) -> MathResult<Self>;
    fn neg_checked(self) -> MathResult<Self>;
    /// Product rounded toward −∞.
    fn mul_floor(self, rhs: Self) -> MathResult<Self>;
    /// Product rounded toward +∞.
    fn mul_ceil(self, rhs: Self) -> MathResult<Self>;
    /// Quotient rounded toward −∞.
    fn div_floor(self, rhs: Self) -> MathResult<Self>;
    /// Quotient rounded toward +∞.
    fn div_ceil(self, rhs: Self) -> MathResult<Self>;
    /// Square root rounded toward 0 (the argument must be ≥ 0).
    fn sqrt_floor(self) -> MathResult<Self>;
    /// Square root rounded toward +∞ (the argument must be ≥ 0).
    fn sqrt_ceil(self) -> MathResult<Self>;
    /// Multiplication by an integer, exact.
    fn mul_int(self, rhs: i128) -> MathResult<Self>;
}

impl FxExt for Fx {
    #[inline]
    #[track_caller]
    fn add_checked(self, rhs: Self) -> MathResult<Self> {
        self.checked_add(rhs).ok_or_else(|| err(MathOp::Add))
    }
    #[inline]
    #[track_caller]
    fn sub_checked(self, rhs: Self) -> MathResult<Self> {
        self.checked_sub(rhs).ok_or_else(|| err(MathOp::Sub))
    }
    #[inline]
    #[track_caller]
    fn neg_checked(self) -> MathResult<Self> {
        self.checked_neg().ok_or_else(|| err(MathOp::Neg))
    }
    #[inline]
    #[track_caller]
    fn mul_floor(self, rhs: Self) -> MathResult<Self> {
        mul_bits(self.to_bits(), rhs.to_bits(), false).map(Fx::from_bits).ok_or_else(|| err(MathOp::Mul))
    }
    #[inline]
    #[track_caller]
    fn mul_ceil(self, rhs: Self) -> MathResult<Self> {
        mul_bits(self.to_bits(), rhs.to_bits(), true).map(Fx::from_bits).ok_or_else(|| err(MathOp::Mul))
    }
    #[inline]
    #[track_caller]
    fn div_floor(self, rhs: Self) -> MathResult<Self> {
        div_bits(self.to_bits(), rhs.to_bits(), false).map(Fx::from_bits).ok_or_else(|| err(MathOp::Div))
    }
    #[inline]
    #[track_caller]
    fn div_ceil(self, rhs: Self) -> MathResult<Self> {
        div_bits(self.to_bits(), rhs.to_bits(), true).map(Fx::from_bits).ok_or_else(|| err(MathOp::Div))
    }
    #[inline]
    #[track_caller]
    fn sqrt_floor(self) -> MathResult<Self> {
        sqrt_bits(self.to_bits(), false).map(Fx::from_bits).ok_or_else(|| err(MathOp::Sqrt))
    }
    #[inline]
    #[track_caller]
    fn sqrt_ceil(self) -> MathResult<Self> {
        sqrt_bits(self.to_bits(), true).map(Fx::from_bits).ok_or_else(|| err(MathOp::Sqrt))
    }
    #[inline]
    #[track_caller]
    fn mul_int(self, rhs: i128) -> MathResult<Self> {
        self.to_bits().checked_mul(rhs).map(Fx::from_bits).ok_or_else(|| err(MathOp::Mul))
    }
}

/// `a·b / 2⁴⁸` on raw bits, rounded toward −∞ (or +∞ when `ceil`); `None` if it does not fit.
#[inline(always)]
fn mul_bits(a: i128, b: i128, ceil: bool) -> Option<i128> {
    // Fast path: both operands fit in 64 bits (|value| < 32768), so the full product fits in i128.
    // This is the common case for returns, covariances and rates, and the cheap one on SBF.
    //
    // Products whose bounds are proven use wrapping operations: with `overflow-checks` on, a checked
    // 128-bit multiply is a software routine on SBF several times the cost of the multiply itself.
    if let (Ok(a64), Ok(b64)) = (i64::try_from(a), i64::try_from(b)) {
        // |a|, |b| ≤ 2^63: |a·b| ≤ 2^126.
        let p = (a64 as i128).wrapping_mul(b64 as i128);
        return Some(shift_round(p, ceil));
    }
    mul_bits_wide(a, b, ceil)
}

/// [`mul_bits`] beyond 64-bit operands, out of line so the fast path stays small enough to inline.
#[inline(never)]
fn mul_bits_wide(a: i128, b: i128, ceil: bool) -> Option<i128> {
    let negative = (a < 0) != (b < 0);
    let (na, nb) = (a.unsigned_abs(), b.unsigned_abs());
    if na.leading_zeros() + nb.leading_zeros() >= 129 {
        // |a|·|b| < 2^(256 − 129) = 2^127: one 128-bit multiply.
        let p = na.wrapping_mul(nb) as i128;
        return Some(shift_round(if negative { -p } else { p }, ceil));
    }
    let (hi, lo) = mul_u128_wide(na, nb);
    // (hi, lo) >> 48, with the dropped bits deciding the rounding of the magnitude.
    let dropped = lo & ((1u128 << FRAC_BITS) - 1);
    if hi >> FRAC_BITS != 0 {
        return None;
    }
    let mag = (hi << (128 - FRAC_BITS)) | (lo >> FRAC_BITS);
    // Rounding the magnitude up when the result should move away from zero:
    // negative results round up in magnitude for floor, positive ones for ceil.
    let round_mag_up = dropped != 0 && (negative != ceil);
    let mag = if round_mag_up { mag.checked_add(1)? } else { mag };
    signed_from_magnitude(mag, negative)
}

#[inline]
fn shift_round(p: i128, ceil: bool) -> i128 {
    let q = p >> FRAC_BITS; // arithmetic shift: floor
    if ceil && (p & ((1i128 << FRAC_BITS) - 1)) != 0 {
        q + 1
    } else {
        q
    }
}

fn signed_from_magnitude(mag: u128, negative: bool) -> Option<i128> {
    if negative {
        if mag == 1u128 << 127 {
            Some(i128::MIN)
        } else {
            i128::try_from(mag).ok().map(|m| -m)
        }
    } else {
        i128::try_from(mag).ok()
    }
}

/// Full 128×128 → 256-bit unsigned product as (high, low).
fn mul_u128_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    // Each partial product of 64-bit halves is < 2^128, `mid` < 3·2^64, and `hi` < 2^128 because
    // the whole product is < 2^256: no step can wrap.
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 64).wrapping_add(p01 & MASK).wrapping_add(p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11.wrapping_add(p01 >> 64).wrapping_add(p10 >> 64).wrapping_add(mid >> 64);
    (hi, lo)
}

/// `a·2⁴⁸ / b` on raw bits, rounded toward −∞ (or +∞ when `ceil`).
///
/// Long division in as few 128-bit divisions as the divisor allows: the integer part first, then
/// the 48 fraction bits in chunks as wide as fit above the remainder (one chunk when the divisor is
/// below 2⁸⁰ bits). 128-bit division is a software routine on SBF, so the count matters.
fn div_bits(a: i128, b: i128, ceil: bool) -> Option<i128> {
    if b == 0 {
        return None;
    }
    let negative = (a < 0) != (b < 0);
    let (na, nb) = (a.unsigned_abs(), b.unsigned_abs());
    if nb <= u32::MAX as u128 && na.leading_zeros() >= FRAC_BITS + 1 {
        // Small divisor, numerator·2⁴⁸ fits: one cheap long division.
        let (q, r) = div_rem_small(na << FRAC_BITS, nb as u32);
        let q = if r != 0 && (negative != ceil) { q.checked_add(1)? } else { q };
        return signed_from_magnitude(q, negative);
    }
    let mut q = na / nb;
    let mut r = na - q.wrapping_mul(nb); // q·nb ≤ na
    if q >> (127 - FRAC_BITS) != 0 {
        return None; // the result does not fit
    }
    let mut remaining = FRAC_BITS;
    while remaining > 0 {
        // r < nb, so r << k < 2^128 whenever nb << k does.
        let k = core::cmp::min(remaining, nb.leading_zeros());
        if k == 0 {
            // Divisor ≥ 2^127: one bit at a time.
            let top = r >> 127;
            r <<= 1;
            q <<= 1;
            if top != 0 || r >= nb {
                r = r.wrapping_sub(nb);
                q |= 1;
            }
            remaining -= 1;
            continue;
        }
        r <<= k;
        let d = r / nb;
        r -= d.wrapping_mul(nb); // d·nb ≤ r
        q = (q << k) | d;
        remaining -= k;
    }
    if r != 0 && (negative != ceil) {
        q = q.checked_add(1)?;
    }
    signed_from_magnitude(q, negative)
}

/// `n / d` and `n % d` for a divisor below 2³², by long division in 32-bit digits: four native
/// 64-bit divisions instead of the 128-bit software division SBF would otherwise call.
#[inline]
pub fn div_rem_small(n: u128, d: u32) -> (u128, u32) {
    debug_assert!(d != 0);
    let d = d as u64;
    let mut q: u128 = 0;
    let mut r: u64 = 0;
    for shift in [96u32, 64, 32, 0] {
        let digit = ((n >> shift) as u64) & 0xffff_ffff;
        let cur = (r << 32) | digit;
        let qd = cur / d;
        r = cur - qd.wrapping_mul(d); // qd·d ≤ cur
        q |= (qd as u128) << shift;
    }
    (q, r as u32)
}

/// `v / n` for a small positive `n`, rounded toward −∞: long division in 32-bit digits instead of
/// the 128-bit software division (exact on the raw bits: `⌊bits / n⌋` is the floor of the quotient).
pub fn div_small_floor(v: Fx, n: u32) -> MathResult<Fx> {
    if n == 0 {
        return Err(err(MathOp::Div));
    }
    if n == 1 {
        return Ok(v);
    }
    let bits = v.to_bits();
    let (q, r) = div_rem_small(bits.unsigned_abs(), n);
    // q ≤ 2^126 since n ≥ 2 and |bits| ≤ 2^127; a negative remainder rounds the magnitude up.
    let q = q as i128;
    Ok(Fx::from_bits(if bits >= 0 { q } else { -(q + (r != 0) as i128) }))
}

/// `n · 2^shift / 10^exp` rounded toward −∞ (or +∞ when `ceil`), for `exp ≤ 13`, as raw bits:
/// `10^exp = 2^exp · 5^exp` and `5^13 < 2³²`, so one small division suffices.
pub fn scale_by_pow10(n: i128, shift: u32, exp: u32, ceil: bool) -> Option<i128> {
    if exp > 13 {
        return None;
    }
    let negative = n < 0;
    let mag = n.unsigned_abs();
    // mag · 2^(shift − exp) / 5^exp, keeping every bit: shift ≥ exp here.
    let up = shift.checked_sub(exp)?;
    if up >= 128 || (up > 0 && mag.leading_zeros() <= up) {
        return None;
    }
    let (q, r) = div_rem_small(mag << up, 5u32.pow(exp));
    let round_up = r != 0 && (negative != ceil);
    let q = if round_up { q.checked_add(1)? } else { q };
    signed_from_magnitude(q, negative)
}

/// Square root of raw bits: `√(a·2⁴⁸)`, rounded down or up; `None` for negative input.
fn sqrt_bits(a: i128, ceil: bool) -> Option<i128> {
    if a < 0 {
        return None;
    }
    let a = a as u128;
    if a == 0 {
        return Some(0);
    }
    // Shift left by an even amount s ≤ 48 that keeps the value in 128 bits, take the integer root,
    // then scale by 2^((48 − s)/2). Exact floor when s = 48; otherwise floor of a coarser grid.
    let s = core::cmp::min(FRAC_BITS, a.leading_zeros() & !1);
    let n = a << s;
    let r = n.isqrt();
    let scale = (FRAC_BITS - s) / 2;
    let mut root = r << scale;
    if ceil {
        let exact = r.wrapping_mul(r) == n && scale == 0; // r = ⌊√n⌋: r² ≤ n
        if !exact {
            root += 1u128 << scale;
        }
    }
    i128::try_from(root).ok()
}

/// Exact conversion of an integer amount to [`Fx`].
#[track_caller]
pub fn fx_from_int(v: i128) -> MathResult<Fx> {
    Fx::checked_from_num(v).ok_or_else(|| err(MathOp::Convert))
}

/// `numerator / denominator` as [`Fx`], rounded toward −∞ (one integer division).
#[track_caller]
pub fn fx_ratio(numerator: i128, denominator: i128) -> MathResult<Fx> {
    if denominator == 0 {
        return Err(err(MathOp::Div));
    }
    let shifted = numerator.checked_mul(1i128 << FRAC_BITS).ok_or_else(|| err(MathOp::Convert))?;
    let (n, d) = if denominator < 0 { (shifted.checked_neg(), -denominator) } else { (Some(shifted), denominator) };
    let n = n.ok_or_else(|| err(MathOp::Neg))?;
    Ok(Fx::from_bits(n.div_euclid(d)))
}

/// `10^exp` as an integer (exp ≤ 30).
#[track_caller]
pub fn pow10(exp: u32) -> MathResult<i128> {
    10i128.checked_pow(exp).ok_or_else(|| err(MathOp::Convert))
}

/// Floor of an [`Fx`] as an integer.
pub fn floor_to_int(v: Fx) -> i128 {
    v.to_bits() >> FRAC_BITS
}

/// Ceiling of an [`Fx`] as an integer.
pub fn ceil_to_int(v: Fx) -> i128 {
    shift_round(v.to_bits(), true)
}

/// 16-byte little-endian storage for an [`Fx`], alignment 1, for zero-copy accounts.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Pod, Zeroable)]
pub struct WrappedI80F48 {
    pub bytes: [u8; 16],
}

impl WrappedI80F48 {
    pub const ZERO: Self = Self { bytes: [0; 16] };

    #[inline]
    pub const fn new(v: Fx) -> Self {
        Self { bytes: v.to_bits().to_le_bytes() }
    }
    #[inline]
    pub const fn get(&self) -> Fx {
        Fx::from_bits(i128::from_le_bytes(self.bytes))
    }
    #[inline]
    pub fn set(&mut self, v: Fx) {
        self.bytes = v.to_bits().to_le_bytes();
    }
}

impl From<Fx> for WrappedI80F48 {
    fn from(v: Fx) -> Self {
        Self::new(v)
    }
}

impl From<WrappedI80F48> for Fx {
    fn from(v: WrappedI80F48) -> Self {
        v.get()
    }
}

/// IDL description: a struct of 16 bytes (I80F48 bits, little-endian), bytemuck-serialised.
#[cfg(feature = "idl-build")]
impl anchor_lang_idl::build::IdlBuild for WrappedI80F48 {
    fn create_type() -> Option<anchor_lang_idl::types::IdlTypeDef> {
        use anchor_lang_idl::types::*;
        Some(IdlTypeDef {
            name: "WrappedI80F48".into(),
            docs: alloc::vec!["I80F48 fixed point: 16 bytes, little-endian bits; value = bits / 2^48".into()],
            serialization: IdlSerialization::Bytemuck,
            repr: Some(IdlRepr::C(IdlReprModifier { packed: false, align: None })),
            generics: alloc::vec![],
            ty: IdlTypeDefTy::Struct {
                fields: Some(IdlDefinedFields::Named(alloc::vec![IdlField {
                    name: "bytes".into(),
                    docs: alloc::vec![],
                    ty: IdlType::Array(alloc::boxed::Box::new(IdlType::U8), IdlArrayLen::Value(16)),
                }])),
            },
        })
    }
}

impl fmt::Debug for WrappedI80F48 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

#[cfg(test)]
mod tests {
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
    fn integer_rounding_helpers() {
        assert_eq!(floor_to_int(fx(-1.5)), -2);
        assert_eq!(ceil_to_int(fx(-1.5)), -1);
        assert_eq!(ceil_to_int(fx(2.0)), 2);
        assert_eq!(fx_ratio(1, 8).unwrap(), fx(0.125));
    }
}

#[cfg(test)]
mod small_division_tests {
    use super::*;

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
