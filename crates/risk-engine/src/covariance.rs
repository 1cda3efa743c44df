//! Covariance matrices stored as a packed upper triangle.
//!
//! Entry `(i, j)` with `i ≤ j` lives at `j·(j+1)/2 + i` (column-packed). The index of an entry does
//! not depend on the matrix size, so registering asset `n` appends column `n` and moves nothing.
//! Units: variance and covariance of simple returns per sample interval (dimensionless).
use crate::error::{RiskError, RiskResult};
use crate::fixed_point::{Fx, FxExt, MathResult, WrappedI80F48};
use crate::kernel::KernelAsset;

/// Number of stored entries for an `n`-asset matrix: `n(n+1)/2`.
pub const fn tri_len(n: usize) -> usize {
    n * (n + 1) / 2
}

/// Storage index of entry `(i, j)`, in either order.
#[inline]
pub const fn tri_index(i: usize, j: usize) -> usize {
    let (lo, hi) = if i <= j { (i, j) } else { (j, i) };
    // Wrapping: an index below 2^32 cannot wrap, and a wrapped one would fail the slice's bounds
    // check. (A checked multiply is a software routine on SBF, and this runs per matrix entry.)
    (hi.wrapping_mul(hi.wrapping_add(1)) >> 1).wrapping_add(lo)
}

/// Largest matrix whose LDLᵀ positive-semidefiniteness check runs at registration (O(n³/6) checked
/// multiply-adds must fit one transaction's compute budget; measured in BENCHMARKS.md).
pub const PSD_CHECK_MAX_ASSETS: usize = 24;

/// Pivot tolerance of the registration PSD check: rounding of a singular (perfectly correlated)
/// matrix, far below any real variance per sample (~1e-6 and up).
pub const PSD_TOLERANCE: Fx = Fx::from_bits(1 << 8);

/// Validates the column a new asset brings to `existing` (`column[j]` = its covariance with asset j,
/// last entry its variance): variance > 0, every `cov² ≤ var·var`, and, while the new matrix has at
/// most [`PSD_CHECK_MAX_ASSETS`] assets, positive semidefiniteness of the whole matrix (pairwise
/// bounds do not imply it for three assets or more).
pub fn validate_new_column<C: CovarianceSource>(existing: &C, column: &[Fx]) -> RiskResult<()> {
    let n = existing.dim();
    if column.len() != n + 1 {
        return Err(RiskError::DimensionMismatch { expected: n + 1, got: column.len() });
    }
    let var = column[n];
    if var <= Fx::ZERO {
        return Err(RiskError::NonPositiveVariance { asset: n });
    }
    for (j, &c) in column[..n].iter().enumerate() {
        if c.mul_floor(c)? > existing.cov(j, j).mul_ceil(var)? {
            return Err(RiskError::CorrelationOutOfBounds { i: j, j: n });
        }
    }
    if n < PSD_CHECK_MAX_ASSETS {
        let mut m = OwnedMatrix::zeros(n + 1);
        for j in 0..n {
            for i in 0..=j {
                m.set(i, j, existing.cov(i, j));
            }
        }
        for (j, &c) in column.iter().enumerate() {
            m.set(j, n, c);
        }
        m.check_psd(PSD_TOLERANCE)?;
    }
    Ok(())
}

/// Read access to a covariance matrix, however it is stored.
pub trait CovarianceSource {
    /// Number of assets.
    fn dim(&self) -> usize;
    /// `Σ[i][j]` (symmetric).
    fn cov(&self, i: usize, j: usize) -> Fx;
    /// `σ_i = √Σ[i][i]`, rounded up. Sources that keep volatilities precomputed override this.
    fn vol(&self, i: usize) -> MathResult<Fx> {
        self.cov(i, i).max(Fx::ZERO).sqrt_ceil()
    }
    /// The anti-procyclical volatility scale `d_i ≥ 1` the margin applies to asset i's exposure
    /// ([`crate::procyclicality`]); 1 for sources that keep none.
    fn vol_scale(&self, _i: usize) -> Fx {
        Fx::ONE
    }
    /// The de-peg gap of asset i (a stablecoin's sudden fall as a share of its price; 0 for assets
    /// margined on their volatility alone): the margin's de-peg term charges holders for it.
    fn depeg_gap(&self, _i: usize) -> Fx {
        Fx::ZERO
    }
    /// Asset i in the margin kernel's form ([`crate::kernel`]), from `vol(i)` and `vol_scale(i)`.
    /// The risk model account stores it (the crank refreshes it with the matrix).
    fn kernel_asset(&self, i: usize) -> MathResult<KernelAsset> {
        crate::kernel::asset(self.vol(i)?, self.vol_scale(i))
    }
    /// `C̃_ij` of the margin kernel, `a_i`, `a_j` the assets' kernel exponents.
    fn kernel_entry(&self, i: usize, j: usize, a_i: i8, a_j: i8) -> MathResult<i32> {
        crate::kernel::entry(self.cov(i, j), a_i, a_j)
    }
    /// The stored `C̃` of every asset, packed like the matrix ([`tri_index`]), when the source keeps
    /// it (the risk model account); `None` makes the margin compute the held entries.
    fn kernel_entries(&self) -> Option<&[i32]> {
        None
    }
}

