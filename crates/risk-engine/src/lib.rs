//! Portfolio-margin risk engine: the math shared by the on-chain program, the keeper and the web app.
//!
//! No Solana types and no floating point in any result: everything is fixed point ([`Fx`] = I80F48)
//! with explicit rounding (margin up, equity down), so the program, the keeper and the app compute
//! the same numbers to the last unit.
//!
//! - [`fixed_point`]: the number type, checked operations, the 16-byte account wrapper.
//! - [`covariance`]: packed upper-triangle matrices, bootstrap and PSD validation.
//! - [`ewma`]: returns from prices and the RiskMetrics EWMA update.
//! - [`valuation`]: oracle prices, confidence-biased exposures, token ↔ USD conversions.
//! - [`margin`]: VaR, correlation-stress, joint-move, hedge-floor and floor terms; risk contributions.
//! - [`kernel`]: the covariance in per-asset power-of-two scales, read with 64-bit multiplies.
//! - [`procyclicality`]: the slow variance memory and the volatility scale it floors margins with.
//! - [`health`]: equity and health of a book of token holdings.
//! - [`interest`]: lending pools, the kinked rate curve, accrual.
//! - [`liquidation`]: sizing a liquidation to the target health and no further.
//! - [`perp`]: perpetual futures: fills, funding by skew, position bookkeeping, netting with spot.
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

pub mod covariance;
pub mod error;
pub mod ewma;
pub mod fixed_point;
pub mod health;
pub mod interest;
pub mod kernel;
pub mod liquidation;
pub mod margin;
pub mod perp;
pub mod probe;
pub mod procyclicality;
pub mod valuation;

pub use covariance::{tri_index, tri_len, CovarianceSource, OwnedMatrix, ScaledCovariance, TriangularMatrix};
pub use error::{RiskError, RiskResult};
pub use fixed_point::{Fx, FxExt, MathError, MathOp, WrappedI80F48, ULP};
pub use health::{book_health, BookHealth, Holding};
pub use liquidation::{plan_liquidation, LiquidationParams, LiquidationPlan, LiquidationTarget};
pub use margin::{margin, risk_contributions, MarginBreakdown, MarginParams, MarginTerm, PositionRisk};
