//! The fast harness: the client's in-process runtime ([`portfolio_margin_client::svm::Svm`]:
//! mollusk-svm 0.15.1, agave 4.2.2's program runtime and SBF VM, the same `portfolio_margin.so`
//! and the same SPL programs as solana-program-test) behind the [`World`](crate::World) the VM
//! tests use. Transactions run atomically (a rejected one changes nothing); signers are the
//! instructions' signer flags, fees are not charged, the clock is set directly. Use it where
//! throughput matters (the fuzzer); keep solana-program-test where the bank's behaviour is the
//! point.
use std::path::Path;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin_client::svm::Svm;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::Outcome;

pub struct Fast {
    svm: Svm,
    pub payer: Keypair,
}

impl Fast {
    /// The program at `dir/portfolio_margin.so`, the cluster's programs, and a payer with
    /// 1,000,000 SOL.
    pub fn new(dir: &Path) -> Fast {
        let mut svm = Svm::new(dir).expect("the program's binary loads");
        let payer = Keypair::new();
        svm.set_account(payer.pubkey(), Account::new(1_000_000_000_000_000, 0, &anchor_lang::system_program::ID));
        let clock = Clock { unix_timestamp: 1_700_000_000, ..svm.clock() };
        svm.set_clock(clock);
        Fast { svm, payer }
    }

    fn run(&mut self, ixs: &[Instruction], commit: bool) -> Outcome {
        let r = self.svm.execute(ixs, &self.payer.pubkey(), commit);
        Outcome { result: r.result, logs: r.logs, compute_units: r.compute_units, return_data: r.return_data }
    }

    pub fn send(&mut self, ixs: &[Instruction]) -> Outcome {
        self.run(ixs, true)
    }

    pub fn simulate(&mut self, ixs: &[Instruction]) -> Outcome {
        self.run(ixs, false)
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm.account(address)
    }

    pub fn set_account(&mut self, address: Pubkey, account: Account) {
        self.svm.set_account(address, account);
    }

    pub fn clock(&self) -> Clock {
        self.svm.clock()
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.svm.set_clock(clock);
    }

    pub fn rent_exempt(&self, len: usize) -> u64 {
        self.svm.rent_exempt(len)
    }
}
