use std::sync::Mutex;

use serde_json::Value;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{doc, Index, TantivyDocument, Term};

use super::*;
use crate::index::{register, schema};

/// A one-segment tantivy index of `bodies` (one report each, with a title), casebook's
/// inverted index of the same documents, and its statistics.
fn index_of(bodies: &[&str]) -> (Index, Inverted, Stats) {
    let s = schema();
    let index = Index::create_in_ram(s.schema.clone());
    register(&index);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
        .unwrap();
    let mut inverter = crate::index::invert::Inverter::default();
    for (i, b) in bodies.iter().enumerate() {
        let title = format!("标题{i}");
        writer
            .add_document(doc!(s.text[0] => title.as_str(), s.text[6] => *b))
            .unwrap();
        let mut values = vec![Vec::new(); FIELDS.len()];
        values[0].push(title.as_str());
        values[6].push(*b);
        inverter.add(i as u32, &values);
    }
    writer.commit().unwrap();
    let mut inv = Inverted::new();
    inv.push(inverter.finish());
    let stats = Stats {
        docs: inv.docs(),
        avg: inv
            .tokens
            .iter()
            .map(|&n| n as f32 / inv.docs() as f32)
            .collect(),
    };
    (index, inv, stats)
}

/// Every entry exported for `[lo, hi)`, and the block files written, by name.
fn shards(
    inv: &Inverted,
    stats: &Stats,
    lo: Option<&str>,
    hi: Option<&str>,
) -> (Vec<Value>, Vec<(String, Value)>) {
    let (shards, blocks) = shard_files(inv, stats, lo, hi, &Default::default());
    let entries = shards
        .iter()
        .flat_map(|s| s["terms"].as_array().unwrap().clone())
        .collect();
    (entries, blocks)
}

/// The shards exported for `[lo, hi)` with these prefix lists, and the block files written.
fn shard_files(
    inv: &Inverted,
    stats: &Stats,
    lo: Option<&str>,
    hi: Option<&str>,
    prefixes: &std::collections::BTreeMap<String, Vec<String>>,
) -> (Vec<Value>, Vec<(String, Value)>) {
    let blocks = Mutex::new(Vec::new());
    let sink = |f: OutputFile| {
        let text = String::from_utf8(f.bytes).unwrap();
        let json = text
            .split_once(',')
            .unwrap()
            .1
            .trim_end()
            .trim_end_matches(");");
        blocks
            .lock()
            .unwrap()
            .push((f.path, serde_json::from_str(json).unwrap()));
        Ok(())
    };
    let mut range = Range {
        inv,
        stats,
        dir: "idx",
        sink: &sink,
        prefixes,
    };
    let shards: Vec<Value> = range
        .export(lo, hi, |_, first, json| {
            let shard: Value = serde_json::from_str(json).unwrap();
            assert_eq!(
                shard["terms"][0]["term"],
                first.as_str(),
                "first term names it"
            );
            Ok(shard)
        })
        .unwrap();
    (shards, blocks.into_inner().unwrap())
}

