pub mod balance;
pub mod borrow;
pub mod close_margin_account;
pub mod create_margin_account;
pub mod deposit;
pub mod repay;
pub mod withdraw;

pub use balance::*;
pub use close_margin_account::*;
pub use create_margin_account::*;
