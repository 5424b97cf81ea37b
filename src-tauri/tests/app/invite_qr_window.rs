//! The invite as a QR code, in the real window: the code the invite panel shows decodes
//! (with a QR reader, from a screenshot of the window) to the session's join link.

use lifeline_client::ApiClient;

use crate::in_window::signed_in_window;
use crate::support::{first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::InProcessService;
use lifeline_e2e::webdriver::Driver;

/// Every QR code readable in the PNG at `path`.
fn read_qr_codes(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let picture = image::open(path)?.to_luma8();
    let (width, height) = picture.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        usize::try_from(width)?,
        usize::try_from(height)?,
        |x, y| {
            let (x, y) = (u32::try_from(x).unwrap_or(0), u32::try_from(y).unwrap_or(0));
            picture.get_pixel(x, y).0[0]
        },
    );
    Ok(prepared
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, content)| content))
        .collect())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Xvfb, a session bus, gnome-keyring, dunst and tauri-driver: run src-tauri/e2e/run"]
async fn the_invite_qr_code_on_screen_reads_as_the_join_link() -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let session = technician.create_session(false).await?;

    let driver = Driver::start()?;
    let (window, shots) = signed_in_window(&driver, &service.url).await?;
    window.click(".session-tab").await?;
    window.click("#show-qr").await?;
    window
        .wait_for(
            "(() => { const img = document.getElementById('invite-qr'); \
             return img !== null && img.complete && img.naturalWidth > 0; })()",
            "the QR code drawn",
        )
        .await?;
    let shot = shots.join("22-invite-qr.png");
    window.screenshot(&shot).await?;
    let codes = read_qr_codes(&shot)?;
    assert_eq!(
        codes,
        vec![session.join_url],
        "the code on screen is the join link"
    );
    window.close().await?;
    Ok(())
}
