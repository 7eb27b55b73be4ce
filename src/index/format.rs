//! The browser index format, version [`FORMAT`]: the serde types of every file under `search/`
//! that the client (`themes/default/static/search/search.js`) reads. The client refuses a
//! manifest whose `format` it does not know.
//!
//! Every file is a script, `__casebook_search("<path>", <JSON>);`, so that it loads through
//! `fetch` and through a `<script>` tag (pages opened from `file://`). Layout:
//!
//! - `manifest.js` ([`Manifest`]): statistics, the table of shard tables (one entry per
//!   [`SHARDS_PER_TABLE`] term shards), facet names, the fold table.
//! - `idx/s<K>.js` ([`ShardTable`]): the first terms of [`SHARDS_PER_TABLE`]
//!   consecutive term shards (a shard's file is [`shard_file`] of its first term). Two levels, so that the part of the dictionary's table a query
//!   reads stays small as the vocabulary grows: one table per shard of a term looked up.
//! - `idx/t<stem>.js` ([`TermShard`]): a contiguous range of the sorted term dictionary,
//!   and the terms each prefix stands for where it has too many to take them all.
//!   A term's postings sit in its entry, or, when large, in blocks `idx/p<name>.js`
//!   ([`PostingBlock`]) by document range, so a query loads only the blocks of the documents it
//!   can match; such a term also carries its best documents as a one-word query ranks them.
//! - Blocks are named by their content (`<name>`: 16 hex digits of a hash of their JSON), term
//!   shards by their first term: an edit rewrites only the files whose content it changed.
//! - `idx/f<K>.js` ([`FacetChunk`]): facet values of documents `K * facet_chunk ..`, as
//!   one document list per value; loaded only to filter or count.
//! - `d/<doc>.js` ([`DocView`]): what a result shows. Every file but a block is named by number
//!   or first term, not by content, so the client asks for them with `?v=<version>`: a cached
//!   copy never outlives the index it belongs to.
//! - `fold-<hash>.js` ([`FoldTable`]): traditional -> simplified characters, loaded only for a
//!   query that has a character listed in [`Fold::chars`].
//!
//! A posting list is a sequence of numbers, per document: document delta (from the previous
//! document of the list; the first is absolute), field-norm id, term frequency, then that many
//! position deltas. It is written packed ([`packed`]): each number as an unsigned LEB128
//! varint, the bytes as one base64 string. Compact on purpose: they are most of the bytes.
//! (Format 7 wrote them as JSON number arrays: at 100x the digest 131 MB of index files, 88 MB
//! packed, with a third fewer term shards, as shards are cut by size; gzipped, about the same.)

use serde::Serialize;

/// Version of the format; bump it on any change the client must know about (it is also part of
/// the index's version, `Manifest::version`).
pub const FORMAT: u32 = 8;

/// `search/manifest.js`.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    /// [`FORMAT`].
    pub format: u32,
    /// Number of documents (reports); document numbers are `0..docs` in the site's order.
    pub docs: u32,
    /// The index folder, `idx`.
    pub dir: &'a str,
    /// A hash of everything indexed: the `?v=` of the files named by number.
    pub version: &'a str,
    /// The text fields in index order.
    pub fields: Vec<FieldStat<'a>>,
    /// tantivy's field-norm id -> field length table, for BM25's length normalisation.
    pub norms: Vec<u32>,
    /// The shard tables in term order: term shards `K * SHARDS_PER_TABLE ..` are in table `K`.
    pub tables: Vec<ShardRef>,
    /// Facet names and chunking.
    pub facets: Facets,
    /// Script folding.
    pub fold: Fold,
}

/// One text field's name, boost and token total (BM25's average field length).
#[derive(Debug, Serialize)]
pub struct FieldStat<'a> {
    /// Field name.
    pub name: &'a str,
    /// Multiplier of its scores.
    pub boost: f32,
    /// Tokens in this field over all documents.
    pub tokens: u64,
}

/// Term shards per [`ShardTable`].
pub const SHARDS_PER_TABLE: usize = 64;

/// A shard table (`idx/s<file>.js`) in the manifest: the first term of its first shard, and its
/// number.
#[derive(Debug, Clone, Serialize)]
pub struct ShardRef {
    /// The smallest term in the table's first shard.
    pub first: String,
    /// File name stem: the table's number.
    pub file: String,
}

