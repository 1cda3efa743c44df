use anchor_lang::prelude::*;
use risk_engine::covariance::TriangularMatrix;
use risk_engine::ewma::{ewma_update_observed, pending_sample_open, sample_due, sample_return};
use risk_engine::procyclicality::{self, VolFloorParams};
use risk_engine::{tri_len, Fx, FxExt, WrappedI80F48};

use crate::account_view::AccountView;
use crate::error::{math, ErrorCode};
use crate::events::{OracleUnusable, RiskModelUpdated};
use crate::oracle::read_mark;
use crate::state::{Group, RiskModel};

/// Permissionless. Remaining accounts: the oracles of assets `first_asset`, `first_asset + 1`, …
#[derive(Accounts)]
pub struct CrankRiskModel<'info> {
    #[account(has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    #[account(mut)]
    pub risk_model: AccountLoader<'info, RiskModel>,
}

/// Records the prices of a run of assets into the pending sample; when every asset is recorded,
/// applies the EWMA update to the whole matrix at once, so one update always comes from one sample.
///
/// Only each asset's registered oracle account is accepted, so an unusable price means the feed
/// itself is unusable (nobody can pass an older or partially verified update of it); such an asset
/// is "missing" from the sample and its variance is kept, never lowered (see
/// `risk_engine::ewma::ewma_update_observed`). Every price of one sample comes from one short
/// window: a pending sample not completed within the oracle max age of its start is discarded and
/// restarted, so its prices were published within two max ages of each other.
pub fn handle_crank_risk_model<'info>(ctx: Context<'info, CrankRiskModel<'info>>, first_asset: u16) -> Result<()> {
    let group = ctx.accounts.group.load()?;
    let mut model = ctx.accounts.risk_model.load_mut()?;
    let now = Clock::get()?.unix_timestamp;
    let n = model.asset_count as usize;
    let interval = group.params.sample_interval_seconds as i64;

    let window = group.params.oracle_max_age_seconds as i64;
    if model.pending_sample_time != 0 && !pending_sample_open(model.pending_sample_time, window, now) {
        msg!("discarding a pending sample started at {}", model.pending_sample_time);
        model.pending_sample_time = 0;
    }
    if model.pending_sample_time == 0 {
        if !sample_due(model.last_sample_time, interval, now) {
            msg!("next sample due at {}", model.last_sample_time + interval);
            return err!(ErrorCode::SampleTooEarly);
        }
        model.pending_sample_time = now;
        model.pending_mask = 0;
        model.pending_missing = 0;
    }
    let first = first_asset as usize;
    let oracles = crate::account_view::Remaining::of(ctx.remaining_accounts)?;
    if oracles.is_empty() || first + oracles.len() > n {
        msg!("assets {}..{} requested, group has {}", first, first + oracles.len(), n);
        return err!(ErrorCode::CrankOrder);
    }
    let group_key = ctx.accounts.group.key();
    for k in 0..oracles.len() {
        let info = oracles.get(k).ok_or_else(|| error!(ErrorCode::CrankOrder))?;
        let i = first + k;
        let bit = 1u64 << i;
        if model.pending_mask & bit != 0 {
            msg!("asset {} is already recorded in this sample", i);
            return err!(ErrorCode::CrankOrder);
        }
        match read_mark(&info, &model.oracles[i], &model.feed_ids[i], now, &group.params)? {
            Ok(price) => model.pending_prices[i].set(price),
            Err(why) => {
                model.pending_missing |= bit;
                emit!(OracleUnusable {
                    group: group_key,
                    asset_index: i as u16,
                    oracle: *info.address(),
                    reason: why as u8
                });
            }
        }
        model.pending_mask |= bit;
    }
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    if model.pending_mask != all {
        return Ok(());
    }
    apply_sample(&mut model, n, group.params.lambda.get(), &group.params.vol_floor_params())?;
    emit!(RiskModelUpdated {
        group: group_key,
        sample_time: model.last_sample_time,
        sample_count: model.sample_count,
        missing_mask: model.pending_missing,
        volatility_bits: model.volatility[..n].iter().map(|v| v.get().to_bits()).collect(),
    });
    model.pending_sample_time = 0;
    Ok(())
}

fn apply_sample(model: &mut RiskModel, n: usize, lambda: Fx, vol_floor: &VolFloorParams) -> Result<()> {
    // Heap, not stack: 64 × 16-byte values would fill an SBF stack frame. The last prices are
    // written as they are read (an error reverts the whole transaction).
    let mut returns: Vec<Fx> = Vec::with_capacity(n);
    for i in 0..n {
        let observed = (model.pending_missing & (1u64 << i) == 0).then(|| model.pending_prices[i].get());
        let (r, last) = sample_return(i, model.last_prices[i].get(), observed).map_err(math)?;
        model.last_prices[i].set(last);
        returns.push(r);
    }
    crate::probe!("returns");
    let first_sample = model.last_sample_time == 0;
    if !first_sample {
        let missing = model.pending_missing;
        let mut matrix =
            TriangularMatrix::new(n, &mut model.covariance[..tri_len(n)] as &mut [WrappedI80F48]).map_err(math)?;
        ewma_update_observed(&mut matrix, lambda, &returns, missing).map_err(math)?;
        crate::probe!("ewma");
        for i in 0..n {
            let var = model.covariance[risk_engine::tri_index(i, i)].get();
            model.volatility[i].set(var.max(Fx::ZERO).sqrt_ceil().map_err(math)?);
        }
        crate::probe!("volatilities");
        let RiskModel { covariance, slow_variance, short_variance, vol_scale, .. } = model;
        let fast = TriangularMatrix::new(n, &covariance[..tri_len(n)] as &[WrappedI80F48]).map_err(math)?;
        let memories = procyclicality::Memories {
            slow: &mut slow_variance[..n],
            short: &mut short_variance[..n],
            scales: &mut vol_scale[..n],
        };
        procyclicality::apply_sample(&fast, &returns, missing, memories, vol_floor).map_err(math)?;
        crate::probe!("volatility memories");
        model.refresh_kernel(0..n).map_err(math)?;
        crate::probe!("kernel refresh");
        model.sample_count += 1;
    }
    model.last_sample_time = model.pending_sample_time;
    Ok(())
}
