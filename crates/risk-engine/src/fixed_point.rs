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

mod limbs;
pub(crate) mod native;

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
        checked_mul_i128(self.to_bits(), rhs).map(Fx::from_bits).ok_or_else(|| err(MathOp::Mul))
    }
}

/// `a·b / 2⁴⁸` on raw bits, rounded toward −∞ (or +∞ when `ceil`); `None` if it does not fit.
///
/// Fast path: both operands fit 64 bits (|value| < 32768: rates, prices, returns, covariances),
/// so the full product fits an `i128`: one 128-bit multiply (`__multi3` on SBF, measured cheaper
/// here than a product of 32-bit halves) and a shift. Products whose bounds are proven use wrapping
/// operations: with `overflow-checks` on, a checked 128-bit multiply is a software routine several
/// times the cost of the multiply itself.
#[inline(always)]
fn mul_bits(a: i128, b: i128, ceil: bool) -> Option<i128> {
    if let (Ok(a64), Ok(b64)) = (i64::try_from(a), i64::try_from(b)) {
        // |a|, |b| ≤ 2^63: |a·b| ≤ 2^126.
        let p = (a64 as i128).wrapping_mul(b64 as i128);
        return Some(shift_round(p, ceil));
    }
    let negative = (a < 0) != (b < 0);
    let (na, nb) = (a.unsigned_abs(), b.unsigned_abs());
    mul_bits_wide(na as u64, (na >> 64) as u64, nb as u64, (nb >> 64) as u64, negative, ceil)
}

/// [`mul_bits`] with an operand beyond 64 bits (a USD amount, shares), out of line so the fast path
/// stays small enough to inline. On magnitudes in native 64-bit limbs: SBF has no widening
/// multiply, and `leading_zeros` of a `u128` is ~60 instructions, so the 256-bit product is built
/// from [`mul_64`] (four native multiplies of 32-bit halves): two of them when one operand is below
/// 2⁶⁴, four only when both are wide. Measured on SBF: ~190 CU against ~445 for four `u128`
/// multiplies and two `leading_zeros`.
#[inline(never)]
fn mul_bits_wide(a0: u64, a1: u64, b0: u64, b1: u64, negative: bool, ceil: bool) -> Option<i128> {
    // The 256-bit product in 64-bit limbs r0..r3 (schoolbook; every carry is explicit).
    let (h00, l00) = mul_64(a0, b0);
    let (r1, r2, r3) = if a1 != 0 && b1 != 0 {
        let (h10, l10) = mul_64(a1, b0);
        let (h01, l01) = mul_64(a0, b1);
        let (h11, l11) = mul_64(a1, b1);
        let (r1, c1) = add3(h00, l10, l01);
        let (s2, c2) = add3(h10, h01, l11);
        let (r2, c3) = s2.overflowing_add(c1 as u64);
        // The product is below 2^256: r3 cannot wrap.
        (r1, r2, h11.wrapping_add(c2 as u64).wrapping_add(c3 as u64))
    } else {
        // One operand is below 2^64: the product is a0·b0 + (wide high limb · narrow limb)·2^64,
        // below 2^192.
        let (hx, lx) = if a1 != 0 { mul_64(a1, b0) } else { mul_64(a0, b1) };
        let (r1, c1) = h00.overflowing_add(lx);
        (r1, hx.wrapping_add(c1 as u64), 0)
    };
    let r0 = l00;
    // (r3, r2, r1, r0) >> 48 must fit 128 bits.
    if r3 != 0 || (r2 >> FRAC_BITS) != 0 {
        return None;
    }
    let mag = ((r2 as u128) << (128 - FRAC_BITS)) | ((r1 as u128) << (64 - FRAC_BITS)) | (r0 >> FRAC_BITS) as u128;
    let round_up = (r0 & ((1u64 << FRAC_BITS) - 1)) != 0 && (negative != ceil);
    signed_from_magnitude(mag.checked_add(round_up as u128)?, negative)
}

/// `a·b`, or `None` when it overflows an `i128` (the semantics of `i128::checked_mul`): one 128-bit
/// multiply when both fit 64 bits (the product then fits), two [`mul_64`] when one magnitude is
/// below 2⁶⁴, and `checked_mul` only beyond. The overflow-checked 128-bit multiply is a ~250 CU
/// software routine on SBF.
#[inline]
pub fn checked_mul_i128(a: i128, b: i128) -> Option<i128> {
    if let (Ok(a64), Ok(b64)) = (i64::try_from(a), i64::try_from(b)) {
        return Some((a64 as i128).wrapping_mul(b64 as i128));
    }
    match u64::try_from(b.unsigned_abs()) {
        Ok(b64) => signed_from_magnitude(magnitude_mul_u64(a.unsigned_abs(), b64)?, (a < 0) != (b < 0)),
        Err(_) => a.checked_mul(b),
    }
}

