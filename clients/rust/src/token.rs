//! SPL Token / Token-2022 instructions the keeper and simulations need: mints, token accounts,
//! minting.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;

use crate::address;

pub const MINT_LEN: usize = spl_token::state::Mint::LEN;
pub const ACCOUNT_LEN: usize = spl_token::state::Account::LEN;

fn is_2022(program: &Pubkey) -> bool {
    *program == spl_token_2022::ID
}

/// Creates and initialises `mint` (a new keypair's address) with `authority`.
pub fn create_mint(
    payer: &Pubkey,
    mint: &Pubkey,
    authority: &Pubkey,
    decimals: u8,
    program: &Pubkey,
    rent: u64,
) -> [Instruction; 2] {
    let init = if is_2022(program) {
        spl_token_2022::instruction::initialize_mint2(program, mint, authority, None, decimals)
    } else {
        spl_token::instruction::initialize_mint2(program, mint, authority, None, decimals)
    }
    .expect("valid mint instruction");
    [system_instruction::create_account(payer, mint, rent, MINT_LEN as u64, program), init]
}

fn init_account(program: &Pubkey, account: &Pubkey, mint: &Pubkey, owner: &Pubkey) -> Instruction {
    if is_2022(program) {
        spl_token_2022::instruction::initialize_account3(program, account, mint, owner)
    } else {
        spl_token::instruction::initialize_account3(program, account, mint, owner)
    }
    .expect("valid account instruction")
}

/// Creates a token account at a new keypair's address.
pub fn create_account(
    payer: &Pubkey,
    account: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
    program: &Pubkey,
    rent: u64,
) -> [Instruction; 2] {
    [
        system_instruction::create_account(payer, account, rent, ACCOUNT_LEN as u64, program),
        init_account(program, account, mint, owner),
    ]
}

/// Creates `owner`'s seeded token account for `mint` ([`address::seeded_token_account`]); `owner`
/// signs (it is the base of the seed).
pub fn create_seeded_account(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    program: &Pubkey,
    rent: u64,
) -> [Instruction; 2] {
    let (account, seed) = address::seeded_token_account(owner, mint, program);
    [
        system_instruction::create_account_with_seed(payer, &account, owner, &seed, rent, ACCOUNT_LEN as u64, program),
        init_account(program, &account, mint, owner),
    ]
}

pub fn mint_to(program: &Pubkey, mint: &Pubkey, to: &Pubkey, authority: &Pubkey, amount: u64) -> Instruction {
    if is_2022(program) {
        spl_token_2022::instruction::mint_to(program, mint, to, authority, &[], amount)
    } else {
        spl_token::instruction::mint_to(program, mint, to, authority, &[], amount)
    }
    .expect("valid mint_to instruction")
}
