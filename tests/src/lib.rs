//! Shared setup for tests that run the REAL SBF build of the program (target/deploy/
//! portfolio_margin.so, from scripts/build-sbf) inside solana-program-test 4.2.2 in BPF mode.
//!
//! Instructions are built from the program crate's own Anchor client types
//! (`portfolio_margin::instruction::X`, `portfolio_margin::accounts::X`): Anchor 1.2.2's `Pubkey` and
//! solana-program-test 4.2.2's are the same type, and both use solana-instruction 3.4.
use std::path::PathBuf;

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, AnchorDeserialize, Discriminator};
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_test::{ProgramTest, ProgramTestBanksClientExt, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub use portfolio_margin;

pub mod fast;
pub mod market;
pub mod perp;
pub use market::*;
pub use perp::*;
use portfolio_margin::state::RiskParamsArgs;

/// Where scripts/build-sbf writes the program.
pub fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy")
}

/// A ProgramTest that runs `portfolio_margin.so` in the SBF VM (never a native build).
pub fn program_test() -> ProgramTest {
    let dir = std::env::var("BPF_OUT_DIR")
        .or_else(|_| std::env::var("SBF_OUT_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|_| deploy_dir());
    assert!(
        dir.join("portfolio_margin.so").is_file(),
        "{}/portfolio_margin.so not found: run scripts/build-sbf first",
        dir.display()
    );
    std::env::set_var("SBF_OUT_DIR", &dir);
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(true);
    pt.add_program("portfolio_margin", portfolio_margin::ID, None);
    pt
}

/// What one transaction did in the VM.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: u64,
    pub return_data: Option<Vec<u8>>,
}

impl Outcome {
    /// Panics with the logs if the transaction failed.
    pub fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!("transaction failed: {e:?}\n{}", self.logs.join("\n"));
        }
        self
    }

    /// The custom error code of a failed instruction (Anchor: 6000 + variant index for ours).
    pub fn custom_error(&self) -> Option<u32> {
        match &self.result {
            Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => Some(*code),
            _ => None,
        }
    }

    /// Anchor events of type `E` from `Program data:` log lines (discriminator checked).
    pub fn events<E: anchor_lang::Event + AnchorDeserialize>(&self) -> Vec<E> {
        portfolio_margin_client::chain::decode_events(&self.logs)
    }

    pub fn logs_contain(&self, needle: &str) -> bool {
        self.logs.iter().any(|l| l.contains(needle))
    }
}

/// Where the program runs: solana-program-test's bank, or the fast harness ([`fast::Fast`]).
pub enum Vm {
    Bank(Box<ProgramTestContext>),
    Fast(Box<fast::Fast>),
}

/// A running VM with a funded payer.
pub struct World {
    pub vm: Vm,
    /// Signatures sent so far: an identical transaction gets a fresh blockhash instead of being
    /// dropped as already processed.
    sent: std::collections::HashSet<solana_signature::Signature>,
}

impl World {
    /// solana-program-test's bank running the .so.
    pub async fn new() -> Self {
        World { vm: Vm::Bank(Box::new(program_test().start_with_context().await)), sent: Default::default() }
    }

    /// The fast harness running the same .so (mollusk-svm).
    pub fn fast() -> Self {
        let dir = std::env::var("SBF_OUT_DIR").map(PathBuf::from).unwrap_or_else(|_| deploy_dir());
        assert!(
            dir.join("portfolio_margin.so").is_file(),
            "{}/portfolio_margin.so not found: run scripts/build-sbf first",
            dir.display()
        );
        World { vm: Vm::Fast(Box::new(fast::Fast::new(&dir))), sent: Default::default() }
    }

    /// The bank (tests that need it; panics on the fast harness).
    pub fn bank(&mut self) -> &mut ProgramTestContext {
        match &mut self.vm {
            Vm::Bank(ctx) => ctx,
            Vm::Fast(_) => panic!("this test needs solana-program-test's bank"),
        }
    }

    pub fn payer(&self) -> Pubkey {
        match &self.vm {
            Vm::Bank(ctx) => ctx.payer.pubkey(),
            Vm::Fast(f) => f.payer.pubkey(),
        }
    }

    /// Writes an account directly.
    pub fn set_account(&mut self, address: Pubkey, account: solana_account::Account) {
        match &mut self.vm {
            Vm::Bank(ctx) => ctx.set_account(&address, &account.into()),
            Vm::Fast(f) => f.set_account(address, account),
        }
    }