/// A covariance source with per-asset volatility scales (the matrix `DΣD` as the margin sees it).
pub struct ScaledCovariance<'a, C> {
    pub inner: &'a C,
    /// `d_i` per asset (≥ 1), as the crank stores them.
    pub scales: &'a [WrappedI80F48],
    /// De-peg gaps per asset (empty: none).
    pub gaps: &'a [WrappedI80F48],
}

impl<C: CovarianceSource> CovarianceSource for ScaledCovariance<'_, C> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn cov(&self, i: usize, j: usize) -> Fx {
        self.inner.cov(i, j)
    }
    fn vol(&self, i: usize) -> MathResult<Fx> {
        self.inner.vol(i)
    }
    fn vol_scale(&self, i: usize) -> Fx {
        self.scales.get(i).map_or(Fx::ONE, |d| d.get())
    }
    fn depeg_gap(&self, i: usize) -> Fx {
        self.gaps.get(i).map_or(Fx::ZERO, |g| g.get())
    }
}

/// A packed upper-triangular covariance matrix over any slice of [`WrappedI80F48`].
#[derive(Clone, Debug)]
pub struct TriangularMatrix<S> {
    n: usize,
    entries: S,
}

impl<S: AsRef<[WrappedI80F48]>> TriangularMatrix<S> {
    /// Views the first `tri_len(n)` entries of `entries` as an `n`-asset matrix.
    pub fn new(n: usize, entries: S) -> RiskResult<Self> {
        let have = entries.as_ref().len();
        if have < tri_len(n) {
            return Err(RiskError::DimensionMismatch { expected: tri_len(n), got: have });
        }
        Ok(Self { n, entries })
    }

    pub fn entries(&self) -> &[WrappedI80F48] {
        &self.entries.as_ref()[..tri_len(self.n)]
    }

    /// Checks a bootstrap matrix: every variance > 0 and every `cov² ≤ var·var`.
    pub fn validate_bootstrap(&self) -> RiskResult<()> {
        for j in 0..self.n {
            let var_j = self.cov(j, j);
            if var_j <= Fx::ZERO {
                return Err(RiskError::NonPositiveVariance { asset: j });
            }
            for i in 0..j {
                let c = self.cov(i, j);
                let lhs = c.mul_floor(c)?;
                let rhs = self.cov(i, i).mul_ceil(var_j)?;
                if lhs > rhs {
                    return Err(RiskError::CorrelationOutOfBounds { i, j });
                }
            }
        }
        Ok(())
    }

    /// Checks positive semidefiniteness with an LDLᵀ factorisation (O(n³/6), off-chain use).
    /// A pivot may be negative by at most `tolerance` (rounding of a singular matrix).
    pub fn check_psd(&self, tolerance: Fx) -> RiskResult<()> {
        let n = self.n;
        // l[i][k] for k < i, row-major in a flat vector; d[k] pivots.
        let mut l = alloc::vec![Fx::ZERO; n * n];
        let mut d = alloc::vec![Fx::ZERO; n];
        for i in 0..n {
            for j in 0..=i {
                let mut s = self.cov(i, j);
                for k in 0..j {
                    let t = l[i * n + k].mul_floor(l[j * n + k])?.mul_floor(d[k])?;
                    s = s.sub_checked(t)?;
                }
                if i == j {
                    if s < -tolerance {
                        return Err(RiskError::NotPositiveSemidefinite { pivot: i });
                    }
                    d[i] = s;
                } else if d[j] > tolerance {
                    l[i * n + j] = s.div_floor(d[j])?;
                } else {
                    // Zero pivot: the row must be (numerically) zero too for PSD.
                    if s.abs() > tolerance {
                        return Err(RiskError::NotPositiveSemidefinite { pivot: j });
                    }
                    l[i * n + j] = Fx::ZERO;
                }
            }
        }
        Ok(())
    }
}

impl<S: AsRef<[WrappedI80F48]> + AsMut<[WrappedI80F48]>> TriangularMatrix<S> {
    pub fn entries_mut(&mut self) -> &mut [WrappedI80F48] {
        let len = tri_len(self.n);
        &mut self.entries.as_mut()[..len]
    }

    pub fn set(&mut self, i: usize, j: usize, v: Fx) {
        self.entries.as_mut()[tri_index(i, j)].set(v);
    }
}

impl<S: AsRef<[WrappedI80F48]>> CovarianceSource for TriangularMatrix<S> {
    fn dim(&self) -> usize {
        self.n
    }
    #[inline]
    fn cov(&self, i: usize, j: usize) -> Fx {
        self.entries.as_ref()[tri_index(i, j)].get()
    }
}

