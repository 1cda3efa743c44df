//! Pyth pull-oracle prices (PriceUpdateV2 from the Pyth receiver program): owner (the receiver
//! program of pyth-solana-receiver-sdk) and discriminator (the SDK's `PriceUpdateV2`), then full
//! Wormhole verification, the pinned feed id, age, confidence ratio and a positive price. The exponent
//! is applied exactly in fixed point.
//!
//! The fields are read in place from the account bytes (the SDK's borsh layout) rather than through
//! a deserialised copy: it is the cost of every position of every health check.
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
use risk_engine::valuation::{confidence_too_wide, price_and_conf_from_oracle};
use risk_engine::Fx;

use crate::account_view::AccountView;
use crate::error::{math, ErrorCode};
use crate::state::RiskParams;

/// A usable oracle price, USD per whole token.
#[derive(Clone, Copy, Debug)]
pub struct OraclePrice {
    pub price: Fx,
    pub conf: Fx,
    pub publish_time: i64,
}

/// Why a price could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    NotFullyVerified,
    Stale,
    ConfidenceTooWide,
    NonPositive,
}

impl Unusable {
    pub fn error(self) -> ErrorCode {
        match self {
            Unusable::NotFullyVerified => ErrorCode::OracleNotFullyVerified,
            Unusable::Stale => ErrorCode::OracleStale,
            Unusable::ConfidenceTooWide => ErrorCode::OracleConfidenceTooWide,
            Unusable::NonPositive => ErrorCode::OraclePriceNotPositive,
        }
    }
}

