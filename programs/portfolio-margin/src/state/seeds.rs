//! Every PDA seed of the program, in one place.

/// `[GROUP, admin, group_id (u32 LE)]` → [`crate::state::Group`].
pub const GROUP: &[u8] = b"group";
/// `[ASSET, group, mint]` → [`crate::state::Asset`].
pub const ASSET: &[u8] = b"asset";
/// `[VAULT, asset]` → the asset's token account holding all deposits (authority: the asset PDA).
pub const VAULT: &[u8] = b"vault";
/// `[INSURANCE, asset]` → the asset's insurance-fund token account (authority: the asset PDA).
pub const INSURANCE: &[u8] = b"insurance";
/// `[RISK_MODEL, group]` → [`crate::state::RiskModel`] (allocated by the client, then initialised).
pub const RISK_MODEL: &[u8] = b"risk_model";
/// `[MARGIN_ACCOUNT, group, owner, index (u8)]` → [`crate::state::MarginAccount`].
pub const MARGIN_ACCOUNT: &[u8] = b"margin_account";
/// `[PERP_MARKET, group, asset index (u16 LE)]` → [`crate::state::PerpMarket`].
pub const PERP_MARKET: &[u8] = b"perp_market";
/// `[PERP_VAULT, group]` → [`crate::state::PerpVault`].
pub const PERP_VAULT: &[u8] = b"perp_vault";
/// `[PERP_VAULT_TOKENS, group]` → the perp vault's quote-token account (authority: the vault PDA).
pub const PERP_VAULT_TOKENS: &[u8] = b"perp_vault_tokens";
/// `[PERP_LP_MINT, group]` → the mint of the vault's LP shares (authority: the vault PDA).
pub const PERP_LP_MINT: &[u8] = b"perp_lp_mint";
