//! The on-chain risk model: last prices, volatilities and the EWMA covariance matrix of every
//! registered asset, sized for `MAX_ASSETS` at creation (the account is allocated by the client:
//! it is larger than the 10 KiB a program may create by CPI).
use anchor_lang::prelude::*;
use risk_engine::covariance::{tri_len, CovarianceSource};
use risk_engine::fixed_point::MathResult;
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
}

impl RiskModel {
    pub const SPACE: usize = 8 + core::mem::size_of::<RiskModel>();
}

/// The risk model as the engine's covariance source (volatilities precomputed at the crank).
pub struct ModelView<'a> {
    pub model: &'a RiskModel,
}

impl CovarianceSource for ModelView<'_> {
    fn dim(&self) -> usize {
        self.model.asset_count as usize
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
}
