//! Account types, one file each; PDA seeds in `seeds`.
pub mod asset;
pub mod bookkeeping;
pub mod group;
pub mod margin_account;
pub mod params;
pub mod perp_market;
pub mod perp_vault;
pub mod risk_model;
pub mod seeds;

pub use asset::Asset;
pub use group::{Group, MAX_ASSETS, MAX_LOOKUP_TABLES};
pub use margin_account::{MarginAccount, PerpSlot, Position, MAX_PERP_POSITIONS, MAX_POSITIONS};
pub use params::{RiskParams, RiskParamsArgs};
pub use perp_market::{PerpMarket, PerpParamsArgs, StoredPerpParams};
pub use perp_vault::{PerpVault, MAX_PERP_MARKETS};
pub use risk_model::{ModelView, RiskModel, COV_LEN};

/// Why account data is not a `T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The 8-byte discriminator is not `T`'s.
    WrongType,
    /// Shorter than the discriminator and `T`.
    TooShort { len: usize, need: usize },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::WrongType => write!(f, "not an account of this type (discriminator mismatch)"),
            DecodeError::TooShort { len, need } => write!(f, "account data too short ({len} < {need} bytes)"),
        }
    }
}

/// A zero-copy account of type `T` from raw data, as `AccountLoader::load` reads it: discriminator
/// checked, then the struct (data may be longer). The one decoder of the client, the keeper, the
/// WebAssembly preview and the tests.
pub fn decode<T: bytemuck::Pod + anchor_lang::Discriminator>(data: &[u8]) -> Result<T, DecodeError> {
    let disc = T::DISCRIMINATOR;
    if data.len() < disc.len() || &data[..disc.len()] != disc {
        return Err(DecodeError::WrongType);
    }
    let need = disc.len() + core::mem::size_of::<T>();
    if data.len() < need {
        return Err(DecodeError::TooShort { len: data.len(), need });
    }
    Ok(bytemuck::pod_read_unaligned(&data[disc.len()..need]))
}

/// The error of an account owned by another program than `expected` (Anchor's, with both keys),
/// built out of the caller's line: `load_in_place`'s and the oracle read's.
#[cold]
#[inline(never)]
pub(crate) fn wrong_owner(
    owner: &anchor_lang::prelude::Pubkey,
    expected: &anchor_lang::prelude::Pubkey,
) -> anchor_lang::error::Error {
    anchor_lang::error::Error::from(anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram)
        .with_pubkeys((*owner, *expected))
}

/// A zero-copy account of type `T` borrowed in place, with the checks and errors of Anchor's
/// `AccountLoader::try_from` followed by `load` (owner, discriminator, size), borrowing the data
/// once instead of twice: every position of every health check reads its asset this way.
#[inline(always)]
pub fn load_in_place<'a, T, A>(info: &'a A) -> anchor_lang::Result<crate::account_view::InPlace<'a, T>>
where
    T: anchor_lang::ZeroCopy + anchor_lang::Owner,
    A: crate::account_view::AccountView,
{
    use anchor_lang::error::ErrorCode;
    if info.owner() != &T::owner() {
        return Err(wrong_owner(info.owner(), &T::owner()));
    }
    let data = info.data()?;
    let disc = T::DISCRIMINATOR;
    if data.len() < disc.len() {
        return Err(ErrorCode::AccountDiscriminatorNotFound.into());
    }
    if &data[..disc.len()] != disc {
        return Err(ErrorCode::AccountDiscriminatorMismatch.into());
    }
    let end = disc.len() + core::mem::size_of::<T>();
    if data.len() < end {
        return Err(ErrorCode::AccountDidNotDeserialize.into());
    }
    Ok(data.map(disc.len()..end))
}
