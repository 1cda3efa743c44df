pub mod collect_protocol_fees;
pub mod crank_risk_model;
pub mod liquidate;
pub mod resolve_bankruptcy;

pub use collect_protocol_fees::*;
pub use crank_risk_model::*;
pub use liquidate::*;
pub use resolve_bankruptcy::*;
