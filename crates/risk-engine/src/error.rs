//! The engine's error type: every failure names what was wrong and where.
use core::fmt;

use crate::fixed_point::MathError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiskError {
    /// A checked arithmetic operation failed.
    Math(MathError),
    /// A parameter is outside its allowed range.
    InvalidParameter { name: &'static str, reason: &'static str },
    /// Two inputs that must have the same length do not.
    DimensionMismatch { expected: usize, got: usize },
    /// An asset index is not inside the covariance matrix.
    AssetOutOfRange { asset: usize, dim: usize },
    /// The same asset appears twice in one book.
    DuplicatePosition { asset: usize },
    /// A variance (diagonal entry) is zero or negative.
    NonPositiveVariance { asset: usize },
    /// `cov(i,j)² > var(i)·var(j)`: the correlation would exceed 1 in magnitude.
    CorrelationOutOfBounds { i: usize, j: usize },
    /// The matrix has a negative pivot in its LDLᵀ factorisation.
    NotPositiveSemidefinite { pivot: usize },
    /// A price is zero or negative.
    NonPositivePrice { asset: usize },
    /// A liquidation request that cannot be sized (names the reason).
    InvalidLiquidation(&'static str),
}

impl From<MathError> for RiskError {
    fn from(e: MathError) -> Self {
        RiskError::Math(e)
    }
}

impl fmt::Display for RiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskError::Math(e) => write!(f, "arithmetic error: {e}"),
            RiskError::InvalidParameter { name, reason } => write!(f, "parameter `{name}` {reason}"),
            RiskError::DimensionMismatch { expected, got } => {
                write!(f, "expected {expected} values, got {got}")
            }
            RiskError::AssetOutOfRange { asset, dim } => {
                write!(f, "asset index {asset} is outside the {dim}-asset covariance matrix")
            }
            RiskError::DuplicatePosition { asset } => write!(f, "asset {asset} appears twice in the book"),
            RiskError::NonPositiveVariance { asset } => {
                write!(f, "variance of asset {asset} must be greater than zero")
            }
            RiskError::CorrelationOutOfBounds { i, j } => {
                write!(f, "covariance of assets {i} and {j} implies |correlation| > 1 (cov² > var·var)")
            }
            RiskError::NotPositiveSemidefinite { pivot } => {
                write!(f, "covariance matrix is not positive semidefinite (pivot {pivot} < 0)")
            }
            RiskError::NonPositivePrice { asset } => write!(f, "price of asset {asset} must be > 0"),
            RiskError::InvalidLiquidation(why) => write!(f, "liquidation not possible: {why}"),
        }
    }
}

pub type RiskResult<T> = Result<T, RiskError>;
