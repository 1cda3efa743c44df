//! Read-only views of the accounts a health check reads (assets, oracles, perp markets, the perp
//! vault), whether the runtime's records were turned into `AccountInfo`s or not.
//!
//! The deployed build's entrypoint (`entrypoint.rs`) makes `AccountInfo`s only for an instruction's
//! fixed accounts when the instruction reads its remaining accounts and never writes them (the
//! health checks, the crank's oracles): building one costs two allocations and ~100 CU, two per
//! held position. The remaining accounts stay the runtime's records ([`Remaining::Records`]), read in
//! place; a remaining account that repeats a fixed one is read through that account's `AccountInfo`,
//! so its borrow rules hold as before. Every other build (host tests, the keeper, the WebAssembly
//! preview, a plain `cargo build-sbf`) reads `AccountInfo`s, through the same code.
use core::cell::Ref;
use core::ops::Deref;

use anchor_lang::prelude::*;

/// What the readers need from an account: its address, owner and data.
pub trait AccountView {
    fn address(&self) -> &Pubkey;
    fn owner(&self) -> &Pubkey;
    /// The data, borrowed (`AccountInfo::try_borrow_data`'s error when it is mutably borrowed).
    fn data(&self) -> Result<Data<'_>>;
}

/// An account's data: borrowed through its `AccountInfo` (the borrow held as long as this lives)
/// or read from the runtime's record. Reading it is a plain slice either way.
pub struct Data<'a> {
    bytes: &'a [u8],
    _borrow: Option<Ref<'a, &'a mut [u8]>>,
}

impl<'a> Data<'a> {
    #[inline(always)]
    fn borrowed(r: Ref<'a, &'a mut [u8]>) -> Self {
        // SAFETY: the bytes are the account's data, which outlives `'a`; `r` (kept beside them,
        // both private) holds the `RefCell` borrow for as long as they are reachable, so nothing
        // can write them meanwhile.
        let bytes = unsafe { core::slice::from_raw_parts(r.as_ptr(), r.len()) };
        Self { bytes, _borrow: Some(r) }
    }

    /// The bytes `range` as a `T` in place (the caller checked the length; `bytemuck` checks the
    /// alignment as `AccountLoader` does).
    #[inline(always)]
    pub fn map<T: bytemuck::Pod>(self, range: core::ops::Range<usize>) -> InPlace<'a, T> {
        InPlace { value: bytemuck::from_bytes(&self.bytes[range]), _borrow: self._borrow }
    }
}

impl Deref for Data<'_> {
    type Target = [u8];
    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

/// A zero-copy account's contents in place (`state::load_in_place`), with the data's borrow.
pub struct InPlace<'a, T> {
    value: &'a T,
    _borrow: Option<Ref<'a, &'a mut [u8]>>,
}

impl<T> Deref for InPlace<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T: AccountView> AccountView for &T {
    #[inline(always)]
    fn address(&self) -> &Pubkey {
        (**self).address()
    }
    #[inline(always)]
    fn owner(&self) -> &Pubkey {
        (**self).owner()
    }
    #[inline(always)]
    fn data(&self) -> Result<Data<'_>> {
        (**self).data()
    }
}

impl AccountView for AccountInfo<'_> {
    #[inline(always)]
    fn address(&self) -> &Pubkey {
        self.key
    }
    #[inline(always)]
    fn owner(&self) -> &Pubkey {
        self.owner
    }
    #[inline(always)]
    fn data(&self) -> Result<Data<'_>> {
        Ok(Data::borrowed(self.try_borrow_data()?))
    }
}

/// An account record of the runtime's input (serialization with aligned records): a non-duplicate
/// marker, three flags and four bytes, the key at 8, the owner at 40, lamports at 72, the data
/// length at 80 and the data at 88.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    at: *const u8,
    life: core::marker::PhantomData<&'a [u8]>,
}

impl<'a> Record<'a> {
    /// # Safety
    /// `address` is the start of a non-duplicate account record of this invocation's input, which
    /// lives as long as `'a` and which nothing writes while `'a` lasts.
    #[inline(always)]
    pub unsafe fn at(address: usize) -> Self {
        Self { at: address as *const u8, life: core::marker::PhantomData }
    }
}

impl<'a> Record<'a> {
    /// No record (an [`Account`] read through its `AccountInfo`); never read.
    #[inline(always)]
    fn none() -> Self {
        Self { at: core::ptr::null(), life: core::marker::PhantomData }
    }
    #[inline(always)]
    fn address_ref(&self) -> &'a Pubkey {
        // SAFETY: the record's header (`Record::at`); a `Pubkey` is 32 bytes of alignment 1.
        unsafe { &*(self.at.add(8) as *const Pubkey) }
    }
    #[inline(always)]
    fn owner_ref(&self) -> &'a Pubkey {
        // SAFETY: as for the address.
        unsafe { &*(self.at.add(40) as *const Pubkey) }
    }
}

impl<'a> AccountView for Record<'a> {
    #[inline(always)]
    fn address(&self) -> &Pubkey {
        self.address_ref()
    }
    #[inline(always)]
    fn owner(&self) -> &Pubkey {
        self.owner_ref()
    }
    #[inline(always)]
    fn data(&self) -> Result<Data<'_>> {
        // SAFETY: the runtime wrote the data's length at 80 (8-aligned, as every record starts
        // 8-aligned) and that many bytes of data from 88 (`Record::at`).
        Ok(Data {
            _borrow: None,
            bytes: unsafe {
                let len = *(self.at.add(80) as *const u64) as usize;
                core::slice::from_raw_parts(self.at.add(88), len)
            },
        })
    }
}

