//! Events: one for every state change. Fixed-point values are I80F48 bits (`value = bits / 2⁴⁸`).
use anchor_lang::prelude::*;

use crate::instructions::admin::register_asset::RegisterAssetArgs;
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
    /// The risk authority that signed.
    pub risk_authority: Pubkey,
    pub params: RiskParamsArgs,
}

#[event]
pub struct LookupTableSet {
    pub group: Pubkey,
    pub index: u8,
    pub lookup_table: Pubkey,
}

#[event]
pub struct RiskModelCreated {
    pub group: Pubkey,
    pub risk_model: Pubkey,
}

#[event]
pub struct AssetRegistered {
    pub group: Pubkey,
    pub asset: Pubkey,
    pub mint: Pubkey,
    pub index: u16,
    pub decimals: u8,
    pub feed_id: [u8; 32],
    /// The mint's freeze authority, if any (it could freeze the vault).
    pub freeze_authority: Option<Pubkey>,
    pub args: RegisterAssetArgs,
}

#[event]
pub struct MarginAccountCreated {
    pub group: Pubkey,
    pub owner: Pubkey,
    pub margin_account: Pubkey,
    pub index: u8,
}

#[event]
pub struct MarginAccountClosed {
    pub group: Pubkey,
    pub owner: Pubkey,
    pub margin_account: Pubkey,
}

/// Interest accrued on an asset's pool.
#[event]
pub struct InterestAccrued {
    pub asset: Pubkey,
    pub seconds: i64,
    pub interest_bits: i128,
    pub protocol_fee_bits: i128,
    pub borrow_rate_bits: i128,
    pub deposit_index_bits: i128,
    pub borrow_index_bits: i128,
}

