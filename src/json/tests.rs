use super::*;

/// The JSON text of one string (quoted and escaped).
fn quoted(s: &str) -> String {
    let mut out = String::new();
    write_str(&mut out, s);
    out
}

#[test]
fn strings_are_escaped_per_rfc_8259() {
    let table: &[(&str, &str, &str)] = &[
        ("plain", "abc", r#""abc""#),
        ("empty", "", r#""""#),
        ("quote", "a\"b", r#""a\"b""#),
        ("backslash", "C:\\dir", r#""C:\\dir""#),
        ("slash is left alone", "a/b", r#""a/b""#),
        ("newline", "a\nb", r#""a\nb""#),
        ("carriage return", "\r", r#""\r""#),
        ("tab", "\t", r#""\t""#),
        ("backspace", "\u{8}", r#""\b""#),
        ("form feed", "\u{c}", r#""\f""#),
        ("NUL", "\0", r#""\u0000""#),
        ("0x01", "\u{1}", r#""\u0001""#),
        ("escape 0x1b", "\u{1b}[K", r#""\u001b[K""#),
        ("0x1f, the last control", "\u{1f}", r#""\u001f""#),
        ("0x20 is printable", " ", r#"" ""#),
        ("DEL is not a JSON control", "\u{7f}", "\"\u{7f}\""),
        ("non-ASCII stays UTF-8", "café ☃", "\"café ☃\""),
        ("astral plane", "\u{1F600}", "\"\u{1F600}\""),
    ];
    for (name, input, want) in table {
        assert_eq!(quoted(input), *want, "{name}");
        // An independent parser reads back exactly the input.
        let back: String = serde_json::from_str(&quoted(input)).unwrap();
        assert_eq!(back, *input, "{name}: round trip");
    }
}

/// Every one of the 32 control characters, as bytes: `\u00XX` with
/// lowercase hex, except the five with a short form.
#[test]
fn every_control_character_as_hex() {
    for b in 0u8..0x20 {
        let got = quoted(&char::from(b).to_string());
        let want = match b {
            0x08 => "\"\\b\"".to_string(),
            0x09 => "\"\\t\"".to_string(),
            0x0a => "\"\\n\"".to_string(),
            0x0c => "\"\\f\"".to_string(),
            0x0d => "\"\\r\"".to_string(),
            _ => format!("\"\\u{b:04x}\""),
        };
        assert_eq!(got, want, "byte {b:#04x}");
        // Bytes on the wire: quote, backslash, then only printable ASCII.
        let bytes = got.as_bytes();
        assert_eq!((bytes[0], bytes[1]), (b'"', b'\\'));
        assert!(bytes.iter().all(|c| (0x20..0x7f).contains(c)), "{got}");
    }
}

#[test]
fn numbers() {
    let table: &[(f64, &str)] = &[
        (0.0, "0"),
        (3.0, "3"),
        (0.5, "0.5"),
        (-1.25, "-1.25"),
        (-0.0, "-0"),
        (1e21, "1000000000000000000000"),
        (f64::NAN, "null"),
        (f64::INFINITY, "null"),
        (f64::NEG_INFINITY, "null"),
    ];
    for (v, want) in table {
        let mut out = String::new();
        write_f64(&mut out, *v);
        assert_eq!(out, *want, "{v}");
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.is_null(), !v.is_finite(), "{v}");
    }
}

#[test]
fn seconds_have_three_decimals() {
    let table = [
        (Duration::ZERO, "0.000"),
        (Duration::from_millis(5), "0.005"),
        (Duration::from_micros(1_999), "0.001"),
        (Duration::from_millis(1_250), "1.250"),
        (Duration::from_secs(86_400), "86400.000"),
    ];
    for (d, want) in table {
        let mut out = String::new();
        write_seconds(&mut out, d);
        assert_eq!(out, want, "{d:?}");
    }
}

#[test]
fn objects() {
    let table: Vec<(&str, Object, &str)> = vec![
        ("empty", Object::new(), "{}"),
        ("one field", Object::new().uint("v", 1), r#"{"v":1}"#),
        (
            "every kind",
            Object::new()
                .str("s", "x")
                .uint("u", u64::MAX)
                .float("f", 2.5)
                .bool("yes", true)
                .bool("no", false)
                .null("n")
                .opt_str("some", Some("y"))
                .opt_str("none", None)
                .opt_uint("count", Some(7))
                .opt_uint("missing", None)
                .seconds("t", Duration::from_millis(1_001)),
            r#"{"s":"x","u":18446744073709551615,"f":2.5,"yes":true,"no":false,"n":null,"some":"y","none":null,"count":7,"missing":null,"t":1.001}"#,
        ),
        (
            "array of objects",
            Object::new().objects(
                "files",
                [
                    Object::new().str("path", "a").uint("size", 1),
                    Object::new().str("path", "b").uint("size", 2),
                ],
            ),
            r#"{"files":[{"path":"a","size":1},{"path":"b","size":2}]}"#,
        ),
        (
            "empty array",
            Object::new().objects("files", []),
            r#"{"files":[]}"#,
        ),
        (
            "array of strings",
            Object::new().strs("from", ["127.0.0.1:1", "a\"b"]),
            r#"{"from":["127.0.0.1:1","a\"b"]}"#,
        ),
        (
            "empty array of strings",
            Object::new().strs("from", []),
            r#"{"from":[]}"#,
        ),
        (
            "keys are escaped too",
            Object::new().uint("a\"b", 0),
            r#"{"a\"b":0}"#,
        ),
    ];
    for (name, obj, want) in table {
        let got = obj.finish();
        assert_eq!(got, want, "{name}");
        let parsed: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert!(parsed.is_object(), "{name}");
        assert!(!got.contains('\n'), "{name}");
    }
}
