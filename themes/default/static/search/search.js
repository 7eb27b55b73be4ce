// casebook search client: one dependency-free ES module (a classic-script copy,
// search-classic.js, is generated at build time for pages opened from file://).
//
// It reads the static index that `casebook build` exports from its tantivy index and ranks with
// tantivy's BM25 (same statistics, same f32 arithmetic), so results and order match
// `casebook search`. The tokenizer mirrors src/index/tokenizer.rs; both are tested against
// tests/fixtures/tokenizer.json.
//
//   const s = createSearch({ load: (path) => Promise<string> });   // load is optional
//   const { total, results, facets } = await s.search("小板凳", { limit: 10, filters: { city: ["宁波市"] } });

const f = Math.fround;
const K1 = f(1.2);
const B = 0.75;
const K1_PLUS_1 = f(1 + K1);

let BASE = "";
function __setBase(url) {
  BASE = url || "";
}

// ---------------------------------------------------------------- tokenizer

function isCJK(cp) {
  return (
    (cp >= 0x3040 && cp <= 0x30ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x20000 && cp <= 0x2fa1f)
  );
}

const WORD = /[\p{Alphabetic}\p{N}]/u;

/** NFKC, then lower case (as Rust's char::to_lowercase). */
function normalize(text) {
  return String(text).normalize("NFKC").toLowerCase();
}

/** All tokens of `text`: [{ text, position, kind: "uni" | "bi" | "word" }]. */
function tokenize(text) {
  const chars = Array.from(normalize(text));
  const out = [];
  let pos = 0;
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (isCJK(c.codePointAt(0))) {
      const start = i;
      while (i < chars.length && isCJK(chars[i].codePointAt(0))) i++;
      for (let k = start; k < i; k++) {
        if (k + 1 < i) out.push({ text: chars[k] + chars[k + 1], position: pos, kind: "bi" });
        out.push({ text: chars[k], position: pos, kind: "uni" });
        pos++;
      }
    } else if (WORD.test(c)) {
      const start = i;
      while (i < chars.length && WORD.test(chars[i]) && !isCJK(chars[i].codePointAt(0))) i++;
      out.push({ text: chars.slice(start, i).join(""), position: pos, kind: "word" });
      pos++;
    } else {
      i++;
    }
  }
  return out;
}

/** The tokens a query word must match: [[offset, text]]. */
function queryTerms(word) {
  const toks = tokenize(word);
  const covered = new Set();
  for (const t of toks) {
    if (t.kind === "bi") {
      covered.add(t.position);
      covered.add(t.position + 1);
    }
  }
  const out = toks.filter((t) => t.kind !== "uni" || !covered.has(t.position)).map((t) => [t.position, t.text]);
  const base = out.length ? out[0][0] : 0;
  return out.map(([p, t]) => [p - base, t]);
}