#[test]
fn ranges_partition_the_terms_exactly() {
    let bodies: Vec<String> = (0..60)
        .map(|i| format!("职工议事会第{i}次会议，工会主席和 worker{i} 讨论小板凳。"))
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let (_index, inv, stats) = index_of(&refs);
    let (whole, _) = shards(&inv, &stats, None, None);
    let terms: Vec<&str> = whole.iter().map(|e| e["term"].as_str().unwrap()).collect();
    assert!(terms.len() > 100, "{}", terms.len());
    assert!(terms.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    let gong = whole.iter().find(|e| e["term"] == "工会").unwrap();
    assert_eq!(gong["fields"][0]["field"], 6, "工会 only in bodies: {gong}");
    assert_eq!(gong["matches"], 60);
    let a = terms[terms.len() / 3];
    let b = terms[2 * terms.len() / 3];
    let (mut parts, _) = shards(&inv, &stats, None, Some(a));
    assert_eq!(parts.last().unwrap()["term"], terms[terms.len() / 3 - 1]);
    parts.extend(shards(&inv, &stats, Some(a), Some(b)).0);
    parts.extend(shards(&inv, &stats, Some(b), None).0);
    assert_eq!(parts, whole);
}

/// The numbers of a packed posting list.
fn numbers(packed: &Value) -> Vec<u64> {
    let text = packed.as_str().expect("postings are a packed string");
    super::super::format::unpacked(text)
        .expect("base64 of whole varints")
        .into_iter()
        .map(u64::from)
        .collect()
}

#[test]
fn packed_numbers_read_back_whole() {
    let values = [
        0,
        1,
        127,
        128,
        255,
        300,
        16_383,
        16_384,
        2_000_000,
        u32::MAX,
    ];
    let json =
        serde_json::to_value(super::super::format::PostingBlock { postings: &values }).unwrap();
    // 0, 1 and 127 take a byte each, 128 two (0x80 0x01), u32::MAX five.
    assert!(json["postings"].as_str().unwrap().starts_with("AAF/gAH/"));
    assert_eq!(numbers(&json["postings"]), values.map(u64::from));
    assert_eq!(
        super::super::format::unpacked("gA=="),
        None,
        "a varint cut short"
    );
}

#[test]
fn postings_hold_doc_deltas_norms_freqs_and_positions() {
    let (_index, inv, stats) = index_of(&["板凳 板凳", "没有", "板凳"]);
    let (entries, _) = shards(&inv, &stats, None, None);
    let e = entries.iter().find(|e| e["term"] == "板凳").unwrap();
    // body (6); doc 0: delta 0, norm id, tf 2, positions 0 and +1 (the space between the two
    // joins them: 凳板 is a bigram at 1); doc 2: delta 2, norm, tf 1, position 0.
    let f = &e["fields"][0];
    assert_eq!(f["field"], 6);
    assert_eq!(f["docs"], 2);
    let p = numbers(&f["postings"]);
    assert_eq!((p[0], p[2], p[3], p[4]), (0, 2, 0, 2), "{p:?}");
    assert_eq!((p[5], p[7], p[8]), (2, 1, 0), "{p:?}");
    assert!(
        e.get("top").is_none(),
        "small lists stay inline, without a top list"
    );
}

#[test]
fn a_character_entry_is_every_term_it_starts_and_ends() {
    // 凳 ends the run of doc 0 (a term of its own), starts 凳子 in doc 1 and both in doc 2; 板
    // is inside every run it is in, so it has no term of its own, only its entry.
    let (_index, inv, stats) = index_of(&["小板凳", "凳子", "凳子和板凳", "没有"]);
    let (entries, _) = shards(&inv, &stats, None, None);
    let terms: Vec<&str> = entries
        .iter()
        .map(|e| e["term"].as_str().unwrap())
        .collect();
    let mut sorted = terms.clone();
    sorted.sort_unstable();
    assert_eq!(terms, sorted, "entries in term order");
    assert_eq!(terms.iter().filter(|t| **t == "凳").count(), 1, "{terms:?}");
    let body = |term: &str| {
        let e = entries.iter().find(|e| e["term"] == term).unwrap();
        let f = &e["fields"][0];
        assert_eq!(f["field"], 6);
        (e["matches"].clone(), numbers(&f["postings"]))
    };
    // doc 0: tf 1 at 2; doc 1 (+1): tf 1 at 0; doc 2 (+1): tf 2 at 0 and 4 (+4). Norm ids sit
    // at [1], [5], [9].
    let (matches, p) = body("凳");
    assert_eq!(matches, 3);
    assert_eq!(
        (p[0], p[2], p[3], p[4], p[6], p[7], p[8], p[10], p[11], p[12]),
        (0, 1, 2, 1, 1, 0, 1, 2, 0, 4),
        "{p:?}"
    );
    let (matches, p) = body("板");
    assert_eq!(matches, 2);
    assert_eq!(
        (p[0], p[2], p[3], p[4], p[6], p[7]),
        (0, 1, 1, 2, 1, 3),
        "{p:?}"
    );
}

#[test]
fn a_cut_inside_a_characters_terms_moves_to_the_character() {
    // Enough distinct bigrams of a few characters that the dictionary is cut into ranges.
    let text: String = (0..40_000u32)
        .map(|i| {
            let a = char::from_u32(0x4E00 + i % 7).unwrap();
            let b = char::from_u32(0x5000 + (i * 7919) % 20_000).unwrap();
            format!("{a}{b}。")
        })
        .collect();
    let (_index, inv, _) = index_of(&[&text]);
    let cuts = cuts(&inv).unwrap();
    assert!(!cuts.is_empty());
    for cut in &cuts {
        assert_eq!(cut.chars().count(), 1, "{cut:?}");
    }
}

/// The documents of a large term's blocks, decoded, in order.
fn block_docs(blocks: &[(String, Value)], refs: &Value) -> Vec<u64> {
    let mut docs = Vec::new();
    for r in refs.as_array().unwrap() {
        let path = format!("search/idx/p{}.js", r["file"].as_str().unwrap());
        let (_, block) = blocks.iter().find(|(p, _)| *p == path).unwrap();
        let flat = numbers(&block["postings"]);
        let (mut i, mut doc) = (0, 0);
        let start = docs.len();
        while i < flat.len() {
            doc += flat[i];
            docs.push(doc);
            i += 3 + flat[i + 2] as usize;
        }
        assert_eq!(docs[start], r["first"].as_u64().unwrap());
        assert_eq!(*docs.last().unwrap(), r["last"].as_u64().unwrap());
    }
    docs
}

#[test]
fn large_postings_go_to_blocks_and_carry_tantivys_best_documents() {
    // 工会 in every document, more often in some: thousands of postings.
    let bodies: Vec<String> = (0..900)
        .map(|i| "工会".repeat(1 + i % 7) + &"的".repeat(i % 13))
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let (index, inv, stats) = index_of(&refs);
    let (entries, blocks) = shards(&inv, &stats, None, None);
    let e = entries.iter().find(|e| e["term"] == "工会").unwrap();
    let f = &e["fields"][0];
    assert!(f.get("postings").is_none());
    assert!(f["blocks"].as_array().unwrap().len() > 1, "{f}");
    assert_eq!(
        block_docs(&blocks, &f["blocks"]),
        (0..900).collect::<Vec<u64>>()
    );
    // The top list is what tantivy answers to the query 工会 (as `casebook search` builds it).
    assert_top_is_tantivys(&index, "工会", e);
}

/// `e`'s best documents are tantivy's answer to the one-word query `term` over every field
/// (as `casebook search` builds it): the same scores, in the order of score and document.
fn assert_top_is_tantivys(index: &Index, term: &str, e: &Value) {
    let s = schema();
    let shoulds: Vec<(Occur, Box<dyn Query>)> = s
        .text
        .iter()
        .zip(FIELDS)
        .map(|(field, (_, boost))| {
            let q = TermQuery::new(
                Term::from_field_text(*field, term),
                IndexRecordOption::WithFreqs,
            );
            let q: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(q), *boost));
            (Occur::Should, q)
        })
        .collect();
    let q = BooleanQuery::new(vec![(Occur::Must, Box::new(BooleanQuery::new(shoulds)))]);
    let searcher = index.reader().unwrap().searcher();
    let want: Vec<(u64, f64)> = searcher
        .search(&q, &TopDocs::with_limit(20).order_by_score())
        .unwrap()
        .into_iter()
        .map(|(score, a)| (u64::from(a.doc_id), f64::from(score)))
        .collect();
    let got: Vec<(u64, f64)> = e["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["doc"].as_u64().unwrap(), t["score"].as_f64().unwrap()))
        .collect();
    assert_eq!(got.len(), 20);
    for ((gd, gs), (wd, ws)) in got.iter().zip(&want) {
        assert!((gs - ws).abs() < 1e-5, "{got:?} {want:?}");
        let _ = (gd, wd);
    }
    let mut by_score = want.clone();
    by_score.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(
        got.iter().map(|x| x.0).collect::<Vec<_>>(),
        by_score.iter().map(|x| x.0).collect::<Vec<_>>()
    );
}

