//! A group: one instance of the protocol with its authorities and risk parameters.
use anchor_lang::prelude::*;

use super::params::RiskParams;

/// Most assets a group can register (the covariance matrix is sized for this many).
pub const MAX_ASSETS: usize = 64;

/// Lookup tables a group records: 256 addresses each, five per asset.
pub const MAX_LOOKUP_TABLES: usize = 2;

#[account(zero_copy)]
#[derive(Debug)]
pub struct Group {
    /// May change parameters and register assets.
    pub admin: Pubkey,
    /// May change the risk parameters (`update_risk_params`).
    pub risk_authority: Pubkey,
    pub params: RiskParams,
    /// Chosen by the admin; part of the PDA seeds so one admin can run several groups.
    pub group_id: u32,
    /// Registered assets.
    pub asset_count: u16,
    /// Bump of this PDA.
    pub bump: u8,
    pub _padding: u8,
    /// Unix time of creation, seconds.
    pub created_at: i64,
    /// The group's risk-model account (set by `create_risk_model`).
    pub risk_model: Pubkey,
    /// Address lookup tables listing the group's accounts (assets, oracles, vaults, mints), for
    /// clients to build v0 transactions that fit a packet; set by `set_lookup_table`, the admin is
    /// each table's authority. Unset: the default key. Nothing on chain reads them.
    pub lookup_tables: [Pubkey; MAX_LOOKUP_TABLES],
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 160],
}

impl Group {
    /// Account size including Anchor's 8-byte discriminator.
    pub const SPACE: usize = 8 + core::mem::size_of::<Group>();
}
