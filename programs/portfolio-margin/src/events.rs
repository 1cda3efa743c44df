//! Events: one for every state change.
use anchor_lang::prelude::*;

use crate::state::RiskParamsArgs;

#[event]
pub struct GroupCreated {
    pub group: Pubkey,
    pub admin: Pubkey,
    pub risk_authority: Pubkey,
    pub group_id: u32,
    pub params: RiskParamsArgs,
}

#[event]
pub struct RiskParamsUpdated {
    pub group: Pubkey,
    pub admin: Pubkey,
    pub params: RiskParamsArgs,
}
