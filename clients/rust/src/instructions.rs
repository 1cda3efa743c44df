//! Instruction builders from the program crate's own Anchor types (accounts structs and instruction
//! data), so a renamed account or argument is a compile error here, not a runtime surprise.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};
use portfolio_margin::accounts as acc;
use portfolio_margin::instruction as data;
use portfolio_margin::instructions::RegisterAssetArgs;
use portfolio_margin::state::{Asset, RiskParamsArgs};

use crate::address;

/// The accounts of one registered asset an instruction needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetKeys {
    pub index: u16,
    pub asset: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub insurance_vault: Pubkey,
    pub token_program: Pubkey,
    /// The asset's registered PriceUpdateV2 account (`Asset::oracle`).
    pub oracle: Pubkey,
}

impl AssetKeys {
    /// From the on-chain asset account (its registered oracle included).
    pub fn new(address: Pubkey, a: &Asset) -> Self {
        AssetKeys {
            index: a.index,
            asset: address,
            mint: a.mint,
            vault: a.vault,
            insurance_vault: a.insurance_vault,
            token_program: a.token_program,
            oracle: a.oracle,
        }
    }

    /// Asset `index` with fresh unique addresses (SPL Token): for sizing transactions and table
    /// layouts, where only the number of distinct accounts matters.
    pub fn synthetic(index: u16) -> Self {
        AssetKeys {
            index,
            asset: Pubkey::new_unique(),
            mint: Pubkey::new_unique(),
            vault: Pubkey::new_unique(),
            insurance_vault: Pubkey::new_unique(),
            token_program: anchor_spl::token::ID,
            oracle: Pubkey::new_unique(),
        }
    }
}

/// An instruction of the program.
pub fn ix(accounts: impl ToAccountMetas, args: impl InstructionData) -> Instruction {
    Instruction { program_id: portfolio_margin::ID, accounts: accounts.to_account_metas(None), data: args.data() }
}

/// `ix` followed by the (asset, oracle) pair of every asset in `health`, in position order.
fn with_health(mut ix: Instruction, health: &[AssetKeys]) -> Instruction {
    for a in health {
        ix.accounts.push(AccountMeta::new_readonly(a.asset, false));
        ix.accounts.push(AccountMeta::new_readonly(a.oracle, false));
    }
    ix
}

pub fn create_group(admin: &Pubkey, group_id: u32, risk_authority: Pubkey, params: RiskParamsArgs) -> Instruction {
    ix(
        acc::CreateGroup {
            admin: *admin,
            group: address::group(admin, group_id),
            system_program: anchor_lang::system_program::ID,
        },
        data::CreateGroup { group_id, risk_authority, params },
    )
}

/// Signed by the group's risk authority.
/// Records lookup table `index` (0 or 1) on the group.
pub fn set_lookup_table(admin: &Pubkey, group: Pubkey, index: u8, lookup_table: Pubkey) -> Instruction {
    ix(acc::SetLookupTable { admin: *admin, group, lookup_table }, data::SetLookupTable { index })
}

pub fn update_risk_params(risk_authority: &Pubkey, group: Pubkey, params: RiskParamsArgs) -> Instruction {
    ix(acc::UpdateRiskParams { risk_authority: *risk_authority, group }, data::UpdateRiskParams { params })
}

/// Allocates the (client-created, too big for CPI) risk-model account and binds it to `group`.
pub fn create_risk_model(admin: &Pubkey, group: Pubkey, risk_model: &Pubkey, rent_lamports: u64) -> [Instruction; 2] {
    let space = portfolio_margin::state::RiskModel::SPACE as u64;
    [
        anchor_lang::solana_program::system_instruction::create_account(
            admin,
            risk_model,
            rent_lamports,
            space,
            &portfolio_margin::ID,
        ),
        ix(acc::CreateRiskModel { admin: *admin, group, risk_model: *risk_model }, data::CreateRiskModel {}),
    ]
}

pub fn register_asset(
    admin: &Pubkey,
    group: Pubkey,
    risk_model: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    args: RegisterAssetArgs,
) -> Instruction {
    let asset = address::asset(&group, &mint);
    ix(
        acc::RegisterAsset {
            admin: *admin,
            group,
            risk_model,
            mint,
            asset,
            vault: address::vault(&asset),
            insurance_vault: address::insurance_vault(&asset),
            token_program,
            system_program: anchor_lang::system_program::ID,
        },
        data::RegisterAsset { args },
    )
}

pub fn create_margin_account(owner: &Pubkey, group: Pubkey, index: u8) -> Instruction {
    ix(
        acc::CreateMarginAccount {
            owner: *owner,
            group,
            margin_account: address::margin_account(&group, owner, index),
            system_program: anchor_lang::system_program::ID,
        },
        data::CreateMarginAccount { index },
    )
}

pub fn close_margin_account(owner: &Pubkey, margin_account: Pubkey) -> Instruction {
    ix(acc::CloseMarginAccount { owner: *owner, margin_account }, data::CloseMarginAccount {})
}

fn reduce_risk(
    owner: &Pubkey,
    group: Pubkey,
    margin_account: Pubkey,
    a: &AssetKeys,
    owner_tokens: Pubkey,
    args: impl InstructionData,
) -> Instruction {
    ix(
        acc::ReduceRisk {
            owner: *owner,
            group,
            margin_account,
            asset: a.asset,
            vault: a.vault,
            mint: a.mint,
            owner_tokens,
            token_program: a.token_program,
        },
        args,
    )
}

