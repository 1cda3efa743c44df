//! The client side of the portfolio-margin program, shared by the keeper and the tests: derived
//! addresses, instruction builders, Pyth price accounts, account decoding, token-account helpers,
//! and one [`chain::Chain`] interface over an embedded runtime or JSON-RPC.
pub mod address;
pub mod chain;
pub mod defaults;
pub mod instructions;
pub mod lookup_table;
pub mod perp;
pub mod pyth;
pub mod state;
pub mod svm;
pub mod token;

pub use anchor_lang::prelude::Pubkey;
pub use portfolio_margin;
pub use solana_keypair::Keypair;
pub use solana_signer::Signer;
