use crate::trust::{Socket, Trust};
use std::sync::Arc;
use std::time::Duration;

use lifeline_protocol::{
    ApiError, EndUserSessionView, ErrorCode, JoinInfo, JoinRequest, JoinResponse, LoginRequest,
    RefreshRequest, Secret, ServerInfo, TechnicianProfile, TokenPair, UnixMillis,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{watch, Mutex, RwLock};
use url::Url;
use uuid::Uuid;

use crate::ClientError;

/// How requests authenticate.
#[derive(Clone, Default)]
pub enum Bearer {
    #[default]
    None,
    Technician(TokenPair),
    EndUser {
        token: Secret,
        session_id: Uuid,
    },
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bearer::None => f.write_str("Bearer::None"),
            Bearer::Technician(pair) => write!(f, "Bearer::Technician({})", pair.technician.email),
            Bearer::EndUser { session_id, .. } => write!(f, "Bearer::EndUser({session_id})"),
        }
    }
}

/// Typed client of the REST API. Cheap to clone; clones share the sign-in.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The WebSockets' TLS when extra CA certificates are trusted.
    websocket_tls: Option<Arc<rustls::ClientConfig>>,
    base: Url,
    bearer: RwLock<Bearer>,
    /// One refresh at a time: refresh tokens rotate, so two at once would be a reuse.
    refresh_lock: Mutex<()>,
    token_updates: watch::Sender<Option<TokenPair>>,
}

/// Renew the access token when it has less than this left.
const REFRESH_MARGIN_MS: i64 = 30_000;

fn now_ms() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

pub(crate) async fn api_error(response: Response) -> ClientError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let error = serde_json::from_str::<ApiError>(&body).unwrap_or_else(|_| {
        let code = match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            413 => ErrorCode::PayloadTooLarge,
            429 => ErrorCode::RateLimited,
            _ => ErrorCode::Internal,
        };
        ApiError::new(
            code,
            format!(
                "HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            ),
        )
    });
    ClientError::Api { status, error }
}

