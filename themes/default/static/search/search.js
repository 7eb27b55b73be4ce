// casebook search client: one dependency-free ES module (a classic-script copy,
// search-classic.js, is generated at build time for pages opened from file://).
//
// It reads the static index that `casebook build` exports from its tantivy index (format 8, see
// src/index/format.rs) and ranks with tantivy's BM25 (same statistics, same f32 arithmetic), so
// results and order match `casebook search`. The tokenizer mirrors src/index/tokenizer.rs; both
// are tested against tests/fixtures/tokenizer.json.
//
//   const s = createSearch({ load: (path) => Promise<string> });   // load is optional
//   const { total, results, facets, hint } = await s.search("小板凳", { limit: 10, facets: true });

const FORMAT = 8;
const MAX_EXPANSIONS = 50; // src/index/prefix.rs
const f = Math.fround;

let BASE = "";
function __setBase(url) {
  BASE = url || "";
}

// The tokenizer and snippets live in search-text.js (imported at the bottom of this module; the
// page loads it before search-classic.js).
const TEXT = globalThis.__casebookText;
const { isCJK, normalize, tokenize, queryWord, queryTerms, queryWords, cmpCodePoints, parseFold, snippet, SEPARATORS } = TEXT || {};
// BM25 and posting lists live in search-rank.js (imported at the bottom too; the classic copy
// carries it inside).
const { decode, overlaps, scoreField, normCaches } = globalThis.__casebookRank || {};

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

function scriptLoad(base, path, query) {
  return new Promise((resolve, reject) => {
    pending.set(path, { resolve, reject });
    const s = document.createElement("script");
    s.src = new URL(path, base).href + query;
    s.async = true;
    s.onerror = () => {
      pending.delete(path);
      reject(new Error("casebook search: cannot load " + path));
    };
    s.onload = () => s.remove();
    document.head.appendChild(s);
  });
}

const utf8 = new TextEncoder();

/** A term shard's file name stem: FNV-1a, 64 bits, of its first term's UTF-8, in 16 hex digits
 * (`shard_file` in src/index/format.rs). */
