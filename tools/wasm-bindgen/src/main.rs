//! `wasm-bindgen --target web --out-dir OUT INPUT.wasm`, the one use scripts/wasm has for the CLI:
//! ES-module bindings and TypeScript declarations for a wasm-bindgen module.
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_flag, out_dir, input] = args.as_slice() else {
        bail!("usage: wasm-bindgen --out-dir DIR INPUT.wasm");
    };
    if out_flag != "--out-dir" {
        bail!("usage: wasm-bindgen --out-dir DIR INPUT.wasm");
    }
    let (input, out_dir) = (PathBuf::from(input), PathBuf::from(out_dir));
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)?
        // The CLI's defaults for `--target web`: declarations, and `init()` without arguments
        // fetching `<name>_bg.wasm` next to the module (new URL(..., import.meta.url)), which the
        // app's loader relies on.
        .typescript(true)
        .omit_default_module_path(false)
        .generate(&out_dir)
        .with_context(|| format!("wasm-bindgen {} -> {}", input.display(), out_dir.display()))
}
