//! The second factor: set up with an authenticator app's code, asked at every sign-in,
//! each code once, recovery codes once each, sealed in the database, and required for a
//! whole company by an admin.

use lifeline_client::ApiClient;
use lifeline_protocol::{ErrorCode, SecurityPolicy};

use crate::helpers::{code, spawn_app, TestApp, PASSWORD};

/// The authenticator app: the code for the service's now (its clock may be shifted).
fn authenticator(app: &TestApp, secret: &str, steps_on: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into())
        .expect("totp");
    let now = u64::try_from(app.state().now() / 1000 + steps_on * 30).expect("positive");
    totp.generate(now)
}

async fn set_up(app: &TestApp, client: &ApiClient) -> (String, Vec<String>) {
    let setup = client.setup_second_factor(PASSWORD).await.expect("setup");
    assert!(setup.otpauth_url.expose().starts_with("otpauth://totp/"));
    let secret = setup.secret.expose().to_owned();
    let codes = client
        .enable_second_factor(&authenticator(app, &secret, 0))
        .await
        .expect("enabled")
        .codes;
    (secret, codes)
}

#[tokio::test]
async fn a_second_factor_is_asked_at_sign_in_and_each_code_works_once() {
    let app = spawn_app().await;
    let err = app
        .technician
        .setup_second_factor("not my password")
        .await
        .expect_err("the password is asked again");
    assert_eq!(code(err), ErrorCode::WrongPassword);
    let setup = app
        .technician
        .setup_second_factor(PASSWORD)
        .await
        .expect("setup");
    let err = app
        .technician
        .enable_second_factor("000000")
        .await
        .expect_err("a wrong code does not confirm");
    assert_eq!(code(err), ErrorCode::SecondFactorInvalid);
    let secret = setup.secret.expose().to_owned();
    let recovery = app
        .technician
        .enable_second_factor(&authenticator(&app, &secret, 0))
        .await
        .expect("enabled")
        .codes;
    assert_eq!(recovery.len(), 10);
    assert!(app.technician.me().await.expect("me").second_factor);

    let client = ApiClient::new(&app.url).expect("client");
    let err = client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect_err("code needed");
    assert_eq!(code(err), ErrorCode::SecondFactorRequired);
    let err = client
        .login_with("tech@acme.test", PASSWORD, Some("123456"))
        .await
        .expect_err("wrong code");
    assert_eq!(code(err), ErrorCode::SecondFactorInvalid);
    // The code of the next step (within the skew): the setup used this step's.
    let next = authenticator(&app, &secret, 1);
    client
        .login_with("tech@acme.test", PASSWORD, Some(&next))
        .await
        .expect("signed in with the code");
    let err = client
        .login_with("tech@acme.test", PASSWORD, Some(&next))
        .await
        .expect_err("a code works once");
    assert_eq!(code(err), ErrorCode::SecondFactorInvalid);
    let typed = recovery[0].to_uppercase().replace('-', " ");
    client
        .login_with("tech@acme.test", PASSWORD, Some(&typed))
        .await
        .expect("a recovery code stands in, typed loosely");
    let err = client
        .login_with("tech@acme.test", PASSWORD, Some(&recovery[0]))
        .await
        .expect_err("a recovery code works once");
    assert_eq!(code(err), ErrorCode::SecondFactorInvalid);

    // The database keeps the secret sealed: its bytes are nowhere in the file.
    let raw = totp_rs::Secret::Encoded(secret).to_bytes().expect("base32");
    // As bytes (SQLite's file) and as hex (how pg_dump writes bytea).
    let database = app.database.dump().await.expect("dump");
    assert!(!database.windows(raw.len()).any(|w| w == raw.as_slice()));
    let raw_hex = hex::encode(&raw);
    assert!(!database
        .windows(raw_hex.len())
        .any(|w| w == raw_hex.as_bytes()));
    for recovery_code in &recovery {
        assert!(!database
            .windows(recovery_code.len())
            .any(|w| w == recovery_code.as_bytes()));
    }

    app.clock.advance(std::time::Duration::from_secs(120));
    client
        .disable_second_factor(PASSWORD, &recovery[1])
        .await
        .expect("turned off with the password and a recovery code");
    client
        .login("tech@acme.test", PASSWORD)
        .await
        .expect("no code needed any more");
}

#[tokio::test]
async fn an_admin_can_require_a_second_factor_for_the_whole_company() {
    let app = spawn_app().await;
    let colleague = app.add_technician("colleague@acme.test", false).await;
    let err = colleague
        .set_security_policy(SecurityPolicy {
            require_second_factor: true,
        })
        .await
        .expect_err("admins only");
    assert_eq!(code(err), ErrorCode::Forbidden);
    app.technician
        .set_security_policy(SecurityPolicy {
            require_second_factor: true,
        })
        .await
        .expect("required");

    let me = colleague.me().await.expect("the profile stays reachable");
    assert!(me.second_factor_required && !me.second_factor);
    let err = colleague.sessions().await.expect_err("held back");
    assert_eq!(code(err), ErrorCode::SecondFactorSetupRequired);
    let (_, recovery) = set_up(&app, &colleague).await;
    colleague
        .sessions()
        .await
        .expect("free to work once set up");
    app.clock.advance(std::time::Duration::from_secs(120));
    let err = colleague
        .disable_second_factor(PASSWORD, &recovery[0])
        .await
        .expect_err("required: it cannot be turned off");
    assert_eq!(code(err), ErrorCode::Forbidden);
}