/// `a·b` for a multiplier below 2⁶⁴, or `None` when it overflows an `i128` (exactly when
/// `a.checked_mul(b as i128)` does).
#[inline]
pub fn checked_mul_u64(a: i128, b: u64) -> Option<i128> {
    signed_from_magnitude(magnitude_mul_u64(a.unsigned_abs(), b)?, a < 0)
}

/// `m·b`, or `None` beyond 128 bits, from two [`mul_64`] products of `m`'s halves.
#[inline(always)]
fn magnitude_mul_u64(m: u128, b: u64) -> Option<u128> {
    let (h1, l1) = mul_64(m as u64, b);
    let (h2, l2) = mul_64((m >> 64) as u64, b);
    // m·b = l1 + (h1 + l2)·2^64 + h2·2^128.
    if h2 != 0 {
        return None;
    }
    let (mid, carry) = h1.overflowing_add(l2);
    if carry {
        return None;
    }
    Some(((mid as u128) << 64) | l1 as u128)
}

/// `a + b + c` as (low 64 bits, carry ∈ 0..=2).
#[inline(always)]
fn add3(a: u64, b: u64, c: u64) -> (u64, u8) {
    let (s, o1) = a.overflowing_add(b);
    let (s, o2) = s.overflowing_add(c);
    (s, (o1 as u8).wrapping_add(o2 as u8))
}

/// `a·b` as (high, low) 64-bit halves, from four native multiplies of 32-bit halves. No step can
/// wrap: each partial product is below 2⁶⁴, `mid` below 3·2³², and the whole product below 2¹²⁸.
#[inline(always)]
pub fn mul_64(a: u64, b: u64) -> (u64, u64) {
    const M: u64 = 0xffff_ffff;
    let (a1, a0) = (a >> 32, a & M);
    let (b1, b0) = (b >> 32, b & M);
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 32).wrapping_add(p01 & M).wrapping_add(p10 & M);
    let lo = (p00 & M) | (mid << 32);
    let hi = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    (hi, lo)
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

/// `a·2⁴⁸ / b` on raw bits, rounded toward −∞ (or +∞ when `ceil`).
///
/// No 128-bit division (a software routine of ~300 CU on SBF): a divisor below 2³² with a
/// numerator whose shift fits takes four native divisions of 32-bit digits, any other divisor the
/// 2-by-1 divisions of native 64-bit words in [`limbs`] (one-word or two-word divisor).
fn div_bits(a: i128, b: i128, ceil: bool) -> Option<i128> {
    if b == 0 {
        return None;
    }
    let negative = (a < 0) != (b < 0);
    let (na, nb) = (a.unsigned_abs(), b.unsigned_abs());
    // na < 2^79 (compared, not counted: `leading_zeros` of a u128 is ~60 instructions on SBF).
    if nb <= u32::MAX as u128 && na >> (127 - FRAC_BITS) == 0 {
        // Small divisor, numerator·2⁴⁸ fits: one cheap long division.
        let (q, r) = div_rem_small(na << FRAC_BITS, nb as u32);
        let q = if r != 0 && (negative != ceil) { q.checked_add(1)? } else { q };
        return signed_from_magnitude(q, negative);
    }
    if let Ok(d) = u64::try_from(nb) {
        // Numerator and quotient below 2⁶⁴ (a price, a return, a variance ratio): one 2-by-1
        // division of native words.
        if let Some((q, inexact)) = u64::try_from(na).ok().and_then(|a| limbs::div_frac_u64(a, d)) {
            let q = q as u128;
            let q = if inexact && (negative != ceil) { q + 1 } else { q };
            return signed_from_magnitude(q, negative);
        }
        // A divisor below 2⁶⁴ (below 65,536 as a value): 2-by-1 divisions of native words.
        let (q, inexact) = limbs::div_frac_by_u64(na, d)?;
        let q = if inexact && (negative != ceil) { q.checked_add(1)? } else { q };
        return signed_from_magnitude(q, negative);
    }
    // A divisor of 2⁶⁴ or more: the quotient is below 2¹¹².
    let (q, inexact) = limbs::div_frac_by_u128(na, nb);
    let q = if inexact && (negative != ceil) { q.checked_add(1)? } else { q };
    signed_from_magnitude(q, negative)
}

