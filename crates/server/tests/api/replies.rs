//! Canned replies on the real service: a technician keeps their own, an admin keeps the
//! company's for everyone, both survive a restart, and every input has its limit.

use lifeline_protocol::{ErrorCode, ReplyScope, SaveCannedReply, MAX_CANNED_REPLIES};

use crate::helpers::{code, spawn_app};

fn reply(title: &str, scope: ReplyScope) -> SaveCannedReply {
    SaveCannedReply {
        title: title.into(),
        text_en: "Hello {end_user}, this is {technician} from {company}.".into(),
        text_de: "Hallo {end_user}, hier ist {technician} von {company}.".into(),
        scope,
    }
}

#[tokio::test]
async fn a_company_reply_reaches_every_technician_and_both_kinds_survive_a_restart() {
    let mut app = spawn_app().await;
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let greeting = app
        .technician
        .add_canned_reply(&reply("Greeting", ReplyScope::Company))
        .await
        .expect("an admin keeps a company reply");
    assert_eq!(greeting.scope, ReplyScope::Company);
    assert!(greeting.text_de.starts_with("Hallo {end_user}"));
    let own = colleague
        .add_canned_reply(&reply("Printer", ReplyScope::Personal))
        .await
        .expect("a technician keeps their own");

    let seen = colleague.canned_replies().await.expect("list");
    let titles: Vec<_> = seen
        .iter()
        .map(|r| (r.title.as_str(), r.editable))
        .collect();
    assert_eq!(titles, [("Greeting", false), ("Printer", true)]);
    let admin_sees = app.technician.canned_replies().await.expect("list");
    assert_eq!(
        admin_sees
            .iter()
            .map(|r| r.title.as_str())
            .collect::<Vec<_>>(),
        ["Greeting"],
        "a colleague's own replies stay theirs"
    );

    let refused = colleague
        .update_canned_reply(greeting.id, &reply("Mine now", ReplyScope::Company))
        .await
        .expect_err("only admins change the company's");
    assert_eq!(code(refused), ErrorCode::Forbidden);
    let refused = colleague
        .add_canned_reply(&reply("Everyone", ReplyScope::Company))
        .await
        .expect_err("only admins add the company's");
    assert_eq!(code(refused), ErrorCode::Forbidden);
    let hidden = app
        .technician
        .delete_canned_reply(own.id)
        .await
        .expect_err("another's own reply is not there for an admin either");
    assert_eq!(code(hidden), ErrorCode::NotFound);

    app.restart().await;
    let after = colleague.canned_replies().await.expect("list");
    assert_eq!(after, seen, "both kept across a restart");

    let changed = colleague
        .update_canned_reply(own.id, &reply("Printer queue", ReplyScope::Personal))
        .await
        .expect("changed");
    assert_eq!(changed.title, "Printer queue");
    colleague
        .delete_canned_reply(own.id)
        .await
        .expect("deleted");
    assert_eq!(colleague.canned_replies().await.expect("list").len(), 1);
}

#[tokio::test]
async fn every_field_has_its_limit_and_a_list_its_size() {
    let app = spawn_app().await;
    let long_title = "t".repeat(81);
    let long_text = "x".repeat(4001);
    for (bad, why) in [
        (
            SaveCannedReply {
                title: " \u{202e} ".into(),
                ..reply("x", ReplyScope::Personal)
            },
            "an empty title",
        ),
        (
            SaveCannedReply {
                title: long_title,
                ..reply("x", ReplyScope::Personal)
            },
            "a long title",
        ),
        (
            SaveCannedReply {
                text_en: String::new(),
                text_de: "  ".into(),
                ..reply("x", ReplyScope::Personal)
            },
            "no text",
        ),
        (
            SaveCannedReply {
                text_de: long_text,
                ..reply("x", ReplyScope::Personal)
            },
            "a long text",
        ),
    ] {
        let err = app.technician.add_canned_reply(&bad).await.expect_err(why);
        assert_eq!(code(err), ErrorCode::InvalidInput, "{why}");
    }
    let cleaned = app
        .technician
        .add_canned_reply(&SaveCannedReply {
            title: "Line\u{2028}break".into(),
            text_en: "one\r\ntwo\rthree".into(),
            text_de: String::new(),
            scope: ReplyScope::Personal,
        })
        .await
        .expect("saved");
    assert_eq!(cleaned.title, "Linebreak");
    assert_eq!(cleaned.text_en, "one\ntwo\nthree");
    for n in 1..MAX_CANNED_REPLIES {
        app.technician
            .add_canned_reply(&reply(&format!("Reply {n}"), ReplyScope::Personal))
            .await
            .expect("room");
    }
    let full = app
        .technician
        .add_canned_reply(&reply("One too many", ReplyScope::Personal))
        .await
        .expect_err("the list is full");
    assert_eq!(code(full), ErrorCode::Conflict);
}
