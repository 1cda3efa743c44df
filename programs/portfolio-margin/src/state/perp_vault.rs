//! The group's perp liquidity vault: the counterparty of every perp trade, in the group's quote
//! asset, separate from the lending pools (lenders are never short traders' PnL). LPs hold shares
//! (an SPL mint the vault PDA controls); the vault's value is its tokens minus traders' unrealized
//! PnL in every market.
use anchor_lang::prelude::*;
use risk_engine::{Fx, WrappedI80F48};

/// Most perp markets a group can list (every LP action values all of them).
pub const MAX_PERP_MARKETS: usize = 16;

#[account(zero_copy)]
#[derive(Debug)]
pub struct PerpVault {
    pub group: Pubkey,
    /// The quote asset (its Asset account): settlement moves PnL to and from its lending pool.
    pub quote_asset: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    /// PDA token account `[PERP_VAULT_TOKENS, group]` holding the vault's quote tokens.
    pub tokens: Pubkey,
    /// PDA mint `[PERP_LP_MINT, group]` of the LP shares (authority: this vault).
    pub share_mint: Pubkey,
    /// Share of the vault's tokens the markets' stressed net positions may use, in (0, 1].
    pub max_utilization: WrappedI80F48,
    /// Perp markets listed (indices 0..market_count).
    pub market_count: u16,
    pub bump: u8,
    pub tokens_bump: u8,
    pub share_mint_bump: u8,
    pub quote_decimals: u8,
    pub _padding: [u8; 2],
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 64],
}

impl PerpVault {
    pub const SPACE: usize = 8 + core::mem::size_of::<PerpVault>();

    /// The most stressed net notional one market may hold, USD: `max_utilization × tokens /
    /// markets` (rounded down), so all markets together stay within `max_utilization × tokens`.
    pub fn market_stress_budget(&self, token_amount: u64) -> risk_engine::RiskResult<Fx> {
        use risk_engine::FxExt;
        let tokens = risk_engine::valuation::native_to_tokens_floor(token_amount as i128, self.quote_decimals)?;
        let budget = self.max_utilization.get().mul_floor(tokens)?;
        Ok(risk_engine::fixed_point::div_small_floor(budget, self.market_count.max(1) as u32)?)
    }
}
