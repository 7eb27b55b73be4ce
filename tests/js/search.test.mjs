// Node tests of the browser search client (output/search/search.js) on built fixture sites:
// the tokenizer table shared with Rust, exact phrase semantics for Chinese, one-character,
// mixed-script and full-width queries, filters and facets, escaped snippets with highlights,
// and ranking identical to `casebook search --json`.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, mkdtemp, cp, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.CASEBOOK_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "release", "casebook");

async function buildSite(from, files) {
  const root = await mkdtemp(join(tmpdir(), "casebook-js-"));
  for (const f of files) await cp(join(from, f), join(root, f), { recursive: true });
  execFileSync(bin, ["build", "--root", root], { stdio: "pipe" });
  const out = join(root, "output");
  const mod = await import(pathToFileURL(join(out, "search", "search.js")).href + "?" + root);
  const s = mod.createSearch({ load: (p) => readFile(join(out, "search", p), "utf8") });
  return { root, out, mod, s };
}

function rustSearch(site, q, limit = 10) {
  return JSON.parse(execFileSync(bin, ["search", "--root", site.root, "--json", "--limit", String(limit), q]).toString());
}

let fx; // fixture site
let digest; // the real digest
before(async () => {
  try {
    await access(bin);
  } catch {
    execFileSync("cargo", ["build", "--release"], { cwd: repo, stdio: "inherit" });
  }
  fx = await buildSite(join(repo, "tests/fixtures/search/site"), ["site.yaml", "content"]);
  digest = await buildSite(repo, ["site.yaml", "content"]);
});

test("tokenizer matches the table shared with the Rust tokenizer", async () => {
  const table = JSON.parse(await readFile(join(repo, "tests/fixtures/tokenizer.json"), "utf8"));
  const fold = await fx.s.foldTable(); // the table the index exports, as a query loads it
  assert.ok(fold.size > 3000, `fold table of ${fold.size} pairs`);
  for (const c of table.cases) {
    assert.deepEqual(fx.mod.tokenize(c.text, fold).map((t) => [t.text, t.position]), c.tokens, `tokens of ${c.text}`);
    const w = fx.mod.queryWord(c.text, fold);
    assert.deepEqual(w.terms, c.query, `query terms of ${c.text}`);
    assert.equal(w.open, c.open, `open of ${c.text}`);
  }
});

test("Chinese queries are exact phrases: 小板 + 板凳 apart is not 小板凳", async () => {
  const r = await fx.s.search("小板凳");
  const slugs = r.results.map((x) => x.slug).sort();
  assert.deepEqual(slugs, ["bandeng", "xss"]);
  assert.ok(!slugs.includes("decoy"), "the decoy has 小板 and 板凳 but not 小板凳");
  // and the decoy is found by its own words
  assert.deepEqual((await fx.s.search("长板凳")).results.map((x) => x.slug), ["decoy"]);
});

test("one-character queries work", async () => {
  const r = await fx.s.search("凳");
  assert.deepEqual(r.results.map((x) => x.slug).sort(), ["bandeng", "decoy", "xss"]);
  assert.equal(r.total, 3);
});

test("mixed-script and full-width queries", async () => {
  for (const q of ["杭工e家", "杭工E家", "ｅ家", "app", "ＡＰＰ", "93", "5·1服务卡"]) {
    const r = await fx.s.search(q);
    assert.deepEqual(r.results.map((x) => x.slug), ["app"], q);
  }
  assert.equal((await fx.s.search("杭工家")).total, 0, "e between 工 and 家 is not skipped");
});

test("every word must match", async () => {
  assert.deepEqual((await fx.s.search("志愿 小板凳")).results.map((x) => x.slug).sort(), ["bandeng", "xss"]);
  assert.equal((await fx.s.search("小板凳 APP")).total, 0);
});

