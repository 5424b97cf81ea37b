//! Remote control through the media socket: the technician's input reaches the sender
//! only while the end user's consent to control stands, on the display shown, within
//! its limits and its rate; each refusal is typed.

use lifeline_client::{MediaEvent, MediaSocket};
use lifeline_protocol::{
    ConsentKind, ErrorCode, EventData, InputEvent, MediaRole, MAX_INPUT_TEXT_CHARS,
};

use crate::helpers::spawn_app;
use crate::media::{allowed_session, format, next_matching};

fn pointer(x: f64, y: f64) -> InputEvent {
    InputEvent::PointerMove {
        display_id: "0".into(),
        x,
        y,
    }
}

/// The code of the next refusal on the viewer's socket.
async fn refusal(viewer: &mut MediaSocket) -> ErrorCode {
    match next_matching(viewer, "a refusal", |e| matches!(e, MediaEvent::Refused(_))).await {
        MediaEvent::Refused(error) => error.code,
        _ => unreachable!("filtered"),
    }
}

#[tokio::test]
async fn input_reaches_the_sender_only_with_consent_to_control_and_within_its_limits() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views");
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("shares");

    // No stream yet, then a view without control: input is refused.
    viewer.send_input(pointer(0.5, 0.5)).expect("sent");
    assert_eq!(refusal(&mut viewer).await, ErrorCode::ConsentRequired);
    sender.start(format()).expect("start");
    next_matching(&mut viewer, "the stream", |e| {
        matches!(e, MediaEvent::Stream(_))
    })
    .await;
    viewer.send_input(pointer(0.5, 0.5)).expect("sent");
    assert_eq!(
        refusal(&mut viewer).await,
        ErrorCode::ConsentRequired,
        "a screen view is not control"
    );

    // The end user allows control: the same input now reaches the sender, in order.
    let asked = app
        .technician
        .request_consent(session_id, ConsentKind::Control)
        .await
        .expect("asked");
    let EventData::ConsentRequested { request_id, .. } = asked.data else {
        panic!("a consent request: {asked:?}");
    };
    let joined_session = session_id;
    end_user
        .answer_consent(joined_session, request_id, true)
        .await
        .expect("allowed");
    let typed = InputEvent::Key {
        code: "KeyQ".into(),
        key: "@".into(),
        pressed: true,
    };
    viewer.send_input(pointer(0.25, 0.75)).expect("sent");
    viewer.send_input(typed.clone()).expect("sent");
    let first = next_matching(&mut sender, "the pointer", |e| {
        matches!(e, MediaEvent::Input(_))
    })
    .await;
    assert_eq!(first, MediaEvent::Input(pointer(0.25, 0.75)));
    let second = next_matching(&mut sender, "the key", |e| {
        matches!(e, MediaEvent::Input(_))
    })
    .await;
    assert_eq!(second, MediaEvent::Input(typed));
    // From here the sender reads as an agent does, all the time, counting the input.
    let sender_control = sender.control();
    let received = tokio::spawn(async move {
        let mut inputs = 0usize;
        while let Some(event) = sender.next().await {
            match event {
                MediaEvent::Input(_) => inputs += 1,
                MediaEvent::Closed => break,
                _ => {}
            }
        }
        inputs
    });

    // Out of range, another display, a key without a name, too much text.
    for bad in [
        pointer(1.5, 0.5),
        pointer(f64::INFINITY, 0.5),
        InputEvent::PointerButton {
            display_id: "7".into(),
            x: 0.5,
            y: 0.5,
            button: lifeline_protocol::PointerButton::Left,
            pressed: true,
        },
        InputEvent::Key {
            code: String::new(),
            key: "a".into(),
            pressed: true,
        },
        InputEvent::Text {
            text: "x".repeat(MAX_INPUT_TEXT_CHARS + 1),
        },
        InputEvent::Wheel { dx: 0, dy: 5000 },
    ] {
        viewer.send_input(bad.clone()).expect("sent");
        assert_eq!(
            refusal(&mut viewer).await,
            ErrorCode::InvalidInput,
            "{bad:?}"
        );
    }

    // A flood is cut to the rate, and hears so once, not once per dropped event; the
    // chat goes on.
    for i in 0..2000 {
        viewer
            .send_input(pointer(f64::from(i % 100) / 100.0, 0.5))
            .expect("sent");
    }
    assert_eq!(refusal(&mut viewer).await, ErrorCode::RateLimited);
    app.technician
        .send_message(session_id, uuid::Uuid::new_v4(), "still here")
        .await
        .expect("the chat goes on");

    // Stopping the screen at the end user's side ends control at once: the viewer hears
    // of the stop, and input on a new viewer socket is refused.
    sender_control.stop().expect("stop");
    let mut refusals = 0;
    loop {
        match next_matching(&mut viewer, "the stop", |_| true).await {
            MediaEvent::Stopped { .. } => break,
            MediaEvent::Refused(_) => refusals += 1,
            _ => {}
        }
    }
    assert!(refusals <= 3, "{refusals} more refusals for one flood");
    let mut again =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views again");
    again.send_input(pointer(0.5, 0.5)).expect("sent");
    assert_eq!(refusal(&mut again).await, ErrorCode::ConsentRequired);
    // The service closes the sender's socket after the stop, which ends its reader.
    let inputs = received.await.expect("the sender's reader");
    assert!(
        (100..=600).contains(&inputs),
        "the flood reached the sender cut to its burst and rate: {inputs} of 2000"
    );
}

