//! Account types, one file each; PDA seeds in `seeds`.
pub mod asset;
pub mod group;
pub mod margin_account;
pub mod params;
pub mod risk_model;
pub mod seeds;

pub use asset::Asset;
pub use group::{Group, MAX_ASSETS};
pub use margin_account::{MarginAccount, Position, MAX_POSITIONS};
pub use params::{RiskParams, RiskParamsArgs};
pub use risk_model::{ModelView, RiskModel, COV_LEN};