pub fn deposit(
    owner: &Pubkey,
    group: Pubkey,
    account: Pubkey,
    a: &AssetKeys,
    from: Pubkey,
    amount: u64,
) -> Instruction {
    reduce_risk(owner, group, account, a, from, data::Deposit { amount })
}

pub fn repay(owner: &Pubkey, group: Pubkey, account: Pubkey, a: &AssetKeys, from: Pubkey, amount: u64) -> Instruction {
    reduce_risk(owner, group, account, a, from, data::Repay { amount })
}

/// Where a withdraw or borrow goes and what it is checked against.
#[derive(Clone, Copy, Debug)]
pub struct AddRiskKeys<'a> {
    pub owner: Pubkey,
    pub group: Pubkey,
    pub risk_model: Pubkey,
    pub account: Pubkey,
    pub asset: &'a AssetKeys,
    pub destination: Pubkey,
    /// The account's positions after the action, in position order.
    pub health: &'a [AssetKeys],
}

fn add_risk(k: AddRiskKeys, args: impl InstructionData) -> Instruction {
    let a = k.asset;
    with_health(
        ix(
            acc::AddRisk {
                owner: k.owner,
                group: k.group,
                risk_model: k.risk_model,
                margin_account: k.account,
                asset: a.asset,
                vault: a.vault,
                mint: a.mint,
                destination: k.destination,
                token_program: a.token_program,
            },
            args,
        ),
        k.health,
    )
}

pub fn withdraw(k: AddRiskKeys, amount: u64) -> Instruction {
    add_risk(k, data::Withdraw { amount })
}

pub fn borrow(k: AddRiskKeys, amount: u64) -> Instruction {
    add_risk(k, data::Borrow { amount })
}

/// Records the prices of assets `first..first + oracles.len()` into the pending sample.
pub fn crank_risk_model(group: Pubkey, risk_model: Pubkey, first_asset: u16, oracles: &[Pubkey]) -> Instruction {
    let mut i = ix(acc::CrankRiskModel { group, risk_model }, data::CrankRiskModel { first_asset });
    i.accounts.extend(oracles.iter().map(|o| AccountMeta::new_readonly(*o, false)));
    i
}

/// Everything a liquidation names.
#[derive(Clone, Copy, Debug)]
pub struct LiquidateKeys<'a> {
    pub liquidator: Pubkey,
    pub group: Pubkey,
    pub risk_model: Pubkey,
    /// The account being liquidated.
    pub account: Pubkey,
    /// The liquidator's own margin account in the group (receives the collateral as a deposit).
    pub liquidator_account: Pubkey,
    pub liability: &'a AssetKeys,
    pub liquidator_liability_tokens: Pubkey,
    pub collateral: &'a AssetKeys,
    /// The account's positions, in position order.
    pub health: &'a [AssetKeys],
}

pub fn liquidate(k: LiquidateKeys, max_repay: u64) -> Instruction {
    with_health(ix(liquidate_accounts(&k), data::Liquidate { max_repay }), k.health)
}

/// The accounts of a spot liquidation (also the spot part of `liquidate_hedge`).
pub(crate) fn liquidate_accounts(k: &LiquidateKeys) -> acc::Liquidate {
    let (l, c) = (k.liability, k.collateral);
    acc::Liquidate {
        liquidator: k.liquidator,
        group: k.group,
        risk_model: k.risk_model,
        margin_account: k.account,
        liquidator_account: k.liquidator_account,
        liability_asset: l.asset,
        liability_vault: l.vault,
        liability_mint: l.mint,
        liquidator_liability_tokens: k.liquidator_liability_tokens,
        liability_token_program: l.token_program,
        collateral_asset: c.asset,
    }
}

/// `dust`: asset accounts of deposit positions worth less than one native unit (cleared first).
pub fn resolve_bankruptcy(group: Pubkey, account: Pubkey, a: &AssetKeys, dust: &[Pubkey]) -> Instruction {
    let mut i = ix(
        acc::ResolveBankruptcy {
            group,
            margin_account: account,
            asset: a.asset,
            vault: a.vault,
            insurance_vault: a.insurance_vault,
            mint: a.mint,
            token_program: a.token_program,
        },
        data::ResolveBankruptcy {},
    );
    i.accounts.extend(dust.iter().map(|d| AccountMeta::new(*d, false)));
    i
}

pub fn account_layouts() -> Instruction {
    ix(acc::AccountLayouts {}, data::AccountLayouts {})
}

/// `ComputeBudgetInstruction::SetComputeUnitLimit` (tag 2, u32 LE).
pub fn compute_unit_limit(units: u32) -> Instruction {
    let mut data = vec![2u8];
    data.extend_from_slice(&units.to_le_bytes());
    Instruction { program_id: address::COMPUTE_BUDGET, accounts: vec![], data }
}

/// `ComputeBudgetInstruction::SetComputeUnitPrice` (tag 3, u64 LE micro-lamports per CU).
pub fn compute_unit_price(micro_lamports: u64) -> Instruction {
    let mut data = vec![3u8];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    Instruction { program_id: address::COMPUTE_BUDGET, accounts: vec![], data }
}
