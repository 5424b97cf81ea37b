use lifeline_protocol::{ErrorCode, NewTechnician};

use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test]
async fn wrong_password_is_refused_with_a_typed_error() {
    let app = spawn_app().await;
    let client = lifeline_client::ApiClient::new(&app.url).expect("client");
    let err = client
        .login("tech@acme.test", "not the password")
        .await
        .expect_err("wrong password");
    assert_eq!(code(err), ErrorCode::Unauthorized);
    let err = client
        .login("nobody@acme.test", PASSWORD)
        .await
        .expect_err("unknown email");
    assert_eq!(
        code(err),
        ErrorCode::Unauthorized,
        "unknown emails look the same as wrong passwords"
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_sign_in() {
    let app = spawn_app().await;
    let client = lifeline_client::ApiClient::new(&app.url).expect("client");
    let first = client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect("signs in");
    let second = client
        .resume(first.refresh_token.expose())
        .await
        .expect("refresh works");
    assert_ne!(
        first.refresh_token, second.refresh_token,
        "refresh tokens rotate"
    );

    let thief = lifeline_client::ApiClient::new(&app.url).expect("client");
    let err = thief
        .resume(first.refresh_token.expose())
        .await
        .expect_err("a rotated token is dead");
    assert_eq!(code(err), ErrorCode::Unauthorized);
    let err = client
        .resume(second.refresh_token.expose())
        .await
        .expect_err("reuse revoked the whole sign-in");
    assert_eq!(code(err), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let client = lifeline_client::ApiClient::new(&app.url).expect("client");
    let pair = client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect("signs in");
    client.logout().await.expect("signs out");
    let response = app
        .http
        .get(app.api("/api/v1/me"))
        .bearer_auth(pair.access_token.expose())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401, "the access token stopped working");
    let again = lifeline_client::ApiClient::new(&app.url).expect("client");
    assert_eq!(
        code(
            again
                .resume(pair.refresh_token.expose())
                .await
                .expect_err("revoked")
        ),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn an_admin_adds_and_disables_technicians_and_others_may_not() {
    let app = spawn_app().await;
    let added = app
        .technician
        .add_technician(&NewTechnician {
            email: "new@acme.test".into(),
            display_name: "Neo".into(),
            password: PASSWORD.into(),
            is_admin: false,
        })
        .await
        .expect("admin adds a technician");
    assert_eq!(
        added.company_name, "Acme IT",
        "added to the admin's company"
    );

    let newcomer = lifeline_client::ApiClient::new(&app.url).expect("client");
    newcomer
        .login("new@acme.test", PASSWORD)
        .await
        .expect("new technician signs in");
    assert_eq!(
        code(newcomer.technicians().await.expect_err("not an admin")),
        ErrorCode::Forbidden
    );

    app.technician
        .set_technician_disabled(added.id, true)
        .await
        .expect("disabled");
    let err = newcomer
        .me()
        .await
        .expect_err("disabled technicians are signed out");
    assert!(matches!(
        code(err),
        ErrorCode::Unauthorized | ErrorCode::Forbidden
    ));
    let err = newcomer
        .login("new@acme.test", PASSWORD)
        .await
        .expect_err("cannot sign in again");
    assert_eq!(code(err), ErrorCode::Forbidden);

    let duplicate = app
        .technician
        .add_technician(&NewTechnician {
            email: "NEW@acme.test".into(),
            display_name: "Again".into(),
            password: PASSWORD.into(),
            is_admin: false,
        })
        .await
        .expect_err("emails are unique regardless of case");
    assert_eq!(code(duplicate), ErrorCode::Conflict);
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_refused() {
    let app = spawn_app().await;
    let weak = app
        .technician
        .add_technician(&NewTechnician {
            email: "weak@acme.test".into(),
            display_name: "Weak".into(),
            password: "short".into(),
            is_admin: false,
        })
        .await
        .expect_err("too short");
    assert_eq!(code(weak), ErrorCode::InvalidInput);
    let bad_email = app
        .technician
        .add_technician(&NewTechnician {
            email: "not an email".into(),
            display_name: "Bad".into(),
            password: PASSWORD.into(),
            is_admin: false,
        })
        .await
        .expect_err("not an email");
    assert_eq!(code(bad_email), ErrorCode::InvalidInput);
}

/// Refreshing slides a sign-in along, but never past its absolute lifetime: after
/// `sign_in_days` the password is asked again, and no token outlives that moment.
#[tokio::test]
async fn a_sign_in_ends_after_its_absolute_lifetime_however_often_it_is_refreshed() {
    let app = crate::helpers::spawn_app_with(|c| c.limits.sign_in_days = 30).await;
    let client = lifeline_client::ApiClient::new(&app.url).expect("client");
    let first = client
        .login("tech@acme.test", crate::helpers::PASSWORD)
        .await
        .expect("signs in");
    let ends_at = first.access_expires_at - 15 * 60_000 + 30 * 86_400_000;
    let mut pair = first;
    for _ in 0..4 {
        app.clock
            .advance(std::time::Duration::from_secs(7 * 86_400));
        pair = client
            .resume(pair.refresh_token.expose())
            .await
            .expect("still within 30 days");
        assert!(
            pair.refresh_expires_at <= ends_at && pair.access_expires_at <= ends_at,
            "no token outlives the sign-in"
        );
    }
    // Thirty days and a bit after signing in: the refresh token itself is still in its
    // window, but the sign-in is over.
    app.clock
        .advance(std::time::Duration::from_secs(3 * 86_400));
    let response = app
        .http
        .post(app.api("/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": pair.refresh_token}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    let error: lifeline_protocol::ApiError = response.json().await.expect("typed");
    assert_eq!(error.code, lifeline_protocol::ErrorCode::Unauthorized);
    assert!(error.message.contains("password"), "{}", error.message);
    client
        .login("tech@acme.test", crate::helpers::PASSWORD)
        .await
        .expect("the password starts a new sign-in");
}

/// A technician's password is judged by how guessable it is, not by its kinds of
/// character, and against their own email and name.
#[tokio::test]
async fn guessable_technician_passwords_are_refused() {
    let app = crate::helpers::spawn_app().await;
    for (email, password) in [
        ("erika@acme.test", "Password1!"),
        ("erika@acme.test", "Summer2026!"),
        ("erika.mustermann@acme.test", "erika.mustermann@acme.test"),
    ] {
        let err = app
            .technician
            .add_technician(&lifeline_protocol::NewTechnician {
                email: email.into(),
                display_name: "Erika".into(),
                password: password.into(),
                is_admin: false,
            })
            .await
            .expect_err("too easy to guess");
        assert_eq!(
            crate::helpers::code(err),
            lifeline_protocol::ErrorCode::InvalidInput,
            "{password}"
        );
    }
    app.technician
        .add_technician(&lifeline_protocol::NewTechnician {
            email: "erika@acme.test".into(),
            display_name: "Erika".into(),
            password: "lantern orbit velvet 42".into(),
            is_admin: false,
        })
        .await
        .expect("a hard-to-guess password is taken");
}

/// A technician changes their password: the current one is checked, a guessable new one
/// refused, and every other sign-in ends at once while this one goes on.
#[tokio::test]
async fn changing_the_password_ends_every_other_sign_in() {
    let app = crate::helpers::spawn_app().await;
    let laptop = app.technician.clone();
    let desk = lifeline_client::ApiClient::new(&app.url).expect("client");
    let desk_pair = desk
        .login("tech@acme.test", crate::helpers::PASSWORD)
        .await
        .expect("second sign-in");

    let err = laptop
        .change_password("not my password", "lantern orbit velvet 42")
        .await
        .expect_err("the current password is checked");
    assert_eq!(
        crate::helpers::code(err),
        lifeline_protocol::ErrorCode::WrongPassword
    );
    let err = laptop
        .change_password(crate::helpers::PASSWORD, "Password1!")
        .await
        .expect_err("too easy to guess");
    assert_eq!(
        crate::helpers::code(err),
        lifeline_protocol::ErrorCode::InvalidInput
    );
    laptop
        .change_password(crate::helpers::PASSWORD, "lantern orbit velvet 42")
        .await
        .expect("changed");

    laptop.me().await.expect("this sign-in goes on");
    let refreshed = app
        .http
        .post(app.api("/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": desk_pair.refresh_token}))
        .send()
        .await
        .expect("sent");
    assert_eq!(refreshed.status(), 401, "the other sign-in ended");
    let fresh = lifeline_client::ApiClient::new(&app.url).expect("client");
    assert!(fresh
        .login("tech@acme.test", crate::helpers::PASSWORD)
        .await
        .is_err());
    fresh
        .login("tech@acme.test", "lantern orbit velvet 42")
        .await
        .expect("the new password signs in");
}
