//! The on-chain risk model: last prices, volatilities and the EWMA covariance matrix of every
//! registered asset, sized for `MAX_ASSETS` at creation (the account is allocated by the client:
//! it is larger than the 10 KiB a program may create by CPI).
use anchor_lang::prelude::*;
use risk_engine::covariance::{tri_len, CovarianceSource};
use risk_engine::fixed_point::MathResult;
use risk_engine::kernel::KernelAsset;
use risk_engine::{Fx, WrappedI80F48};

use super::group::MAX_ASSETS;

/// Entries of the packed upper triangle at `MAX_ASSETS`.
pub const COV_LEN: usize = tri_len(MAX_ASSETS);

#[account(zero_copy)]
pub struct RiskModel {
    pub group: Pubkey,
    /// Unix seconds of the last applied sample.
    pub last_sample_time: i64,
    /// Samples applied since creation.
    pub sample_count: u64,
    /// Unix seconds when the pending sample started (0: none pending).
    pub pending_sample_time: i64,
    /// Bit i set: asset i's price is recorded in the pending sample.
    pub pending_mask: u64,
    /// Bit i set: asset i's oracle was unusable for the pending sample (return 0).
    pub pending_missing: u64,
    /// Assets covered by the matrix (equals the group's asset count).
    pub asset_count: u16,
    pub _padding: [u8; 6],
    /// USD per whole token at the last sample each asset had a usable price.
    pub last_prices: [WrappedI80F48; MAX_ASSETS],
    /// Prices recorded for the pending sample.
    pub pending_prices: [WrappedI80F48; MAX_ASSETS],
    /// `√Σ_ii` per sample interval, rounded up; refreshed with the matrix.
    pub volatility: [WrappedI80F48; MAX_ASSETS],
    /// Slow EWMA of each asset's squared returns per sample interval (λ_s, the anti-procyclical
    /// memory; `risk_engine::procyclicality`).
    pub slow_variance: [WrappedI80F48; MAX_ASSETS],
    /// Short EWMA of each asset's squared returns (λ_f: a shock lifts margins at the next sample).
    pub short_variance: [WrappedI80F48; MAX_ASSETS],
    /// `d_i = max(1, κ_s·σ_slow / σ_fast, κ_f·σ_short / σ_fast)`, rounded up: every margin term but the floor scales asset
    /// i's exposure by it. Refreshed with the matrix.
    pub vol_scale: [WrappedI80F48; MAX_ASSETS],
    /// Each asset's de-peg gap (a stablecoin's sudden fall as a share of its price; 0 for others),
    /// set at registration: the margin's de-peg term charges holders for it.
    pub depeg_gap: [WrappedI80F48; MAX_ASSETS],
    /// Feed id of each asset's oracle, so the crank needs only the oracle accounts.
    pub feed_ids: [[u8; 32]; MAX_ASSETS],
    /// The oracle account of each asset (`Asset::oracle`): the only one the crank accepts.
    pub oracles: [Pubkey; MAX_ASSETS],
    /// Covariance of simple returns per sample interval, packed upper triangle.
    pub covariance: [WrappedI80F48; COV_LEN],
    /// The margin kernel (`risk_engine::kernel`): `Σ`, `σ` and `d` in per-asset power-of-two
    /// scales, read by every health check with 64-bit multiplies; recomputed from the fields above
    /// by the crank and at registration (`refresh_kernel`). Per asset: the exponent `a_i`, …
    pub kernel_exponent: [i8; MAX_ASSETS],
    /// … whether `d̃_i` is exact (1), …
    pub kernel_exact: [u8; MAX_ASSETS],
    /// Assets whose kernel is computed (health checks see no asset beyond).
    pub kernel_dim: u16,
    pub _kernel_padding: [u8; 6],
    /// … `s̃_i = ⌈σ_i·2^{a_i}·2^31⌉`, …
    pub kernel_vol: [u32; MAX_ASSETS],
    /// … `d̃_i = ⌈d_i·2^26⌉`; and `C̃_ij = ⌊Σ_ij·2^{a_i+a_j+29}⌋`, packed like `covariance`.
    pub kernel_scale: [u32; MAX_ASSETS],
    pub kernel_cov: [i32; COV_LEN],
}

impl RiskModel {
    pub const SPACE: usize = 8 + core::mem::size_of::<RiskModel>();

    /// Recomputes the margin kernel of `columns` (every entry of those columns and their assets)
    /// from the stored `Σ`, `σ` and `d`, and covers assets up to the last column.
    pub fn refresh_kernel(&mut self, columns: core::ops::Range<usize>) -> MathResult<()> {
        let end = columns.end;
        let RiskModel {
            covariance,
            volatility,
            vol_scale,
            kernel_exponent,
            kernel_vol,
            kernel_scale,
            kernel_exact,
            kernel_cov,
            ..
        } = self;
        let src = risk_engine::kernel::KernelSource { covariance, volatility, vol_scale };
        let out = risk_engine::kernel::KernelStore {
            exponent: kernel_exponent,
            vol: kernel_vol,
            scale: kernel_scale,
            exact: kernel_exact,
            cov: kernel_cov,
        };
        risk_engine::kernel::refresh(src, columns, out)?;
        self.kernel_dim = self.kernel_dim.max(end as u16);
        Ok(())
    }
}

/// The risk model as the engine's covariance source (volatilities precomputed at the crank).
pub struct ModelView<'a> {
    pub model: &'a RiskModel,
}

impl CovarianceSource for ModelView<'_> {
    fn dim(&self) -> usize {
        self.model.asset_count.min(self.model.kernel_dim) as usize
    }
    #[inline]
    fn cov(&self, i: usize, j: usize) -> Fx {
        self.model.covariance[risk_engine::tri_index(i, j)].get()
    }
    #[inline]
    fn vol(&self, i: usize) -> MathResult<Fx> {
        Ok(self.model.volatility[i].get())
    }
    #[inline]
    fn vol_scale(&self, i: usize) -> Fx {
        self.model.vol_scale[i].get()
    }
    #[inline]
    fn depeg_gap(&self, i: usize) -> Fx {
        self.model.depeg_gap[i].get()
    }
    #[inline]
    fn kernel_asset(&self, i: usize) -> MathResult<KernelAsset> {
        let m = self.model;
        Ok(KernelAsset {
            exponent: m.kernel_exponent[i],
            vol: m.kernel_vol[i],
            scale: m.kernel_scale[i],
            scale_exact: m.kernel_exact[i] != 0,
        })
    }
    #[inline]
    fn kernel_entries(&self) -> Option<&[i32]> {
        Some(&self.model.kernel_cov[..risk_engine::tri_len(self.dim())])
    }
}
