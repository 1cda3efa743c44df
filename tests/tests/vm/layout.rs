//! The SBF build reports its own account layouts; they must equal the host build's, which is what the
//! keeper, the app and these tests decode with.
use portfolio_margin::layout::LAYOUT;
use portfolio_margin_tests::*;

#[tokio::test]
async fn account_layouts_are_identical_in_the_sbf_and_host_builds() {
    let mut w = World::new().await;
    let out = w.simulate(&[account_layouts_ix()]).await.ok();
    let data = out.return_data.expect("account_layouts sets return data");
    assert_eq!(data.len(), LAYOUT.len() * 4);
    let sbf: Vec<u32> = data.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    let mismatches: Vec<String> = LAYOUT
        .iter()
        .zip(&sbf)
        .filter(|((_, host), sbf)| *host as u32 != **sbf)
        .map(|((name, host), sbf)| format!("{name}: host {host}, sbf {sbf}"))
        .collect();
    assert!(mismatches.is_empty(), "layouts differ: {mismatches:?}");
    assert_eq!(portfolio_margin::state::Group::SPACE, 8 + sbf[0] as usize);
}

#[test]
fn the_deployed_binary_carries_its_security_txt() {
    let so = std::fs::read(deploy_dir().join("portfolio_margin.so")).expect("run scripts/build-sbf first");
    let begin = b"=======BEGIN SECURITY.TXT V1=======\0";
    let start = so.windows(begin.len()).position(|w| w == begin).expect("security.txt present");
    let end = so[start..].windows(8).position(|w| w == b"=======E").expect("security.txt terminated");
    let text = String::from_utf8_lossy(&so[start..start + end]);
    for field in ["name", "project_url", "contacts", "policy"] {
        assert!(text.split('\0').any(|f| f == field), "security.txt lacks `{field}`: {text}");
    }
}
