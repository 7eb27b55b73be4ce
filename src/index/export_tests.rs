use super::*;

/// A one-segment index of `bodies` (one report each) and its text fields' readers.
fn index_of(bodies: &[&str]) -> (Index, Vec<FieldReaders>) {
    let s = schema();
    let index = Index::create_in_ram(s.schema.clone());
    register(&index);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
        .unwrap();
    for (i, b) in bodies.iter().enumerate() {
        writer
            .add_document(doc!(s.text[0] => format!("标题{i}"), s.text[6] => *b))
            .unwrap();
    }
    writer.commit().unwrap();
    let reader = open_reader(&index).unwrap();
    let seg = reader.searcher().segment_reader(0).clone();
    let fields = s
        .text
        .iter()
        .map(|f| {
            (
                seg.inverted_index(*f).unwrap(),
                seg.get_fieldnorms_reader(*f).unwrap(),
            )
        })
        .collect();
    (index, fields)
}

/// Every (first term, shard entries) exported for `[lo, hi)`.
fn shards(fields: &[FieldReaders], lo: Option<&[u8]>, hi: Option<&[u8]>) -> Vec<Value> {
    export_range(fields, lo, hi, |_, first, json| {
        let entries: Value = serde_json::from_str(json).unwrap();
        assert_eq!(entries[0][0], first.as_str(), "first term names the shard");
        Ok(entries)
    })
    .unwrap()
    .into_iter()
    .flat_map(|s| s.as_array().unwrap().clone())
    .collect()
}

#[test]
fn ranges_partition_the_terms_exactly() {
    let bodies: Vec<String> = (0..60)
        .map(|i| format!("职工议事会第{i}次会议，工会主席和 worker{i} 讨论小板凳。"))
        .collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let (_index, fields) = index_of(&refs);
    let whole = shards(&fields, None, None);
    let terms: Vec<&str> = whole.iter().map(|e| e[0].as_str().unwrap()).collect();
    assert!(terms.len() > 100, "{}", terms.len());
    assert!(terms.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    // A term in two fields is one entry with both: 标 is in titles (0) and not in bodies.
    let gong = whole.iter().find(|e| e[0] == "工会").unwrap();
    assert_eq!(gong[1], 6, "工会 only in bodies: {gong}");
    // Cut at two terms: the three ranges together are the whole, entry for entry.
    let a = terms[terms.len() / 3].as_bytes();
    let b = terms[2 * terms.len() / 3].as_bytes();
    let mut parts = shards(&fields, None, Some(a));
    assert_eq!(parts.last().unwrap()[0], terms[terms.len() / 3 - 1]);
    parts.extend(shards(&fields, Some(a), Some(b)));
    parts.extend(shards(&fields, Some(b), None));
    assert_eq!(parts, whole);
}

#[test]
fn postings_hold_doc_deltas_norms_freqs_and_positions() {
    let (_index, fields) = index_of(&["板凳 板凳", "没有", "板凳"]);
    let entries = shards(&fields, None, None);
    let e = entries.iter().find(|e| e[0] == "板凳").unwrap();
    // field 6 (body); doc 0: delta 0, norm id, tf 2, positions 0 and +1 (unigrams share
    // positions with bigrams); doc 2: delta 2, norm, tf 1, position 0.
    assert_eq!(e[1], 6);
    let p: Vec<u64> = e[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(p[0], 0);
    assert_eq!(p[2], 2);
    assert_eq!(p[5], 2);
    assert_eq!(p[7], 1);
}
