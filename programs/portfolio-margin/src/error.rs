//! Every error the program returns, each with a message a user can act on.
use anchor_lang::prelude::*;

#[error_code]
pub enum ErrorCode {
    #[msg("A risk parameter is outside its allowed range; the log names the parameter and the range")]
    InvalidRiskParameter,
    #[msg("Fixed-point arithmetic overflowed; the amounts or prices involved are too large")]
    MathOverflow,
}