/// Decodes `info` as the PriceUpdateV2 for `feed_id` at the asset's registered oracle address
/// `oracle`. Errors (wrong owner, wrong account type, wrong feed, another account of the same feed)
/// mean the caller passed the wrong account; `Ok(Err(_))` means the asset's own oracle is unusable
/// now. Only the registered account is accepted, so nobody can choose an older or partially
/// verified update of the same feed: when that account is unusable, the feed really is.
#[inline(always)]
pub fn read_price(
    info: &impl AccountView,
    oracle: &Pubkey,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<core::result::Result<OraclePrice, Unusable>> {
    let m = match checked_price(info, oracle, feed_id, now, params)? {
        Ok(m) => m,
        Err(why) => return Ok(Err(why)),
    };
    let conf_mantissa = i64::try_from(m.conf).map_err(math)?;
    let (price, conf) = price_and_conf_from_oracle(m.price, conf_mantissa, m.exponent).map_err(math)?;
    if confidence_too_wide(conf, price, params.max_conf_ratio.get()).map_err(math)? || price == Fx::ZERO {
        return Ok(Err(Unusable::ConfidenceTooWide));
    }
    Ok(Ok(OraclePrice { price, conf, publish_time: m.publish_time }))
}

/// [`read_price`]'s price alone, for the crank, which values nothing: the same checks, the same rule.
pub fn read_mark(
    info: &impl AccountView,
    oracle: &Pubkey,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<core::result::Result<Fx, Unusable>> {
    Ok(read_price(info, oracle, feed_id, now, params)?.map(|p| p.price))
}

/// Every check of [`read_price`] before the confidence's: the account, the feed, verification,
/// age, a positive mantissa.
#[inline(always)]
fn checked_price(
    info: &impl AccountView,
    oracle: &Pubkey,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<core::result::Result<PriceFields, Unusable>> {
    let m = PriceFields::read(info, feed_id)?;
    if info.address() != oracle {
        return Err(wrong_oracle(info.address(), oracle));
    }
    if !m.fully_verified {
        return Ok(Err(Unusable::NotFullyVerified));
    }
    let age = now.saturating_sub(m.publish_time);
    if age > params.oracle_max_age_seconds as i64 {
        return Ok(Err(Unusable::Stale));
    }
    if m.price <= 0 {
        return Ok(Err(Unusable::NonPositive));
    }
    Ok(Ok(m))
}

/// The fields of a PriceUpdateV2 the program uses.
struct PriceFields {
    fully_verified: bool,
    price: i64,
    conf: u64,
    exponent: i32,
    publish_time: i64,
}

impl PriceFields {
    /// Checks owner and discriminator as `Account<PriceUpdateV2>` would (same Anchor errors), then
    /// reads the borsh fields in place: discriminator (8), write_authority (32), verification level
    /// (tag 0 + num_signatures, or tag 1 = Full), feed_id (32), price i64, conf u64, exponent i32,
    /// publish_time i64, …; the feed id is compared with `feed_id` in place (`OracleFeedMismatch`).
    #[inline(always)]
    fn read(info: &impl AccountView, feed_id: &[u8; 32]) -> Result<Self> {
        use anchor_lang::error::ErrorCode as A;
        if info.owner() != &pyth_solana_receiver_sdk::ID {
            return Err(wrong_owner(info.owner()));
        }
        let data = info.data()?;
        let disc = <PriceUpdateV2 as anchor_lang::Discriminator>::DISCRIMINATOR;
        if data.len() < disc.len() || &data[..disc.len()] != disc {
            return Err(not_an_update(A::AccountDiscriminatorMismatch));
        }
        let mut o = disc.len() + 32;
        let fully_verified = match data.get(o) {
            Some(0) => {
                o += 2;
                false
            }
            Some(1) => {
                o += 1;
                true
            }
            _ => return Err(not_an_update(A::AccountDidNotDeserialize)),
        };
        if data.len() < o + 32 + 8 + 8 + 4 + 8 {
            return Err(not_an_update(A::AccountDidNotDeserialize));
        }
        let le8 = |at: usize| -> [u8; 8] { data[at..at + 8].try_into().unwrap() };
        if data[o..o + 32] != feed_id[..] {
            return Err(wrong_feed(info.address()));
        }
        o += 32;
        let price = i64::from_le_bytes(le8(o));
        let conf = u64::from_le_bytes(le8(o + 8));
        let exponent = i32::from_le_bytes(data[o + 16..o + 20].try_into().unwrap());
        let publish_time = i64::from_le_bytes(le8(o + 20));
        Ok(Self { fully_verified, price, conf, exponent, publish_time })
    }
}

/// [`PriceFields::read`]'s error for an oracle of another feed (out of the read's line).
#[cold]
#[inline(never)]
fn wrong_feed(address: &Pubkey) -> Error {
    msg!("oracle {} carries another feed than the asset's", address);
    error!(ErrorCode::OracleFeedMismatch)
}

/// [`checked_price`]'s error for another account of the asset's feed (out of the read's line).
#[cold]
#[inline(never)]
fn wrong_oracle(address: &Pubkey, oracle: &Pubkey) -> Error {
    msg!("oracle {} is not the asset's registered oracle {}", address, oracle);
    error!(ErrorCode::WrongOracleAccount)
}

/// [`PriceFields::read`]'s error for an oracle owned by another program (out of the read's line).
#[cold]
#[inline(never)]
fn wrong_owner(owner: &Pubkey) -> Error {
    crate::state::wrong_owner(owner, &pyth_solana_receiver_sdk::ID).with_account_name("oracle")
}

/// [`PriceFields::read`]'s error for an account that is not a PriceUpdateV2 (out of the read's line).
#[cold]
#[inline(never)]
fn not_an_update(code: anchor_lang::error::ErrorCode) -> Error {
    Error::from(code).with_account_name("oracle")
}

/// Like [`read_price`], but an unusable price is an error naming why.
pub fn require_price(
    info: &impl AccountView,
    oracle: &Pubkey,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<OraclePrice> {
    match read_price(info, oracle, feed_id, now, params)? {
        Ok(p) => Ok(p),
        Err(why) => {
            msg!("oracle {} is unusable: {:?}", info.address(), why);
            Err(error!(why.error()))
        }
    }
}