/// An owned matrix, convenient off-chain.
pub type OwnedMatrix = TriangularMatrix<alloc::vec::Vec<WrappedI80F48>>;

impl OwnedMatrix {
    pub fn zeros(n: usize) -> Self {
        Self { n, entries: alloc::vec![WrappedI80F48::ZERO; tri_len(n)] }
    }

    /// Builds a matrix from a full symmetric row-major `n×n` array (the upper triangle is read).
    pub fn from_dense(n: usize, dense: &[Fx]) -> RiskResult<Self> {
        if dense.len() != n * n {
            return Err(RiskError::DimensionMismatch { expected: n * n, got: dense.len() });
        }
        let mut m = Self::zeros(n);
        for j in 0..n {
            for i in 0..=j {
                m.set(i, j, dense[i * n + j]);
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(v: f64) -> Fx {
        Fx::from_num(v)
    }

    fn matrix(n: usize, dense: &[f64]) -> OwnedMatrix {
        let v: alloc::vec::Vec<Fx> = dense.iter().map(|&x| fx(x)).collect();
        OwnedMatrix::from_dense(n, &v).unwrap()
    }

    #[test]
    fn packed_index_is_column_major_and_symmetric() {
        assert_eq!(tri_index(0, 0), 0);
        assert_eq!(tri_index(0, 1), 1);
        assert_eq!(tri_index(1, 1), 2);
        assert_eq!(tri_index(0, 2), 3);
        assert_eq!(tri_index(2, 0), 3);
        assert_eq!(tri_index(2, 2), 5);
        assert_eq!(tri_len(64), 2080);
        // Appending an asset never moves existing entries.
        assert_eq!(tri_index(3, 4), tri_len(4) + 3);
    }

    #[test]
    fn bootstrap_accepts_valid_and_names_the_bad_entry() {
        let ok = matrix(2, &[0.04, 0.01, 0.01, 0.09]);
        ok.validate_bootstrap().unwrap();
        let zero_var = matrix(2, &[0.04, 0.0, 0.0, 0.0]);
        assert_eq!(zero_var.validate_bootstrap(), Err(RiskError::NonPositiveVariance { asset: 1 }));
        let too_correlated = matrix(2, &[0.04, 0.061, 0.061, 0.09]);
        assert_eq!(too_correlated.validate_bootstrap(), Err(RiskError::CorrelationOutOfBounds { i: 0, j: 1 }));
    }

    #[test]
    fn psd_check_catches_pairwise_valid_but_indefinite_matrix() {
        // Correlations 0.9, 0.9, -0.9: each pair is valid, the whole is not PSD.
        let bad = matrix(3, &[1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0]);
        bad.validate_bootstrap().unwrap();
        assert!(matches!(bad.check_psd(fx(1e-9)), Err(RiskError::NotPositiveSemidefinite { .. })));
        let good = matrix(3, &[1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0]);
        good.check_psd(fx(1e-9)).unwrap();
        // Singular but PSD (perfectly correlated pair).
        let singular = matrix(2, &[1.0, 1.0, 1.0, 1.0]);
        singular.check_psd(fx(1e-9)).unwrap();
    }

    #[test]
    fn vol_is_square_root_of_variance() {
        let m = matrix(1, &[0.0004]);
        let v = m.vol(0).unwrap().to_num::<f64>();
        assert!((v - 0.02).abs() < 1e-12);
    }

    #[test]
    fn a_new_column_is_checked_pairwise_and_for_positive_semidefiniteness() {
        let f = |v: f64| Fx::from_num(v);
        // Two assets with correlation 0.9, σ = 0.05 and 0.001.
        let existing = OwnedMatrix::from_dense(2, &[f(0.0025), f(0.000045), f(0.000045), f(0.000001)]).unwrap();
        // A third with ρ = 0.9 to the first and 0.8 to the second: fine.
        let ok = [f(0.9 * 0.05 * 0.02), f(0.8 * 0.001 * 0.02), f(0.0004)];
        validate_new_column(&existing, &ok).unwrap();
        // ρ = 0.9 and −0.9: each pair is within bounds, the matrix is not PSD.
        let bad = [f(0.9 * 0.05 * 0.02), f(-0.9 * 0.001 * 0.02), f(0.0004)];
        assert!(matches!(validate_new_column(&existing, &bad), Err(RiskError::NotPositiveSemidefinite { .. })));
        let too_big = [f(0.06 * 0.02), f(0.0), f(0.0004)];
        assert_eq!(validate_new_column(&existing, &too_big), Err(RiskError::CorrelationOutOfBounds { i: 0, j: 2 }));
        assert_eq!(
            validate_new_column(&existing, &[f(0.0), f(0.0), f(0.0)]),
            Err(RiskError::NonPositiveVariance { asset: 2 })
        );
    }
}
