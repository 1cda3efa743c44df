//! The embedded backend: solana-program-test 4.2.2's bank in this process, running the program's
//! REAL SBF binary (target/deploy/portfolio_margin.so, never a native build) beside the SPL Token
//! programs it ships. No network, no validator.
//!
//! The bank has no account index, so this backend keeps one: every account any transaction names
//! or [`Embedded::set_account`] writes is remembered, and `program_accounts` filters those (the same
//! answer getProgramAccounts gives, since nothing reaches this bank except through here).
//!
//! Time: [`Embedded::advance_to`] warps the bank to later slots (new blockhashes, so identical
//! transactions on different days are distinct) and sets the Clock's unix timestamp. Use a
//! current-thread tokio runtime: then program-test's background blockhash task cannot run while a
//! warp is in progress.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anchor_lang::prelude::{Clock, Pubkey};
use solana_account::{Account, AccountSharedData};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_program_test::{BanksClient, BanksClientError, ProgramTest, ProgramTestContext};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use super::{Chain, ChainError, ChainResult, Filter, TxOutcome};

pub struct Embedded {
    ctx: Mutex<ProgramTestContext>,
    banks: BanksClient,
    payer: Keypair,
    /// Every account seen, with its owner when last read (`None`: written since, owner unknown).
    index: Mutex<BTreeMap<Pubkey, Option<Pubkey>>>,
    transactions: AtomicU64,
}

/// Where scripts/build-sbf writes the program: $SBF_OUT_DIR, else target/deploy of the workspace.
pub fn default_program_dir() -> PathBuf {
    std::env::var_os("SBF_OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy"))
}

fn io(e: BanksClientError) -> ChainError {
    match e {
        BanksClientError::ClientError(_) | BanksClientError::Io(_) => ChainError::Transient(e.to_string()),
        _ => ChainError::Permanent(e.to_string()),
    }
}

impl Embedded {
    /// Starts a bank with `dir/portfolio_margin.so` deployed at the program id.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let so = dir.join("portfolio_margin.so");
        anyhow::ensure!(so.is_file(), "{} not found: run `bash scripts/build-sbf` first", so.display());
        // program-test looks the binary up through SBF_OUT_DIR.
        std::env::set_var("SBF_OUT_DIR", dir);
        let mut pt = ProgramTest::default();
        pt.prefer_bpf(true);
        pt.add_program("portfolio_margin", portfolio_margin::ID, None);
        let ctx = pt.start_with_context().await;
        let banks = ctx.banks_client.clone();
        let payer = ctx.payer.insecure_clone();
        Ok(Embedded { ctx: Mutex::new(ctx), banks, payer, index: Default::default(), transactions: AtomicU64::new(0) })
    }

    /// The genesis mint: funded with plenty of SOL, pays for everything by default.
    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    /// Writes an account directly (what the Pyth receiver would have written, for instance).
    pub fn set_account(&self, address: &Pubkey, account: Account) {
        self.ctx.lock().unwrap().set_account(address, &AccountSharedData::from(account));
        self.index.lock().unwrap().insert(*address, None);
    }

    /// Transactions sent through this backend so far.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Sets the Clock's unix timestamp to `unix_time`, backwards included (for setting up a
    /// simulation before anything exists; afterwards use [`Embedded::advance_to`]).
    pub async fn set_unix_time(&self, unix_time: i64) -> anyhow::Result<()> {
        let mut clock: Clock = self.banks.clone().get_sysvar().await?;
        clock.unix_timestamp = unix_time;
        self.ctx.lock().unwrap().set_sysvar(&clock);
        Ok(())
    }

    /// Moves the chain to `unix_time` (never backwards): a later slot with a new blockhash, and the
    /// Clock's timestamp.
    pub async fn advance_to(&self, unix_time: i64) -> anyhow::Result<()> {
        let mut clock: Clock = self.banks.clone().get_sysvar().await?;
        anyhow::ensure!(unix_time >= clock.unix_timestamp, "time only moves forward");
        {
            let mut ctx = self.ctx.lock().unwrap();
            ctx.warp_to_slot(clock.slot + 2).map_err(|e| anyhow::anyhow!("warp: {e:?}"))?;
        }
        clock = self.banks.clone().get_sysvar().await?;
        clock.unix_timestamp = unix_time;
        self.ctx.lock().unwrap().set_sysvar(&clock);
        Ok(())
    }

    /// Indexes every account `tx` names: its static keys and those it loads from lookup tables.
    async fn remember(&self, tx: &VersionedTransaction) -> ChainResult<()> {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        let mut keys = tx.message.static_account_keys().to_vec();
        for lookup in tx.message.address_table_lookups().unwrap_or_default() {
            let Some(table) = self.account(&lookup.account_key).await? else { continue };
            let table =
                crate::lookup_table::addresses(&table.data).map_err(|e| ChainError::Permanent(e.to_string()))?;
            let picked = lookup.writable_indexes.iter().chain(&lookup.readonly_indexes);
            keys.extend(picked.filter_map(|i| table.get(*i as usize).copied()));
        }
        self.index.lock().unwrap().extend(keys.into_iter().map(|k| (k, None)));
        Ok(())
    }
}

