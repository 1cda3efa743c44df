//! Portfolio-margin protocol: traders deposit SPL tokens as collateral and borrow against them; margin
//! comes from an on-chain EWMA covariance matrix. All the math lives in the `risk-engine` crate; this
//! crate is account plumbing. `lib.rs` only dispatches.
use anchor_lang::prelude::*;

extern crate alloc;

pub mod error;
pub mod events;
pub mod instructions;
pub mod layout;
pub mod state;

use instructions::*;
use state::RiskParamsArgs;

pub use risk_engine;

// Memory and i128 builtins for the SBF build.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

declare_id!("GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX");

#[program]
pub mod portfolio_margin {
    use super::*;

    /// Creates a group (one protocol instance) with its authorities and validated risk parameters.
    pub fn create_group(
        ctx: Context<CreateGroup>,
        group_id: u32,
        risk_authority: Pubkey,
        params: RiskParamsArgs,
    ) -> Result<()> {
        instructions::admin::create_group::handler(ctx, group_id, risk_authority, params)
    }

    /// Replaces the group's risk parameters (admin only; validated like `create_group`).
    pub fn update_risk_params(ctx: Context<UpdateRiskParams>, params: RiskParamsArgs) -> Result<()> {
        instructions::admin::update_risk_params::handler(ctx, params)
    }

    /// Read-only: returns this build's account layouts (sizes, alignments, offsets) as return data.
    pub fn account_layouts(ctx: Context<AccountLayouts>) -> Result<()> {
        instructions::view::account_layouts::handler(ctx)
    }
}