/// One remaining account: its address and owner, and its data through an `AccountInfo` or from a
/// record (one branch, when the data is borrowed).
#[derive(Clone, Copy)]
pub struct Account<'a, 'info> {
    address: &'a Pubkey,
    owner: &'a Pubkey,
    info: Option<&'a AccountInfo<'info>>,
    record: Record<'a>,
}

impl<'a, 'info> Account<'a, 'info> {
    #[inline(always)]
    fn info(info: &'a AccountInfo<'info>) -> Self {
        // The record is never read when `info` is set.
        Self { address: info.key, owner: info.owner, info: Some(info), record: Record::none() }
    }
    #[inline(always)]
    fn record(record: Record<'a>) -> Self {
        Self { address: record.address_ref(), owner: record.owner_ref(), info: None, record }
    }
}

impl AccountView for Account<'_, '_> {
    #[inline(always)]
    fn address(&self) -> &Pubkey {
        self.address
    }
    #[inline(always)]
    fn owner(&self) -> &Pubkey {
        self.owner
    }
    #[inline(always)]
    fn data(&self) -> Result<Data<'_>> {
        match self.info {
            Some(i) => i.data(),
            None => self.record.data(),
        }
    }
}

/// An instruction's remaining accounts.
#[derive(Clone, Copy)]
pub enum Remaining<'a, 'info> {
    Infos(&'a [AccountInfo<'info>]),
    Records(Records<'a, 'info>),
}

/// The remaining accounts the deployed entrypoint left as records. Only [`Remaining::of`] makes one
/// (from the entrypoint's stash), so every address in it is a record of this invocation's input.
#[derive(Clone, Copy)]
pub struct Records<'a, 'info> {
    /// Per account, a record's address, or `2·i + 1` for a repeat of account `i` (of the
    /// instruction's accounts: fixed below `fixed.len()`, else `all[i − fixed.len()]`).
    entries: &'a [usize],
    /// Every remaining account's entry (`entries` is a tail of it), for the repeats.
    all: &'a [usize],
    fixed: &'a [AccountInfo<'info>],
}

impl<'a, 'info> Records<'a, 'info> {
    /// Account `n`.
    #[inline(always)]
    pub fn get(&self, n: usize) -> Option<Account<'a, 'info>> {
        self.resolve(*self.entries.get(n)?)
    }

    /// The first `n` pairs of accounts, `(0, 1)`, `(2, 3)`, … (a health check's `(asset, oracle)`
    /// per position), each `None` where an account cannot be resolved.
    #[inline(always)]
    pub fn pairs(&self, n: usize) -> impl Iterator<Item = Option<(Account<'a, 'info>, Account<'a, 'info>)>> + '_ {
        let end = n.saturating_mul(2).min(self.entries.len());
        self.entries[..end].chunks_exact(2).map(|p| Some((self.resolve(p[0])?, self.resolve(p[1])?)))
    }

    /// The account an entry names.
    #[inline(always)]
    fn resolve(&self, e: usize) -> Option<Account<'a, 'info>> {
        if e & 1 == 0 {
            // SAFETY: the entrypoint stored the address of a non-duplicate record of this
            // invocation's input, which lives for the whole invocation; no `AccountInfo` points at
            // it, so nothing writes it.
            return Some(Account::record(unsafe { Record::at(e) }));
        }
        // A repeat of account i: a fixed account's info, or the remaining account's first record.
        let i = e >> 1;
        match i.checked_sub(self.fixed.len()) {
            None => self.fixed.get(i).map(Account::info),
            Some(r) => {
                let first = *self.all.get(r)?;
                // The runtime names a repeat's first occurrence, which is a record (even).
                // SAFETY: as above, `first` is then the address of a non-duplicate record of this
                // invocation's input that no `AccountInfo` points at.
                (first & 1 == 0).then(|| Account::record(unsafe { Record::at(first) }))
            }
        }
    }
}

impl<'a, 'info> Remaining<'a, 'info> {
    /// The remaining accounts of the running instruction: those the entrypoint left as records,
    /// else `infos` (`ctx.remaining_accounts`). With records, `infos` must be empty: a non-empty
    /// one would mean the entrypoint's count of fixed accounts is not the instruction's.
    #[inline(always)]
    pub fn of(infos: &'a [AccountInfo<'info>]) -> Result<Self> {
        #[cfg(all(feature = "sbf-entrypoint", not(feature = "cpi"), target_os = "solana"))]
        if let Some((entries, fixed)) = crate::entrypoint::records::<'a, 'info>() {
            if !infos.is_empty() {
                return err!(crate::error::ErrorCode::HealthAccountsMismatch);
            }
            return Ok(Remaining::Records(Records { entries, all: entries, fixed }));
        }
        Ok(Remaining::Infos(infos))
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        match self {
            Remaining::Infos(i) => i.len(),
            Remaining::Records(r) => r.entries.len(),
        }
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Account `n` (`n < len()`).
    #[inline(always)]
    pub fn get(&self, n: usize) -> Option<Account<'a, 'info>> {
        match self {
            Remaining::Infos(i) => i.get(n).map(Account::info),
            Remaining::Records(r) => r.get(n),
        }
    }

    /// The accounts from `n` on.
    #[inline(always)]
    pub fn tail(&self, n: usize) -> Self {
        match *self {
            Remaining::Infos(i) => Remaining::Infos(i.get(n..).unwrap_or(&[])),
            Remaining::Records(r) => {
                Remaining::Records(Records { entries: r.entries.get(n..).unwrap_or(&[]), all: r.all, fixed: r.fixed })
            }
        }
    }
}