impl Chain for Embedded {
    fn describe(&self) -> String {
        "embedded runtime (solana-program-test 4.2.2, SBF binary)".into()
    }

    async fn account(&self, address: &Pubkey) -> ChainResult<Option<Account>> {
        self.banks.clone().get_account(*address).await.map_err(io)
    }

    async fn accounts(&self, addresses: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(addresses.len());
        for a in addresses {
            out.push(self.account(a).await?);
        }
        Ok(out)
    }

    async fn program_accounts(&self, program: &Pubkey, filters: &[Filter]) -> ChainResult<Vec<(Pubkey, Account)>> {
        // Only accounts written since they were last read, or owned by `program` then, can be
        // owned by it now (an owner changes only through a transaction naming the account).
        let candidates: Vec<Pubkey> = self
            .index
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, owner)| owner.is_none_or(|o| o == *program))
            .map(|(k, _)| *k)
            .collect();
        let mut out = vec![];
        let fetched = self.accounts(&candidates).await?;
        let mut index = self.index.lock().unwrap();
        for (k, a) in candidates.iter().zip(fetched) {
            let Some(a) = a else { continue };
            index.insert(*k, Some(a.owner));
            if a.owner == *program && filters.iter().all(|f| f.matches(&a.data)) {
                out.push((*k, a));
            }
        }
        Ok(out)
    }

    async fn latest_blockhash(&self) -> ChainResult<Hash> {
        self.banks.clone().get_latest_blockhash().await.map_err(io)
    }

    async fn send(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        self.remember(tx).await?;
        let r = self.banks.clone().process_transaction_with_metadata(tx.clone()).await.map_err(io)?;
        let (logs, compute_units) = match r.metadata {
            Some(m) => (m.log_messages, Some(m.compute_units_consumed)),
            None => (vec![], None),
        };
        Ok(TxOutcome { signature: tx.signatures[0], result: r.result, logs, compute_units })
    }

    async fn simulate(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        let r = self.banks.clone().simulate_transaction(tx.clone()).await.map_err(io)?;
        let result = r.result.unwrap_or_else(|| Err(TransactionError::AccountNotFound));
        let (logs, compute_units) = match r.simulation_details {
            Some(d) => (d.logs, Some(d.units_consumed)),
            None => (vec![], None),
        };
        Ok(TxOutcome { signature: tx.signatures[0], result, logs, compute_units })
    }

    async fn next_slot(&self) -> ChainResult<()> {
        let now = self.unix_time().await?;
        self.advance_to(now).await.map_err(|e| ChainError::Permanent(e.to_string()))
    }

    /// The bank charges no priority fees: none were paid.
    async fn recent_prioritization_fees(&self, _accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        Ok(vec![])
    }

    async fn signature_status(&self, signature: &Signature) -> ChainResult<Option<Result<(), TransactionError>>> {
        let s = self.banks.clone().get_transaction_status(*signature).await.map_err(io)?;
        Ok(s.map(|s| s.err.map_or(Ok(()), Err)))
    }

    async fn unix_time(&self) -> ChainResult<i64> {
        let clock: Clock = self.banks.clone().get_sysvar().await.map_err(io)?;
        Ok(clock.unix_timestamp)
    }

    async fn rent_exempt_minimum(&self, len: usize) -> ChainResult<u64> {
        Ok(self.banks.clone().get_rent().await.map_err(io)?.minimum_balance(len))
    }

    async fn airdrop(&self, to: &Pubkey, lamports: u64) -> ChainResult<()> {
        let ix = anchor_lang::solana_program::system_instruction::transfer(&self.payer.pubkey(), to, lamports);
        let blockhash = self.latest_blockhash().await?;
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&self.payer.pubkey()), &[&self.payer], blockhash);
        let out = self.send(&tx.into()).await?;
        out.result.map_err(|e| ChainError::Permanent(format!("airdrop: {e}")))
    }
}
