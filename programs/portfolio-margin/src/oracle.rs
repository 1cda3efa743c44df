//! Pyth pull-oracle prices (PriceUpdateV2 from the Pyth receiver program): owner and discriminator
//! checked by Anchor, then full Wormhole verification, the pinned feed id, age, confidence ratio and
//! a positive price. The exponent is applied exactly in fixed point.
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};
use risk_engine::valuation::price_from_oracle;
use risk_engine::{Fx, FxExt};

use crate::error::ErrorCode;
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

/// Decodes `info` as a PriceUpdateV2 for `feed_id`. Errors (wrong owner, wrong account type, wrong
/// feed) mean the caller passed the wrong account; `Ok(Err(_))` means the right oracle is unusable now.
pub fn read_price<'info>(
    info: &'info AccountInfo<'info>,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<core::result::Result<OraclePrice, Unusable>> {
    let update: Account<PriceUpdateV2> = Account::try_from(info)?;
    let m = &update.price_message;
    if &m.feed_id != feed_id {
        msg!("oracle {} carries another feed than the asset's", info.key);
        return err!(ErrorCode::OracleFeedMismatch);
    }
    if update.verification_level != VerificationLevel::Full {
        return Ok(Err(Unusable::NotFullyVerified));
    }
    let age = now.saturating_sub(m.publish_time);
    if age > params.oracle_max_age_seconds as i64 {
        return Ok(Err(Unusable::Stale));
    }
    if m.price <= 0 {
        return Ok(Err(Unusable::NonPositive));
    }
    let price = price_from_oracle(m.price, m.exponent, false).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let conf_mantissa = i64::try_from(m.conf).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let conf = price_from_oracle(conf_mantissa, m.exponent, true).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let max_conf = price.mul_floor(params.max_conf_ratio.get()).map_err(|_| error!(ErrorCode::MathOverflow))?;
    if conf > max_conf || price == Fx::ZERO {
        return Ok(Err(Unusable::ConfidenceTooWide));
    }
    Ok(Ok(OraclePrice { price, conf, publish_time: m.publish_time }))
}

/// Like [`read_price`], but an unusable price is an error naming why.
pub fn require_price<'info>(
    info: &'info AccountInfo<'info>,
    feed_id: &[u8; 32],
    now: i64,
    params: &RiskParams,
) -> Result<OraclePrice> {
    match read_price(info, feed_id, now, params)? {
        Ok(p) => Ok(p),
        Err(why) => {
            msg!("oracle {} is unusable: {:?}", info.key, why);
            Err(error!(why.error()))
        }
    }
}