impl ApiClient {
    /// A client of the service at `base_url` (e.g. `https://support.example.com`),
    /// trusting the public roots and the CA file `LIFELINE_CA_FILE` names, if any.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_trust(base_url, &Trust::from_env()?)
    }

    /// A client that trusts what `trust` says, whatever the environment.
    pub fn with_trust(base_url: &str, trust: &Trust) -> Result<Self, ClientError> {
        let base = Url::parse(base_url)
            .map_err(|e| ClientError::InvalidUrl(format!("{base_url}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::InvalidUrl(format!(
                "{base_url}: use http:// or https://"
            )));
        }
        let http = trust
            .http_client(reqwest::Client::builder().connect_timeout(Duration::from_secs(10)))?;
        let websocket_tls = trust.websocket_tls()?;
        let (token_updates, _) = watch::channel(None);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                websocket_tls,
                base,
                bearer: RwLock::new(Bearer::None),
                refresh_lock: Mutex::new(()),
                token_updates,
            }),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Opens a WebSocket to the service with this client's trust.
    pub(crate) async fn connect_websocket(&self, url: &str) -> Result<Socket, ClientError> {
        crate::trust::connect_websocket(url, self.inner.websocket_tls.as_ref()).await
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, ClientError> {
        self.inner
            .base
            .join(path)
            .map_err(|e| ClientError::InvalidUrl(format!("{path}: {e}")))
    }

    /// Every new token pair (after sign-in and each rotation), for keeping the refresh
    /// token in a keychain; `None` after sign-out.
    pub fn token_updates(&self) -> watch::Receiver<Option<TokenPair>> {
        self.inner.token_updates.subscribe()
    }

    pub async fn bearer(&self) -> Bearer {
        self.inner.bearer.read().await.clone()
    }

    async fn set_tokens(&self, pair: TokenPair) {
        *self.inner.bearer.write().await = Bearer::Technician(pair.clone());
        self.inner.token_updates.send_replace(Some(pair));
    }

    /// The current bearer token, refreshed first if it is about to expire.
    pub async fn access_token(&self) -> Result<Secret, ClientError> {
        let bearer = self.bearer().await;
        match bearer {
            Bearer::None => Err(ClientError::NotSignedIn),
            Bearer::EndUser { token, .. } => Ok(token),
            Bearer::Technician(pair) if pair.access_expires_at - REFRESH_MARGIN_MS > now_ms() => {
                Ok(pair.access_token)
            }
            Bearer::Technician(pair) => {
                Ok(self.refresh_after(&pair.access_token).await?.access_token)
            }
        }
    }

    /// Refreshes unless another task already did since `stale_access` was read.
    async fn refresh_after(&self, stale_access: &Secret) -> Result<TokenPair, ClientError> {
        let _guard = self.inner.refresh_lock.lock().await;
        let Bearer::Technician(current) = self.bearer().await else {
            return Err(ClientError::NotSignedIn);
        };
        if current.access_token != *stale_access {
            return Ok(current);
        }
        self.refresh_with(current.refresh_token.expose()).await
    }

    async fn refresh_with(&self, refresh_token: &str) -> Result<TokenPair, ClientError> {
        let request = RefreshRequest {
            refresh_token: refresh_token.into(),
        };
        let response = self
            .http()
            .post(self.url("/api/v1/auth/refresh")?)
            .json(&request)
            .send()
            .await?;
        if !response.status().is_success() {
            let err = api_error(response).await;
            if matches!(
                err.code(),
                Some(ErrorCode::Unauthorized | ErrorCode::Forbidden)
            ) {
                *self.inner.bearer.write().await = Bearer::None;
                self.inner.token_updates.send_replace(None);
            }
            return Err(err);
        }
        let pair: TokenPair = response.json().await?;
        self.set_tokens(pair.clone()).await;
        Ok(pair)
    }

    /// Sends an authenticated request; on 401 refreshes once and retries.
    pub(crate) async fn send_authed(
        &self,
        build: impl Fn(&reqwest::Client) -> Result<RequestBuilder, ClientError>,
    ) -> Result<Response, ClientError> {
        let token = self.access_token().await?;
        let response = build(self.http())?
            .bearer_auth(token.expose())
            .send()
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED
            || !matches!(self.bearer().await, Bearer::Technician(_))
        {
            return Ok(response);
        }
        let fresh = self.refresh_after(&token).await?;
        Ok(build(self.http())?
            .bearer_auth(fresh.access_token.expose())
            .send()
            .await?)
    }

    async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        response
            .json()
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<Response, ClientError> {
        self.send_authed(|http| {
            let builder = http.request(method.clone(), self.url(path)?);
            Ok(match body {
                Some(body) => builder.json(body),
                None => builder,
            })
        })
        .await
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<T, ClientError> {
        Self::json(self.send_json(method, path, body).await?).await
    }

    /// A call whose success has no body.
    pub(crate) async fn call_empty(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<(), ClientError> {
        let response = self.send_json(method, path, body).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(api_error(response).await)
        }
    }

    pub(crate) async fn public<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let mut builder = self.http().request(method, self.url(path)?);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        Self::json(builder.send().await?).await
    }

    // --- technician sign-in ---

    pub async fn login(&self, email: &str, password: &str) -> Result<TokenPair, ClientError> {
        self.login_with(email, password, None).await
    }

    /// Signs in; `second_factor` is the authenticator app's code or a recovery code,
    /// which a technician with a second factor needs (`second_factor_required` without).
    pub async fn login_with(
        &self,
        email: &str,
        password: &str,
        second_factor: Option<&str>,
    ) -> Result<TokenPair, ClientError> {
        let request = LoginRequest {
            email: email.to_owned(),
            password: password.into(),
            second_factor: second_factor.map(Into::into),
        };
        let pair: TokenPair = self
            .public(Method::POST, "/api/v1/auth/login", Some(&request))
            .await?;
        self.set_tokens(pair.clone()).await;
        Ok(pair)
    }

    /// Signs in silently with a refresh token kept from an earlier sign-in.
    pub async fn resume(&self, refresh_token: &str) -> Result<TokenPair, ClientError> {
        let _guard = self.inner.refresh_lock.lock().await;
        self.refresh_with(refresh_token).await
    }

    /// Revokes this sign-in on the service and forgets the tokens.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let bearer = std::mem::take(&mut *self.inner.bearer.write().await);
        self.inner.token_updates.send_replace(None);
        if let Bearer::Technician(pair) = bearer {
            self.revoke(pair.refresh_token.expose()).await?;
        }
        Ok(())
    }

    /// Revokes the sign-in `refresh_token` belongs to, without using it.
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), ClientError> {
        let request = RefreshRequest {
            refresh_token: refresh_token.into(),
        };
        let response = self
            .http()
            .post(self.url("/api/v1/auth/logout")?)
            .json(&request)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        Ok(())
    }

    /// Starts setting up a second factor (the password is asked again).
    pub async fn setup_second_factor(
        &self,
        password: &str,
    ) -> Result<lifeline_protocol::SecondFactorSetup, ClientError> {
        let request = lifeline_protocol::SecondFactorSetupRequest {
            password: password.into(),
        };
        self.call(
            Method::POST,
            "/api/v1/me/second-factor/setup",
            Some(&request),
        )
        .await
    }

    /// Confirms the setup with a code; the recovery codes come back, this once.
    pub async fn enable_second_factor(
        &self,
        code: &str,
    ) -> Result<lifeline_protocol::RecoveryCodes, ClientError> {
        let request = lifeline_protocol::SecondFactorCode { code: code.into() };
        self.call(
            Method::POST,
            "/api/v1/me/second-factor/enable",
            Some(&request),
        )
        .await
    }

    pub async fn disable_second_factor(
        &self,
        password: &str,
        code: &str,
    ) -> Result<(), ClientError> {
        let request = lifeline_protocol::DisableSecondFactor {
            password: password.into(),
            code: code.into(),
        };
        self.call_empty(
            Method::POST,
            "/api/v1/me/second-factor/disable",
            Some(&request),
        )
        .await
    }

    pub async fn security_policy(&self) -> Result<lifeline_protocol::SecurityPolicy, ClientError> {
        self.call(Method::GET, "/api/v1/admin/security-policy", None::<&()>)
            .await
    }

    pub async fn set_security_policy(
        &self,
        policy: lifeline_protocol::SecurityPolicy,
    ) -> Result<lifeline_protocol::SecurityPolicy, ClientError> {
        self.call(Method::PUT, "/api/v1/admin/security-policy", Some(&policy))
            .await
    }

    /// Changes this technician's password; their other sign-ins end, this one stays.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), ClientError> {
        let request = lifeline_protocol::ChangePassword {
            current_password: current.into(),
            new_password: new.into(),
        };
        self.call_empty(Method::POST, "/api/v1/me/password", Some(&request))
            .await
    }

    pub async fn me(&self) -> Result<TechnicianProfile, ClientError> {
        self.call(Method::GET, "/api/v1/me", None::<&()>).await
    }

    pub async fn info(&self) -> Result<ServerInfo, ClientError> {
        self.public(Method::GET, "/api/v1/info", None::<&()>).await
    }

    // --- the end user's side ---

    /// What a key opens, before joining.
    pub async fn key_info(&self, key: &str) -> Result<JoinInfo, ClientError> {
        self.public(Method::GET, &format!("/api/v1/join/{key}"), None::<&()>)
            .await
    }

    /// Joins as the end user; this client then acts for that end user.
    pub async fn join(&self, key: &str, name: Option<&str>) -> Result<JoinResponse, ClientError> {
        let request = JoinRequest {
            key: key.to_owned(),
            name: name.map(str::to_owned),
        };
        let joined: JoinResponse = self
            .public(Method::POST, "/api/v1/join", Some(&request))
            .await?;
        *self.inner.bearer.write().await = Bearer::EndUser {
            token: joined.end_user_token.clone().into(),
            session_id: joined.session_id,
        };
        Ok(joined)
    }

    /// Acts as an end user who joined earlier (e.g. after a restart).
    pub async fn use_end_user_token(&self, token: &str, session_id: Uuid) {
        *self.inner.bearer.write().await = Bearer::EndUser {
            token: token.into(),
            session_id,
        };
    }

    pub async fn end_user_session(&self) -> Result<EndUserSessionView, ClientError> {
        self.call(Method::GET, "/api/v1/end-user/session", None::<&()>)
            .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<(), ClientError> {
        self.call_empty(Method::DELETE, path, None::<&()>).await
    }

    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, Some(body)).await
    }
}