function shardFile(first) {
  let h = 0xcbf29ce484222325n;
  for (const b of utf8.encode(first)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

/** (path, version) -> data. A version is appended as `?v=` to files not named by their content. */
function makeLoader(options) {
  const base = options.base || BASE;
  if (typeof options.load === "function") {
    return (path, v) => Promise.resolve(options.load(path, v)).then((text) => parseIndexFile(path, String(text)));
  }
  const q = (v) => (v ? "?v=" + encodeURIComponent(v) : "");
  const fromDisk = typeof location !== "undefined" && location.protocol === "file:" && typeof document !== "undefined";
  if (fromDisk) return (path, v) => scriptLoad(base, path, q(v));
  return (path, v) =>
    fetch(new URL(path, base).href + q(v)).then((r) => {
      if (!r.ok) throw new Error("casebook search: " + path + ": HTTP " + r.status);
      return r.text().then((text) => parseIndexFile(path, text));
    });
}

// ---------------------------------------------------------------- the engine

function createSearch(options = {}) {
  const load = makeLoader(options);
  const cache = new Map();
  const get = (path, version) => {
    if (!cache.has(path)) {
      const p = load(path, version);
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return cache.get(path);
  };
  let manifestP = null;
  const manifest = () => (manifestP = manifestP || get("manifest.js").then(prepare));
  const tables = new Map(); // shard table index -> its shards ({ first, file }) in term order
  const shards = new Map(); // shard file -> { list: entries in order, map: term -> entry, prefixes }
  let foldP = null;

  function prepare(m) {
    if (m.format !== FORMAT) {
      const msg = `casebook search: the index has format ${m.format}, this client reads format ${FORMAT}; rebuild the site with the casebook that made this client`;
      if (typeof console !== "undefined") console.error(msg);
      throw new Error(msg);
    }
    m.caches = normCaches(m);
    const bin = atob(m.fold.chars);
    m.foldBits = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) m.foldBits[i] = bin.charCodeAt(i);
    return m;
  }

  /** The fold map when `query` has a character that folds (loading the table once), else null. */
  async function foldFor(m, query) {
    let needed = false;
    for (const c of String(query).normalize("NFKC")) {
      const i = c.codePointAt(0) - m.fold.from;
      if (i >= 0 && i < m.foldBits.length * 8 && m.foldBits[i >> 3] & (1 << (i & 7))) {
        needed = true;
        break;
      }
    }
    if (!needed) return null;
    foldP = foldP || get(m.fold.file).then((t) => parseFold(t.pairs));
    return foldP;
  }

  /** Index of the last of `refs` (sorted by `first`) whose first term is <= term, or -1. */
  function lastAtOrBefore(refs, term) {
    let lo = 0;
    let hi = refs.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cmpCodePoints(refs[mid].first, term) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  async function table(m, k) {
    if (!tables.has(k)) {
      const data = await get(m.dir + "/s" + m.tables[k].file + ".js", m.version);
      if (!tables.has(k)) tables.set(k, data.shards);
    }
    return tables.get(k);
  }

  /** The shard where `term` sorts, as [table, shard in it]; null when it sorts before all. */
  async function locate(m, term) {
    const k = lastAtOrBefore(m.tables, term);
    if (k < 0) return null;
    return [k, Math.max(0, lastAtOrBefore(await table(m, k), term))];
  }

  async function shard(m, k, i) {
    const file = shardFile((await table(m, k))[i].first);
    if (!shards.has(file)) {
      const data = await get(m.dir + "/t" + file + ".js", m.version);
      if (!shards.has(file)) {
        const prefixes = new Map((data.prefixes || []).map((p) => [p.prefix, p.terms]));
        shards.set(file, { list: data.terms, map: new Map(data.terms.map((e) => [e.term, e])), prefixes });
      }
    }
    return shards.get(file);
  }

  async function entries(m, terms) {
    const out = new Map();
    await Promise.all(
      terms.map(async (t) => {
        const at = await locate(m, t);
        if (at) out.set(t, (await shard(m, ...at)).map.get(t) || null);
      }),
    );
    return out;
  }

  /**
   * The terms `prefix` stands for (src/index/prefix.rs): the shard where it sorts lists them
   * when more than MAX_EXPANSIONS terms extend it; else every term after it that starts with it.
   */
  async function expand(m, prefix) {
    const out = [];
    let [k, i] = (await locate(m, prefix)) || [0, 0];
    const listed = (await shard(m, k, i)).prefixes.get(prefix);
    if (listed) return listed;
    while (k < m.tables.length && out.length < MAX_EXPANSIONS) {
      if (i >= (await table(m, k)).length) {
        k++;
        i = 0;
        continue;
      }
      const { list } = await shard(m, k, i++);
      for (const e of list) {
        if (cmpCodePoints(e.term, prefix) <= 0) continue;
        if (!e.term.startsWith(prefix)) return out;
        out.push(e.term);
        if (out.length === MAX_EXPANSIONS) return out;
      }
    }
    return out;
  }

  /**
   * The lists of `entry` per field, decoded: inline postings whole; blocks only where they may
   * hold a document of `within` (sorted candidate documents; null: all of them).
   */
  async function lists(m, entry, within) {
    const perField = new Array(m.fields.length).fill(null);
    if (!entry) return perField;
    entry.decoded = entry.decoded || new Map();
    await Promise.all(
      entry.fields.map(async (fp) => {
        if (!fp.blocks) {
          if (!entry.decoded.has(fp.field)) entry.decoded.set(fp.field, decode([fp.postings], fp.docs));
          perField[fp.field] = entry.decoded.get(fp.field);
          return;
        }
        const want = fp.blocks.filter((b) => !within || overlaps(within, b.first, b.last));
        const parts = await Promise.all(want.map((b) => get(m.dir + "/p" + b.file + ".js").then((x) => x.postings)));
        perField[fp.field] = decode(parts, fp.docs);
      }),
    );
    return perField;
  }

  /** A word's variants: its terms, then (open) with the last term replaced by each expansion. */
  function variants(word, expanded) {
    const out = [word.terms];
    if (word.open) {
      for (const e of expanded) out.push(word.terms.slice(0, -1).concat([[word.terms[word.terms.length - 1][0], e]]));
    }
    return out;
  }

  /**
   * Scores every word (each restricted to `within` when given): returns per word, in word
   * order, its scores, membership and, for the open word, which documents matched it exactly.
   * The open word goes last, restricted further to the documents that match every other word
   * and its own terms before the prefix: a prefix's terms can be common (`合工会的1` at 1000x),
   * and only their postings among those documents can count.
   */
  async function scoreWords(m, words, expanded, ents, within) {
    const out = new Array(words.length);
    const closed = words.map((w, i) => i).filter((i) => !words[i].open);
    for (const i of closed) out[i] = await scoreWord(m, words[i], [words[i].terms], ents, within);
    const oi = words.findIndex((w) => w.open);
    if (oi < 0) return out;
    const open = words[oi];
    let narrowed = within;
    if (expanded.length && (closed.length || open.terms.length > 1)) {
      const before = open.terms.length > 1 ? [await scoreWord(m, open, [open.terms.slice(0, -1)], ents, within)] : [];
      const all = closed.map((i) => out[i]).concat(before);
      const docs = [];
      for (const doc of all[0].touched) if (all.every((x) => x.seen[doc]) && (!within || overlaps(within, doc, doc))) docs.push(doc);
      narrowed = Int32Array.from(docs).sort();
    }
    out[oi] = await scoreWord(m, open, variants(open, expanded), ents, narrowed);
    return out;
  }

  /** One word's variants (the first is the word as typed), scored over `within`. */
  async function scoreWord(m, word, vs, ents, within) {
    const acc = new Float32Array(m.docs);
    const seen = new Uint8Array(m.docs);
    const exact = word.open ? new Uint8Array(m.docs) : null;
    const touched = [];
    const decoded = await Promise.all(vs.map((v) => Promise.all(v.map(([, t]) => lists(m, ents.get(t), within)))));
    vs.forEach((v, vi) => {
      for (let fi = 0; fi < m.fields.length; fi++) {
        scoreField(m, v, decoded[vi].map((perField) => perField[fi]), fi, acc, seen, touched, vi === 0 ? exact : null);
      }
    });
    return { word, acc, seen, exact, touched };
  }

  /**
   * Documents of the rarest term that every match must have (any term of a closed word; of an
   * open word, the terms before its prefix): every match lies among them.
   */
  async function candidates(m, words, ents) {
    let best = null;
    for (const w of words) {
      for (const [, t] of w.open ? w.terms.slice(0, -1) : w.terms) {
        const e = ents.get(t);
        if (!e) return new Int32Array(0);
        if (!best || e.matches < best.matches) best = e;
      }
    }
    if (!best || !Array.from(ents.values()).some((e) => e && e.fields.some((fp) => fp.blocks))) return null;
    const perField = await lists(m, best, null);
    const set = new Set();
    for (const l of perField) if (l) for (let k = 0; k < l.size; k++) set.add(l.docs[k]);
    return Int32Array.from(set).sort();
  }

  async function facetChunks(m, docs) {
    const ks = Array.from(new Set(docs.map((d) => Math.floor(d / m.facets.chunk))));
    const chunks = await Promise.all(ks.map((k) => get(m.dir + "/f" + k + ".js", m.version).then((c) => [k, c])));
    const per = new Map();
    for (const [k, c] of chunks) {
      // per document of the chunk: [city, section, [tactics]] value indexes
      const vals = new Map();
      const base = k * m.facets.chunk;
      ["city", "section", "tactics"].forEach((key, ki) => {
        c[key].forEach((runs, v) => {
          let d = base;
          for (let i = 0; i < runs.length; i += 2) {
            d += runs[i];
            for (let r = 0; r < runs[i + 1]; r++, d++) {
              if (!vals.has(d)) vals.set(d, [null, null, []]);
              if (ki === 2) vals.get(d)[2].push(v);
              else vals.get(d)[ki] = v;
            }
          }
        });
      });
      per.set(k, vals);
    }
    return (doc) => per.get(Math.floor(doc / m.facets.chunk)).get(doc) || [null, null, []];
  }

  /** `searchIn`, and once more from a fresh manifest when it failed because the index was
   * replaced under this page (rebuilt while the page was open: `casebook serve` does not give
   * the files of another version, a host may have removed them). */
  async function search(query, opts = {}) {
    try {
      return await searchIn(query, opts);
    } catch (e) {
      const old = manifestP && (await manifestP.catch(() => null));
      if (!old) throw e;
      manifestP = null;
      cache.clear();
      tables.clear();
      shards.clear();
      const m = await manifest();
      if (m.version === old.version) throw e;
      return searchIn(query, opts);
    }
  }

  async function searchIn(query, opts = {}) {
    const limit = opts.limit == null ? 10 : opts.limit;
    const filters = opts.filters || {};
    const want = [filters.city, filters.section, filters.tactics || filters.tactic].map((x) => x || []);
    const filtered = want.some((x) => x.length > 0);
    const m = await manifest();
    const fold = await foldFor(m, query);
    const words = queryWords(query, fold);
    const emptyFacets = () => ({ city: {}, tactics: {}, section: {} });
    if (words.length === 0 || m.docs === 0) return { total: 0, results: [], facets: emptyFacets(), hint: null };

    const open = words.find((w) => w.open);
    const expanded = open ? await expand(m, open.terms[open.terms.length - 1][1]) : [];
    const terms = Array.from(new Set(words.flatMap((w) => variants(w, expanded).flatMap((v) => v.map(([, t]) => t)))));
    const ents = await entries(m, terms);

    let hits; // [doc, score, exact]
    const only = words.length === 1 && words[0].terms.length === 1 && !words[0].open ? ents.get(words[0].terms[0][1]) : null;
    if (only && only.top && !filtered && !opts.facets && (limit <= only.top.length || only.top.length === only.matches)) {
      // A one-term query of a term with blocks: its best documents come with it.
      hits = only.top.map((t) => [t.doc, f(t.score), true]);
      return finish(m, query, fold, hits.slice(0, limit), only.matches, null, opts);
    }
    const within = await candidates(m, words, ents);
    const scored = await scoreWords(m, words, expanded, ents, within);
    let scores = null;
    for (const { acc, seen, touched } of scored) {
      if (scores === null) {
        scores = new Map();
        for (const doc of touched) scores.set(doc, acc[doc]);
      } else {
        const next = new Map();
        for (const [doc, s] of scores) if (seen[doc]) next.set(doc, f(s + acc[doc]));
        scores = next;
      }
    }
    const exactOf = scored.find((x) => x.exact);
    hits = Array.from(scores, ([doc, s]) => [doc, s, !exactOf || exactOf.exact[doc] === 1]);

    let facets = null;
    if (filtered || opts.facets) ({ hits, facets } = await facetFilter(m, hits, want));
    hits.sort((a, b) => b[2] - a[2] || b[1] - a[1] || a[0] - b[0]);
    const hint = hits.length ? null : await explain(m, query, words, expanded, filtered, fold);
    return finish(m, query, fold, hits.slice(0, limit), hits.length, facets, opts, hint);
  }

  /**
   * Filters: OR inside a facet, AND across facets; facet counts are disjunctive (each facet
   * counts as if its own filter were off), as readers of faceted search expect.
   */
  async function facetFilter(m, hits, want) {
    const names = [m.facets.city, m.facets.section, m.facets.tactics];
    const sets = want.map((list, k) => new Set(list.map((v) => names[k].indexOf(v))));
    const valuesOf = await facetChunks(m, hits.map((h) => h[0]));
    const counts = names.map((n) => new Int32Array(n.length));
    const ok = [true, true, true];
    const kept = [];
    for (const h of hits) {
      const d = valuesOf(h[0]);
      const vals = [d[0] == null ? [] : [d[0]], d[1] == null ? [] : [d[1]], d[2]];
      for (let k = 0; k < 3; k++) ok[k] = sets[k].size === 0 || vals[k].some((v) => sets[k].has(v));
      for (let k = 0; k < 3; k++) {
        let others = true;
        for (let j = 0; j < 3; j++) if (j !== k && !ok[j]) others = false;
        if (others) for (const v of vals[k]) counts[k][v]++;
      }
      if (ok[0] && ok[1] && ok[2]) kept.push(h);
    }
    const facets = { city: {}, section: {}, tactics: {} };
    ["city", "section", "tactics"].forEach((key, k) => {
      names[k].forEach((v, i) => {
        if (counts[k][i] > 0) facets[key][v] = counts[k][i];
      });
    });
    return { hits: kept, facets };
  }

  /**
   * Why nothing matched, truthfully: which words match on their own (and how often), or, for
   * one word, the longest leading part of it that does; or that the filters hide matches.
   */
  async function explain(m, query, words, expanded, filtered, fold) {
    // The site's strings (search/strings.js, loaded by the page) when there are any; the
    // built-in Chinese text otherwise (and in Node, where the tests run).
    const tr = (key, fallback, vars = {}) => {
      let s = (globalThis.casebookStrings && globalThis.casebookStrings[key]) || fallback;
      for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
      return s;
    };
    const q = (s) => tr("js.quote", "“{w}”", { w: s });
    const sep = tr("js.sep", "，");
    const foundText = (found) => found.map(([t, n]) => tr("js.hint_found", "含{w}的有 {n} 篇", { w: q(t), n })).join(sep);
    if (filtered) {
      const all = await search(query, { limit: 0 });
      if (all.total > 0) return tr("js.hint_filtered", "筛选条件下没有结果；去掉筛选条件后有 {n} 篇。", { n: all.total });
    }
    if (words.length > 1) {
      const counts = await Promise.all(words.map((w) => countWord(m, w, expanded)));
      const found = words.map((w, i) => [w.text, counts[i]]).filter(([, n]) => n > 0);
      const missing = words.filter((w, i) => counts[i] === 0).map((w) => q(w.text));
      if (missing.length) {
        return tr("js.hint_missing", "没有包含{words}的报告", { words: missing.join(tr("js.enum", "、")) }) +
          (found.length ? tr("js.semi", "；") + foundText(found) : "") + tr("js.end", "。");
      }
      return tr("js.hint_not_all", "没有同时包含{words}的报告；", { words: words.map((w) => q(w.text)).join(tr("js.and", "和")) }) +
        foundText(found) + tr("js.end", "。");
    }
    const text = words[0].text;
    const chars = Array.from(text);
    for (let n = chars.length - 1; n >= 2; n--) {
      const part = chars.slice(0, n).join("");
      const w = queryWord(part, fold);
      if (!w.terms.length) continue;
      const c = await countWord(m, { ...w, open: false, text: part }, []);
      if (c > 0) return tr("js.hint_part", "没有包含{w}的报告；含{part}的有 {n} 篇。", { w: q(text), part: q(part), n: c });
    }
    return tr("js.hint_none", "没有包含{w}的报告。", { w: q(text) });
  }

  /** How many documents one word matches on its own (an open one with its expansions too). */
  async function countWord(m, w, expanded) {
    const ents = await entries(m, variants(w, expanded).flatMap((v) => v.map(([, t]) => t)));
    if (w.terms.length === 1 && !w.open) return ents.get(w.terms[0][1])?.matches || 0;
    const within = await candidates(m, [w], ents);
    const [{ touched }] = await scoreWords(m, [w], expanded, ents, within);
    return touched.length;
  }

  async function finish(m, query, fold, top, total, facets, opts, hint = null) {
    const docs = await Promise.all(top.map(([doc]) => get("d/" + doc + ".js", m.version)));
    const raw = String(query).split(SEPARATORS).filter(Boolean);
    const width = opts.snippetLength || 90;
    const results = top.map(([doc, score, exact], i) => {
      const d = docs[i];
      let snip = snippet(d.body, raw, width, fold);
      if (!snip.matched && d.summary) {
        const s2 = snippet(d.summary, raw, width, fold);
        if (s2.matched) snip = s2;
      }
      return {
        slug: d.slug,
        url: d.url,
        title: d.title,
        titleHtml: snippet(d.title, raw, 200, fold).html,
        snippet: snip.html,
        score,
        exact,
        town: d.town,
        county: d.county,
        city: d.city,
        section: d.section,
        // The report's first photo, narrowest variant, relative to the site root (absent
        // without one; older indexes never have it).
        thumb: d.thumb || null,
      };
    });
    return { total, results, facets: facets || { city: {}, tactics: {}, section: {} }, hint };
  }

  /** The fold map the index uses (loads the table): for tokenizing as the index does. */
  async function foldTable() {
    const m = await manifest();
    foldP = foldP || get(m.fold.file).then((t) => parseFold(t.pairs));
    return foldP;
  }

  return { search, tokenize, queryTerms, foldTable };
}

// @module-footer (the classic-script copy replaces everything from here)
import "./search-text.js"; // evaluated before this module's body, as every import is
import "./search-rank.js";
__setBase(import.meta.url);
export { createSearch, tokenize, queryTerms, queryWord, queryWords, normalize };
