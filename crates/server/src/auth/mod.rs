//! Technician sign-in, tokens, and the extractors that make handlers authenticated.

mod extract;
mod handover;
mod password;
mod routes;
pub mod second_factor;
pub mod tokens;

pub use extract::{
    adhoc_for_agent_token as extract_agent, attended_for_token as extract_attended,
    session_for_end_user_token as extract_session_for_end_user,
    technician_for_token as extract_technician,
    technician_sign_in_for_token as extract_technician_sign_in, AuthAdmin, AuthAgent, AuthAttended,
    AuthEndUser, AuthParty, AuthSignIn, AuthTechnician, ClientIp,
};
pub use handover::mint_sign_in_token;
pub use password::{hash_password, validate_new_password, verify_password};
pub use routes::{profile as routes_profile, router};