function queryWords(query) {
  return String(query)
    .split(/[\s"“”「」]+/u)
    .map(queryTerms)
    .filter((w) => w.length > 0);
}

/** Compares strings by code point (the order of the Rust term dictionary). */
function cmpCodePoints(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

// ---------------------------------------------------------------- loading

const PREFIX = "__casebook_search(";
const pending = new Map();

if (typeof globalThis !== "undefined" && typeof globalThis.__casebook_search !== "function") {
  // Index files are scripts calling this; from file:// they arrive through <script> tags.
  globalThis.__casebook_search = function (path, data) {
    const waiter = pending.get(path);
    if (waiter) {
      pending.delete(path);
      waiter.resolve(data);
    }
  };
}

function parseIndexFile(path, text) {
  const prefix = PREFIX + JSON.stringify(path) + ",";
  const end = text.lastIndexOf(");");
  if (!text.startsWith(prefix) || end < prefix.length) {
    throw new Error("casebook search: " + path + " is not a casebook index file");
  }
  return JSON.parse(text.slice(prefix.length, end));
}

function scriptLoad(base, path) {
  return new Promise((resolve, reject) => {
    pending.set(path, { resolve, reject });
    const s = document.createElement("script");
    s.src = new URL(path, base).href;
    s.async = true;
    s.onerror = () => {
      pending.delete(path);
      reject(new Error("casebook search: cannot load " + path));
    };
    s.onload = () => s.remove();
    document.head.appendChild(s);
  });
}

function makeLoader(options) {
  const base = options.base || BASE;
  if (typeof options.load === "function") {
    return (path) => Promise.resolve(options.load(path)).then((text) => parseIndexFile(path, String(text)));
  }
  const fromDisk = typeof location !== "undefined" && location.protocol === "file:" && typeof document !== "undefined";
  if (fromDisk) return (path) => scriptLoad(base, path);
  return (path) =>
    fetch(new URL(path, base)).then((r) => {
      if (!r.ok) throw new Error("casebook search: " + path + ": HTTP " + r.status);
      return r.text().then((text) => parseIndexFile(path, text));
    });
}

// ---------------------------------------------------------------- scoring

function idf(df, n) {
  const x = f(f(f(n - df) + 0.5) / f(f(df) + 0.5));
  return f(Math.log(f(1 + x)));
}

/**
 * Decodes a flat posting list (docDelta, fieldnormId, tf, delta-coded positions per document)
 * into typed arrays: docs ascending, and each document's positions at pos[start[i]..start[i+1]].
 */
function decode(flat) {
  let count = 0;
  let total = 0;
  for (let i = 0; i < flat.length; count++) {
    total += flat[i + 2];
    i += 3 + flat[i + 2];
  }
  const docs = new Int32Array(count);
  const norms = new Uint8Array(count);
  const tfs = new Int32Array(count);
  const start = new Int32Array(count + 1);
  const pos = new Int32Array(total);
  let doc = 0;
  let p = 0;
  for (let i = 0, k = 0; k < count; k++) {
    doc += flat[i];
    docs[k] = doc;
    norms[k] = flat[i + 1];
    const tf = flat[i + 2];
    tfs[k] = tf;
    start[k] = p;
    let at = 0;
    for (let j = 0; j < tf; j++) {
      at += flat[i + 3 + j];
      pos[p++] = at;
    }
    i += 3 + tf;
  }
  start[count] = p;
  return { size: count, docs, norms, tfs, start, pos };
}

/** Index of `doc` in a posting list at or after `from` (docs ascending), or -1. */
function seek(list, doc, from) {
  let lo = from;
  let hi = list.size - 1;
  // gallop, then binary search: cheap when the lists walk forward together
  let step = 1;
  while (lo + step <= hi && list.docs[lo + step] < doc) {
    lo += step;
    step *= 2;
  }
  hi = Math.min(hi, lo + step);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = list.docs[mid];
    if (d === doc) return mid;
    if (d < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1) - 1; // encodes where to resume: -(resume) - 2
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Text without separators, with each kept character's index in the original string. */
function squeeze(text) {
  const chars = [];
  const index = [];
  let i = 0;
  for (const ch of String(text)) {
    for (const n of Array.from(normalize(ch))) {
      if (isCJK(n.codePointAt(0)) || WORD.test(n)) {
        chars.push(n);
        index.push(i);
      }
    }
    i += ch.length;
  }
  return { s: chars.join(""), chars, index };
}

/** A snippet around the first match of any word, matches wrapped in <mark>, everything escaped. */
function snippet(text, words, width) {
  const src = String(text || "");
  const sq = squeeze(src);
  const needles = words.map((w) => squeeze(w).chars).filter((n) => n.length > 0);
  const ranges = [];
  for (const n of needles) {
    const needle = n.join("");
    let from = 0;
    for (;;) {
      const at = sq.s.indexOf(needle, from);
      if (at < 0) break;
      // at is a UTF-16 index into sq.s; map to character index in sq.chars
      const ci = Array.from(sq.s.slice(0, at)).length;
      const start = sq.index[ci];
      const last = sq.index[ci + n.length - 1];
      const end = last + (src.codePointAt(last) > 0xffff ? 2 : 1);
      ranges.push([start, end]);
      from = at + needle.length;
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r.slice());
  }
  let start = 0;
  if (merged.length) start = Math.max(0, merged[0][0] - Math.floor(width / 3));
  let end = Math.min(src.length, start + width);
  if (end - start < width) start = Math.max(0, end - width);
  let html = start > 0 ? "…" : "";
  let cur = start;
  for (const [a, b] of merged) {
    if (b <= start || a >= end) continue;
    const s = Math.max(a, start);
    const e = Math.min(b, end);
    html += escapeHtml(src.slice(cur, s)) + "<mark>" + escapeHtml(src.slice(s, e)) + "</mark>";
    cur = e;
  }
  html += escapeHtml(src.slice(cur, end)) + (end < src.length ? "…" : "");
  return { html, matched: merged.length > 0 };
}

// ---------------------------------------------------------------- the engine

function createSearch(options = {}) {
  const load = makeLoader(options);
  const cache = new Map();
  const get = (path) => {
    if (!cache.has(path)) {
      const p = load(path);
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return cache.get(path);
  };
  let manifestP = null;
  const manifest = () => (manifestP = manifestP || get("manifest.js").then(prepare));
  const shardTerms = new Map(); // shard index -> Map(term -> entry)

  function prepare(m) {
    const table = m.norms;
    m.caches = m.fields.map((fld) => {
      const avg = f(f(fld.tokens) / f(m.n));
      return table.map((fn) => f(K1 * f(f(1 - B) + f(f(B * f(fn)) / avg))));
    });
    return m;
  }

  function shardOf(m, term) {
    let lo = 0;
    let hi = m.shards.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cmpCodePoints(m.shards[mid], term) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  async function postingsFor(m, terms) {
    const need = new Set(terms.map((t) => shardOf(m, t)).filter((i) => i >= 0));
    await Promise.all(
      Array.from(need).map(async (i) => {
        if (shardTerms.has(i)) return;
        const entries = await get(m.dir + "/t" + m.files[i] + ".js");
        const map = new Map();
        for (const e of entries) map.set(e[0], e);
        shardTerms.set(i, map);
      }),
    );
    // term -> [Map(doc -> posting) per field] (decoded lazily, once)
    const out = new Map();
    for (const t of terms) {
      const shard = shardTerms.get(shardOf(m, t));
      const entry = shard && shard.get(t);
      const perField = new Array(m.fields.length).fill(null);
      if (entry) {
        if (!entry.decoded) {
          entry.decoded = new Array(m.fields.length).fill(null);
          for (let k = 1; k < entry.length; k += 2) entry.decoded[entry[k]] = decode(entry[k + 1]);
        }
        for (let fi = 0; fi < m.fields.length; fi++) perField[fi] = entry.decoded[fi];
      }
      out.set(t, perField);
    }
    return out;
  }

  /**
   * Scores one word in one field, as tantivy's TermQuery / PhraseQuery under a BoostQuery,
   * adding into `acc` (a Float32Array, so every sum rounds to f32 as tantivy's do) and
   * recording first-touched documents in `touched`.
   */
  function scoreField(m, word, fi, postings, acc, seen, touched) {
    const lists = word.map(([, t]) => postings.get(t)[fi]);
    for (const l of lists) if (!l || l.size === 0) return;
    let idfSum = f(0);
    for (const l of lists) idfSum = f(idfSum + idf(l.size, m.n));
    let weight = f(idfSum * K1_PLUS_1);
    const boost = f(m.fields[fi].boost);
    if (boost !== 1) weight = f(weight * boost);
    const cacheF = m.caches[fi];
    const add = (doc, tf, norm) => {
      const tff = f(tf);
      const s = f(weight * f(tff / f(tff + cacheF[norm])));
      if (!seen[doc]) {
        seen[doc] = 1;
        touched.push(doc);
        acc[doc] = s;
      } else acc[doc] = acc[doc] + s;
    };
    if (word.length === 1) {
      const l = lists[0];
      for (let k = 0; k < l.size; k++) add(l.docs[k], l.tfs[k], l.norms[k]);
      return;
    }
    // Phrase: walk the shortest list, seek the others forward, then count the positions p of
    // the first term at which every term k sits at p - offset0 + offsetK.
    let lead = 0;
    for (let k = 1; k < lists.length; k++) if (lists[k].size < lists[lead].size) lead = k;
    const cursor = new Int32Array(lists.length);
    const at = new Int32Array(lists.length);
    const ptr = new Int32Array(lists.length);
    outer: for (let x = 0; x < lists[lead].size; x++) {
      const doc = lists[lead].docs[x];
      for (let k = 0; k < lists.length; k++) {
        if (k === lead) {
          at[k] = x;
          continue;
        }
        const r = seek(lists[k], doc, cursor[k]);
        if (r < 0) {
          cursor[k] = -r - 2;
          continue outer;
        }
        at[k] = r;
        cursor[k] = r;
      }
      const l0 = lists[0];
      for (let k = 0; k < lists.length; k++) ptr[k] = lists[k].start[at[k]];
      let tf = 0;
      for (let i = l0.start[at[0]]; i < l0.start[at[0] + 1]; i++) {
        const base = l0.pos[i] - word[0][0];
        let ok = true;
        for (let k = 1; k < lists.length && ok; k++) {
          const want = base + word[k][0];
          const lk = lists[k];
          const end = lk.start[at[k] + 1];
          while (ptr[k] < end && lk.pos[ptr[k]] < want) ptr[k]++;
          ok = ptr[k] < end && lk.pos[ptr[k]] === want;
        }
        if (ok) tf++;
      }
      if (tf > 0) add(doc, tf, l0.norms[at[0]]);
    }
  }

  async function search(query, opts = {}) {
    const limit = opts.limit == null ? 10 : opts.limit;
    const filters = opts.filters || {};
    const m = await manifest();
    const words = queryWords(query);
    const facetsData = await get(m.dir + "/" + m.facets);
    const emptyFacets = () => ({ city: {}, tactics: {}, section: {} });
    if (words.length === 0 || m.n === 0) return { total: 0, results: [], facets: emptyFacets() };

    const terms = Array.from(new Set(words.flatMap((w) => w.map(([, t]) => t))));
    const postings = await postingsFor(m, terms);

    // Word by word: sum the fields in order (tantivy's should-clauses), then keep the documents
    // every word matched, summing word scores (its must-clauses).
    let scores = null;
    for (const word of words) {
      const acc = new Float32Array(m.n);
      const seen = new Uint8Array(m.n);
      const touched = [];
      for (let fi = 0; fi < m.fields.length; fi++) scoreField(m, word, fi, postings, acc, seen, touched);
      if (scores === null) {
        scores = new Map();
        for (const doc of touched) scores.set(doc, acc[doc]);
      } else {
        const next = new Map();
        for (const [doc, s] of scores) if (seen[doc]) next.set(doc, f(s + acc[doc]));
        scores = next;
      }
      if (scores.size === 0) break;
    }

    // Filters: OR inside a facet, AND across facets; facet counts are disjunctive (each facet
    // counts as if its own filter were off), as readers of faceted search expect.
    // Work on facet value indexes, not names: this loop runs once per matching document.
    const keys = ["city", "section", "tactics"];
    const names = { city: facetsData.city, section: facetsData.section, tactics: facetsData.tactics };
    const wanted = (k, list) => {
      const set = new Set();
      for (const v of list || []) {
        const i = names[k].indexOf(v);
        set.add(i); // an unknown value (-1) matches nothing, as a filter should
      }
      return set;
    };
    const want = [
      wanted("city", filters.city),
      wanted("section", filters.section),
      wanted("tactics", filters.tactics || filters.tactic),
    ];
    const counts = [new Int32Array(names.city.length), new Int32Array(names.section.length), new Int32Array(names.tactics.length)];
    const vals = [[], [], []];
    const ok = [true, true, true];
    const hits = [];
    for (const [doc, score] of scores) {
      const d = facetsData.d[doc];
      vals[0] = d[0] == null ? [] : [d[0]];
      vals[1] = d[1] == null ? [] : [d[1]];
      vals[2] = d[2];
      for (let k = 0; k < 3; k++) {
        ok[k] = want[k].size === 0 || vals[k].some((v) => want[k].has(v));
      }
      for (let k = 0; k < 3; k++) {
        // a facet counts as if its own filter were off
        let others = true;
        for (let j = 0; j < 3; j++) if (j !== k && !ok[j]) others = false;
        if (others) for (const v of vals[k]) counts[k][v]++;
      }
      if (ok[0] && ok[1] && ok[2]) hits.push([doc, score]);
    }
    const facets = emptyFacets();
    keys.forEach((k, ki) => {
      names[k].forEach((v, i) => {
        if (counts[ki][i] > 0) facets[k][v] = counts[ki][i];
      });
    });
    // Only the shown results need sorting in full: select them first.
    hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const top = hits.slice(0, limit);
    const docs = await Promise.all(top.map(([doc]) => get("d/" + doc + "-" + facetsData.h.substr(doc * 4, 4) + ".js")));
    const raw = String(query).split(/[\s"“”「」]+/u).filter(Boolean);
    const width = opts.snippetLength || 90;
    const results = top.map(([doc, score], i) => {
      const d = docs[i];
      let snip = snippet(d.b, raw, width);
      if (!snip.matched && d.m) {
        const s2 = snippet(d.m, raw, width);
        if (s2.matched) snip = s2;
      }
      return {
        slug: d.s,
        url: d.u,
        title: d.t,
        titleHtml: snippet(d.t, raw, 200).html,
        snippet: snip.html,
        score,
        town: d.w,
        county: d.k,
        city: d.c,
        section: d.x,
      };
    });
    return { total: hits.length, results, facets };
  }

  return { search, tokenize, queryTerms };
}

// @module-footer (the classic-script copy replaces everything from here)
__setBase(import.meta.url);
export { createSearch, tokenize, queryTerms, normalize };
