//! Assembling a signed transaction that a real cluster accepts: at most [`PACKET_DATA_SIZE`] bytes
//! on the wire and [`MAX_ACCOUNT_LOCKS`] accounts. A legacy transaction when it fits (every
//! validator and wallet reads those); otherwise a v0 transaction whose non-signer accounts come
//! from the group's address lookup tables; otherwise a clear error. Both backends apply the same
//! rule, so the embedded runtime (which does not enforce the packet size) refuses what a cluster
//! would.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, Message, VersionedMessage};
use solana_transaction::versioned::VersionedTransaction;

/// Largest serialized transaction a validator accepts (one UDP packet: 1280 − 48 header bytes).
pub const PACKET_DATA_SIZE: usize = 1232;
/// Most accounts one transaction may lock.
pub const MAX_ACCOUNT_LOCKS: usize = 64;

/// The size of a transaction on the wire and how many accounts it locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// `false`: legacy; `true`: v0 with lookup tables.
    pub v0: bool,
    pub bytes: usize,
    pub accounts: usize,
}

impl Shape {
    pub fn of(tx: &VersionedTransaction) -> Self {
        let bytes = bincode::serialized_size(tx).map(|n| n as usize).unwrap_or(usize::MAX);
        let loaded: usize = (tx.message.address_table_lookups().unwrap_or_default().iter())
            .map(|l| l.writable_indexes.len() + l.readonly_indexes.len())
            .sum();
        let v0 = !matches!(tx.message, VersionedMessage::Legacy(_));
        let accounts = tx.message.static_account_keys().len() + loaded;
        Shape { v0, bytes, accounts }
    }

    pub fn fits(&self) -> bool {
        self.bytes <= PACKET_DATA_SIZE && self.accounts <= MAX_ACCOUNT_LOCKS
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.v0 { "v0" } else { "legacy" };
        write!(f, "{kind} transaction of {} bytes locking {} accounts", self.bytes, self.accounts)
    }
}

/// A transaction that cannot be sent to a cluster.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "{legacy} exceeds the cluster's limits ({PACKET_DATA_SIZE} bytes, {MAX_ACCOUNT_LOCKS} accounts) and no lookup \
         table was given: run `keeper migrate` to create the group's lookup tables"
    )]
    NoLookupTable { legacy: Shape },
    #[error(
        "{v0} exceeds the cluster's limits ({PACKET_DATA_SIZE} bytes, {MAX_ACCOUNT_LOCKS} accounts) even through the \
         lookup tables (legacy: {legacy} bytes): split the instructions or close positions"
    )]
    TooLarge { legacy: usize, v0: Shape },
    #[error("compiling the v0 message: {0}")]
    Compile(String),
    #[error("signing: {0}")]
    Sign(String),
}

/// How to build: `Auto` (legacy when it fits, else v0), or one kind regardless of size (for
/// measuring and for showing that the limit is real).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Version {
    #[default]
    Auto,
    Legacy,
    V0,
}

/// Signs `ixs`, paid by `signers[0]`: the smallest form that fits under `version`'s rule.
pub fn build(
    signers: &[&Keypair],
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
    version: Version,
) -> Result<VersionedTransaction, BuildError> {
    let payer: Pubkey = solana_signer::Signer::pubkey(signers[0]);
    let sign =
        |m: VersionedMessage| VersionedTransaction::try_new(m, signers).map_err(|e| BuildError::Sign(e.to_string()));
    let legacy = sign(VersionedMessage::Legacy(Message::new_with_blockhash(ixs, Some(&payer), &blockhash)))?;
    let legacy_shape = Shape::of(&legacy);
    if version == Version::Legacy || (version == Version::Auto && legacy_shape.fits()) {
        return Ok(legacy);
    }
    if tables.is_empty() {
        return Err(BuildError::NoLookupTable { legacy: legacy_shape });
    }
    let m = v0::Message::try_compile(&payer, ixs, tables, blockhash).map_err(|e| BuildError::Compile(e.to_string()))?;
    let tx = sign(VersionedMessage::V0(m))?;
    let shape = Shape::of(&tx);
    if version == Version::Auto && !shape.fits() {
        return Err(BuildError::TooLarge { legacy: legacy_shape.bytes, v0: shape });
    }
    Ok(tx)
}

/// Accounts a transaction writes (not its signers): what its priority fee competes for.
pub fn written_accounts(ixs: &[Instruction]) -> Vec<Pubkey> {
    let mut out: Vec<Pubkey> = ixs
        .iter()
        .flat_map(|ix| ix.accounts.iter())
        .filter(|m| m.is_writable && !m.is_signer)
        .map(|m| m.pubkey)
        .collect();
    out.sort();
    out.dedup();
    out
}
