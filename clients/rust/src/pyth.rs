//! Pyth PriceUpdateV2 accounts: written by the embedded runtime and the local network exactly as the
//! Pyth receiver writes them, read back for the keeper's health checks.
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize};
pub use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// The receiver program that owns every PriceUpdateV2 account.
pub const RECEIVER: Pubkey = pyth_solana_receiver_sdk::ID;

/// Exponent used when publishing prices from floating-point data.
pub const EXPONENT: i32 = -8;

/// One price as Pyth publishes it: mantissas scaled by 10^exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub price: i64,
    pub conf: u64,
    pub exponent: i32,
    pub publish_time: i64,
}

impl Quote {
    /// `price` USD per token with a confidence of `conf_ratio` of the price, at exponent −8.
    pub fn from_f64(price: f64, conf_ratio: f64, publish_time: i64) -> Self {
        let scale = 10f64.powi(-EXPONENT);
        let mantissa = (price * scale).round();
        Quote {
            price: mantissa as i64,
            conf: (mantissa * conf_ratio).round().max(1.0) as u64,
            exponent: EXPONENT,
            publish_time,
        }
    }

    pub fn to_f64(&self) -> f64 {
        self.price as f64 * 10f64.powi(self.exponent)
    }
}

/// PriceUpdateV2 account data (discriminator + borsh) for `feed_id`.
pub fn price_update_data(feed_id: [u8; 32], q: Quote, level: VerificationLevel, write_authority: Pubkey) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority,
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id,
            price: q.price,
            conf: q.conf,
            exponent: q.exponent,
            publish_time: q.publish_time,
            prev_publish_time: q.publish_time - 1,
            ema_price: q.price,
            ema_conf: q.conf,
        },
        posted_slot: 0,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).expect("serialising to a Vec cannot fail");
    data
}

/// Decodes a PriceUpdateV2 account's data (discriminator checked).
pub fn decode(data: &[u8]) -> anyhow::Result<PriceUpdateV2> {
    PriceUpdateV2::try_deserialize(&mut &data[..]).map_err(|e| anyhow::anyhow!("not a PriceUpdateV2: {e}"))
}
