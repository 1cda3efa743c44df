//! Choosing the chain backend and loading keys: the flags every on-chain subcommand shares.
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use portfolio_margin_client::chain::embedded::{default_program_dir, Embedded};
use portfolio_margin_client::chain::rpc::Rpc;
use portfolio_margin_client::chain::SendOptions;
use portfolio_margin_client::Keypair;

#[derive(Args, Clone, Debug)]
pub struct ChainArgs {
    /// JSON-RPC URL (local network, devnet, mainnet). Without it: the embedded runtime.
    #[arg(long, env = "KEEPER_RPC_URL")]
    pub rpc_url: Option<String>,
    /// Keypair file (Solana CLI JSON: 64 numbers). Required with --rpc-url; the embedded
    /// runtime uses its funded genesis key when absent.
    #[arg(long, env = "KEEPER_KEYPAIR")]
    pub keypair: Option<PathBuf>,
    /// Directory holding portfolio_margin.so, for the embedded runtime.
    #[arg(long, env = "KEEPER_PROGRAM_DIR")]
    pub program_dir: Option<PathBuf>,
    /// Priority fee, micro-lamports per compute unit (default: the 75th percentile of the recent
    /// prioritization fees of the accounts each transaction writes, getRecentPrioritizationFees).
    #[arg(long, env = "KEEPER_COMPUTE_UNIT_PRICE")]
    pub compute_unit_price: Option<u64>,
    /// Cap on the priority fee taken from recent fees, micro-lamports per compute unit.
    #[arg(long, env = "KEEPER_MAX_COMPUTE_UNIT_PRICE", default_value_t = 1_000_000)]
    pub max_compute_unit_price: u64,
    /// Compute-unit limit per transaction (default: each transaction is simulated first and asks
    /// for the units it used plus 10% and 1,000).
    #[arg(long, env = "KEEPER_COMPUTE_UNIT_LIMIT")]
    pub compute_unit_limit: Option<u32>,
    /// Retries of a transient RPC error.
    #[arg(long, env = "KEEPER_RETRIES", default_value_t = 4)]
    pub retries: u32,
    /// First retry delay in milliseconds (doubles each attempt).
    #[arg(long, env = "KEEPER_BACKOFF_MS", default_value_t = 250)]
    pub backoff_ms: u64,
    /// Pyth push-oracle shard of the price-feed accounts.
    #[arg(long, env = "KEEPER_PYTH_SHARD", default_value_t = 0)]
    pub pyth_shard: u16,
}

impl ChainArgs {
    pub fn send_options(&self) -> SendOptions {
        SendOptions {
            compute_unit_limit: self.compute_unit_limit,
            compute_unit_price: self.compute_unit_price,
            max_compute_unit_price: self.max_compute_unit_price,
            retries: self.retries,
            backoff: Duration::from_millis(self.backoff_ms),
            ..SendOptions::default()
        }
    }

    pub fn rpc(&self) -> Option<Rpc> {
        self.rpc_url.as_deref().map(Rpc::new)
    }

    pub async fn embedded(&self) -> Result<Embedded> {
        let dir = self.program_dir.clone().unwrap_or_else(default_program_dir);
        Embedded::start(&dir).await
    }

    /// The keypair from --keypair, or `fallback` (the embedded runtime's payer).
    pub fn keypair_or(&self, fallback: Option<&Keypair>) -> Result<Keypair> {
        match (&self.keypair, fallback) {
            (Some(p), _) => read_keypair(p),
            (None, Some(k)) => Ok(k.insecure_clone()),
            (None, None) => anyhow::bail!("--keypair (or KEEPER_KEYPAIR) is required with --rpc-url"),
        }
    }
}

/// Reads a Solana CLI keypair file (a JSON array of 64 bytes).
pub fn read_keypair(path: &Path) -> Result<Keypair> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading keypair {}", path.display()))?;
    let bytes: Vec<u8> =
        serde_json::from_str(&text).with_context(|| format!("{}: not a JSON byte array", path.display()))?;
    Keypair::try_from(bytes.as_slice()).map_err(|e| anyhow::anyhow!("{}: not a keypair: {e}", path.display()))
}

/// Writes `k` as a Solana CLI keypair file.
pub fn write_keypair(path: &Path, k: &Keypair) -> Result<()> {
    let bytes = k.to_bytes().to_vec();
    std::fs::write(path, serde_json::to_string(&bytes)?).with_context(|| format!("writing {}", path.display()))
}