/// Each prefix list goes into the one shard where the prefix sorts (from its first term to the
/// next shard's; the first shard of all from the start), across the ranges that export in
/// parallel, so the client finds it in the shard it opens for the prefix.
#[test]
fn prefix_lists_go_into_the_shard_where_the_prefix_sorts() {
    // 300 numbers with long posting lists (many shards), and words that start alike
    let bodies: Vec<String> = (0..300)
        .map(|i| format!("{} 编号{} worker{} 职工议事会", 1000 + i * 7, i, i % 80).repeat(4))
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let (_index, inv, stats) = index_of(&refs);
    let prefixes = prefix::lists(&prefix::expandable_terms(
        inv.parts[0].fields.iter().flat_map(PartField::terms),
    ));
    for p in ["1", "2", "w", "worker"] {
        assert!(prefixes.contains_key(p), "{p}: {:?}", prefixes.keys());
    }
    let (whole, _) = shards(&inv, &stats, None, None);
    let terms: Vec<&str> = whole.iter().map(|e| e["term"].as_str().unwrap()).collect();
    let cut = terms.iter().position(|t| *t == "1504").unwrap();
    let a = terms[cut];
    let mut files = shard_files(&inv, &stats, None, Some(a), &prefixes).0;
    files.extend(shard_files(&inv, &stats, Some(a), None, &prefixes).0);
    assert!(files.len() > 10, "{} shards", files.len());
    let firsts: Vec<&str> = files
        .iter()
        .map(|f| f["terms"][0]["term"].as_str().unwrap())
        .collect();
    let mut found = 0;
    for (k, f) in files.iter().enumerate() {
        for p in f["prefixes"].as_array().into_iter().flatten() {
            let name = p["prefix"].as_str().unwrap();
            // where the client looks: the last shard whose first term is <= the prefix
            let want = firsts.iter().rposition(|first| *first <= name).unwrap_or(0);
            assert_eq!(k, want, "{name} in shard {k}, sorts in {want}");
            let listed: Vec<String> = serde_json::from_value(p["terms"].clone()).unwrap();
            assert_eq!(listed, prefixes[name], "{name}");
            found += 1;
        }
    }
    assert_eq!(found, prefixes.len(), "every list once");
}

