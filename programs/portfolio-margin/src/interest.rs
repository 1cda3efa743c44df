//! Interest accrual on touch: every instruction that changes a pool accrues it first, with an event.
use anchor_lang::prelude::*;
use risk_engine::Fx;

use crate::error::math;
use crate::events::InterestAccrued;
use crate::state::Asset;

/// Accrues the pool's interest up to `now` (`Asset::accrue`); emits when anything accrued.
pub fn accrue(asset: &mut Asset, asset_key: Pubkey, now: i64) -> Result<()> {
    let before = asset.last_accrual;
    let a = asset.accrue(now).map_err(math)?;
    let pool = asset.pool();
    if a.interest > Fx::ZERO {
        emit!(InterestAccrued {
            asset: asset_key,
            seconds: now - before,
            interest_bits: a.interest.to_bits(),
            protocol_fee_bits: a.protocol_fee.to_bits(),
            borrow_rate_bits: a.borrow_rate.to_bits(),
            deposit_index_bits: pool.deposit_index.to_bits(),
            borrow_index_bits: pool.borrow_index.to_bits(),
        });
    }
    Ok(())
}