/// Deposit, withdraw, borrow or repay.
#[event]
pub struct BalanceChanged {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub asset: Pubkey,
    pub action: BalanceAction,
    /// Native units moved.
    pub amount: u64,
    /// Position shares after (signed: deposits > 0, borrows < 0), I80F48 bits.
    pub shares_after_bits: i128,
    /// Equity and initial margin after (USD, I80F48 bits), for withdraw and borrow.
    pub equity_bits: i128,
    pub initial_margin_bits: i128,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalanceAction {
    Deposit,
    Withdraw,
    Borrow,
    Repay,
}

/// One covariance sample applied.
#[event]
pub struct RiskModelUpdated {
    pub group: Pubkey,
    pub sample_time: i64,
    pub sample_count: u64,
    /// Bit i set: asset i had no usable price (return 0).
    pub missing_mask: u64,
    /// √Σ_ii per sample interval, I80F48 bits, per asset.
    pub volatility_bits: Vec<i128>,
}

/// An oracle could not be used by the crank (its return is 0 for this sample).
#[event]
pub struct OracleUnusable {
    pub group: Pubkey,
    pub asset_index: u16,
    pub oracle: Pubkey,
    pub reason: u8,
}

/// Protocol fees moved from the vault to the insurance vault.
#[event]
pub struct ProtocolFeesCollected {
    pub asset: Pubkey,
    /// Native units moved.
    pub amount: u64,
    /// Fees still owed (fractions of a unit, or beyond liquidity), I80F48 bits.
    pub remaining_bits: i128,
}

/// A liquidation: who, what, amounts, prices and health before and after (USD, I80F48 bits).
#[event]
pub struct Liquidated {
    pub account: Pubkey,
    pub owner: Pubkey,
    pub liquidator: Pubkey,
    /// The liquidator's margin account, credited with the collateral as a deposit.
    pub liquidator_account: Pubkey,
    pub liability_asset: Pubkey,
    pub collateral_asset: Pubkey,
    /// Liability repaid by the liquidator, native units.
    pub repaid: u64,
    /// Collateral credited to the liquidator's margin account, and owed to the insurance fund (added
    /// to the asset's protocol fees), native units.
    pub collateral_to_liquidator: u64,
    pub collateral_to_insurance: u64,
    /// A close-out of an insolvent book (the step did not raise health; see the README's rules).
    pub close_out: bool,
    pub liability_price_bits: i128,
    pub collateral_price_bits: i128,
    pub maintenance_health_before_bits: i128,
    pub maintenance_health_after_bits: i128,
    pub initial_health_before_bits: i128,
    pub initial_health_after_bits: i128,
}

/// A bankrupt account's debt in one asset cleared: insurance first, then socialised.
#[event]
pub struct BankruptcyResolved {
    pub account: Pubkey,
    pub asset: Pubkey,
    /// Debt cleared, native units.
    pub debt: u64,
    /// Paid from the insurance vault, native units.
    pub insurance_paid: u64,
    /// Covered by the insurance fund's uncollected fees held in the asset's vault, native units.
    pub insurance_fees_applied: u64,
    /// Spread over depositors by lowering the deposit index, native units (I80F48 bits).
    pub socialized_bits: i128,
    /// Loss beyond every deposit, taken from the protocol's uncollected fees (I80F48 bits).
    pub from_fees_bits: i128,
    /// Every deposit was wiped out: the asset's deposit generation was raised.
    pub deposits_wiped_out: bool,
    pub deposit_index_before_bits: i128,
    pub deposit_index_after_bits: i128,
}

#[event]
pub struct PerpVaultCreated {
    pub group: Pubkey,
    pub perp_vault: Pubkey,
    pub quote_asset: Pubkey,
    pub share_mint: Pubkey,
    pub max_utilization_e6: u32,
}

#[event]
pub struct PerpMarketCreated {
    pub group: Pubkey,
    pub perp_market: Pubkey,
    pub asset: Pubkey,
    pub market_index: u16,
    pub params: crate::state::PerpParamsArgs,
}

#[event]
pub struct PerpMarketUpdated {
    pub group: Pubkey,
    pub perp_market: Pubkey,
    pub params: crate::state::PerpParamsArgs,
}

#[event]
pub struct PerpLiquidityChanged {
    pub perp_vault: Pubkey,
    pub owner: Pubkey,
    /// true: a deposit (tokens in, shares minted); false: a withdrawal.
    pub deposit: bool,
    pub tokens: u64,
    pub shares: u64,
    /// The vault's value the shares were priced at, native quote units.
    pub vault_value_native: i64,
}

#[event]
pub struct PerpTraded {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub perp_market: Pubkey,
    pub base_delta: i64,
    pub fill_price_bits: i128,
    pub base_after: i64,
    pub quote_after_bits: i128,
    pub equity_bits: i128,
    pub initial_margin_bits: i128,
}

#[event]
pub struct PerpSettled {
    pub margin_account: Pubkey,
    pub perp_market: Pubkey,
    pub market_index: u16,
    /// USD booked into the position's quote (+ paid to the trader, − taken).
    pub settled_bits: i128,
    /// Native quote tokens moved: > 0 vault → lending pool, < 0 lending pool → vault.
    pub tokens: i64,
}

#[event]
pub struct PerpLiquidated {
    pub account: Pubkey,
    pub liquidator: Pubkey,
    pub perp_market: Pubkey,
    pub base_delta: i64,
    pub fill_price_bits: i128,
    pub fee_bits: i128,
    /// Native quote tokens paid to the liquidator from the vault.
    pub reward: u64,
    pub close_out: bool,
    pub maintenance_health_before_bits: i128,
    pub maintenance_health_after_bits: i128,
    pub initial_health_after_bits: i128,
}

/// One hedged liquidation step: a spot repay against a collateral and the perp position on the
/// hedged asset shrunk by the same base units (closed against the vault at the biased oracle price).
#[event]
pub struct HedgeLiquidated {
    pub account: Pubkey,
    pub liquidator: Pubkey,
    pub liquidator_account: Pubkey,
    pub liability_asset: Pubkey,
    pub collateral_asset: Pubkey,
    pub perp_market: Pubkey,
    pub repaid: u64,
    pub collateral_to_liquidator: u64,
    pub collateral_to_insurance: u64,
    pub base_delta: i64,
    pub fill_price_bits: i128,
    pub close_out: bool,
    pub maintenance_health_before_bits: i128,
    pub maintenance_health_after_bits: i128,
    pub initial_health_before_bits: i128,
    pub initial_health_after_bits: i128,
}
