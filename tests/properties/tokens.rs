//! Bearer tokens: what the server issues verifies to its claims; nothing else does.

use std::time::Duration;

use aim::auth::{Claims, JwtKeys, TokenError};
use aim::config::Secret;
use aim::domain::{Role, StaffUserId};
use aim::untrusted::{self, token_keys};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use uuid::Uuid;

use super::hostile_text;

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL)
}

proptest! {
    #[test]
    fn an_issued_token_verifies_to_its_claims_and_any_change_to_it_is_refused(
        id in any::<u128>(), role in role(), at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(&b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[..]),
    ) {
        let keys = token_keys();
        let staff = StaffUserId(Uuid::from_u128(id));
        let token = keys.issue(staff, role).unwrap().token;
        let claims = keys.verify(&token).unwrap();
        prop_assert_eq!(claims.sub, staff.to_string());
        prop_assert_eq!(claims.role, role);

        let mut bytes = token.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(keys.verify(&changed).is_err(), "{} verified", changed);
    }

    #[test]
    fn claims_signed_with_the_key_are_refused_unless_current_and_for_aim(
        sub in hostile_text(), iss in prop::sample::select(&["aim", "other"][..]),
        aud in prop::sample::select(&["aim-admin", "aim", ""][..]),
        exp_in in -100_000i64..100_000, nbf_in in -100_000i64..100_000,
    ) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub, role: Role::Staff, exp: now + exp_in, iat: now, nbf: now + nbf_in,
            iss: iss.to_owned(), aud: aud.to_owned(),
        };
        let keys = token_keys();
        let verified = keys.verify(&keys.sign(&claims).unwrap());
        let leeway = aim::auth::LEEWAY_SECS as i64;
        let current = exp_in > -leeway + 1 && nbf_in < leeway - 1;
        let ours = iss == "aim" && aud == "aim-admin";
        if current && ours {
            prop_assert_eq!(verified, Ok(claims));
        } else if (exp_in < -leeway - 1 || nbf_in > leeway + 1) || !ours {
            prop_assert!(verified.is_err());
        }
    }

    #[test]
    fn arbitrary_strings_and_forged_tokens_are_refused(
        text in hostile_text(), header in super::rest::json_value(), body in super::rest::json_value(),
        signature in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        untrusted::token(text.as_bytes());
        let forged = [
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(body.to_string()),
            URL_SAFE_NO_PAD.encode(&signature),
        ].join(".");
        untrusted::token(forged.as_bytes());
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#), URL_SAFE_NO_PAD.encode(body.to_string()));
        prop_assert!(token_keys().verify(&none).is_err());
    }
}

#[test]
fn a_token_signed_with_another_key_is_refused_as_a_bad_signature() {
    let other = JwtKeys::new(
        &Secret::new("another-secret-another-secret-another"),
        "aim",
        "aim-admin",
        Duration::from_secs(60),
    );
    let token = other.issue(StaffUserId::new(), Role::Admin).unwrap().token;
    assert_eq!(token_keys().verify(&token), Err(TokenError::BadSignature));
}