    /// The whole account, if it exists.
    pub async fn account(&mut self, address: Pubkey) -> Option<solana_account::Account> {
        match &mut self.vm {
            Vm::Bank(ctx) => ctx.banks_client.get_account(address).await.unwrap(),
            Vm::Fast(f) => f.account(&address),
        }
    }

    /// The rent-exempt minimum for `len` bytes.
    pub async fn rent_exempt(&mut self, len: usize) -> u64 {
        match &mut self.vm {
            Vm::Bank(ctx) => ctx.banks_client.get_rent().await.unwrap().minimum_balance(len),
            Vm::Fast(f) => f.rent_exempt(len),
        }
    }

    /// A new keypair funded with 10 SOL.
    pub async fn funded_keypair(&mut self) -> Keypair {
        let k = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(&self.payer(), &k.pubkey(), 10_000_000_000);
        self.send(&[ix], &[]).await.ok();
        k
    }

    /// Sends `ixs` paid by the payer and signed by it and `extra_signers` (the fast harness checks
    /// the instructions' signer flags, not signatures).
    pub async fn send(&mut self, ixs: &[Instruction], extra_signers: &[&Keypair]) -> Outcome {
        let ctx = match &mut self.vm {
            Vm::Bank(ctx) => ctx,
            Vm::Fast(f) => return f.send(ixs),
        };
        let mut blockhash = ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut signers: Vec<&Keypair> = vec![&ctx.payer];
        signers.extend_from_slice(extra_signers);
        let mut tx = Transaction::new_signed_with_payer(ixs, Some(&ctx.payer.pubkey()), &signers, blockhash);
        while self.sent.contains(&tx.signatures[0]) {
            blockhash = ctx.banks_client.get_new_latest_blockhash(&blockhash).await.unwrap();
            tx = Transaction::new_signed_with_payer(ixs, Some(&ctx.payer.pubkey()), &signers, blockhash);
        }
        self.sent.insert(tx.signatures[0]);
        let r = ctx.banks_client.process_transaction_with_metadata(tx).await.unwrap();
        let meta = r.metadata.expect("banks server returns metadata");
        Outcome {
            result: r.result,
            logs: meta.log_messages,
            compute_units: meta.compute_units_consumed,
            return_data: meta.return_data.map(|d| d.data),
        }
    }

    /// Simulates instead of executing (state unchanged).
    pub async fn simulate(&mut self, ixs: &[Instruction]) -> Outcome {
        let ctx = match &mut self.vm {
            Vm::Bank(ctx) => ctx,
            Vm::Fast(f) => return f.simulate(ixs),
        };
        let blockhash = ctx.banks_client.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(ixs, Some(&ctx.payer.pubkey()), &[&ctx.payer], blockhash);
        let r = ctx.banks_client.simulate_transaction(tx).await.unwrap();
        let d = r.simulation_details.expect("simulation details");
        Outcome {
            result: r.result.expect("simulation result"),
            logs: d.logs,
            compute_units: d.units_consumed,
            return_data: d.return_data.map(|d| d.data),
        }
    }

    /// Raw account data, if the account exists.
    pub async fn account_data(&mut self, address: Pubkey) -> Option<Vec<u8>> {
        self.account(address).await.map(|a| a.data)
    }

    /// Reads a zero-copy account with the client's decoder (discriminator checked).
    pub async fn zero_copy<T: bytemuck::Pod + Discriminator>(&mut self, address: Pubkey) -> T {
        let data = self.account_data(address).await.expect("account exists");
        portfolio_margin_client::state::load(&data).expect("decodes")
    }
}

pub use portfolio_margin_client::address::group as group_address;
pub use portfolio_margin_client::defaults::daily_params as default_params;
pub use portfolio_margin_client::instructions::{
    account_layouts as account_layouts_ix, compute_unit_limit as compute_limit_ix, ix,
};

/// `create_group` signed by `admin` (the group PDA is derived from `seed_admin`).
pub fn create_group_ix(
    admin: &Pubkey,
    seed_admin: &Pubkey,
    group_id: u32,
    risk_authority: Pubkey,
    params: RiskParamsArgs,
) -> Instruction {
    ix(
        portfolio_margin::accounts::CreateGroup {
            admin: *admin,
            group: group_address(seed_admin, group_id),
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CreateGroup { group_id, risk_authority, params },
    )
}

/// `update_risk_params` signed by the group's risk authority (the admin in `Market`).
pub fn update_risk_params_ix(risk_authority: &Pubkey, group: Pubkey, params: RiskParamsArgs) -> Instruction {
    portfolio_margin_client::instructions::update_risk_params(risk_authority, group, params)
}
