//! A prepared book: its margin kept with the kernel state, so a liquidation step (a few positions'
//! exposures changed) is evaluated in O(k), bit for bit the full evaluation.
use alloc::vec::Vec;

use super::terms::{levels, MarginLevels, TermConstants};
use super::{
    coarse_shift, coarse_term, exact_only, held_entry, kernel_book, kernel_position, kernel_units, overflow,
    quadratic_parts, raise_top, top_of, undiversified_term, FloorSum, KernelBook, KernelPosition, MarginBreakdown,
    MarginParams, PlainSums, PositionRisk,
};
use crate::covariance::{tri_index, CovarianceSource};
use crate::error::RiskResult;
use crate::fixed_point::FxExt;
use crate::kernel;

/// A book's margin kept with its kernel state, so the same book with up to a few positions'
/// exposures changed (a liquidation step: the liability and the collateral) is evaluated in O(k)
/// instead of O(k²) — bit for bit the margin [`margin`] computes for the changed book.
///
/// Exact, not an approximation: the plain sums (gross, floor, de-peg) and the kernel's integer sums
/// are exact, so replacing a position's terms gives the same sums; `x̃ᵀC̃x̃` is updated by the exact
/// identity `x'ᵀC̃x' = xᵀC̃x + 2δ·(C̃x)_h + δ²·C̃_hh` per changed position `h`, `δ = x̃'_h − x̃_h`.
/// When the change moves the common shift (`t0` or `t`: the book's scale crosses a power of two),
/// every `x̃` changes and [`PreparedMargin::with_changes`] answers `None`: evaluate in full.
pub struct PreparedMargin {
    book: KernelBook,
    positions: Vec<PositionRisk>,
    constants: TermConstants,
}

/// [`margin_levels`] and the state [`PreparedMargin::with_changes`] starts from.
pub fn prepare_margin<C: CovarianceSource>(
    cov: &C,
    positions: &[PositionRisk],
    params: &MarginParams,
) -> RiskResult<(MarginLevels, PreparedMargin)> {
    let book = kernel_book(cov, positions, FloorSum::Exact)?;
    let constants = TermConstants::new(params)?;
    let m = if positions.is_empty() {
        MarginBreakdown::zero().levels()
    } else {
        levels(&quadratic_parts(&book.sums)?, &constants, exact_only)?
    };
    Ok((m, PreparedMargin { book, positions: positions.to_vec(), constants }))
}

