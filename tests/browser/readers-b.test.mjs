// Issue 15, part B, in Chromium on the real digest: the metrics table keeps its header and name
// column in view while it scrolls, its column picker hides columns; a report page copies its
// citation (Clipboard API, and the selection fallback without it) and uses a wide screen's
// right-hand side; the tactics map is usable on a phone. Every page touched passes axe and fits
// a 375 px screen; pictures at 375 and 1280 px go to CASEBOOK_SHOTS.
//
// Run through run.sh (it builds the site and sets CASEBOOK_SITE).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SITE, SHOTS, withServedSite, newPage, axeSerious } from "./harness.mjs";

/** A report page with both a metrics card and a table of contents: the fullest side column. */
function fullestReport() {
  const names = readdirSync(join(SITE, "reports")).filter((n) => existsSync(join(SITE, "reports", n, "index.html")));
  const scored = names
    .map((n) => {
      const html = readFileSync(join(SITE, "reports", n, "index.html"), "utf8");
      return { n, score: (html.includes('class="toc"') ? 100 : 0) + (html.match(/<dt>/g) || []).length };
    })
    .sort((a, b) => b.score - a.score || a.n.localeCompare(b.n));
  return `reports/${scored[0].n}/index.html`;
}

const REPORT = fullestReport();
const METRICS = "metrics/index.html";
const MAP = "tactics/map/index.html";

let server;
let browser;

withServedSite((s, b) => {
  server = s;
  browser = b;
});

async function open(path, width = 1280) {
  const page = await newPage(browser.context, { width, height: width < 600 ? 800 : 900 });
  const response = await page.goto(server.url + path, { waitUntil: "load" });
  assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
  return page;
}

async function shot(page, name, fullPage = false) {
  await page.screenshot({ path: join(SHOTS, `readers-b-${name}.png`), fullPage });
}

