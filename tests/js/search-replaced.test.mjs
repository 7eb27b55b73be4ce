// The search client when the index is replaced under an open page (issue 12: `casebook serve`
// rebuilds the index after the page reloaded, and answers a file asked for with another version
// with 404): the query that meets the new index reads the new manifest once and succeeds, and
// never mixes two indexes.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile, readFile, rm, appendFile } from "node:fs/promises";
import { join } from "node:path";
import { buildSite, bin } from "./site.mjs";

const report = (town, body) =>
  `---\ntitle: ${town}：试点\ntown: ${town}\ncity: 甲市\ntactics: [网格化]\n---\n\n${body}\n`;

let site;
after(async () => {
  if (site) await rm(site.root, { recursive: true, force: true });
});

test("a query that meets a replaced index reads the new manifest once and finds the new text", async () => {
  site = await buildSite("replaced", async (root) => {
    await mkdir(join(root, "content", "reports"), { recursive: true });
    await writeFile(join(root, "site.yaml"), "title: 换索引\n");
    await writeFile(join(root, "content", "reports", "a.md"), report("甲镇", "职工之家建在园区里。"));
    await writeFile(join(root, "content", "reports", "b.md"), report("乙镇", "工会驿站开在路口。"));
  });
  const dir = join(site.out, "search");
  const version = async () => JSON.parse((await readFile(join(dir, "manifest.js"), "utf8")).replace(/^[^,]*,/, "").replace(/\);\s*$/, "")).version;
  // As `casebook serve` answers: a file asked for with another version than the index's is not found.
  let served = await version();
  const manifests = [];
  const s = site.mod.createSearch({
    load: async (p, v) => {
      if (p === "manifest.js") manifests.push(p);
      if (v && v !== served) throw new Error(`casebook search: ${p}: HTTP 404`);
      return readFile(join(dir, p), "utf8");
    },
  });
  assert.deepEqual((await s.search("职工之家")).results.map((r) => r.slug), ["a"]);
  assert.equal(manifests.length, 1);

  await appendFile(join(site.root, "content", "reports", "b.md"), "\n新设的暖心驿站。\n");
  execFileSync(bin, ["build", "--root", site.root], { stdio: "pipe" });
  const next = await version();
  assert.notEqual(next, served, "an edit changes the version");
  served = next;

  // A query answered wholly from files read before the rebuild is the old index's answer, whole
  // and consistent; 驿站 was in b before too, so this query reads b's result, which is not
  // loaded yet: it meets the new index whatever shards the first query read.
  assert.deepEqual((await s.search("驿站")).results.map((r) => r.slug), ["b"]);
  assert.equal(manifests.length, 2, "the manifest read once more");
  assert.deepEqual((await s.search("暖心驿站")).results.map((r) => r.slug), ["b"]);
  assert.equal(manifests.length, 2);
  assert.deepEqual((await s.search("职工之家")).results.map((r) => r.slug), ["a"]);
  assert.equal(manifests.length, 2);
});

test("a query that fails on an unchanged index fails, without a loop", async () => {
  const s = site.mod.createSearch({
    load: async (p) => {
      if (p.startsWith("idx/")) throw new Error(`casebook search: ${p}: HTTP 500`);
      return readFile(join(site.out, "search", p), "utf8");
    },
  });
  await assert.rejects(s.search("职工之家"), /HTTP 500/);
});