test("filters and facet counts", async () => {
  const all = await fx.s.search("镇", { facets: true });
  assert.equal(all.total, 4);
  assert.deepEqual(all.facets.city, { 杭州市: 3, 宁波市: 1 });
  assert.deepEqual(all.facets.section, { 重点报道: 1, 速写: 3 });
  assert.deepEqual(all.facets.tactics, { 志愿服务: 3, 智慧工会: 2, 职工议事: 1 });
  assert.deepEqual((await fx.s.search("镇")).facets.city, {}, "facets only when asked");
  const hz = await fx.s.search("镇", { filters: { city: ["杭州市"] } });
  assert.equal(hz.total, 3);
  assert.ok(hz.results.every((x) => x.city === "杭州市"));
  // counts of a facet ignore its own filter but apply the others
  assert.deepEqual(hz.facets.city, { 杭州市: 3, 宁波市: 1 });
  assert.deepEqual(hz.facets.tactics, { 志愿服务: 2, 智慧工会: 2 });
  const both = await fx.s.search("镇", { filters: { city: ["杭州市"], tactics: ["智慧工会"] } });
  assert.deepEqual(both.results.map((x) => x.slug).sort(), ["app", "xss"]);
  const none = await fx.s.search("镇", { filters: { city: ["宁波市"], tactics: ["智慧工会"] } });
  assert.equal(none.total, 0);
});

test("snippets highlight matches and escape content", async () => {
  const r = await fx.s.search("小板凳");
  const x = r.results.find((h) => h.slug === "xss");
  assert.match(x.snippet + x.titleHtml, /<mark>小板凳<\/mark>|<mark>/);
  const hit = r.results.find((h) => h.slug === "bandeng");
  assert.match(hit.snippet, /<mark>小板凳<\/mark>/);
  const body = await fx.s.search("alert");
  for (const h of body.results) {
    for (const html of [h.snippet, h.titleHtml]) {
      assert.ok(!/<(script|img)/i.test(html), `unescaped markup in ${html}`);
    }
  }
  const t = (await fx.s.search("石林镇")).results[0];
  assert.match(t.titleHtml, /&lt;script&gt;alert\(1\)&lt;\/script&gt;<mark>石林镇<\/mark>/);
  assert.equal(t.title, "<script>alert(1)</script>石林镇", "raw title is data, for textContent");
});

test("no results and empty queries", async () => {
  assert.deepEqual((await fx.s.search("不存在的词")).results, []);
  const e = await fx.s.search("   ");
  assert.equal(e.total, 0);
});

test("ranking equals casebook search --json on the digest", async () => {
  // Queries derived from the digest: every town, every tactic, and windows of its text.
  const reports = JSON.parse(await readFile(join(digest.out, "data/reports.json"), "utf8"));
  const queries = new Set(["小板凳", "网格化管理", "杭工e家", "5·1服务卡", "工会 志愿", "职工之家", "镇", "APP", "93%",
    "工會", "志願服務", "羣團", "工會 志願", "超过9", "1+1", "1+", "2", "20", "app", "a", "5+", "58.", "工会 2"]);
  for (const r of reports) {
    queries.add(r.town);
    for (const t of r.tactics) queries.add(t);
  }
  let i = 0;
  for (const r of reports) {
    const chars = Array.from(r.summary || "");
    if (chars.length > 8 && i++ % 3 === 0) queries.add(chars.slice(2, 2 + 2 + (i % 5)).join(""));
  }
  let compared = 0;
  for (const q of queries) {
    const js = await digest.s.search(q, { limit: 10 });
    const rs = rustSearch(digest, q, 10);
    // Same order, and the same f32 score (Rust prints the shortest decimal of its f32).
    assert.deepEqual(
      js.results.map((h) => [h.slug, h.score, h.exact]),
      rs.map((h) => [h.slug, Math.fround(h.score), h.exact]),
      `ranking for ${q}`,
    );
    compared++;
  }
  assert.ok(compared > 150, `compared ${compared} queries`);
});
