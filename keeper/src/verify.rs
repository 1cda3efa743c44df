//! `keeper verify`: is the program deployed at an address the one this source builds?
//!
//! Reads the program account (upgradeable loader: it points at its program-data account), then the
//! program-data account (45 bytes of metadata — state tag, last deploy slot, upgrade authority —
//! then the ELF, possibly followed by zero padding when the account was extended), and compares the
//! ELF with a local build byte for byte and by sha256.
use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use portfolio_margin_client::chain::Chain;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The upgradeable BPF loader (loader v3).
pub const UPGRADEABLE_LOADER: Pubkey = anchor_lang::prelude::pubkey!("BPFLoaderUpgradeab1e11111111111111111111111");
/// The non-upgradeable BPF loader (v2): the program account holds the ELF itself.
pub const LOADER_V2: Pubkey = anchor_lang::prelude::pubkey!("BPFLoader2111111111111111111111111111111111");
/// Bytes of program-data metadata before the ELF (`UpgradeableLoaderState::size_of_programdata_metadata`).
const PROGRAMDATA_METADATA: usize = 45;

#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub program_id: String,
    pub programdata: String,
    /// None: the program is immutable (its upgrade authority was removed).
    pub upgrade_authority: Option<String>,
    pub last_deploy_slot: u64,
    pub deployed_bytes: usize,
    pub deployed_sha256: String,
    pub local_bytes: usize,
    pub local_sha256: String,
    pub matches: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Splits a program-data account into (last deploy slot, upgrade authority, ELF with any zero
/// padding after it removed).
pub fn parse_programdata(data: &[u8]) -> Result<(u64, Option<Pubkey>, &[u8])> {
    if data.len() < PROGRAMDATA_METADATA || u32::from_le_bytes(data[0..4].try_into()?) != 3 {
        bail!("not an upgradeable-loader program-data account");
    }
    let slot = u64::from_le_bytes(data[4..12].try_into()?);
    let authority = match data[12] {
        0 => None,
        1 => Some(Pubkey::new_from_array(data[13..45].try_into()?)),
        t => bail!("program-data account has an invalid authority tag {t}"),
    };
    let elf = &data[PROGRAMDATA_METADATA..];
    let end = elf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    Ok((slot, authority, &elf[..end]))
}

/// Compares the program deployed at `program_id` with `local` (the bytes of a local build).
pub async fn verify<C: Chain>(chain: &C, program_id: &Pubkey, local: &[u8]) -> Result<Verification> {
    let program = chain
        .account(program_id)
        .await?
        .with_context(|| format!("no account at {program_id}: the program is not deployed there"))?;
    let local_end = local.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let local_trimmed = &local[..local_end];
    if program.owner == LOADER_V2 {
        // Immutable by construction: the account is the ELF.
        let end = program.data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let elf = &program.data[..end];
        return Ok(Verification {
            program_id: program_id.to_string(),
            programdata: "none (loader v2: the program account holds the ELF)".into(),
            upgrade_authority: None,
            last_deploy_slot: 0,
            deployed_bytes: elf.len(),
            deployed_sha256: sha256_hex(elf),
            local_bytes: local.len(),
            local_sha256: sha256_hex(local),
            matches: elf == local_trimmed,
        });
    }
    if program.owner != UPGRADEABLE_LOADER {
        bail!("{program_id} is owned by {}, not a BPF loader: nothing to verify against", program.owner);
    }
    if program.data.len() < 36 || u32::from_le_bytes(program.data[0..4].try_into()?) != 2 {
        bail!("{program_id} is not an upgradeable-loader program account");
    }
    let programdata = Pubkey::new_from_array(program.data[4..36].try_into()?);
    let pd =
        chain.account(&programdata).await?.with_context(|| format!("program-data account {programdata} is missing"))?;
    let (last_deploy_slot, authority, elf) = parse_programdata(&pd.data)?;
    // The ELF's own trailing zeros were stripped with the padding: the local build is compared the
    // same way.
    Ok(Verification {
        program_id: program_id.to_string(),
        programdata: programdata.to_string(),
        upgrade_authority: authority.map(|a| a.to_string()),
        last_deploy_slot,
        deployed_bytes: elf.len(),
        deployed_sha256: sha256_hex(elf),
        local_bytes: local.len(),
        local_sha256: sha256_hex(local),
        matches: elf == local_trimmed,
    })
}

impl Verification {
    pub fn render(&self) -> String {
        format!(
            "program {} (program data {}, last deployed at slot {})\n  upgrade authority: {}\n  deployed: {} bytes, sha256 {}\n  local:    {} bytes, sha256 {}\n  {}\n",
            self.program_id,
            self.programdata,
            self.last_deploy_slot,
            self.upgrade_authority.as_deref().unwrap_or("none (immutable)"),
            self.deployed_bytes,
            self.deployed_sha256,
            self.local_bytes,
            self.local_sha256,
            if self.matches {
                "MATCH: the deployed program is this build"
            } else {
                "MISMATCH: the deployed program is not this build"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programdata(authority: Option<Pubkey>, elf: &[u8], pad: usize) -> Vec<u8> {
        let mut d = 3u32.to_le_bytes().to_vec();
        d.extend(77u64.to_le_bytes());
        match authority {
            Some(a) => {
                d.push(1);
                d.extend(a.to_bytes());
            }
            None => d.extend([0u8; 33]),
        }
        d.extend(elf);
        d.extend(vec![0u8; pad]);
        d
    }

    #[test]
    fn program_data_is_parsed_and_its_padding_dropped() {
        let a = Pubkey::new_unique();
        let d = programdata(Some(a), b"\x7fELF-body", 100);
        let (slot, auth, elf) = parse_programdata(&d).unwrap();
        assert_eq!((slot, auth, elf), (77, Some(a), &b"\x7fELF-body"[..]));
        let d = programdata(None, b"\x7fELF", 0);
        assert_eq!(parse_programdata(&d).unwrap().1, None);
        assert!(parse_programdata(&d[..20]).is_err());
        let mut bad = d.clone();
        bad[0] = 2;
        assert!(parse_programdata(&bad).is_err());
    }
}
