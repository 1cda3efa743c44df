//! Perpetual futures: the vault and markets (admin), liquidity (LPs), trading, settlement and
//! liquidation.
pub mod create_perp_market;
pub mod create_perp_vault;
pub mod liquidate_hedge;
pub mod liquidate_perp;
pub mod liquidity;
pub mod settle_perp_pnl;
pub mod trade_perp;
pub mod update_perp_market;

pub use create_perp_market::*;
pub use create_perp_vault::*;
pub use liquidate_hedge::*;
pub use liquidate_perp::*;
pub use liquidity::*;
pub use settle_perp_pnl::*;
pub use trade_perp::*;
pub use update_perp_market::*;
