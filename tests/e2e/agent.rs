//! The real `lifeline-agent` process against the service, in-process on a real socket so
//! the test can move the service's clock 24 hours ahead.

use lifeline_e2e::agent::{
    after_24_hours, chat_both_ways, event_in, exits, files_both_ways, listed_online, tina,
    wait_until, Computer, Screen,
};
use lifeline_e2e::harness::InProcessService;
use lifeline_protocol::{ErrorCode, EventData};

const PASSWORD: &str = "Sunny-Day-42";

#[tokio::test]
async fn the_agent_enrolls_stays_listed_and_removes_itself_when_the_24_hours_are_over(
) -> anyhow::Result<()> {
    let service = InProcessService::start(|_| {}).await?;
    let (url, clock) = (service.url.clone(), &service.clock);
    let technician = tina(&service).await?;

    let prepared = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    // The technician's app answers the agent's enrollment, as the desktop app does.
    technician.answer_enrollments_in_background(prepared.session.id, prepared.secret.clone());
    let session = prepared.session.id.to_string();
    let computer = Computer::new()?;

    // A wrong code is refused, and nothing is left on the computer.
    let wrong = computer
        .enroll(&url, &session, "000 000 000")
        .output()
        .await?;
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "a wrong code fails: {}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("security code"),
        "and says why"
    );
    let said = String::from_utf8_lossy(&wrong.stdout);
    assert!(
        said.contains("Waiting for Tina Tech to confirm from their Lifeline app"),
        "while the technician's app had to answer, the agent said so: {said}"
    );
    assert!(
        !computer.state_dir().exists() && !computer.autostart_entry().exists(),
        "nothing created"
    );

    // The right code enrolls; the agent stays connected and the computer is listed.
    let mut agent = computer
        .enroll(&url, &session, &prepared.security_code)
        .spawn()?;
    listed_online(&technician).await;
    assert!(
        computer.state_dir().join("session.json").exists(),
        "credentials kept for the 24 hours"
    );
    let entry = std::fs::read_to_string(computer.autostart_entry())?;
    assert!(
        entry.contains("Exec=") && entry.contains("--state-dir"),
        "starts again after a reboot: {entry}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(computer.state_dir().join("session.json"))?
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "credentials are readable by this user only"
        );
    }

    // Connecting: the agent itself refuses a wrong password and tells the person.
    let screen = Screen::watch(&mut agent);
    let mut keyboard = agent.stdin.take().expect("piped stdin");
    let adhoc_id = prepared.session.id;
    let err = technician
        .connect_adhoc(adhoc_id, "Rainy-Day-42")
        .await
        .expect_err("a wrong password");
    assert_eq!(err.code(), Some(ErrorCode::WrongPassword), "{err}");
    screen
        .shows("A connection as Tina Tech was refused: the password was wrong")
        .await;

    // The right password: a connection with the computer's system information.
    let session = technician.connect_adhoc(adhoc_id, PASSWORD).await?;
    screen
        .shows("Tina Tech is connected to this computer now")
        .await;
    let reported = event_in(&technician, session.id, "the system information", |e| {
        matches!(e.data, EventData::SystemInfo { .. })
    })
    .await?;
    let EventData::SystemInfo { info } = reported.data else {
        unreachable!("filtered")
    };
    assert!(
        info.cpu_cores > 0
            && info.memory_total_bytes > 0
            && !info.disks.is_empty()
            && info.uptime_seconds > 0
            && !info.logged_in_user.is_empty()
            && !info.kernel_version.is_empty(),
        "OS, CPU, memory, disks, uptime and user are reported: {info:?}"
    );

    // Chat both ways.
    chat_both_ways(
        &technician,
        session.id,
        (&screen, &mut keyboard),
        "Hi Tina, the printer is stuck",
    )
    .await?;

    // Files both ways, with equal SHA-256s.
    files_both_ways(
        &technician,
        session.id,
        (&screen, &mut keyboard),
        (computer.dir.path(), &computer.downloads()),
        |path| path.display().to_string(),
    )
    .await?;

    technician.end_session(session.id).await?;
    screen.shows("Tina Tech has disconnected").await;
    let audit = technician.adhoc_connections(adhoc_id).await?;
    assert_eq!(audit.len(), 2, "both attempts are audited: {audit:?}");
    assert!(audit.iter().all(|a| a.ended_at.is_some()));

    // 24 hours later the session expires: the agent removes everything and exits.
    after_24_hours(clock, &technician).await?;
    let status = exits(&mut agent, "expiry").await;
    assert!(status.success(), "the agent exits cleanly: {status:?}");
    assert!(!computer.state_dir().exists(), "its files are gone");
    assert!(
        !computer.autostart_entry().exists(),
        "its autostart entry is gone"
    );
    assert_eq!(
        technician.licence_slots().await?.used,
        0,
        "the slot is free again"
    );

    // The person at the computer can end a session too.
    let again = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, Some("de"))
        .await?;
    technician.answer_enrollments_in_background(again.session.id, again.secret.clone());
    let session = again.session.id.to_string();
    let mut agent = computer
        .enroll(&url, &session, &again.security_code)
        .spawn()?;
    wait_until("enrolled", || {
        let path = computer.state_dir().join("session.json");
        async move { path.exists() }
    })
    .await;
    let ended = computer.agent(&["--end"]).output().await?;
    assert!(
        ended.status.success(),
        "--end works: {}",
        String::from_utf8_lossy(&ended.stderr)
    );
    let status = exits(&mut agent, "the end user ended it").await;
    assert!(status.success());
    assert!(!computer.state_dir().exists() && !computer.autostart_entry().exists());
    assert_eq!(technician.licence_slots().await?.used, 0);
    service.shutdown().await
}