/// `idx/s<K>.js`: consecutive term shards, each by its first term (its file is
/// [`shard_file`] of it).
#[derive(Debug, Serialize)]
pub struct ShardTable<'a> {
    /// The shards in term order.
    pub shards: Vec<TermShardRef<'a>>,
}

/// A term shard in its table.
#[derive(Debug, Serialize)]
pub struct TermShardRef<'a> {
    /// The smallest term in the shard.
    pub first: &'a str,
}

/// The file name stem of the term shard whose first term is `first`: FNV-1a (64 bits) of its
/// UTF-8, in 16 hex digits (`idx/t<stem>.js`). The client computes the same (`shardFile` in
/// `search.js`), so a table holds first terms only: names of 16 random digits cost a query
/// 0.75 KB more per table it reads. A shard keeps its name while its first term stays; an
/// edit changes the shards whose terms it changed (the rest are not written again), and the
/// client asks for them with `?v=<version>`.
pub fn shard_file(first: &str) -> String {
    format!("{:016x}", crate::fingerprint::fnv1a_64(first.as_bytes()))
}

/// Facet values (indexes into these lists are what the chunks hold) and chunk size.
#[derive(Debug, Serialize)]
pub struct Facets {
    /// City names.
    pub city: Vec<String>,
    /// Section names.
    pub section: Vec<String>,
    /// Tactic names.
    pub tactics: Vec<String>,
    /// Documents per facet chunk file.
    pub chunk: u32,
}

/// What the client needs to fold a query.
#[derive(Debug, Serialize)]
pub struct Fold {
    /// The table's file, `fold-<hash>.js` beside the manifest.
    pub file: String,
    /// First code point of [`Fold::chars`].
    pub from: u32,
    /// Base64 bitmap of the characters that fold, bit `c - from` (least significant bit first):
    /// a query loads the table only when it has one of them.
    pub chars: String,
}

/// `fold-<hash>.js`.
#[derive(Debug, Serialize)]
pub struct FoldTable {
    /// Every pair, sorted by the traditional character, as one string: the traditional code
    /// point as a base-36 delta from the previous pair's, then the simplified character.
    pub pairs: String,
}

/// `idx/t<name>.js`.
#[derive(Debug, Serialize)]
pub struct TermShard<'a> {
    /// Entries in term order.
    pub terms: Vec<TermEntry>,
    /// The prefixes that sort from this shard's first term to the next shard's and that more
    /// than [`MAX_EXPANSIONS`](super::prefix::MAX_EXPANSIONS) terms extend, each with the terms
    /// it stands for; a prefix not listed stands for every term that extends it. Absent when
    /// empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<PrefixList<'a>>,
}

/// What a prefix stands for when a query's last word is typed that far
/// ([`super::prefix::choose`]).
#[derive(Debug, Serialize)]
pub struct PrefixList<'a> {
    /// The prefix (normalised text, a Latin or digit word).
    pub prefix: &'a str,
    /// The terms it stands for, in term order.
    pub terms: &'a [String],
}

/// One term, with its postings in every field it occurs in.
#[derive(Debug, Serialize)]
pub struct TermEntry {
    /// The term (normalised text).
    pub term: String,
    /// Per field, in field order.
    pub fields: Vec<FieldPostings>,
    /// Documents that contain the term in any field.
    pub matches: u32,
    /// For a term with blocks: its best documents as a query of this term alone ranks them
    /// (tantivy's scores, best first, ties by document), so such a query needs no postings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<TopDoc>,
}

/// A document and its score.
#[derive(Debug, Serialize)]
pub struct TopDoc {
    /// Document number.
    pub doc: u32,
    /// Score.
    pub score: f32,
}

/// A term's postings in one field: inline, or in blocks.
#[derive(Debug, Serialize)]
pub struct FieldPostings {
    /// Field index.
    pub field: u8,
    /// Documents with the term in this field (BM25's document frequency).
    pub docs: u32,
    /// The posting list (format in the module docs), empty when in blocks.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "packed")]
    pub postings: Vec<u32>,
    /// The posting list in document ranges, in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<BlockRef>,
}

