//! A registered asset: its mint, oracle feed, vaults, lending pool and risk settings.
use anchor_lang::prelude::*;
use risk_engine::fixed_point::mul_to_int;
use risk_engine::interest::{Accrual, InterestCurve, Pool};
use risk_engine::{Fx, FxExt, RiskResult, WrappedI80F48};

use super::margin_account::Position;

#[account(zero_copy)]
#[derive(Debug)]
pub struct Asset {
    pub group: Pubkey,
    pub mint: Pubkey,
    /// SPL Token or Token-2022 program that owns the mint.
    pub token_program: Pubkey,
    /// PDA token account holding every deposit of this asset.
    pub vault: Pubkey,
    /// PDA token account of the insurance fund for this asset.
    pub insurance_vault: Pubkey,
    /// Pyth price feed id (PriceUpdateV2 `feed_id`).
    pub feed_id: [u8; 32],
    /// Native units per deposit share.
    pub deposit_index: WrappedI80F48,
    /// Native units per borrow share.
    pub borrow_index: WrappedI80F48,
    /// Deposit shares outstanding.
    pub deposit_shares: WrappedI80F48,
    /// Borrow shares outstanding.
    pub borrow_shares: WrappedI80F48,
    /// Protocol's interest share not yet moved to the insurance vault, native units.
    pub protocol_fees: WrappedI80F48,
    /// Annual borrow rate at 0% utilisation.
    pub base_rate: WrappedI80F48,
    /// Utilisation at the kink.
    pub optimal_utilization: WrappedI80F48,
    /// Annual borrow rate at the kink.
    pub rate_at_optimal: WrappedI80F48,
    /// Annual borrow rate at 100% utilisation.
    pub max_rate: WrappedI80F48,
    /// Share of interest kept by the protocol.
    pub protocol_share: WrappedI80F48,
    /// Minimum margin per USD of |exposure|.
    pub floor_rate: WrappedI80F48,
    /// Deposits may not exceed this, native units.
    pub deposit_cap: u64,
    /// Borrows may not exceed this, native units.
    pub borrow_cap: u64,
    /// Unix seconds of the last interest accrual.
    pub last_accrual: i64,
    /// Position of the asset in the group (row/column of the covariance matrix).
    pub index: u16,
    /// Mint decimals.
    pub decimals: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub insurance_bump: u8,
    pub _padding: [u8; 2],
    /// The Pyth price-feed account this asset is priced from (the push-oracle account of its feed,
    /// which anyone can update): the only oracle account the program accepts for it.
    pub oracle: Pubkey,
    /// The mint's freeze authority at registration (all zero when `has_freeze_authority` is 0): a
    /// frozen vault would lock every depositor, so users and auditors are shown who holds it.
    pub freeze_authority: Pubkey,
    /// Generation of the deposit shares: raised when a socialised loss wipes every deposit out, so
    /// shares of an older generation are worth nothing and the pool starts again at index 1.
    pub deposit_epoch: u32,
    /// 1 if the mint had a freeze authority at registration.
    pub has_freeze_authority: u8,
    pub _padding2: [u8; 3],
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 56],
}

impl Asset {
    pub const SPACE: usize = 8 + core::mem::size_of::<Asset>();

    pub fn pool(&self) -> Pool {
        Pool {
            deposit_index: self.deposit_index.get(),
            borrow_index: self.borrow_index.get(),
            deposit_shares: self.deposit_shares.get(),
            borrow_shares: self.borrow_shares.get(),
            protocol_fees: self.protocol_fees.get(),
            last_accrual: self.last_accrual,
        }
    }

    pub fn set_pool(&mut self, p: &Pool) {
        self.deposit_index.set(p.deposit_index);
        self.borrow_index.set(p.borrow_index);
        self.deposit_shares.set(p.deposit_shares);
        self.borrow_shares.set(p.borrow_shares);
        self.protocol_fees.set(p.protocol_fees);
        self.last_accrual = p.last_accrual;
    }

    /// Accrues the pool's interest up to `now` (written to this account).
    pub fn accrue(&mut self, now: i64) -> RiskResult<Accrual> {
        let mut pool = self.pool();
        let a = pool.accrue(now, &self.curve(), self.protocol_share.get())?;
        self.set_pool(&pool);
        Ok(a)
    }

    /// The pool with interest accrued to `now` in memory (nothing written).
    pub fn pool_at(&self, now: i64) -> RiskResult<Pool> {
        let mut pool = self.pool();
        pool.accrue(now, &self.curve(), self.protocol_share.get())?;
        Ok(pool)
    }

    /// A position's signed native amount now, as every health check values it: a debt at the borrow
    /// index accrued to `now` (rounded up: exactly what accruing first would give), a deposit at the
    /// stored deposit index (rounded down; a lower bound, since the deposit index only grows between
    /// touches, and the asset an instruction changes is accrued in storage first). So no debt looks
    /// smaller than it is, and no pool is accrued for a deposit.
    pub fn position_amount_at(&self, p: &Position, now: i64) -> RiskResult<i128> {
        let shares = self.live_shares(p);
        if shares >= Fx::ZERO {
            return Ok(mul_to_int(shares, self.deposit_index.get(), false)?);
        }
        let index = self.pool().borrow_index_at(now, &self.curve())?;
        Ok(-mul_to_int(shares.neg_checked()?, index, true)?)
    }

    /// Deposit shares of `p` that are still worth something: shares of an older deposit generation
    /// (before a wipe-out, see `deposit_epoch`) count as zero.
    pub fn live_shares(&self, p: &Position) -> Fx {
        let s = p.shares.get();
        if s > Fx::ZERO && p.deposit_epoch() != self.deposit_epoch {
            Fx::ZERO
        } else {
            s
        }
    }

    /// Signed native amount of a position in `pool`: deposits rounded down, debts rounded up (more
    /// negative); deposits of an older generation are worth zero.
    pub fn position_amount(&self, pool: &Pool, p: &Position) -> RiskResult<i128> {
        let shares = self.live_shares(p);
        if shares >= Fx::ZERO {
            pool.deposit_native(shares)
        } else {
            Ok(-pool.borrow_native(shares.neg_checked()?)?)
        }
    }

    /// Tokens in the vault that are neither lent out nor owed to the insurance fund.
    pub fn available_liquidity(&self, vault_amount: u64) -> u64 {
        let fees = risk_engine::fixed_point::ceil_to_int(self.protocol_fees.get()).max(0);
        vault_amount.saturating_sub(u64::try_from(fees).unwrap_or(u64::MAX))
    }

    pub fn curve(&self) -> InterestCurve {
        InterestCurve {
            base_rate: self.base_rate.get(),
            optimal_utilization: self.optimal_utilization.get(),
            rate_at_optimal: self.rate_at_optimal.get(),
            max_rate: self.max_rate.get(),
        }
    }
}