async function assertClean(page, label) {
  const violations = await axeSerious(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 1)}`);
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
  }));
  assert.ok(scroll <= inner, `${label}: the page scrolls sideways (${scroll} > ${inner})`);
  assert.deepEqual(page.errors, [], `${label} logged errors`);
}

for (const width of [375, 1280]) {
  test(`metrics at ${width}px: scrolled down and across, the header row and the name column stay in view`, async () => {
    const page = await open(METRICS, width);
    try {
      await assertClean(page, `metrics ${width}`);
      await shot(page, `metrics-${width}`);
      const wrap = page.locator("#metrics-table").locator("xpath=ancestor::div[contains(@class,'table-wrap')]");
      await wrap.scrollIntoViewIfNeeded();
      const before = await page.evaluate(() => {
        const t = document.getElementById("metrics-table");
        const w = t.closest(".table-wrap");
        return { scrollHeight: w.scrollHeight, clientHeight: w.clientHeight, rows: t.tBodies[0].rows.length };
      });
      assert.ok(before.rows >= 100, `only ${before.rows} rows`);
      assert.ok(before.clientHeight < before.scrollHeight, "the table box is not bounded: its header would leave the screen");
      assert.ok(before.clientHeight <= (width < 600 ? 800 : 900), "the table box is taller than the screen");
      // Down 60 rows and across to the last columns.
      const seen = await page.evaluate(() => {
        const t = document.getElementById("metrics-table");
        const w = t.closest(".table-wrap");
        w.scrollTop = 2400;
        w.scrollLeft = w.scrollWidth;
        const box = w.getBoundingClientRect();
        const head = t.tHead.rows[t.tHead.rows.length - 1];
        const lastHead = head.cells[head.cells.length - 1].getBoundingClientRect();
        const corner = head.cells[0].getBoundingClientRect();
        // What a reader sees just under the header at the left edge, and at the header's place.
        const rowHere = document.elementFromPoint(box.left + 8, lastHead.bottom + 12);
        const headHere = document.elementFromPoint(lastHead.left + lastHead.width / 2, lastHead.top + lastHead.height / 2);
        return {
          box: { top: box.top, left: box.left, bottom: box.bottom },
          lastHead: { top: lastHead.top, bottom: lastHead.bottom },
          corner: { left: corner.left, top: corner.top },
          scrolled: w.scrollTop,
          rowHere: rowHere && rowHere.closest("th") ? rowHere.closest("th").getAttribute("scope") : null,
          headHere: headHere ? headHere.closest("thead") !== null : false,
        };
      });
      assert.ok(seen.scrolled > 1000, `did not scroll: ${seen.scrolled}`);
      // The header sits at the top of the box (under the group row), not scrolled away.
      assert.ok(seen.lastHead.top >= seen.box.top - 1 && seen.lastHead.bottom <= seen.box.top + 120, `header not in view: ${JSON.stringify(seen)}`);
      assert.ok(seen.headHere, "something covers the header");
      // The name column stays at the box's left edge, and a row's name shows there.
      assert.ok(Math.abs(seen.corner.left - seen.box.left) <= 2, `name column left the edge: ${JSON.stringify(seen)}`);
      assert.equal(seen.rowHere, "row", "no report name at the left edge under the header");
      await shot(page, `metrics-scrolled-${width}`);
    } finally {
      await page.close();
    }
  });
}

test("metrics: the column picker hides a column and its group shrinks; not reported is marked", async () => {
  const page = await open(METRICS, 1280);
  try {
    const picker = page.locator("details.col-picker");
    await picker.locator("summary").click();
    const label = page.locator("details.col-picker label", { hasText: "工会工作者" });
    const count = () =>
      page.evaluate(() => {
        const t = document.getElementById("metrics-table");
        const head = t.tHead.rows[t.tHead.rows.length - 1];
        const i = [...head.cells].findIndex((c) => c.dataset.key === "staff");
        const shown = [...t.tBodies[0].rows].filter((r) => !r.cells[i].hidden && r.cells[i].offsetWidth > 0).length;
        const group = [...t.tHead.rows[0].cells].find((c) => c.textContent.trim() === "队伍");
        return { shown, headShown: head.cells[i].offsetWidth > 0, span: group.colSpan };
      });
    const before = await count();
    assert.ok(before.shown > 100 && before.headShown);
    await label.locator("input").uncheck();
    const after = await count();
    assert.deepEqual([after.shown, after.headShown, after.span], [0, false, before.span - 1]);
    // The by-city table follows the same picker.
    const cityHidden = await page.evaluate(() => {
      const t = document.querySelector("table[data-picker]:not(#metrics-table)");
      const head = t.tHead.rows[t.tHead.rows.length - 1];
      return [...head.cells].find((c) => c.dataset.key === "staff").hidden;
    });
    assert.equal(cityHidden, true);
    await shot(page, "metrics-picker-1280");
    await label.locator("input").check();
    assert.equal((await count()).shown, before.shown);
    // 未报告 is a mark with a name, not an empty cell.
    const na = await page.evaluate(() => {
      const cells = [...document.querySelectorAll("#metrics-table td.na")];
      return {
        n: cells.length,
        text: [...new Set(cells.map((c) => c.textContent))],
        label: [...new Set(cells.map((c) => c.getAttribute("aria-label")))],
      };
    });
    assert.ok(na.n > 100);
    assert.deepEqual(na.text, ["—"]);
    assert.deepEqual(na.label, ["未报告"]);
  } finally {
    await page.close();
  }
});

function citationText(page, id) {
  return page.evaluate((id) => document.getElementById(id).textContent.replace(/\s+/g, " ").trim(), id);
}

test("report: the copy button puts the citation on the clipboard, with today's date", async () => {
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(server.url).origin });
  const page = await open(REPORT, 1280);
  try {
    await assertClean(page, "report 1280");
    const button = page.locator('button[data-copy="cite-1"]');
    await button.scrollIntoViewIfNeeded();
    assert.ok(await button.isVisible(), "no copy button");
    const expected = await citationText(page, "cite-1");
    assert.match(expected, /\[EB\/OL\]/);
    assert.ok(!expected.includes("引用日期"), "the citation date placeholder is still there");
    await button.click();
    await page.waitForFunction(() => document.querySelector(".cite-status").textContent !== "");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, expected);
    assert.equal(await page.textContent(".cite-status"), "已复制引文。");
    // The original's citation, APA.
    const apa = await citationText(page, "cite-4");
    await page.click('button[data-copy="cite-4"]');
    await page.waitForFunction((t) => navigator.clipboard.readText().then((c) => c === t), apa);
    await page.locator(".cite").screenshot({ path: join(SHOTS, "readers-b-cite-1280.png") });
  } finally {
    await page.close();
  }
});

test("report: without the Clipboard API the citation is selected for Ctrl+C", async () => {
  const page = await newPage(browser.context, { width: 375, height: 800 });
  try {
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined, configurable: true });
      document.execCommand = () => false; // and the old copy refused, as some browsers do
    });
    await page.goto(server.url + REPORT, { waitUntil: "load" });
    const expected = await citationText(page, "cite-2");
    await page.click('button[data-copy="cite-2"]');
    const selected = await page.evaluate(() => window.getSelection().toString().replace(/\s+/g, " ").trim());
    assert.equal(selected, expected);
    assert.match(await page.textContent(".cite-status"), /Ctrl\+C/);
    await assertClean(page, "report 375");
    await shot(page, "report-375", true);
  } finally {
    await page.close();
  }
});

test("report at 1280px: the figures and contents sit beside a text column of readable measure", async () => {
  const page = await open(REPORT, 1280);
  try {
    const geo = await page.evaluate(() => {
      const r = (s) => document.querySelector(s).getBoundingClientRect();
      const body = r(".report .body");
      const side = r(".report-side");
      const em = parseFloat(getComputedStyle(document.querySelector(".report")).fontSize);
      return { body: { left: body.left, right: body.right, top: body.top, width: body.width }, side: { left: side.left, right: side.right, top: side.top }, em, vw: innerWidth };
    });
    assert.ok(geo.side.left >= geo.body.right + 16, `side column not beside the text: ${JSON.stringify(geo)}`);
    assert.ok(geo.side.top <= geo.body.top, "side column starts below the text");
    assert.ok(geo.body.width <= 40 * geo.em + 1 && geo.body.width >= 30 * geo.em, `text column ${geo.body.width}px at ${geo.em}px`);
    assert.ok(geo.side.right <= geo.vw, "side column off screen");
    await shot(page, "report-1280", true);
    // Scrolled into the body, the side column stays on screen.
    await page.evaluate(() => window.scrollTo(0, document.querySelector(".report .body").offsetTop + 600));
    const top = await page.evaluate(() => document.querySelector(".report-side").getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 100, `side column scrolled away: ${top}`);
    await shot(page, "report-1280-scrolled");
  } finally {
    await page.close();
  }
  // On a phone the same figures come before the body, full width.
  const phone = await open(REPORT, 375);
  try {
    const geo = await phone.evaluate(() => {
      const body = document.querySelector(".report .body").getBoundingClientRect();
      const side = document.querySelector(".report-side").getBoundingClientRect();
      return { sideBottom: side.bottom, bodyTop: body.top, sideWidth: side.width, bodyWidth: body.width };
    });
    assert.ok(geo.sideBottom <= geo.bodyTop + 1, "on a phone the figures are not above the body");
    assert.ok(Math.abs(geo.sideWidth - geo.bodyWidth) < 2, "on a phone the figures are not full width");
  } finally {
    await phone.close();
  }
});

for (const width of [375, 1280]) {
  test(`tactics map at ${width}px: every column reachable, city names pinned, the scroll said`, async () => {
    const page = await open(MAP, width);
    try {
      await assertClean(page, `map ${width}`);
      await shot(page, `map-${width}`);
      const hint = await page.locator(".scroll-hint").isVisible();
      const state = await page.evaluate(() => {
        const w = document.querySelector(".map-wrap");
        const fits = w.scrollWidth <= w.clientWidth + 1;
        w.scrollLeft = w.scrollWidth;
        w.dispatchEvent(new Event("scroll"));
        const box = w.getBoundingClientRect();
        const city = document.querySelector("table.heatmap tbody th").getBoundingClientRect();
        const heads = document.querySelectorAll("table.heatmap thead th");
        const last = heads[heads.length - 1].getBoundingClientRect();
        return { fits, box: { left: box.left, right: box.right }, city: { left: city.left, right: city.right }, last: { left: last.left, right: last.right } };
      });
      if (width < 600) {
        assert.ok(!state.fits, "the map fits a phone? then the hint is wrong");
        assert.ok(hint, "no hint that the map scrolls");
        assert.ok(Math.abs(state.city.left - state.box.left) <= 2, `city names scrolled away: ${JSON.stringify(state)}`);
        assert.ok(state.last.right <= state.box.right + 1 && state.last.left >= state.city.right - 1, `last tactic not reachable: ${JSON.stringify(state)}`);
        await page.waitForFunction(() => document.querySelector(".map-scroller").classList.contains("at-end"));
        await page.waitForTimeout(300); // the fade's transition
        await shot(page, `map-${width}-scrolled`);
      } else {
        assert.ok(!hint, "a hint on a screen the map fits");
      }
    } finally {
      await page.close();
    }
  });
}
