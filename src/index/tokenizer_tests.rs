use super::*;

/// The shared table: the browser client is tested against the same file, so they cannot drift.
#[test]
fn shared_tokenizer_table() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tokenizer.json"
    ))
    .unwrap();
    let table: serde_json::Value = serde_json::from_str(&text).unwrap();
    for case in table["cases"].as_array().unwrap() {
        let input = case["text"].as_str().unwrap();
        let got: Vec<(String, usize)> = tokenize(input)
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect();
        let want: Vec<(String, usize)> = case["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(got, want, "tokens of {input:?}");
        // What tantivy indexes is the same, through the stream that reuses one token.
        let mut tokenizer = CasebookTokenizer;
        let mut stream = tokenizer.token_stream(input);
        let mut streamed = Vec::new();
        while stream.advance() {
            streamed.push((stream.token().text.clone(), stream.token().position));
        }
        assert_eq!(streamed, want, "token stream of {input:?}");
        let got_q = query_word(input);
        assert_eq!(
            got_q.open,
            case["open"].as_bool().unwrap(),
            "open of {input:?}"
        );
        let got_q = got_q.terms;
        let want_q: Vec<(usize, String)> = case["query"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_u64().unwrap() as usize,
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(got_q, want_q, "query terms of {input:?}");
    }
}

#[test]
fn folding_is_idempotent_and_keeps_simplified_text() {
    for (from, to) in crate::index::fold::table() {
        assert_ne!(from, to);
        assert_eq!(
            crate::index::fold::fold(to),
            to,
            "{from} -> {to} folds again"
        );
    }
    assert_eq!(
        normalize("工會 羣衆 裏 衞 志願服務"),
        "工会 群众 里 卫 志愿服务"
    );
    assert_eq!(normalize("工会志愿服务"), "工会志愿服务");
}