/// Where a block of postings is and which documents it covers.
#[derive(Debug, Serialize)]
pub struct BlockRef {
    /// File name stem (`idx/p<file>.js`).
    pub file: String,
    /// First document in the block.
    pub first: u32,
    /// Last document in the block.
    pub last: u32,
}

/// `idx/p<name>.js`: part of one term's posting list in one field.
#[derive(Debug, Serialize)]
pub struct PostingBlock<'a> {
    /// The posting list of the block's documents (the first delta is the document number).
    #[serde(serialize_with = "packed")]
    pub postings: &'a [u32],
}

/// Serializes numbers packed: unsigned LEB128 varints (seven bits a byte, least significant
/// first, the high bit set on every byte but a number's last), encoded as standard base64 with
/// padding, which the browser's `atob` reads (`unpack` in `search-rank.js`).
pub fn packed<S: serde::Serializer>(numbers: &[u32], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(numbers.len() * 2);
    for &n in numbers {
        let mut n = n;
        while n >= 0x80 {
            bytes.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        bytes.push(n as u8);
    }
    // Base64 needs no escapes: written as a raw JSON string, not scanned for them (the scan was
    // 1.4% of a 10x build's instructions).
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4 + 2);
    text.push('"');
    base64::engine::general_purpose::STANDARD.encode_string(&bytes, &mut text);
    text.push('"');
    serde_json::value::RawValue::from_string(text)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

/// The numbers of a [`packed`] string; `None` if it is not one.
pub fn unpacked(text: &str) -> Option<Vec<u32>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let mut out = Vec::new();
    let (mut n, mut shift) = (0u32, 0u32);
    for b in bytes {
        n |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            out.push(n);
            (n, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

/// `idx/f<K>.js`: facet values of the chunk's documents, as one document list per value,
/// run-length coded by [`runs`] relative to the chunk's first document.
#[derive(Debug, Serialize)]
pub struct FacetChunk {
    /// Per city (in [`Facets::city`] order), its documents in the chunk.
    pub city: Vec<Vec<u32>>,
    /// Per section.
    pub section: Vec<Vec<u32>>,
    /// Per tactic.
    pub tactics: Vec<Vec<u32>>,
}

/// `d/<doc>.js`: what a result shows.
#[derive(Debug, Serialize)]
pub struct DocView<'a> {
    /// Report slug.
    pub slug: &'a str,
    /// Title.
    pub title: &'a str,
    /// URL relative to the site root.
    pub url: String,
    /// Town.
    pub town: &'a str,
    /// County.
    pub county: Option<&'a str>,
    /// City.
    pub city: &'a str,
    /// Section.
    pub section: Option<&'a str>,
    /// Summary.
    pub summary: Option<&'a str>,
    /// Body text (blocks separated by a blank line, see `Body::text`), for snippets.
    pub body: &'a str,
    /// The report's first photo, its narrowest variant, relative to the site root; absent
    /// when it has none. An added field that a client may ignore: the format stays the same,
    /// and indexes of sites without photos stay byte for byte what they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb: Option<&'a str>,
}

/// Wraps JSON as a script that hands it to the client: works with `fetch` and with `<script>`.
pub fn script(path: &str, json: &str) -> Vec<u8> {
    // `<` only occurs inside JSON strings; escaping it keeps `</script>` in content from ever
    // closing a script element, should the data be inlined.
    let json = if json.contains('<') {
        std::borrow::Cow::Owned(json.replace('<', "\\u003c"))
    } else {
        std::borrow::Cow::Borrowed(json)
    };
    format!(
        "__casebook_search({},{json});\n",
        serde_json::to_string(path).unwrap_or_default()
    )
    .into_bytes()
}

/// Facet document lists are run-length coded: pairs of (gap from the end of the previous run,
/// run length), relative to the chunk's first document. Runs are long where documents of one
/// value sit together (a city's reports do).
pub fn runs(docs: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut next = 0;
    let mut i = 0;
    while i < docs.len() {
        let start = docs[i];
        let mut j = i + 1;
        while j < docs.len() && docs[j] == docs[j - 1] + 1 {
            j += 1;
        }
        out.push(start - next);
        out.push((j - i) as u32);
        next = docs[j - 1] + 1;
        i = j;
    }
    out
}
