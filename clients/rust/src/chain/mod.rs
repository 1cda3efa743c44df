//! One interface to a chain running the program, with two backends: [`embedded::Embedded`] (an
//! in-process runtime, [`crate::svm`], running the SBF binary) and [`rpc::Rpc`]
//! (JSON-RPC: a local network, devnet, mainnet). Everything above it — migrate, crank, liquidator,
//! inspector, simulation — is written once against [`Chain`].
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_account::Account;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;

pub mod embedded;
pub mod rpc;
pub mod transaction;

pub use transaction::{Shape, Version};

/// What went wrong talking to the chain (not what the transaction did: see [`TxOutcome::result`]).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// Worth retrying: timeouts, connection resets, rate limits, a node behind.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying will not help: bad request, unknown method, decoding failures.
    #[error("{0}")]
    Permanent(String),
}

pub type ChainResult<T> = Result<T, ChainError>;

/// A getProgramAccounts filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    DataSize(u64),
    Memcmp { offset: usize, bytes: Vec<u8> },
}

impl Filter {
    pub fn matches(&self, data: &[u8]) -> bool {
        match self {
            Filter::DataSize(n) => data.len() as u64 == *n,
            Filter::Memcmp { offset, bytes } => data.get(*offset..offset + bytes.len()) == Some(bytes.as_slice()),
        }
    }
}

/// A confirmed transaction.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    pub signature: Signature,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: Option<u64>,
}

impl TxOutcome {
    /// The program's custom error code, if the transaction failed with one.
    pub fn custom_error(&self) -> Option<u32> {
        match &self.result {
            Err(TransactionError::InstructionError(_, solana_instruction_error::InstructionError::Custom(c))) => {
                Some(*c)
            }
            _ => None,
        }
    }

    /// `Ok` if the transaction succeeded, else an error naming `what` and the program's message.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        match self.error_text() {
            None => Ok(()),
            Some(e) => Err(anyhow::anyhow!("{what}: {e}")),
        }
    }

    /// The error as a sentence: the program's error message when it logged one.
    pub fn error_text(&self) -> Option<String> {
        let err = self.result.as_ref().err()?;
        let anchor = self.logs.iter().find_map(|l| l.split("Error Message: ").nth(1).map(str::to_string));
        Some(match anchor {
            Some(m) => format!("{m} ({err})"),
            None => err.to_string(),
        })
    }
}