impl PreparedMargin {
    /// The margin levels of the prepared book (with the parameters it was prepared with) with each
    /// of `changes` replacing the position of its asset (the same assets held: a change of an asset
    /// not held answers `None`), bit for bit what [`margin_levels`] computes on the changed book;
    /// `None` when the change moves the book's common shift (then call [`margin_levels`]).
    pub fn with_changes<C: CovarianceSource>(
        &self,
        cov: &C,
        changes: &[PositionRisk],
    ) -> RiskResult<Option<MarginLevels>> {
        let held = &self.book.held;
        let k = held.len();
        let mut s = self.book.sums;
        let mut changed: Vec<(usize, KernelPosition)> = Vec::with_capacity(changes.len());
        // The plain sums: each is a sum of non-negative terms, so replacing a term gives the sum
        // the full evaluation adds up (and overflows exactly when it would).
        for p in changes {
            let Some(h) = held.iter().position(|q| q.asset == p.asset) else { return Ok(None) };
            let Some(old) = self.positions.iter().find(|q| q.asset == p.asset) else { return Ok(None) };
            if changed.iter().any(|(i, _)| *i == h) {
                return Ok(None);
            }
            let (mut was, mut now) = (PlainSums::new(FloorSum::Exact), PlainSums::new(FloorSum::Exact));
            kernel_position(cov, old, &mut was)?;
            let kp = kernel_position(cov, p, &mut now)?;
            let plain = &mut s.plain;
            plain.depeg_loss = plain.depeg_loss.sub_checked(was.depeg_loss)?.add_checked(now.depeg_loss)?;
            plain.gross = plain.gross.sub_checked(was.gross)?.add_checked(now.gross)?;
            plain.floor = plain.floor.sub_checked(was.floor)?.add_checked(now.floor)?;
            changed.push((h, kp));
        }
        crate::probe!("changed kernel positions");
        // The shifts: unchanged, or every x̃ moves (evaluate in full). The largest `top` over the
        // unchanged positions is the book's unless a changed position held it (then recount).
        let mut top = s.top;
        if changed.iter().any(|(h, _)| top_of(&held[*h]) == s.top) {
            top = i32::MIN;
            for (i, h) in held.iter().enumerate() {
                if !changed.iter().any(|(j, _)| *j == i) {
                    top = raise_top(top, h);
                }
            }
        }
        for (_, kp) in &changed {
            top = raise_top(top, kp);
        }
        s.top = top;
        if coarse_shift(top) != s.t0 {
            return Ok(None);
        }
        for (h, kp) in &changed {
            s.coarse = s.coarse - coarse_term(&held[*h], s.t0)? + coarse_term(kp, s.t0)?;
        }
        if s.t0 + (kernel::bit_len(s.coarse as u128) - 30).max(0) != s.t {
            return Ok(None);
        }
        // The kernel's sums, one changed position at a time: x'ᵀC̃x' = xᵀC̃x + 2δ·(C̃x)_h + δ²·C̃_hh.
        // Bounds (so the operations below wrap nowhere): |C̃| ≤ 2^31 and |x̃| ≤ 2^31 (checked by
        // `kernel_units`), so each product fits an i64 and a row of k ≤ 64 an i128 (< 2^69);
        // |δ| ≤ 2^32, so 2δ·row < 2^102 and δ²·C̃_hh, C̃_hh·x̃² < 2^96.
        crate::probe!("changed shifts");
        let stored = cov.kernel_entries();
        let mut x = self.book.x.clone();
        for (h, kp) in &changed {
            let h = *h;
            let (x_new, eta_new) = kernel_units(kp, s.t)?;
            let (x_old, eta_old) = (x[h], kernel_units(&held[h], s.t)?.1);
            let vol = kp.vol as i64;
            s.big_x = s.big_x.wrapping_add(x_new.unsigned_abs() as i128).wrapping_sub(x_old.unsigned_abs() as i128);
            s.big_e = s.big_e.wrapping_add(eta_new as i128).wrapping_sub(eta_old as i128);
            s.joint =
                s.joint.wrapping_add(x_new.wrapping_mul(vol) as i128).wrapping_sub(x_old.wrapping_mul(vol) as i128);
            s.undiversified = s
                .undiversified
                .wrapping_add(undiversified_term(x_new, eta_new, kp.vol) as i128)
                .wrapping_sub(undiversified_term(x_old, eta_old, kp.vol) as i128);
            let mut row = 0i128;
            match stored {
                Some(entries) => {
                    let a = held[h].asset;
                    for (hj, &xj) in held.iter().zip(&x) {
                        let at = if hj.asset <= a { tri_index(hj.asset, a) } else { tri_index(a, hj.asset) };
                        let c = *entries.get(at).ok_or_else(|| overflow())? as i64;
                        row = row.wrapping_add(c.wrapping_mul(xj) as i128);
                    }
                }
                None => {
                    for (hj, &xj) in held.iter().zip(&x) {
                        row = row.wrapping_add(held_entry(cov, None, &held[h], hj)?.wrapping_mul(xj) as i128);
                    }
                }
            }
            let c_hh = held_entry(cov, stored, &held[h], &held[h])? as i128;
            let delta = x_new as i128 - x_old as i128;
            s.quad = s
                .quad
                .wrapping_add(2i128.wrapping_mul(delta).wrapping_mul(row))
                .wrapping_add(delta.wrapping_mul(delta).wrapping_mul(c_hh));
            let squares =
                (x_new as i128).wrapping_mul(x_new as i128).wrapping_sub((x_old as i128).wrapping_mul(x_old as i128));
            s.diag = s.diag.wrapping_add(c_hh.wrapping_mul(squares));
            x[h] = x_new;
        }
        if s.big_x > (1 << 30) + k as i128 {
            return Ok(None);
        }
        crate::probe!("changed rows");
        Ok(Some(levels(&quadratic_parts(&s)?, &self.constants, exact_only)?))
    }
}