#[test]
fn merged_lists_hold_each_document_once_with_its_values_added_in_list_order() {
    // Three fields' (document, score) lists, each in document order.
    let lists: Vec<Vec<(u32, f32)>> = vec![
        vec![(1, 0.5), (4, 1.0), (9, 2.0)],
        vec![(0, 0.25), (4, 0.1), (5, 3.0)],
        vec![(4, 0.2), (9, 0.125), (12, 1.5)],
    ];
    let got = merged(lists.iter().map(|l| l.iter().copied()), |s, v| *s += v);
    let docs: Vec<u32> = got.iter().map(|&(d, _)| d).collect();
    assert_eq!(docs, [0, 1, 4, 5, 9, 12]);
    // Document 4's score adds in list order, as the fields' scores are added to a document's.
    assert_eq!(got[2].1.to_bits(), ((1.0f32 + 0.1) + 0.2).to_bits());
    assert_eq!(got[4].1, 2.125);
    // Counting: the same documents whatever the values.
    let counted = merged(
        lists.iter().map(|l| l.iter().map(|&(d, _)| (d, ()))),
        |_, _| (),
    );
    assert_eq!(counted.len(), 6);
    // One list, or none.
    assert_eq!(
        merged(lists[..1].iter().map(|l| l.iter().copied()), |s, v| *s += v),
        lists[0]
    );
    assert!(merged(
        std::iter::empty::<std::vec::IntoIter<(u32, f32)>>(),
        |s, v| *s += v
    )
    .is_empty());
}

#[test]
fn a_term_in_several_fields_counts_each_document_once_and_sums_its_fields_scores() {
    // 标题 is in every title (标题0, 标题1, ...) and in every third body, twice.
    let bodies: Vec<String> = (0..900)
        .map(|i| match i % 3 {
            0 => "标题和标题".to_string(),
            _ => "正文".repeat(1 + i % 5),
        })
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let (index, inv, stats) = index_of(&refs);
    let (entries, _) = shards(&inv, &stats, None, None);
    let e = entries.iter().find(|e| e["term"] == "标题").unwrap();
    assert_eq!(e["fields"].as_array().unwrap().len(), 2, "{e}");
    assert_eq!(e["matches"], 900);
    // The best are the documents with it in both fields, their scores summed as tantivy sums.
    assert_top_is_tantivys(&index, "标题", e);
    assert!(e["top"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["doc"].as_u64().unwrap() % 3 == 0));
}
