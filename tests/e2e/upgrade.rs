//! Makes the upgrade fixture: a database and files written by a previous release of
//! the service, which `crates/server/tests/api/upgrade.rs` migrates and reads back.
//! Run it with that release's binary when the schema changes in a release:
//!
//! ```sh
//! LIFELINE_SERVER_BINARY=<old lifeline-server> LIFELINE_FIXTURE_DIR=<folder> \
//!   cargo test -p lifeline-e2e --test e2e make_the_upgrade_fixture -- --ignored
//! ```

use std::path::PathBuf;

use anyhow::Context;
use lifeline_client::ApiClient;
use lifeline_protocol::NewTechnician;
use uuid::Uuid;

use lifeline_e2e::harness::ServiceProcess;

/// What the fixture holds, which the upgrade test checks.
pub const SECOND_TECHNICIAN: &str = "tina@example.org";
pub const SECOND_PASSWORD: &str = "tina's fixture password";

#[tokio::test]
#[ignore = "run by hand with an older release's binary"]
async fn make_the_upgrade_fixture() -> anyhow::Result<()> {
    let out =
        PathBuf::from(std::env::var_os("LIFELINE_FIXTURE_DIR").context("LIFELINE_FIXTURE_DIR")?);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let service = ServiceProcess::start(&data, 0).await?;
    let admin = service.admin().await?;
    admin
        .add_technician(&NewTechnician {
            email: SECOND_TECHNICIAN.into(),
            display_name: "Tina".into(),
            password: SECOND_PASSWORD.to_owned().into(),
            is_admin: false,
        })
        .await?;
    let tina = ApiClient::new(&service.url)?;
    tina.login(SECOND_TECHNICIAN, SECOND_PASSWORD).await?;

    let ended = tina.create_session(false).await?;
    let end_user = ApiClient::new(&service.url)?;
    end_user
        .join(ended.support_key.as_str(), Some("Erika"))
        .await?;
    tina.send_message(ended.id, Uuid::new_v4(), "Hello Erika, this is Tina.")
        .await?;
    end_user
        .send_message(ended.id, Uuid::new_v4(), "Hi Tina, the printer is offline.")
        .await?;
    let file = dir.path().join("printer-log.txt");
    std::fs::write(&file, b"fixture printer log\n".repeat(300))?;
    end_user.upload_file(ended.id, &file, |_| {}).await?;
    tina.end_session(ended.id).await?;
    tina.create_session(true).await?;
    service.terminate().await?;

    std::fs::create_dir_all(&out)?;
    let dump = std::process::Command::new("sqlite3")
        .arg(data.join("lifeline.db"))
        .arg(".dump")
        .output()
        .context("sqlite3 (apt install sqlite3)")?;
    anyhow::ensure!(dump.status.success(), "sqlite3 .dump failed");
    std::fs::write(out.join("lifeline.sql"), dump.stdout)?;
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(data.join("files"))
        .arg(&out)
        .status()?;
    anyhow::ensure!(status.success(), "copying the files");
    Ok(())
}