/// Reads and writes of a chain. Methods take `&self`: backends are cheap handles.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// "embedded" or the RPC URL.
    fn describe(&self) -> String;
    async fn account(&self, address: &Pubkey) -> ChainResult<Option<Account>>;
    async fn accounts(&self, addresses: &[Pubkey]) -> ChainResult<Vec<Option<Account>>>;
    /// Accounts owned by `program` passing every filter.
    async fn program_accounts(&self, program: &Pubkey, filters: &[Filter]) -> ChainResult<Vec<(Pubkey, Account)>>;
    async fn latest_blockhash(&self) -> ChainResult<Hash>;
    /// Submits `tx` and waits until it is confirmed (or known to have failed). An `Err` means the
    /// client does not know whether it landed: ask [`Chain::signature_status`].
    async fn send(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome>;
    /// Runs `tx` without committing it: its result, logs and compute units.
    async fn simulate(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome>;
    /// Prioritization fees (micro-lamports per CU) paid recently by transactions writing
    /// `accounts`, one per recent slot (empty where the chain keeps none).
    async fn recent_prioritization_fees(&self, accounts: &[Pubkey]) -> ChainResult<Vec<u64>>;
    /// `None` while the chain has not seen the signature.
    async fn signature_status(&self, signature: &Signature) -> ChainResult<Option<Result<(), TransactionError>>>;
    /// Returns once the chain has moved past the slot it was at when called (a lookup table's
    /// new addresses are usable from the slot after the extension).
    async fn next_slot(&self) -> ChainResult<()>;
    /// The Clock sysvar's unix timestamp.
    async fn unix_time(&self) -> ChainResult<i64>;
    async fn rent_exempt_minimum(&self, len: usize) -> ChainResult<u64>;
    /// Funds `to` (local networks and the embedded runtime only).
    async fn airdrop(&self, to: &Pubkey, lamports: u64) -> ChainResult<()>;
}

/// Chains where the keeper may write accounts directly: the embedded runtime and a local network.
/// Used to play the Pyth receiver (publishing PriceUpdateV2 accounts) where no real Pyth exists.
#[allow(async_fn_in_trait)]
pub trait AccountWriter: Chain {
    async fn write_account(&self, address: &Pubkey, account: Account) -> ChainResult<()>;
}

impl AccountWriter for embedded::Embedded {
    async fn write_account(&self, address: &Pubkey, account: Account) -> ChainResult<()> {
        self.set_account(address, account);
        Ok(())
    }
}

impl AccountWriter for rpc::Rpc {
    async fn write_account(&self, address: &Pubkey, account: Account) -> ChainResult<()> {
        self.set_account_cheatcode(address, &account).await
    }
}

/// How transactions are sent: compute budget, priority fee, lookup tables, retries.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// SetComputeUnitLimit to this many units. When `None`: the simulated figure plus
    /// [`compute_margin`] if `simulate`, else no limit instruction (the runtime's 200,000 per
    /// instruction).
    pub compute_unit_limit: Option<u32>,
    /// Simulate each transaction first: sets the compute-unit limit from it, and a transaction the
    /// simulation fails is not sent (its outcome is the simulation's).
    pub simulate: bool,
    /// SetComputeUnitPrice in micro-lamports per CU. `None`: the 75th percentile of the recent
    /// prioritization fees of the accounts the transaction writes, at most `max_compute_unit_price`.
    pub compute_unit_price: Option<u64>,
    /// Cap on the priority fee taken from recent fees.
    pub max_compute_unit_price: u64,
    /// The group's address lookup tables ([`crate::lookup_table`]), used when a legacy transaction
    /// would not fit a packet.
    pub lookup_tables: Vec<AddressLookupTableAccount>,
    /// Legacy when it fits (default), or one kind regardless.
    pub version: Version,
    /// Attempts after the first on a transient error.
    pub retries: u32,
    /// First backoff; doubles each attempt.
    pub backoff: Duration,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            compute_unit_limit: None,
            simulate: true,
            compute_unit_price: None,
            max_compute_unit_price: 1_000_000,
            lookup_tables: vec![],
            version: Version::Auto,
            retries: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

impl SendOptions {
    /// These options with a compute-unit limit of `units` where neither a limit nor simulation
    /// sets one (instructions known to need more than the runtime's default).
    pub fn with_fallback_limit(&self, units: u32) -> SendOptions {
        let mut o = self.clone();
        if o.compute_unit_limit.is_none() && !o.simulate {
            o.compute_unit_limit = Some(units);
        }
        o
    }

    /// These options with `tables` as the lookup tables.
    pub fn with_lookup_tables(&self, tables: &[AddressLookupTableAccount]) -> SendOptions {
        SendOptions { lookup_tables: tables.to_vec(), ..self.clone() }
    }
}

/// The limit set from a simulation that consumed `units`: 10% and 1,000 CU above it (state can
/// move between the simulation and execution), at most the 1.4M a transaction may ask for.
pub fn compute_margin(units: u64) -> u32 {
    units.saturating_add(units / 10).saturating_add(1_000).min(MAX_COMPUTE_UNIT_LIMIT as u64) as u32
}

/// The most compute units a transaction may request.
pub const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// The 75th percentile of `fees` (recent per-slot prioritization fees), at most `cap`; 0 if none.
pub fn priority_fee(mut fees: Vec<u64>, cap: u64) -> u64 {
    if fees.is_empty() {
        return 0;
    }
    fees.sort_unstable();
    fees[(fees.len() * 3).div_ceil(4) - 1].min(cap)
}

/// A transaction was signed and possibly submitted, but its outcome is unknown (retries exhausted on
/// transient errors). It may still land until its blockhash expires: do not send another in its
/// place before then.
#[derive(Debug, thiserror::Error)]
#[error("sending {signature}: outcome unknown: {reason}")]
pub struct Unconfirmed {
    pub signature: solana_signature::Signature,
    pub reason: String,
}

/// Signs `ixs` (paid by `payer`) and sends them with `opts`: compute-budget instructions first
/// (the limit from a simulation, the price from recent fees, unless `opts` sets them); a legacy
/// transaction when it fits a packet, else v0 through `opts.lookup_tables`
/// ([`transaction::build`]); on a transient error, checks whether the signed transaction landed
/// before re-sending the SAME transaction (same signature: the chain executes it at most once) with
/// exponential backoff; a fresh blockhash is only taken for a new transaction.
pub async fn send_ixs<C: Chain>(
    chain: &C,
    payer: &Keypair,
    signers: &[&Keypair],
    ixs: &[Instruction],
    opts: &SendOptions,
) -> anyhow::Result<TxOutcome> {
    let price = match opts.compute_unit_price {
        Some(p) => p,
        None => {
            let written = transaction::written_accounts(ixs);
            let fees = retry(opts, || chain.recent_prioritization_fees(&written)).await?;
            priority_fee(fees, opts.max_compute_unit_price)
        }
    };
    let with_budget = |limit: Option<u32>| {
        let mut all = Vec::with_capacity(ixs.len() + 2);
        if let Some(units) = limit {
            all.push(crate::instructions::compute_unit_limit(units));
        }
        if price > 0 {
            all.push(crate::instructions::compute_unit_price(price));
        }
        all.extend_from_slice(ixs);
        all
    };
    let mut keys: Vec<&Keypair> = vec![payer];
    keys.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey()));
    let blockhash = retry(opts, || chain.latest_blockhash()).await?;
    let build = |all: &[Instruction]| transaction::build(&keys, all, &opts.lookup_tables, blockhash, opts.version);
    let limit = match (opts.compute_unit_limit, opts.simulate) {
        (Some(units), _) => Some(units),
        (None, false) => None,
        (None, true) => {
            let trial = build(&with_budget(Some(MAX_COMPUTE_UNIT_LIMIT)))?;
            let sim = retry(opts, || chain.simulate(&trial)).await?;
            if sim.result.is_err() {
                return Ok(sim);
            }
            let units = sim.compute_units.ok_or_else(|| anyhow::anyhow!("the simulation reported no compute units"))?;
            Some(compute_margin(units))
        }
    };
    let tx = build(&with_budget(limit))?;
    let signature = tx.signatures[0];
    let mut delay = opts.backoff;
    let mut attempt = 0;
    loop {
        match chain.send(&tx).await {
            Ok(outcome) => return Ok(outcome),
            Err(ChainError::Transient(why)) if attempt < opts.retries => {
                tracing::warn!(%signature, attempt, %why, "send failed; checking whether it landed");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
                if let Ok(Some(result)) = chain.signature_status(&signature).await {
                    return Ok(TxOutcome { signature, result, logs: vec![], compute_units: None });
                }
            }
            Err(ChainError::Transient(reason)) => return Err(Unconfirmed { signature, reason }.into()),
            Err(e) => return Err(anyhow::anyhow!("sending {signature}: {e}")),
        }
    }
}

/// Runs a read with the same retry policy.
pub async fn retry<T, F, Fut>(opts: &SendOptions, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ChainResult<T>>,
{
    let mut delay = opts.backoff;
    let mut attempt = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(ChainError::Transient(why)) if attempt < opts.retries => {
                tracing::warn!(attempt, %why, "read failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl TxOutcome {
    /// Anchor events of type `E` from the `Program data:` log lines (discriminator checked).
    pub fn events<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(&self) -> Vec<E> {
        decode_events(&self.logs)
    }
}

/// Anchor events of type `E` from a transaction's `Program data:` log lines (discriminator checked).
pub fn decode_events<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(logs: &[String]) -> Vec<E> {
    use base64::Engine as _;
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter_map(|bytes| E::deserialize(&mut &bytes.strip_prefix(E::DISCRIMINATOR)?[..]).ok())
        .collect()
}
