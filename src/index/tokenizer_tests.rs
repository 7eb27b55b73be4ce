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

/// Normalisation as the whole text's NFKC, then lower case and folding: what [`normalize`]
/// must equal however it cuts the text.
fn normalize_whole(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc()
        .flat_map(char::to_lowercase)
        .map(crate::index::fold::fold)
        .collect()
}

#[test]
fn normalising_piece_by_piece_equals_normalising_the_whole_text() {
    // Characters that stand alone beside ones that compose with their neighbours: combining
    // accents and kana voicing marks after letters, full-width letters and kana; Hangul jamo
    // and Oriya vowel signs, starters that compose with the starter before them; ligatures,
    // compatibility ideographs, an ellipsis, an ideographic space, İ (two characters lower).
    let alphabet: Vec<char> =
        "aZé9 ,.\n工會羣衆裏Ａｚ０，。！（）\u{301}\u{308}\u{323}\u{3099}\u{309A}かカｶ\
        \u{1100}\u{1161}\u{11A8}가ଇ\u{B47}\u{B3E}ﬁ²\u{F900}\u{2F00}…\u{3000}İΣ\u{212B}Å\u{2029}"
            .chars()
            .collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        assert_eq!(normalize(&text), normalize_whole(&text), "{text:?}");
    }
    let report = "浙江省  工會，第１期：“三墩镇”ＡＢＣ２０２４年\u{301}e\u{301}ｶ\u{3099}";
    assert_eq!(normalize(report), normalize_whole(report));
}

#[test]
fn every_folding_character_is_in_the_folding_table_range() {
    for (from, to) in crate::index::fold::table() {
        assert!(
            (0x3400..=0x9FFF).contains(&(from as u32)),
            "{from} is outside the dense table"
        );
        assert_eq!(crate::index::fold::fold(from), to);
    }
}
