// Issue 15 part A in Chromium on the real digest: the tile map of the cities (home page and the
// index of cities, at phone and desktop width, its measure picker) and compare side by side
// (three reports chosen through the toggles, opened from the tray, reloaded from the address),
// served over HTTP under a sub-path and opened from disk.
//
// Run through run.sh (it builds the site and sets CASEBOOK_SITE). Pictures go to CASEBOOK_SHOTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SITE, SHOTS, withServedSite, newPage, axeSerious } from "./harness.mjs";

const WIDTHS = [375, 1280];
const MAP_PAGES = { home: "index.html", cities: "cities/index.html" };

let server;
let browser;

withServedSite((s, b) => {
  server = s;
  browser = b;
});

function formatViolations(list) {
  return list
    .map((v) => `[${v.impact}] ${v.id} (${v.count}×): ${v.help}\n    ${v.nodes.join("\n    ")}`)
    .join("\n");
}

async function open(url, options) {
  const page = await newPage(browser.context, options);
  const response = await page.goto(url, { waitUntil: "load" });
  if (response) assert.equal(response.status(), 200, `${url} answered ${response.status()}`);
  return page;
}

/** Asserts the page does not scroll sideways (wide tables scroll inside their own box). */
async function fitsWidth(page, what) {
  const { scroll, inner, culprits } = await page.evaluate(() => {
    const inner = window.innerWidth;
    const culprits = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > inner + 1)
      .filter((e) => !e.closest(".table-wrap, .compare-wrap, .visually-hidden, .skip"))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.getAttribute("class")}`);
    return { scroll: document.scrollingElement.scrollWidth, inner, culprits };
  });
  assert.ok(scroll <= inner, `${what} overflows: ${scroll} > ${inner}; ${culprits}`);
}

/** The tactic listing with the most reports: its first three toggles are the reports chosen. */
function busiestTactic() {
  const names = readdirSync(join(SITE, "tactics")).filter(
    (n) => n !== "map" && existsSync(join(SITE, "tactics", n, "index.html")),
  );
  names.sort(
    (a, b) => statSync(join(SITE, "tactics", b, "index.html")).size - statSync(join(SITE, "tactics", a, "index.html")).size,
  );
  return `tactics/${names[0]}/index.html`;
}

for (const [name, path] of Object.entries(MAP_PAGES)) {
  for (const width of WIDTHS) {
    test(`tile map on ${name} at ${width}px: 11 linked tiles, legible, axe-clean, fits`, async () => {
      const page = await open(server.url + path, { width, height: width < 600 ? 800 : 900 });
      try {
        const map = page.locator("figure.tilemap");
        await map.scrollIntoViewIfNeeded();
        const tiles = map.locator("a.tile");
        assert.equal(await tiles.count(), 11);
        const names = await tiles.evaluateAll((ts) => ts.map((t) => t.getAttribute("data-name")));
        for (const city of ["杭州市", "宁波市", "温州市", "湖州市", "嘉兴市", "绍兴市", "金华市", "衢州市", "舟山市", "台州市", "丽水市"]) {
          assert.ok(names.includes(city), `${city} has no tile: ${names}`);
        }
        // Every tile's link leads to an existing city page.
        const hrefs = await tiles.evaluateAll((ts) => ts.map((t) => t.href.baseVal || t.getAttribute("href")));
        for (const href of hrefs) {
          const rel = new URL(href, page.url()).pathname.replace(/^\/digest\//, "");
          assert.ok(rel.startsWith("cities/") && existsSync(join(SITE, rel)), `${href} -> ${rel}`);
        }
        // Legible: the smallest city name is drawn at 12 px or more on screen.
        const smallest = await map.locator(".tile-name").evaluateAll((ts) =>
          Math.min(...ts.map((t) => t.getBoundingClientRect().height)),
        );
        assert.ok(smallest >= 12, `tile names ${smallest}px tall at ${width}px`);
        // North above south: 湖州 above 温州, 衢州 left of 舟山.
        const box = async (n) => map.locator(`a.tile[data-name="${n}"] rect`).boundingBox();
        assert.ok((await box("湖州市")).y < (await box("温州市")).y);
        assert.ok((await box("衢州市")).x < (await box("舟山市")).x);
        const violations = await axeSerious(page);
        assert.deepEqual(violations, [], `${path} at ${width}px:\n${formatViolations(violations)}`);
        if (width < 600) await fitsWidth(page, `${path} at ${width}px`);
        await map.screenshot({ path: join(SHOTS, `tilemap-${name}-${width}.png`) });
        await page.screenshot({ path: join(SHOTS, `tilemap-${name}-${width}-page.png`), fullPage: true });
        assert.deepEqual(page.errors, [], `${path} logged errors`);
      } finally {
        await page.close();
      }
    });
  }
}

test("tile map: the picker recolours the tiles by a metric, with its legend and coverage", async () => {
  const page = await open(server.url + "cities/index.html", { width: 375, height: 800 });
  try {
    const map = page.locator("figure.tilemap");
    const select = map.locator(".tilemap-picker select");
    assert.ok(await select.isVisible(), "the picker shows with JavaScript");
    const before = await map.locator("a.tile").evaluateAll((ts) => ts.map((t) => t.getAttribute("class")));
    const options = await select.locator("option").evaluateAll((os) => os.map((o) => o.textContent));
    assert.ok(options.length > 2, `metrics listed: ${options}`);
    const i = options.findIndex((o) => o.startsWith("工会会员"));
    assert.ok(i > 0, `工会会员 among ${options}`);
    await select.selectOption({ index: i });
    const after = await map.locator("a.tile").evaluateAll((ts) =>
      ts.map((t) => ({ cls: t.getAttribute("class"), bin: t.getAttribute("data-bins").split(",")[Number(document.querySelector(".tilemap-picker select").value)], value: t.querySelector(".tile-value").textContent, title: t.querySelector("title").textContent })),
    );
    assert.notDeepEqual(after.map((a) => a.cls), before, "the colours changed");
    for (const a of after) {
      assert.equal(a.cls, `tile b${a.bin}`);
      assert.ok(a.title.includes("工会会员"), a.title);
    }
    const legend = map.locator(`.tilemap-legend[data-measure="${i}"]`);
    assert.ok(await legend.isVisible());
    assert.match(await legend.textContent(), /119 个试点中有 \d+ 个报告了工会会员/);
    assert.equal(await map.locator(".tilemap-legend:visible").count(), 1);
    await map.screenshot({ path: join(SHOTS, "tilemap-cities-375-members.png") });
    assert.deepEqual(page.errors, []);
  } finally {
    await page.close();
  }
});

test("tile map in dark mode passes axe (contrast of every step)", async () => {
  const page = await open(server.url + "cities/index.html", { width: 1280, colorScheme: "dark" });
  try {
    const violations = await axeSerious(page);
    assert.deepEqual(violations, [], formatViolations(violations));
    await page.locator("figure.tilemap").screenshot({ path: join(SHOTS, "tilemap-cities-1280-dark.png") });
  } finally {
    await page.close();
  }
});

/**
 * Chooses three reports on a tactic listing through their toggles, opens compare from the tray,
 * checks the page, reloads it from its address; `base` is the site's URL (http or file).
 */
async function compareFlow(base, label) {
  const listing = busiestTactic();
  for (const width of WIDTHS) {
    const page = await open(base + listing, { width, height: width < 600 ? 800 : 900 });
    try {
      await page.evaluate(() => { try { localStorage.clear(); } catch (e) {} });
      await page.reload();
      const toggles = page.locator(".report-item .compare-toggle");
      assert.ok((await toggles.count()) >= 3, "toggles on the listing");
      const chosen = [];
      for (let k = 0; k < 3; k++) {
        const t = toggles.nth(k);
        await t.click();
        assert.equal(await t.getAttribute("aria-pressed"), "true");
        chosen.push(await t.getAttribute("data-compare"));
      }
      const tray = page.locator(".compare-tray");
      assert.ok(await tray.isVisible(), "the tray shows");
      assert.match(await tray.locator(".tray-count").textContent(), /对比 \(3\)/);
      if (width < 600) await fitsWidth(page, `${label} listing with the tray at ${width}px`);
      await page.screenshot({ path: join(SHOTS, `compare-tray-${label}-${width}.png`) });
      await tray.locator(".tray-open").click();
      await page.waitForURL(/compare\/index\.html\?r=/);
      const r = new URL(page.url()).searchParams.get("r");
      assert.deepEqual(r.split(","), chosen, "the address holds the selection");
      await checkCompare(page, chosen, `${label} at ${width}px`);
      await page.screenshot({ path: join(SHOTS, `compare-${label}-${width}.png`), fullPage: true });
      // The address alone reproduces the page: a fresh page with storage cleared.
      const url = page.url();
      await page.evaluate(() => { try { localStorage.clear(); } catch (e) {} });
      await page.goto(url);
      await checkCompare(page, chosen, `${label} reloaded at ${width}px`);
      if (width < 600) await fitsWidth(page, `compare ${label} at ${width}px`);
      assert.deepEqual(page.errors, [], `${label} logged errors`);
      // axe reads stylesheets with XHR, which file:// refuses (and logs): audited over HTTP.
      if (base.startsWith("http")) {
        const violations = await axeSerious(page);
        assert.deepEqual(violations, [], `compare ${label} at ${width}px:\n${formatViolations(violations)}`);
      }
    } finally {
      await page.close();
    }
  }
}

/** The compare page shows `slugs` side by side with their places, tactics and figures. */
async function checkCompare(page, slugs, what) {
  const table = page.locator("table.compare");
  await table.waitFor();
  const heads = table.locator("thead th a");
  assert.equal(await heads.count(), slugs.length, what);
  const hrefs = await heads.evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(hrefs, slugs.map((s) => `../reports/${s}/index.html`), what);
  const rows = await table.locator("tbody th").allTextContents();
  for (const r of ["地点", "层级", "摘要", "做法"]) assert.ok(rows.includes(r), `${what}: row ${r} in ${rows}`);
  assert.ok(rows.length > 4, `${what}: metric rows ${rows}`);
  // The reports come from one tactic listing, so that tactic is shared and marked in each.
  assert.ok((await table.locator("li.shared").count()) >= slugs.length, `${what}: shared tactics marked`);
  assert.match(await page.locator(".compare-shared").textContent(), /共同做法：/);
  assert.match(await page.locator("#compare-status").textContent(), new RegExp(`正在比较 ${slugs.length} 个试点`));
}

test("compare over HTTP: three reports chosen on a listing, opened from the tray, reloaded", async () => {
  await compareFlow(server.url, "http");
});

test("compare from disk (file://): the same, with data loaded by script tags", async () => {
  await compareFlow(pathToFileURL(SITE).href + "/", "file");
});

test("compare: toggles on search results and report pages, at most four, remove", async () => {
  const page = await open(server.url + "search/index.html?q=" + encodeURIComponent("工会"), { width: 1280 });
  try {
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const results = page.locator("#search-results .compare-toggle");
    await results.first().waitFor();
    for (let k = 0; k < 4; k++) await results.nth(k).click();
    await results.nth(4).click();
    assert.equal(await results.nth(4).getAttribute("aria-pressed"), "false", "a fifth is refused");
    assert.match(await page.locator(".tray-note").textContent(), /最多并排比较 4 个试点/);
    const slug = await results.nth(0).getAttribute("data-compare");
    // The report page shows the same selection; untoggling there removes it.
    await page.goto(server.url + `reports/${slug}/index.html`);
    const own = page.locator("article .compare-toggle");
    assert.equal(await own.getAttribute("aria-pressed"), "true");
    await own.click();
    assert.match(await page.locator(".tray-count").textContent(), /对比 \(3\)/);
    await page.locator(".tray-open").click();
    await page.waitForURL(/compare\//);
    await page.locator("table.compare").waitFor();
    assert.equal(await page.locator("table.compare thead th a").count(), 3);
    await page.locator("table.compare .remove").first().click();
    await page.waitForURL((u) => new URL(u).searchParams.get("r")?.split(",").length === 2);
    await page.locator("table.compare").waitFor();
    assert.equal(await page.locator("table.compare thead th a").count(), 2);
    assert.deepEqual(page.errors, []);
  } finally {
    await page.close();
  }
});

test("compare in dark mode passes axe (shared tactics, empty cells)", async () => {
  const listing = busiestTactic();
  const html = readFileSync(join(SITE, listing), "utf8");
  const slugs = [...html.matchAll(/data-compare="([^"]+)"/g)].slice(0, 3).map((m) => m[1]);
  assert.equal(slugs.length, 3);
  const page = await open(server.url + "compare/index.html?r=" + slugs.join(","), { width: 375, colorScheme: "dark" });
  try {
    await checkCompare(page, slugs, "dark");
    const violations = await axeSerious(page);
    assert.deepEqual(violations, [], formatViolations(violations));
    await page.screenshot({ path: join(SHOTS, "compare-http-375-dark.png"), fullPage: true });
  } finally {
    await page.close();
  }
});

test("compare: an unknown slug in the address is named, not loaded from elsewhere", async () => {
  const page = await open(server.url + "compare/index.html?r=" + encodeURIComponent("nope,../../etc,%2F"), { width: 375 });
  try {
    await page.waitForFunction(() => !/正在载入/.test(document.getElementById("compare-status").textContent));
    const status = await page.locator("#compare-status").textContent();
    assert.match(status, /找不到这些试点：nope/);
    assert.equal(await page.locator("table.compare").count(), 0);
  } finally {
    await page.close();
  }
});
