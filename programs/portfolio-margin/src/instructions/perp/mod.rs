//! Perpetual futures: the vault and markets (admin), liquidity (LPs), trading, settlement and
//! liquidation.
pub mod create_perp_market;
pub mod create_perp_vault;
pub mod liquidity;
pub mod update_perp_market;

pub use create_perp_market::*;
pub use create_perp_vault::*;
pub use liquidity::*;
pub use update_perp_market::*;
