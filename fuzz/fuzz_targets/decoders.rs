//! Decoders on arbitrary bytes: every one answers with a value or a clear error, never a panic.
//! - Instruction data through the program's own dispatcher (`portfolio_margin::entry`, natively):
//!   any discriminator of the program or none, then arbitrary argument bytes, with no accounts; it
//!   must refuse (unknown instruction, undecodable arguments, missing accounts; `account_layouts`,
//!   the one instruction without accounts, may answer), and every decoded
//!   argument struct re-encodes to exactly the bytes it consumed.
//! - Zero-copy accounts (`state::decode`, the one decoder of the client, the keeper and the
//!   preview): decodes exactly when the discriminator matches and the data is long enough, and the
//!   value re-encodes to those bytes.
//! - Oracle prices (`oracle::read_price`, what every health check runs): any PriceUpdateV2-shaped
//!   bytes with any exponent, confidence and time give a price, an "unusable" verdict or an error;
//!   an accepted price is positive with its confidence within the group's ratio.
#![no_main]
use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::{AnchorDeserialize, AnchorSerialize, Discriminator};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use portfolio_margin::instruction as ix;
use portfolio_margin::state::{decode, Asset, Group, MarginAccount, RiskModel, RiskParams, RiskParamsArgs};
use risk_engine::{Fx, FxExt};

#[derive(Arbitrary, Debug)]
enum Input {
    Instruction { which: u8, args: Vec<u8> },
    Account { which: u8, with_discriminator: bool, body: Vec<u8> },
    Oracle { bytes: Vec<u8>, header: bool, verified: bool, exponent: i32, price: i64, conf: u64, age: i64, ours: bool },
}

/// Decodes `args` as `T`; a success must re-encode to the bytes it consumed.
fn round_trip<T: AnchorDeserialize + AnchorSerialize>(args: &[u8]) {
    let mut rest = args;
    if let Ok(v) = T::deserialize(&mut rest) {
        let used = args.len() - rest.len();
        let mut again = vec![];
        v.serialize(&mut again).unwrap();
        assert_eq!(again, &args[..used], "argument bytes do not round-trip");
    }
}

macro_rules! instructions {
    ($which:expr, $args:expr, $($t:ident),+ $(,)?) => {{
        let all: &[(&[u8], fn(&[u8]))] = &[$((ix::$t::DISCRIMINATOR, round_trip::<ix::$t>)),+];
        match all.get($which as usize % (all.len() + 1)) {
            Some((disc, check)) => {
                check($args);
                [disc.to_vec(), $args.to_vec()].concat()
            }
            // No discriminator of ours: the bytes as they come.
            None => $args.to_vec(),
        }
    }};
}

fn account<T: bytemuck::Pod + Discriminator>(with_discriminator: bool, body: &[u8]) {
    let data = if with_discriminator { [T::DISCRIMINATOR, body].concat() } else { body.to_vec() };
    let ours = data.starts_with(T::DISCRIMINATOR);
    let need = T::DISCRIMINATOR.len() + std::mem::size_of::<T>();
    match decode::<T>(&data) {
        Ok(v) => {
            assert!(ours && data.len() >= need);
            assert_eq!(bytemuck::bytes_of(&v), &data[T::DISCRIMINATOR.len()..need]);
        }
        Err(_) => assert!(!ours || data.len() < need),
    }
}

fuzz_target!(|input: Input| match input {
    Input::Instruction { which, args } => {
        let data = instructions!(
            which, &args, CreateGroup, UpdateRiskParams, CreateRiskModel, RegisterAsset, SetLookupTable,
            CreateMarginAccount, CloseMarginAccount, Deposit, Repay, Withdraw, Borrow, CrankRiskModel, Liquidate,
            ResolveBankruptcy, CollectProtocolFees, AccountLayouts,
        );
        let r = portfolio_margin::entry(&portfolio_margin::ID, &[], &data);
        // account_layouts is the one instruction without accounts (a view of the layouts).
        if !data.starts_with(ix::AccountLayouts::DISCRIMINATOR) {
            assert!(r.is_err(), "accepted without accounts");
        }
    }
    Input::Account { which, with_discriminator, body } => match which % 4 {
        0 => account::<Group>(with_discriminator, &body),
        1 => account::<Asset>(with_discriminator, &body),
        2 => account::<MarginAccount>(with_discriminator, &body),
        _ => account::<RiskModel>(with_discriminator, &body),
    },
    Input::Oracle { bytes, header, verified, exponent, price, conf, age, ours } => {
        let feed = [7u8; 32];
        // A well-formed prefix (discriminator, authority, verification, feed, price, conf,
        // exponent, publish time) when `header`, then arbitrary bytes.
        let now = 1_700_000_000i64;
        let mut data = vec![];
        if header {
            data.extend_from_slice(pyth_solana_receiver_sdk::price_update::PriceUpdateV2::DISCRIMINATOR);
            data.extend_from_slice(&[0u8; 32]);
            data.extend_from_slice(if verified { &[1u8][..] } else { &[0u8, 3][..] });
            data.extend_from_slice(&feed);
            data.extend_from_slice(&price.to_le_bytes());
            data.extend_from_slice(&conf.to_le_bytes());
            data.extend_from_slice(&exponent.to_le_bytes());
            data.extend_from_slice(&now.wrapping_sub(age).to_le_bytes());
        }
        data.extend_from_slice(&bytes);
        let key = Pubkey::new_from_array([9u8; 32]);
        let registered = if ours { key } else { Pubkey::new_from_array([8u8; 32]) };
        let owner = pyth_solana_receiver_sdk::ID;
        let mut lamports = 1u64;
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &owner, false);
        let params = RiskParams::from_args(&RiskParamsArgs::daily_defaults()).unwrap();
        if let Ok(Ok(p)) = portfolio_margin::oracle::read_price(&info, &registered, &feed, now, &params) {
            assert!(p.price > Fx::ZERO, "accepted a price that is not positive");
            assert!(p.conf <= p.price.mul_floor(params.max_conf_ratio.get()).unwrap(), "confidence wider than allowed");
        }
    }
});
