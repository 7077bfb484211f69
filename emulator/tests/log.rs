//! The request log: one line per request, on stderr and in the --log file, and no secrets.

mod support;

use serde_json::json;
use support::*;

#[test]
fn log_has_one_line_per_request_and_no_secret() {
    let log_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("log-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log_path);
    let emulator = Emulator::start(&["--no-https", "--log", log_path.to_str().unwrap()]);

    let good_jwt = valid_jwt("svc-account-7");
    let expired_jwt = jwt(&json!({ "sub": "svc-account-7", "exp": unix_now() - 5 }));
    let password = "correct-horse-battery";
    let mut secrets = vec![password.to_owned(), HELP_EXAMPLE_CODE.to_owned()];
    for jwt in [&good_jwt, &expired_jwt] {
        secrets.extend(jwt.split('.').map(str::to_owned));
    }

    let tlspc = emulator
        .post(&tlspc_path(), FORM, &tlspc_form(&good_jwt))
        .json();
    secrets.push(tlspc["access_token"].as_str().unwrap().to_owned());
    assert_eq!(
        emulator
            .post(&tlspc_path(), FORM, &tlspc_form(&expired_jwt))
            .status,
        401
    );
    let login = emulator
        .armor_log_in(&json!({ "username": "someone", "password": password }))
        .json();
    let code = login["code"].as_str().unwrap().to_owned();
    let token = emulator.armor_token(&code).json();
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    let reissued = emulator
        .post_json("/auth/token/reissue", &json!({ "token": access_token }))
        .json();
    emulator.post_json("/auth/token?fault=503=1*1&code=in-the-query", &json!({}));
    secrets.extend([code, access_token, "in-the-query".to_owned()]);
    for field in ["access_token", "id_token"] {
        secrets.push(token[field].as_str().unwrap().to_owned());
        secrets.push(reissued[field].as_str().unwrap().to_owned());
    }

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 6, "{log}");
    assert!(
        lines[0].contains(" http POST /v1/oauth2/v2.0/") && lines[0].contains(" 200 "),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("sub=\"svc-account-7\""), "{}", lines[0]);
    assert!(
        lines[1].contains(" 401 ") && lines[1].contains("sub=\"svc-account-7\""),
        "{}",
        lines[1]
    );
    assert!(
        lines[5].contains("/auth/token?fault=503=1*1&code=<redacted> 503 ")
            && lines[5].ends_with("fault=503=1*1"),
        "{}",
        lines[5]
    );
    assert!(lines.iter().all(|line| line.contains("ms")), "{log}");
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds a secret: {secret}\n{log}"
        );
    }
    assert_eq!(
        emulator.stderr_text(),
        log,
        "stderr and the log file hold the same lines"
    );
}
