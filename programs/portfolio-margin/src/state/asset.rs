//! A registered asset: its mint, oracle feed, vaults, lending pool and risk settings.
use anchor_lang::prelude::*;
use risk_engine::interest::{InterestCurve, Pool};
use risk_engine::WrappedI80F48;

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
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 128],
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

    pub fn curve(&self) -> InterestCurve {
        InterestCurve {
            base_rate: self.base_rate.get(),
            optimal_utilization: self.optimal_utilization.get(),
            rate_at_optimal: self.rate_at_optimal.get(),
            max_rate: self.max_rate.get(),
        }
    }
}
