//! An in-process Solana runtime without a bank: mollusk-svm 0.15.1 (agave 4.2.2's program runtime
//! and SBF VM) running the program's REAL SBF binary (`portfolio_margin.so`, never a native build)
//! beside the programs a cluster ships — SPL Token (p-token 1.0.0), Token-2022 10.0.0, the
//! associated-token program and the address-lookup-table program, the very ELFs
//! solana-program-test deploys (`solana-program-binaries` 4.2.2).
//!
//! Transactions run atomically against an account store: a rejected one changes nothing.
//! Versioned transactions load their lookup-table addresses as the bank does (active addresses
//! only: an extension is usable from the next slot), signatures are verified, a signature is
//! processed once. What a bank adds and this leaves out: fees (none are charged), blockhash expiry,
//! and the compute-budget program (every transaction may use up to 1.4M units, the cluster's
//! maximum; SetComputeUnitLimit/Price instructions are skipped).
//!
//! Used by the keeper's embedded backend ([`crate::chain::embedded`]: `keeper simulate`, the
//! keeper's tests) and the fuzzer's fast harness; solana-program-test's bank stays where the bank
//! itself is the point (the program's VM tests).
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use anchor_lang::prelude::{AccountMeta, Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use mollusk_svm::{Mollusk, MolluskContext};
use solana_account::{Account, AccountSharedData, ReadableAccount};
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_message::VersionedMessage;
use solana_svm_log_collector::LogCollector;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;

/// The compute-budget program: its instructions are skipped (the budget is [`MAX_COMPUTE_UNITS`]).
const COMPUTE_BUDGET: Pubkey = anchor_lang::prelude::pubkey!("ComputeBudget111111111111111111111111111111");
/// The largest budget a transaction can ask for on a cluster.
pub const MAX_COMPUTE_UNITS: u64 = 1_400_000;

/// What a transaction did.
#[derive(Clone, Debug)]
pub struct Executed {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: u64,
    pub return_data: Option<Vec<u8>>,
}

pub struct Svm {
    ctx: MolluskContext<HashMap<Pubkey, Account>>,
    logs: Rc<RefCell<LogCollector>>,
}

impl Svm {
    /// Loads `dir/portfolio_margin.so` at the program id, the cluster's programs, and an empty
    /// account store (the program accounts included, with the program-data account
    /// `keeper verify` reads).
    pub fn new(dir: &Path) -> anyhow::Result<Svm> {
        let so = dir.join("portfolio_margin.so");
        let elf = std::fs::read(&so)
            .map_err(|e| anyhow::anyhow!("{}: {e}: run `bash scripts/build-sbf` first", so.display()))?;
        let mut mollusk = Mollusk::default();
        let rent = mollusk.sysvars.rent.clone();
        let mut programs = solana_program_binaries::spl_programs(&rent);
        programs.extend(solana_program_binaries::core_bpf_programs(&rent, |_| true));
        let ours = solana_program_binaries::bpf_loader_upgradeable_program_accounts(&portfolio_margin::ID, &elf, &rent);
        programs.extend(ours.into_iter().map(|(k, a)| (k, a.into())));
        let mut store = HashMap::new();
        for (address, account) in &programs {
            let account = Account::from(account.clone());
            if let Some(elf) = program_elf(address, &account, &programs) {
                mollusk.add_program_with_loader_and_elf(address, &account.owner, elf);
            }
            store.insert(*address, account);
        }
        mollusk.compute_budget.compute_unit_limit = MAX_COMPUTE_UNITS;
        let logs = Rc::new(RefCell::new(LogCollector::default()));
        mollusk.logger = Some(logs.clone());
        Ok(Svm { ctx: mollusk.with_context(store), logs })
    }

    /// Runs `ixs` as one transaction paid by `payer`; `commit: false` leaves every account as it
    /// was (a simulation).
    pub fn execute(&mut self, ixs: &[Instruction], payer: &Pubkey, commit: bool) -> Executed {
        let snapshot = (!commit).then(|| self.ctx.account_store.borrow().clone());
        *self.logs.borrow_mut() = LogCollector::default();
        let ixs: Vec<Instruction> = ixs.iter().filter(|ix| ix.program_id != COMPUTE_BUDGET).cloned().collect();
        let r = self.ctx.process_transaction_instructions(&ixs, Some(payer));
        if let Some(s) = snapshot {
            *self.ctx.account_store.borrow_mut() = s;
        }
        let logs = std::mem::take(&mut *self.logs.borrow_mut()).into_messages();
        Executed {
            result: r.raw_result,
            logs,
            compute_units: r.compute_units_consumed,
            return_data: (!r.return_data.is_empty()).then_some(r.return_data),
        }
    }

    /// A signed transaction: its signatures verified, its lookup tables loaded, then
    /// [`Svm::execute`]. An invalid transaction is refused before it runs, as a bank refuses it.
    pub fn execute_transaction(&mut self, tx: &VersionedTransaction, commit: bool) -> Executed {
        let refused = |e| Executed { result: Err(e), logs: vec![], compute_units: 0, return_data: None };
        let signers = tx.message.header().num_required_signatures as usize;
        if tx.signatures.len() != signers || !tx.verify_with_results().into_iter().all(|ok| ok) {
            return refused(TransactionError::SignatureFailure);
        }
        match self.instructions(&tx.message) {
            Ok(ixs) => self.execute(&ixs, &tx.message.static_account_keys()[0], commit),
            Err(e) => refused(e),
        }
    }

    /// The instructions of `message` with their accounts' signer and writable flags, lookup-table
    /// addresses resolved at the current slot.
    pub fn instructions(&self, message: &VersionedMessage) -> Result<Vec<Instruction>, TransactionError> {
        let statics = message.static_account_keys();
        let header = message.header();
        let (signed, readonly_signed, readonly_unsigned) = (
            header.num_required_signatures as usize,
            header.num_readonly_signed_accounts as usize,
            header.num_readonly_unsigned_accounts as usize,
        );
        let mut keys: Vec<(Pubkey, bool)> = statics
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let writable =
                    if i < signed { i < signed - readonly_signed } else { i < statics.len() - readonly_unsigned };
                (*k, writable)
            })
            .collect();
        let lookups = message.address_table_lookups().unwrap_or_default();
        let (mut writable, mut readonly) = (vec![], vec![]);
        for lookup in lookups {
            let table = self.account(&lookup.account_key).ok_or(TransactionError::AddressLookupTableNotFound)?;
            if table.owner != solana_address_lookup_table_interface::program::ID {
                return Err(TransactionError::InvalidAddressLookupTableOwner);
            }
            let table = AddressLookupTable::deserialize(&table.data)
                .map_err(|_| TransactionError::InvalidAddressLookupTableData)?;
            let sysvars = &self.ctx.mollusk.sysvars;
            let load = |indexes: &[u8]| {
                table
                    .lookup(sysvars.clock.slot, indexes, &sysvars.slot_hashes)
                    .map_err(|_| TransactionError::InvalidAddressLookupTableIndex)
            };
            writable.extend(load(&lookup.writable_indexes)?);
            readonly.extend(load(&lookup.readonly_indexes)?);
        }
        keys.extend(writable.into_iter().map(|k| (k, true)));
        keys.extend(readonly.into_iter().map(|k| (k, false)));
        let key = |i: u8| keys.get(i as usize).copied().ok_or(TransactionError::SanitizeFailure);
        message
            .instructions()
            .iter()
            .map(|ix| {
                let accounts = ix
                    .accounts
                    .iter()
                    .map(|&i| {
                        let (pubkey, is_writable) = key(i)?;
                        Ok(AccountMeta { pubkey, is_signer: (i as usize) < signed, is_writable })
                    })
                    .collect::<Result<_, TransactionError>>()?;
                Ok(Instruction { program_id: key(ix.program_id_index)?.0, accounts, data: ix.data.clone() })
            })
            .collect()
    }

    /// `None` for an account that does not exist (no lamports and no data). Sysvars are read as
    /// the programs see them now (the Clock, SlotHashes, Rent, ...).
    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        use anchor_lang::prelude::pubkey;
        const SYSVARS: [Pubkey; 4] = [
            pubkey!("SysvarC1ock11111111111111111111111111111111"),
            pubkey!("SysvarRent111111111111111111111111111111111"),
            pubkey!("SysvarS1otHashes111111111111111111111111111"),
            pubkey!("SysvarEpochSchedu1e111111111111111111111111"),
        ];
        if SYSVARS.contains(address) {
            let all = self.ctx.mollusk.sysvars.get_all_keyed_sysvar_accounts();
            return all.into_iter().find(|(k, _)| k == address).map(|(_, a)| a);
        }
        self.ctx.account_store.borrow().get(address).cloned().filter(|a| a.lamports > 0 || !a.data.is_empty())
    }

    pub fn set_account(&mut self, address: Pubkey, account: Account) {
        self.ctx.account_store.borrow_mut().insert(address, account);
    }

    /// Every existing account owned by `owner`.
    pub fn accounts_owned_by(&self, owner: &Pubkey) -> Vec<(Pubkey, Account)> {
        let store = self.ctx.account_store.borrow();
        let mut out: Vec<(Pubkey, Account)> = store
            .iter()
            .filter(|(_, a)| a.owner == *owner && (a.lamports > 0 || !a.data.is_empty()))
            .map(|(k, a)| (*k, a.clone()))
            .collect();
        out.sort_by_key(|(k, _)| *k);
        out
    }

    pub fn clock(&self) -> Clock {
        self.ctx.mollusk.sysvars.clock.clone()
    }

    /// Sets the Clock (its slot included: use [`Svm::warp_to_slot`] to move slots forward).
    pub fn set_clock(&mut self, clock: Clock) {
        self.ctx.mollusk.sysvars.clock = clock;
    }

    /// Moves to a later slot (SlotHashes follow, as lookup tables need), keeping the unix time.
    pub fn warp_to_slot(&mut self, slot: u64) {
        let unix_timestamp = self.ctx.mollusk.sysvars.clock.unix_timestamp;
        self.ctx.mollusk.warp_to_slot(slot);
        self.ctx.mollusk.sysvars.clock.unix_timestamp = unix_timestamp;
    }

    pub fn rent_exempt(&self, len: usize) -> u64 {
        self.ctx.mollusk.sysvars.rent.minimum_balance(len)
    }
}

/// The ELF a program account runs: in its program-data account (upgradeable loader) or in itself.
fn program_elf<'a>(address: &Pubkey, account: &'a Account, all: &'a [(Pubkey, AccountSharedData)]) -> Option<&'a [u8]> {
    use anchor_lang::solana_program::bpf_loader_upgradeable as v3;
    if !account.executable {
        return None;
    }
    if account.owner != v3::ID {
        return Some(&account.data);
    }
    let data_address = Pubkey::find_program_address(&[address.as_ref()], &v3::ID).0;
    let (_, data) = all.iter().find(|(k, _)| *k == data_address)?;
    // UpgradeableLoaderState::ProgramData's metadata: 4 + 8 + 1 + 32 bytes.
    data.data().get(45..)
}
