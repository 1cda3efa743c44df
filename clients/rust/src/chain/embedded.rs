//! The embedded backend: [`crate::svm::Svm`] (mollusk-svm, agave 4.2.2's program runtime) in this
//! process, running the program's REAL SBF binary (target/deploy/portfolio_margin.so, never a
//! native build) beside the SPL Token programs, the associated-token and lookup-table programs a
//! cluster ships. No network, no validator, no bank: what the keeper needs of a chain — accounts,
//! atomic transactions with logs and compute units, simulation, slots, lookup tables, the clock —
//! and nothing it does not (fees, vote accounts, a banks server).
//!
//! Time: [`Embedded::advance_to`] moves to later slots (new blockhashes, so identical transactions
//! on different days are distinct) and sets the Clock's unix timestamp.
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anchor_lang::prelude::{Clock, Pubkey};
use solana_account::Account;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use super::{Chain, ChainError, ChainResult, Filter, TxOutcome};
use crate::svm::{Executed, Svm};

/// Lamports the genesis payer starts with (1,000,000 SOL).
const PAYER_LAMPORTS: u64 = 1_000_000_000_000_000;

pub struct Embedded {
    svm: RefCell<Svm>,
    payer: Keypair,
    /// The outcome of every signature processed (a second submission is refused, as by a bank).
    statuses: RefCell<HashMap<Signature, Result<(), TransactionError>>>,
    transactions: Cell<u64>,
}

/// Where scripts/build-sbf writes the program: $SBF_OUT_DIR, else target/deploy of the workspace.
pub fn default_program_dir() -> PathBuf {
    std::env::var_os("SBF_OUT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy"))
}

fn outcome(signature: Signature, e: Executed) -> TxOutcome {
    TxOutcome { signature, result: e.result, logs: e.logs, compute_units: Some(e.compute_units) }
}

impl Embedded {
    /// Starts a runtime with `dir/portfolio_margin.so` deployed at the program id and a funded
    /// payer, at slot 1.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let mut svm = Svm::new(dir)?;
        let payer = Keypair::new();
        svm.set_account(payer.pubkey(), Account::new(PAYER_LAMPORTS, 0, &anchor_lang::system_program::ID));
        svm.warp_to_slot(1);
        Ok(Embedded { svm: RefCell::new(svm), payer, statuses: Default::default(), transactions: Cell::new(0) })
    }

    /// The genesis payer: funded with plenty of SOL, pays for everything by default.
    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    /// Writes an account directly (what the Pyth receiver would have written, for instance).
    pub fn set_account(&self, address: &Pubkey, account: Account) {
        self.svm.borrow_mut().set_account(*address, account);
    }

    /// Transactions sent through this backend so far.
    pub fn transactions(&self) -> u64 {
        self.transactions.get()
    }

    /// Sets the Clock's unix timestamp to `unix_time`, backwards included (for setting up a
    /// simulation before anything exists; afterwards use [`Embedded::advance_to`]).
    pub async fn set_unix_time(&self, unix_time: i64) -> anyhow::Result<()> {
        let mut svm = self.svm.borrow_mut();
        let clock = Clock { unix_timestamp: unix_time, ..svm.clock() };
        svm.set_clock(clock);
        Ok(())
    }

    /// Moves the chain to `unix_time` (never backwards): two slots later, with a new blockhash,
    /// and the Clock's timestamp.
    pub async fn advance_to(&self, unix_time: i64) -> anyhow::Result<()> {
        let mut svm = self.svm.borrow_mut();
        let clock = svm.clock();
        anyhow::ensure!(unix_time >= clock.unix_timestamp, "time only moves forward");
        svm.warp_to_slot(clock.slot + 2);
        let clock = Clock { unix_timestamp: unix_time, ..svm.clock() };
        svm.set_clock(clock);
        Ok(())
    }

    fn run(&self, tx: &VersionedTransaction, commit: bool) -> ChainResult<TxOutcome> {
        let signature = *tx.signatures.first().ok_or_else(|| ChainError::Permanent("unsigned transaction".into()))?;
        if commit {
            self.transactions.set(self.transactions.get() + 1);
            if self.statuses.borrow().contains_key(&signature) {
                let e = Executed {
                    result: Err(TransactionError::AlreadyProcessed),
                    logs: vec![],
                    compute_units: 0,
                    return_data: None,
                };
                return Ok(outcome(signature, e));
            }
        }
        let e = self.svm.borrow_mut().execute_transaction(tx, commit);
        if commit {
            self.statuses.borrow_mut().insert(signature, e.result.clone());
        }
        Ok(outcome(signature, e))
    }
}

impl Chain for Embedded {
    fn describe(&self) -> String {
        "embedded runtime (mollusk-svm 0.15.1 on agave 4.2.2, SBF binary)".into()
    }

    async fn account(&self, address: &Pubkey) -> ChainResult<Option<Account>> {
        Ok(self.svm.borrow().account(address))
    }

    async fn accounts(&self, addresses: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        let svm = self.svm.borrow();
        Ok(addresses.iter().map(|a| svm.account(a)).collect())
    }

    async fn program_accounts(&self, program: &Pubkey, filters: &[Filter]) -> ChainResult<Vec<(Pubkey, Account)>> {
        let mut all = self.svm.borrow().accounts_owned_by(program);
        all.retain(|(_, a)| filters.iter().all(|f| f.matches(&a.data)));
        Ok(all)
    }

    /// New with every slot, as a bank's: the slot's bytes under a fixed tag.
    async fn latest_blockhash(&self) -> ChainResult<Hash> {
        let slot = self.svm.borrow().clock().slot;
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(b"embedded-runtime");
        bytes[24..].copy_from_slice(&slot.to_le_bytes());
        Ok(Hash::new_from_array(bytes))
    }

    async fn send(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        self.run(tx, true)
    }

    async fn simulate(&self, tx: &VersionedTransaction) -> ChainResult<TxOutcome> {
        self.run(tx, false)
    }

    async fn next_slot(&self) -> ChainResult<()> {
        let now = self.unix_time().await?;
        self.advance_to(now).await.map_err(|e| ChainError::Permanent(e.to_string()))
    }

    /// No priority fees are charged here: none were paid.
    async fn recent_prioritization_fees(&self, _accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        Ok(vec![])
    }

    async fn signature_status(&self, signature: &Signature) -> ChainResult<Option<Result<(), TransactionError>>> {
        Ok(self.statuses.borrow().get(signature).cloned())
    }

    async fn unix_time(&self) -> ChainResult<i64> {
        Ok(self.svm.borrow().clock().unix_timestamp)
    }

    async fn rent_exempt_minimum(&self, len: usize) -> ChainResult<u64> {
        Ok(self.svm.borrow().rent_exempt(len))
    }

    async fn airdrop(&self, to: &Pubkey, lamports: u64) -> ChainResult<()> {
        let ix = anchor_lang::solana_program::system_instruction::transfer(&self.payer.pubkey(), to, lamports);
        let blockhash = self.latest_blockhash().await?;
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&self.payer.pubkey()), &[&self.payer], blockhash);
        let out = self.send(&tx.into()).await?;
        out.result.map_err(|e| ChainError::Permanent(format!("airdrop: {e}")))
    }
}
