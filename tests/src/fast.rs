//! The fast harness: the same `portfolio_margin.so` in mollusk-svm 0.15.1 (agave 4.2.2's program
//! runtime and SBF VM, without a bank, a banks server or an async runtime in the path), behind the
//! same [`World`](crate::World) the VM tests use. Transactions run atomically against an account
//! store (a rejected one changes nothing); signers are the instructions' signer flags (no signature
//! verification), fees are not charged, the clock is set directly. Use it where throughput matters
//! (the fuzzer); keep solana-program-test where the bank's behaviour is the point.
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use mollusk_svm::{Mollusk, MolluskContext};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_svm_log_collector::LogCollector;

use crate::Outcome;

pub struct Fast {
    ctx: MolluskContext<HashMap<Pubkey, Account>>,
    logs: Rc<RefCell<LogCollector>>,
    pub payer: Keypair,
}

impl Fast {
    /// The program at `dir/portfolio_margin.so`, SPL Token, Token-2022 and the associated-token
    /// program, and a payer with 1,000,000 SOL.
    pub fn new(dir: &Path) -> Fast {
        let so = dir.join("portfolio_margin");
        let mut mollusk = Mollusk::new(&portfolio_margin::ID, so.to_str().expect("utf-8 path"));
        mollusk_svm_programs_token::token::add_program(&mut mollusk);
        mollusk_svm_programs_token::token2022::add_program(&mut mollusk);
        mollusk_svm_programs_token::associated_token::add_program(&mut mollusk);
        // Transactions may ask for up to 1.4M units, as on a cluster.
        mollusk.compute_budget.compute_unit_limit = 1_400_000;
        let logs = Rc::new(RefCell::new(LogCollector::default()));
        mollusk.logger = Some(logs.clone());
        mollusk.sysvars.clock.unix_timestamp = 1_700_000_000;
        let payer = Keypair::new();
        let mut store = HashMap::new();
        store.insert(payer.pubkey(), Account::new(1_000_000_000_000_000, 0, &anchor_lang::system_program::ID));
        Fast { ctx: mollusk.with_context(store), logs, payer }
    }

    fn run(&mut self, ixs: &[Instruction], commit: bool) -> Outcome {
        let snapshot = (!commit).then(|| self.ctx.account_store.borrow().clone());
        *self.logs.borrow_mut() = LogCollector::default();
        // The compute budget is the harness's (1.4M units): mollusk has no compute-budget program.
        let budget = anchor_lang::prelude::pubkey!("ComputeBudget111111111111111111111111111111");
        let ixs: Vec<Instruction> = ixs.iter().filter(|ix| ix.program_id != budget).cloned().collect();
        let r = self.ctx.process_transaction_instructions(&ixs, Some(&self.payer.pubkey()));
        if let Some(s) = snapshot {
            *self.ctx.account_store.borrow_mut() = s;
        }
        let logs = std::mem::take(&mut *self.logs.borrow_mut()).into_messages();
        Outcome {
            result: r.raw_result,
            logs,
            compute_units: r.compute_units_consumed,
            return_data: (!r.return_data.is_empty()).then_some(r.return_data),
        }
    }

    pub fn send(&mut self, ixs: &[Instruction]) -> Outcome {
        self.run(ixs, true)
    }

    pub fn simulate(&mut self, ixs: &[Instruction]) -> Outcome {
        self.run(ixs, false)
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.ctx.account_store.borrow().get(address).cloned().filter(|a| a.lamports > 0 || !a.data.is_empty())
    }

    pub fn set_account(&mut self, address: Pubkey, account: Account) {
        self.ctx.account_store.borrow_mut().insert(address, account);
    }

    pub fn clock(&self) -> Clock {
        self.ctx.mollusk.sysvars.clock.clone()
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.ctx.mollusk.sysvars.clock = clock;
    }

    pub fn rent_exempt(&self, len: usize) -> u64 {
        self.ctx.mollusk.sysvars.rent.minimum_balance(len)
    }
}