#[tokio::test]
async fn the_clipboard_crosses_both_ways_only_while_control_is_allowed_and_within_its_limit() {
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views");
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("shares");
    sender.start(format()).expect("start");
    next_matching(&mut viewer, "the stream", |e| {
        matches!(e, MediaEvent::Stream(_))
    })
    .await;

    // A screen view is not control: neither way crosses.
    let paste = InputEvent::Clipboard {
        text: "Grüße aus Köln".into(),
    };
    viewer.send_input(paste.clone()).expect("sent");
    assert_eq!(refusal(&mut viewer).await, ErrorCode::ConsentRequired);
    sender.send_clipboard("secret").expect("sent");
    assert_eq!(refusal(&mut sender).await, ErrorCode::ConsentRequired);

    // With control allowed, both ways cross; a too long text is refused typed.
    let asked = app
        .technician
        .request_consent(session_id, ConsentKind::Control)
        .await
        .expect("asked");
    let EventData::ConsentRequested { request_id, .. } = asked.data else {
        panic!("a consent request: {asked:?}");
    };
    end_user
        .answer_consent(session_id, request_id, true)
        .await
        .expect("allowed");
    viewer.send_input(paste.clone()).expect("sent");
    let arrived = next_matching(&mut sender, "the technician's clipboard", |e| {
        matches!(e, MediaEvent::Input(_))
    })
    .await;
    assert_eq!(arrived, MediaEvent::Input(paste));
    sender
        .send_clipboard("C:\\Users\\erika\\log.txt")
        .expect("sent");
    let copied = next_matching(&mut viewer, "the computer's clipboard", |e| {
        matches!(e, MediaEvent::Clipboard(_))
    })
    .await;
    assert_eq!(
        copied,
        MediaEvent::Clipboard("C:\\Users\\erika\\log.txt".into())
    );
    let long = "x".repeat(lifeline_protocol::MAX_CLIPBOARD_CHARS + 1);
    viewer
        .send_input(InputEvent::Clipboard { text: long.clone() })
        .expect("sent");
    assert_eq!(refusal(&mut viewer).await, ErrorCode::InvalidInput);
    sender.send_clipboard(&long).expect("sent");
    assert_eq!(refusal(&mut sender).await, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn viewers_learn_the_senders_displays_and_pick_only_among_them() {
    use lifeline_protocol::DisplayChoice;
    let app = spawn_app().await;
    let (session_id, end_user) = allowed_session(&app).await;
    let mut sender = MediaSocket::connect(&end_user, session_id, MediaRole::Sender, Vec::new())
        .await
        .expect("shares");
    let display = |id: &str, primary: bool| DisplayChoice {
        id: id.into(),
        name: format!("Monitor {id}"),
        width: 1920,
        height: 1080,
        primary,
    };
    let offered = vec![display("0", true), display("1", false)];
    sender.send_displays(offered.clone()).expect("sent");
    sender.start(format()).expect("start");
    // A viewer that comes later still hears the list.
    let mut viewer =
        MediaSocket::connect(&app.technician, session_id, MediaRole::Viewer, Vec::new())
            .await
            .expect("views");
    let listed = next_matching(&mut viewer, "the displays", |e| {
        matches!(e, MediaEvent::Displays(_))
    })
    .await;
    assert_eq!(listed, MediaEvent::Displays(offered));
    viewer.select_display("1").expect("sent");
    let picked = next_matching(&mut sender, "the pick", |e| {
        matches!(e, MediaEvent::SelectDisplay(_))
    })
    .await;
    assert_eq!(picked, MediaEvent::SelectDisplay("1".into()));
    viewer.select_display("9").expect("sent");
    assert_eq!(refusal(&mut viewer).await, ErrorCode::InvalidInput);
    let too_many: Vec<_> = (0..17).map(|i| display(&i.to_string(), i == 0)).collect();
    sender.send_displays(too_many).expect("sent");
    assert_eq!(refusal(&mut sender).await, ErrorCode::InvalidInput);
}