/// `⌈√n⌉` for `n < 2⁶²`, in native 64-bit words: Newton's floor iteration from `2³¹ ≥ √n` (it
/// decreases to `⌊√n⌋` and stops), then one up if the floor's square falls short.
#[inline]
pub fn ceil_isqrt_below_2_62(n: u64) -> u64 {
    debug_assert!(n >> 62 == 0);
    if n == 0 {
        return 0;
    }
    let mut s: u64 = 1 << 31;
    loop {
        let y = (s + n / s) >> 1;
        if y >= s {
            break;
        }
        s = y;
    }
    // s = ⌊√n⌋ < 2³¹: s² fits (a wrapping product: a checked one is a 128-bit multiply on SBF).
    if s.wrapping_mul(s) < n {
        s + 1
    } else {
        s
    }
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
///
/// Inlined for the native-word path (every price, confidence and amount of every position of every
/// health check); the rest is out of line.
#[inline(always)]
pub fn scale_by_pow10(n: i128, shift: u32, exp: u32, ceil: bool) -> Option<i128> {
    let negative = n < 0;
    let mag = n.unsigned_abs();
    if let (Ok(m), true) = (u64::try_from(mag), shift == FRAC_BITS && (1..=12).contains(&exp)) {
        let v = pow10_fraction(m, exp, negative != ceil) as i128;
        // Below 2^112, so the sign cannot overflow.
        return Some(if negative { -v } else { v });
    }
    scale_by_pow10_wide(mag, negative, shift, exp, ceil)
}

/// `m · 2^48 / 10^exp` for `m < 2^64` and `1 ≤ exp ≤ 12`, rounded down (`up = false`) or up, in
/// native words: [`scale_by_pow10`]'s magnitude at the fixed-point shift (below 2^112).
#[inline(always)]
pub fn pow10_fraction(m: u64, exp: u32, up: bool) -> u128 {
    // With m = q·5^k + r, m·2^(48−k)/5^k = q·2^(48−k) + r·2^(48−k)/5^k, and r·2^(48−k) <
    // 5^k·2^(48−k) ≤ 2^63.9 for k ≤ 12: two native divisions instead of four digits of long division.
    let p5 = POW5[exp as usize] as u64;
    let shift = FRAC_BITS - exp;
    let (q, r) = (m / p5, m % p5);
    let low = r << shift;
    let (q2, r2) = (low / p5, low % p5);
    // q·2^shift + q2 + round in two native words (shift = 48 − k ∈ [36, 47]): q2 + round fills the
    // low shift bits that q·2^shift leaves zero, as q2 = ⌊r·2^shift/5^k⌋ ≤ 2^shift − ⌈2^shift/5^k⌉
    // ≤ 2^shift − 2 (2^shift > 5^k for k ≤ 12).
    let low = q2 + (r2 != 0 && up) as u64;
    ((q >> (64 - shift)) as u128) << 64 | ((q << shift) | low) as u128
}

/// [`scale_by_pow10`] beyond its native-word path, on the magnitude.
#[inline(never)]
fn scale_by_pow10_wide(mag: u128, negative: bool, shift: u32, exp: u32, ceil: bool) -> Option<i128> {
    if exp > 13 {
        return None;
    }
    // mag · 2^(shift − exp) / 5^exp, keeping every bit: shift ≥ exp here.
    let up = shift.checked_sub(exp)?;
    // mag·2^up must stay below 2^128 (a comparison: `leading_zeros` of a u128 is ~60 SBF instructions).
    if up >= 128 || (up > 0 && mag >> (128 - up) != 0) {
        return None;
    }
    let (q, r) = div_rem_small(mag << up, POW5[exp as usize]);
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
    if let Ok(lo) = u64::try_from(a) {
        // Below 2⁶⁴ (a value below 65,536: every variance): the steps below with s = 48 and
        // k = (16 + lz) & !1, where the normalized radicand `lo·2^(48+k)` has a zero low word.
        let lz = lo.leading_zeros();
        let k = (16 + lz) & !1; // 48 + k ∈ [64, 126]
        let r = limbs::isqrt_normalized(((lo << (48 + k - 64)) as u128) << 64) >> (k / 2);
        let exact = !ceil || mul_64(r, r) == (lo >> 16, lo << 48);
        return Some(r as i128 + (!exact) as i128);
    }
    // Shift left by an even amount s ≤ 48 that keeps the value in 128 bits, take the integer root,
    // then scale by 2^((48 − s)/2). Exact floor when s = 48; otherwise floor of a coarser grid.
    // The leading zeros by 64-bit halves (a `u128` count is ~80 instructions on SBF).
    let hi = (a >> 64) as u64;
    let lz = if hi != 0 { hi.leading_zeros() } else { 64 + (a as u64).leading_zeros() };
    let s = core::cmp::min(FRAC_BITS, lz & !1);
    let n = a << s;
    // ⌊√n⌋ = ⌊√(n·4^j)⌋ / 2^j: n normalized to ≥ 2¹²⁶ by the even shift 2j = k.
    let k = (lz - s) & !1;
    let r = limbs::isqrt_normalized(n << k) >> (k / 2);
    let scale = (FRAC_BITS - s) / 2;
    let mut root = (r as u128) << scale;
    if ceil {
        // r = ⌊√n⌋ < 2⁶⁴: exact when r² = n.
        let exact = scale == 0 && mul_64(r, r) == ((n >> 64) as u64, n as u64);
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
    POW10.get(exp as usize).copied().ok_or_else(|| err(MathOp::Convert))
}

/// `10^e` for every `e` whose power fits an `i128` (`10^38 < 2^127 < 10^39`): a lookup, not an
/// overflow-checked 128-bit exponentiation (a software multiply per step on SBF).
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut e = 1;
    while e < 39 {
        t[e] = t[e - 1] * 10;
        e += 1;
    }
    t
};

/// `5^e` for `e ≤ 13` (`5^13 < 2^32`).
/// `5^k` for `k ≤ 13` (below 2³²).
#[inline]
pub fn pow5(k: u32) -> u32 {
    POW5[k as usize]
}

const POW5: [u32; 14] = {
    let mut t = [1u32; 14];
    let mut e = 1;
    while e < 14 {
        t[e] = t[e - 1] * 5;
        e += 1;
    }
    t
};

/// Floor of an [`Fx`] as an integer.
pub fn floor_to_int(v: Fx) -> i128 {
    v.to_bits() >> FRAC_BITS
}

/// Ceiling of an [`Fx`] as an integer.
pub fn ceil_to_int(v: Fx) -> i128 {
    shift_round(v.to_bits(), true)
}

/// `floor_to_int(a.mul_floor(b)?)`, or `ceil_to_int(a.mul_ceil(b)?)` when `ceil`: bit for bit and
/// error for error. Shares times their index as native units, in every position of every health
/// check: for `a ≥ 0` and `0 ≤ b < 2⁶⁴` (bits) the 192-bit product is two [`mul_64`] and the two
/// roundings are taken on its words (the same checks as `mul_bits`: the fixed-point product must fit
/// 127 bits); any other operands compose the two steps.
#[track_caller]
#[inline(always)]
pub fn mul_to_int(a: Fx, b: Fx, ceil: bool) -> MathResult<i128> {
    if let (Ok(x), Ok(y)) = (u128::try_from(a.to_bits()), u64::try_from(b.to_bits())) {
        // p = x·y = high·2^128 + mid·2^64 + low, high < 2^64.
        let (h0, low) = mul_64(x as u64, y);
        let (h1, l1) = mul_64((x >> 64) as u64, y);
        let (mid, carry) = l1.overflowing_add(h0);
        let high = h1 + carry as u64;
        const FRAC: u64 = (1 << FRAC_BITS) - 1;
        // Below 2^175, ⌊p/2^48⌋ < 2^127 (else the fixed-point product does not fit).
        if high >> (FRAC_BITS - 1) == 0 {
            // ⌊p/2^48⌋ and, rounding up, +1 when p has bits below 2^48.
            let v = ((high as u128) << (128 - FRAC_BITS))
                | ((mid as u128) << (64 - FRAC_BITS))
                | (low >> FRAC_BITS) as u128;
            let v = v + (ceil && low & FRAC != 0) as u128;
            if v >> 127 == 0 {
                return Ok((v >> FRAC_BITS) as i128 + (ceil && v as u64 & FRAC != 0) as i128);
            }
        }
        return Err(err(MathOp::Mul));
    }
    mul_to_int_wide(a, b, ceil)
}

/// [`mul_to_int`] beyond its native path: the two steps composed.
#[track_caller]
#[inline(never)]
fn mul_to_int_wide(a: Fx, b: Fx, ceil: bool) -> MathResult<i128> {
    Ok(if ceil { ceil_to_int(a.mul_ceil(b)?) } else { floor_to_int(a.mul_floor(b)?) })
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
    /// The stored bits' low and high 64-bit words (`bits = hi·2⁶⁴ + lo as u64`): two native loads
    /// on SBF, where a range check on the `i128` is a branchy sequence.
    #[inline(always)]
    pub fn words(&self) -> (i64, i64) {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&self.bytes[..8]);
        hi.copy_from_slice(&self.bytes[8..]);
        (i64::from_le_bytes(lo), i64::from_le_bytes(hi))
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
mod tests;
