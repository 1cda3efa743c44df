//! Shared setup for tests that run the REAL SBF build of the program (target/deploy/
//! portfolio_margin.so, from scripts/build-sbf) inside solana-program-test 4.2.2 in BPF mode.
//!
//! Instructions are built from the program crate's own Anchor client types
//! (`portfolio_margin::instruction::X`, `portfolio_margin::accounts::X`): Anchor 1.2.2's `Pubkey` and
//! solana-program-test 4.2.2's are the same type, and both use solana-instruction 3.4.
use std::path::PathBuf;

use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, AnchorDeserialize, Discriminator, InstructionData,
    ToAccountMetas,
};
use base64::Engine as _;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_test::{ProgramTest, ProgramTestBanksClientExt, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub use portfolio_margin;

pub mod market;
pub use market::*;
use portfolio_margin::state::{seeds, RiskParamsArgs};

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
        self.logs
            .iter()
            .filter_map(|l| l.strip_prefix("Program data: "))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter_map(|bytes| E::deserialize(&mut &bytes.strip_prefix(E::DISCRIMINATOR)?[..]).ok())
            .collect()
    }

    pub fn logs_contain(&self, needle: &str) -> bool {
        self.logs.iter().any(|l| l.contains(needle))
    }
}

/// A running VM with a funded payer.
pub struct World {
    pub ctx: ProgramTestContext,
    /// Signatures sent so far: an identical transaction gets a fresh blockhash instead of being
    /// dropped as already processed.
    sent: std::collections::HashSet<solana_signature::Signature>,
}

impl World {
    pub async fn new() -> Self {
        World { ctx: program_test().start_with_context().await, sent: Default::default() }
    }

    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// A new keypair funded with 10 SOL.
    pub async fn funded_keypair(&mut self) -> Keypair {
        let k = Keypair::new();
        let ix = anchor_lang::solana_program::system_instruction::transfer(&self.payer(), &k.pubkey(), 10_000_000_000);
        self.send(&[ix], &[]).await.ok();
        k
    }

    /// Sends `ixs` paid by the payer and signed by it and `extra_signers`.
    pub async fn send(&mut self, ixs: &[Instruction], extra_signers: &[&Keypair]) -> Outcome {
        let mut blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut signers: Vec<&Keypair> = vec![&self.ctx.payer];
        signers.extend_from_slice(extra_signers);
        let mut tx = Transaction::new_signed_with_payer(ixs, Some(&self.ctx.payer.pubkey()), &signers, blockhash);
        while self.sent.contains(&tx.signatures[0]) {
            blockhash = self.ctx.banks_client.get_new_latest_blockhash(&blockhash).await.unwrap();
            tx = Transaction::new_signed_with_payer(ixs, Some(&self.ctx.payer.pubkey()), &signers, blockhash);
        }
        self.sent.insert(tx.signatures[0]);
        let r = self.ctx.banks_client.process_transaction_with_metadata(tx).await.unwrap();
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
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(ixs, Some(&self.ctx.payer.pubkey()), &[&self.ctx.payer], blockhash);
        let r = self.ctx.banks_client.simulate_transaction(tx).await.unwrap();
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
        self.ctx.banks_client.get_account(address).await.unwrap().map(|a| a.data)
    }

    /// Reads a zero-copy account with bytemuck after checking its discriminator.
    pub async fn zero_copy<T: bytemuck::Pod + Discriminator>(&mut self, address: Pubkey) -> T {
        let data = self.account_data(address).await.expect("account exists");
        assert_eq!(&data[..T::DISCRIMINATOR.len()], T::DISCRIMINATOR, "discriminator");
        let start = T::DISCRIMINATOR.len();
        bytemuck::pod_read_unaligned(&data[start..start + std::mem::size_of::<T>()])
    }
}

/// Builds an instruction from the program crate's Anchor types.
pub fn ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: portfolio_margin::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// The group PDA of `admin` and `group_id`.
pub fn group_address(admin: &Pubkey, group_id: u32) -> Pubkey {
    Pubkey::find_program_address(&[seeds::GROUP, admin.as_ref(), &group_id.to_le_bytes()], &portfolio_margin::ID).0
}

/// The calibrated daily defaults (see the README's calibration).
pub fn default_params() -> RiskParamsArgs {
    RiskParamsArgs {
        lambda_e9: 940_000_000,
        sample_interval_seconds: 86_400,
        horizon_seconds: 86_400,
        z_e6: 2_326_348,
        spike_alpha_e6: 250_000,
        breakdown_beta_e6: 50_000,
        stress_vol_multiplier_e6: 1_250_000,
        joint_move_sigmas_e6: 2_400_000,
        initial_multiplier_e6: 1_500_000,
        conf_k_e6: 1_000_000,
        oracle_max_age_seconds: 60,
        max_conf_ratio_e6: 20_000,
        liquidator_fee_e6: 25_000,
        insurance_fee_e6: 25_000,
    }
}

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

pub fn update_risk_params_ix(admin: &Pubkey, group: Pubkey, params: RiskParamsArgs) -> Instruction {
    ix(
        portfolio_margin::accounts::UpdateRiskParams { admin: *admin, group },
        portfolio_margin::instruction::UpdateRiskParams { params },
    )
}

pub fn account_layouts_ix() -> Instruction {
    ix(portfolio_margin::accounts::AccountLayouts {}, portfolio_margin::instruction::AccountLayouts {})
}

/// `ComputeBudgetInstruction::SetComputeUnitLimit(units)` (built by hand: discriminator 2, u32 LE).
pub fn compute_limit_ix(units: u32) -> Instruction {
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction {
        program_id: anchor_lang::prelude::pubkey!("ComputeBudget111111111111111111111111111111"),
        accounts: vec![],
        data,
    }
}
