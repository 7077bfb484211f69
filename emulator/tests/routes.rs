//! The normal behaviour of every route, and the validation the real services do.

mod support;

use serde_json::json;
use support::*;

#[test]
fn tlspc_issues_a_fresh_bearer_token() {
    let emulator = Emulator::start(&["--no-https"]);
    let first = emulator.post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")));
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("content-type"), Some(JSON));
    let body = first.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["scope"].is_string());
    let second = emulator
        .post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")))
        .json();
    assert_ne!(body["access_token"], second["access_token"]);
    assert!(!body["access_token"].as_str().unwrap().is_empty());
}

#[test]
fn tlspc_form_is_percent_decoded_with_plus_as_space() {
    let emulator = Emulator::start(&["--no-https"]);
    let jwt = valid_jwt("svc");
    let escaped = format!(
        "grant_type=client%5Fcredentials&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt%2Dbearer&client_assertion={jwt}"
    );
    assert_eq!(emulator.post(&tlspc_path(), FORM, &escaped).status, 200);
    let with_plus = format!("grant_type=client+credentials&client_assertion_type={JWT_BEARER_ENCODED}&client_assertion={jwt}");
    let refused = emulator.post(&tlspc_path(), FORM, &with_plus);
    assert_eq!(
        (refused.status, refused.json()["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[test]
fn tlspc_refuses_what_the_real_service_refuses() {
    let emulator = Emulator::start(&["--no-https"]);
    let good_jwt = valid_jwt("svc");
    let expired_jwt = jwt(&json!({ "sub": "svc", "exp": unix_now() - 60 }));
    let no_exp_jwt = jwt(&json!({ "sub": "svc" }));
    let bad_tenant = "/v1/oauth2/v2.0/not-a-guid/token".to_owned();
    let wrong_assertion_type = format!(
        "grant_type=client_credentials&client_assertion_type=jwt&client_assertion={good_jwt}"
    );
    // (path, content type, body, status, OAuth error or None for the TLSPC envelope)
    let cases = [
        (bad_tenant, FORM, tlspc_form(&good_jwt), 404, None),
        (tlspc_path(), JSON, tlspc_form(&good_jwt), 415, None),
        (
            tlspc_path(),
            FORM,
            tlspc_form(&good_jwt).replace("client_credentials", "password"),
            400,
            Some("unsupported_grant_type"),
        ),
        (
            tlspc_path(),
            FORM,
            wrong_assertion_type,
            400,
            Some("invalid_request"),
        ),
        (tlspc_path(), FORM, tlspc_form("not-a-jwt"), 400, None),
        (tlspc_path(), FORM, tlspc_form(&no_exp_jwt), 400, None),
        (
            tlspc_path(),
            FORM,
            tlspc_form(&expired_jwt),
            401,
            Some("invalid_client"),
        ),
    ];
    for (path, content_type, body, status, oauth_error) in cases {
        let response = emulator.post(&path, content_type, &body);
        assert_eq!(
            response.status,
            status,
            "{path} {body}: {}",
            response.text()
        );
        match oauth_error {
            Some(error) => assert_eq!(response.json()["error"], error, "{body}"),
            None => assert!(!response.envelope_message().is_empty()),
        }
    }
    let expired = emulator
        .post(&tlspc_path(), FORM, &tlspc_form(&expired_jwt))
        .json();
    assert_eq!(expired["error_description"], "client assertion has expired");
}

#[test]
fn armor_login_token_and_reissue_flow() {
    let emulator = Emulator::start(&["--no-https"]);
    let login = emulator.armor_log_in(&json!({ "username": "user", "password": "pass" }));
    assert_eq!(login.status, 200, "{}", login.text());
    let login = login.json();
    assert_eq!(
        (login["success"].as_bool(), login["redirect_uri"].is_null()),
        (Some(true), true)
    );
    let code = login["code"].as_str().unwrap();
    assert_eq!(base64::decode(code).unwrap().len(), 32);

    let token = emulator.armor_token(code);
    assert_eq!(token.status, 200, "{}", token.text());
    let token = token.json();
    let access_token = token["access_token"].as_str().unwrap();
    assert_eq!(access_token.len(), 32);
    assert!(access_token
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert!(token["id_token"].as_str().unwrap().len() >= 500);
    assert_eq!(
        (token["expires_in"].as_u64(), token["token_type"].as_str()),
        (Some(15), Some("Bearer"))
    );

    let reissued = emulator.post_json("/auth/token/reissue", &json!({ "token": access_token }));
    assert_eq!(reissued.status, 200, "{}", reissued.text());
    let new_token = reissued.access_token();
    assert_ne!(new_token, access_token);
    let revoked = emulator.post_json("/auth/token/reissue", &json!({ "token": access_token }));
    assert_eq!(
        (revoked.status, revoked.json()["message"].as_str()),
        (403, Some("Invalid token"))
    );
    assert_eq!(
        emulator
            .post_json("/auth/token/reissue", &json!({ "token": new_token }))
            .status,
        200
    );
}

#[test]
fn armor_accepts_the_help_example_code_repeatedly() {
    let emulator = Emulator::start(&["--no-https"]);
    for _ in 0..2 {
        let body = json!({ "code": HELP_EXAMPLE_CODE, "grant_type": "authorization_code" });
        assert_eq!(emulator.post_json("/auth/token", &body).status, 200);
    }
}

#[test]
fn armor_refuses_what_the_real_service_refuses() {
    let emulator = Emulator::start(&["--no-https"]);
    let mangled_code = HELP_EXAMPLE_CODE.replace('+', " ");
    let token_body = |code: &str, grant_type: &str| {
        json!({ "code": code, "grant_type": grant_type }).to_string()
    };
    // (path, content type, body, status, expected "message" or "error")
    let cases = [
        (
            "/auth/authorize",
            JSON,
            json!({ "username": "", "password": "p" }).to_string(),
            400,
            None,
        ),
        (
            "/auth/authorize",
            JSON,
            json!({ "username": "u" }).to_string(),
            400,
            None,
        ),
        (
            "/auth/authorize",
            JSON,
            json!({ "username": "u", "password": "wrong" }).to_string(),
            403,
            Some("Invalid credentials"),
        ),
        (
            "/auth/token",
            "text/plain",
            token_body(HELP_EXAMPLE_CODE, "authorization_code"),
            415,
            None,
        ),
        ("/auth/token", JSON, "{not json".to_owned(), 400, None),
        (
            "/auth/token",
            JSON,
            token_body(HELP_EXAMPLE_CODE, "Authorization_code"),
            400,
            Some("unsupported_grant_type"),
        ),
        (
            "/auth/token",
            JSON,
            token_body(&mangled_code, "authorization_code"),
            400,
            Some("Invalid authorization code"),
        ),
        (
            "/auth/token",
            JSON,
            token_body("c2hvcnQ=", "authorization_code"),
            400,
            Some("Invalid authorization code"),
        ),
        (
            "/auth/token/reissue",
            JSON,
            json!({ "token": "0123456789abcdef0123456789abcdef" }).to_string(),
            403,
            Some("Invalid token"),
        ),
    ];
    for (path, content_type, body, status, expected) in cases {
        let response = emulator.post(path, content_type, &body);
        assert_eq!(
            response.status,
            status,
            "{path} {body}: {}",
            response.text()
        );
        let json = response.json();
        if let Some(expected) = expected {
            assert!(
                json["message"] == expected || json["error"] == expected,
                "{path} {body}: {json}"
            );
        }
    }
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let emulator = Emulator::start(&["--no-https"]);
    let missing = emulator.get("/v1/nothing");
    assert_eq!(missing.status, 404);
    assert!(!missing.envelope_message().is_empty());
    let wrong_method = emulator.get(&tlspc_path());
    assert_eq!(
        (wrong_method.status, wrong_method.header("allow")),
        (405, Some("POST"))
    );
    assert_eq!(emulator.post("/_emulator/stats", JSON, "{}").status, 405);
}

#[test]
fn statistics_count_requests_per_route() {
    let emulator = Emulator::start(&["--no-https"]);
    assert_eq!(emulator.requests_to("/v1/oauth2/v2.0/{tenant}/token"), 0);
    emulator.post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc")));
    emulator.post(&tlspc_path(), FORM, "");
    emulator.post_json("/auth/token", &json!({}));
    emulator.get("/elsewhere");
    let stats = emulator.get("/_emulator/stats").json();
    assert_eq!(
        stats["requests"],
        json!({
            "/v1/oauth2/v2.0/{tenant}/token": 2,
            "/auth/authorize": 0,
            "/auth/token": 1,
            "/auth/token/reissue": 0,
            "/v1/useraccounts": 0,
            "/me": 0,
            "/accounts": 0,
            "other": 1,
        })
    );
}

#[test]
fn statistics_say_which_user_agent_sent_each_request() {
    let emulator = Emulator::start(&["--no-https"]);
    let body = json!({ "code": HELP_EXAMPLE_CODE, "grant_type": "authorization_code" }).to_string();
    for agent in [
        "NativeToken/1.2.3",
        "NativeToken/1.2.3",
        "Mozilla/5.0 PowerShell/7.6.9",
    ] {
        let request = request_bytes(
            "POST",
            "/auth/token",
            &[("Content-Type", JSON), ("User-Agent", agent)],
            body.as_bytes(),
        );
        assert_eq!(emulator.send(&request).response().status, 200);
    }
    emulator.get("/me");
    let stats = emulator.get("/_emulator/stats").json();
    assert_eq!(
        stats["agents"],
        json!({
            "/auth/token": { "NativeToken/1.2.3": 2, "Mozilla/5.0 PowerShell/7.6.9": 1 },
            "/me": { "": 1 },
        })
    );
}

/// A GET with the given headers.
fn get_with(emulator: &Emulator, path: &str, headers: &[(&str, &str)]) -> Response {
    emulator
        .send(&request_bytes("GET", path, headers, b""))
        .response()
}

#[test]
fn tlspc_user_accounts_answers_only_tokens_it_issued() {
    let emulator = Emulator::start(&["--no-https"]);
    let token = emulator
        .post(&tlspc_path(), FORM, &tlspc_form(&valid_jwt("svc-42")))
        .access_token();
    let bearer = format!("Bearer {token}");
    let me = get_with(&emulator, "/v1/useraccounts", &[("Authorization", &bearer)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let body = me.json();
    assert_eq!(body["user"][0]["username"], "svc-42");
    assert!(body["user"][0]["id"].is_string());

    let lower_scheme = format!("bearer {token}");
    assert_eq!(
        get_with(
            &emulator,
            "/v1/useraccounts",
            &[("Authorization", &lower_scheme)]
        )
        .status,
        200
    );
    let other = "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let refusals = [
        get_with(&emulator, "/v1/useraccounts", &[("Authorization", other)]),
        get_with(&emulator, "/v1/useraccounts", &[]),
        get_with(
            &emulator,
            "/v1/useraccounts",
            &[("Authorization", &format!("FH-AUTH {token}"))],
        ),
    ];
    for refused in refusals {
        assert_eq!(refused.status, 401, "{}", refused.text());
        assert!(!refused.envelope_message().contains(&token));
    }
    let wrong_method = emulator.post("/v1/useraccounts", JSON, "{}");
    assert_eq!(
        (wrong_method.status, wrong_method.header("allow")),
        (405, Some("GET"))
    );
}

#[test]
fn armor_log_in_takes_its_keys_in_any_case_and_serves_me_and_accounts() {
    let emulator = Emulator::start(&["--no-https"]);
    // ArmorPowerShell's Connect-Armor sends capitalised keys.
    let login =
        emulator.armor_log_in(&json!({ "Username": "Jane.Doe@Example.com", "Password": "pass" }));
    assert_eq!(login.status, 200, "{}", login.text());
    let code = login.json()["code"].as_str().unwrap().to_owned();
    let token = emulator.armor_token(&code).access_token();
    let auth = format!("FH-AUTH {token}");

    let me = get_with(&emulator, "/me", &[("Authorization", &auth)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["User"][0]["UserName"], "jane.doe@example.com");
    assert_eq!(me["Accounts"][0]["ID"], 1);
    for key in ["Departments", "Permissions", "Features"] {
        assert!(me[key].is_array(), "{key}: {me}");
    }

    let accounts = get_with(
        &emulator,
        "/accounts",
        &[("Authorization", &auth), ("X-Account-Context", "1")],
    );
    assert_eq!(accounts.status, 200, "{}", accounts.text());
    assert_eq!(accounts.json()[0]["ID"], 1);
    let wrong_context = get_with(
        &emulator,
        "/accounts",
        &[("Authorization", &auth), ("X-Account-Context", "2")],
    );
    assert_eq!(wrong_context.status, 403, "{}", wrong_context.text());
    let bearer = format!("Bearer {token}");
    for refused in [
        get_with(&emulator, "/me", &[]),
        get_with(&emulator, "/me", &[("Authorization", &bearer)]),
        get_with(
            &emulator,
            "/accounts",
            &[("Authorization", "FH-AUTH 0123456789abcdef0123456789abcdef")],
        ),
    ] {
        assert_eq!(refused.status, 401, "{}", refused.text());
    }

    // A reissue replaces the token: the old one no longer opens the API, the new one does.
    let reissued = emulator
        .post_json("/auth/token/reissue", &json!({ "token": token }))
        .access_token();
    assert_eq!(
        get_with(&emulator, "/me", &[("Authorization", &auth)]).status,
        401
    );
    let renewed = get_with(
        &emulator,
        "/me",
        &[("Authorization", &format!("FH-AUTH {reissued}"))],
    );
    assert_eq!(renewed.status, 200);
    assert_eq!(
        renewed.json()["User"][0]["UserName"],
        "jane.doe@example.com"
    );
    assert_eq!(emulator.post("/me", JSON, "{}").status, 405);
}

#[test]
fn armor_token_answers_keep_the_services_key_order() {
    // ConvertFrom-Json keeps the order, and ArmorPowerShell's callers get that object.
    let emulator = Emulator::start(&["--no-https"]);
    let body = json!({ "code": HELP_EXAMPLE_CODE, "grant_type": "authorization_code" });
    let token = emulator.post_json("/auth/token", &body);
    let reissued = emulator.post_json(
        "/auth/token/reissue",
        &json!({ "token": token.json()["access_token"] }),
    );
    for answer in [token, reissued] {
        let text = answer.text();
        let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
        assert!(
            at("access_token") < at("id_token")
                && at("id_token") < at("expires_in")
                && at("expires_in") < at("token_type"),
            "{text}"
        );
    }
}
