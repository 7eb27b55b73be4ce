// casebook: the reader's tools of issue 15 part A. Every page works without this file.
// - The tile map's measure picker: recolours the tiles from the steps built into their data
//   attributes (the map itself, coloured by the number of reports, needs no script).
// - Compare side by side: "对比" toggles on listings, search results and report pages; the
//   selection lives in localStorage while browsing (guarded: pages opened from disk may not
//   share it) and in the compare page's address (?r=slug1,slug2), which is what counts there.
//   The compare page loads, per chosen report, the small script of its bucket (data/compare/<n>.js,
//   n = FNV-1a of the slug modulo data-buckets, as urls::compare_bucket; calling
//   __casebook_compare once per report in it): scripts load from file:// where fetch() does not.
(function () {
  "use strict";
  // Interface strings in the site's language (search/strings.js, written from the theme's
  // locale file): a page in another language than Chinese loads them before anything is drawn;
  // the built-in Chinese text stands otherwise (and if they fail to load).
  var me0 = document.currentScript;
  var zh = /^zh/i.test(document.documentElement.lang || "zh");
  if (!zh && !window.casebookStrings && me0 && me0.src) {
    var s = document.createElement("script");
    s.src = me0.src.replace(/reader\.js(\?.*)?$/, "search/strings.js");
    s.onload = s.onerror = function () { main(me0); };
    document.head.appendChild(s);
  } else {
    main(me0);
  }
  function tr(key, fallback, vars) {
    var t = (window.casebookStrings && window.casebookStrings[key]) || fallback;
    for (var k in vars || {}) t = t.split("{" + k + "}").join(String(vars[k]));
    return t;
  }
  function main(me) {
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // ------------------------------------------------------------ tile map
  each(document.querySelectorAll("[data-tilemap]"), function (fig) {
    var picker = fig.querySelector(".tilemap-picker");
    var select = picker && picker.querySelector("select");
    if (!select) return;
    picker.hidden = false;
    var label = fig.querySelector("[data-tilemap-label]");
    var split = function (t, name) { return (t.getAttribute(name) || "").split(","); };
    function show(k) {
      var opt = select.options[k];
      var what = opt.getAttribute("data-label") || opt.textContent;
      var unit = opt.getAttribute("data-unit") || "";
      if (label) label.textContent = what;
      each(fig.querySelectorAll(".tile"), function (t) {
        var bins = split(t, "data-bins"), values = split(t, "data-values"), counts = split(t, "data-counts");
        var v = values[k] || "";
        var reports = t.getAttribute("data-reports");
        t.setAttribute("class", "tile b" + (bins[k] || "0"));
        var value = t.querySelector(".tile-value");
        if (value) value.textContent = v === "" ? "—" : v;
        var title = t.querySelector("title");
        if (title) {
          title.textContent = t.getAttribute("data-name") + tr("js.colon", "：") + (k === 0
            ? tr("js.n_reports", "{n} 个试点", { n: reports })
            : what + " " + (v === "" ? tr("js.no_data", "无数据") : v + unit) + tr("js.tile_covers", "（{of} 个试点中 {n} 个报告）", { of: reports, n: counts[k] || 0 }));
        }
      });
      each(fig.querySelectorAll(".tilemap-legend"), function (l) {
        l.hidden = l.getAttribute("data-measure") !== String(k);
      });
    }
    select.addEventListener("change", function () { show(select.selectedIndex); });
    if (select.selectedIndex > 0) show(select.selectedIndex); // a form restored on "back"
  });

  // ------------------------------------------------------------ compare: selection
  var KEY = "casebook-compare";
  var app = document.getElementById("compare-app");
  var MOST = parseInt((app && app.getAttribute("data-most")) || "4", 10) || 4;
  var compareUrl = (me && me.getAttribute("data-compare")) || "";

  // A slug as a report's path segment: not empty, no path or query characters.
  function validSlug(s) {
    return typeof s === "string" && s.length > 0 && s.length < 200 && s !== "." && s !== ".." && !/[\/\\?#%\s]/.test(s);
  }
  function stored() {
    try {
      var v = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      if (!Array.isArray(v)) return [];
      return v.filter(function (x) { return x && validSlug(x.s); }).slice(0, MOST);
    } catch (e) {
      return []; // storage off, or unreadable: start empty
    }
  }
  function store(list) {
    try { window.localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* file:// or private mode */ }
  }
  var selection = stored();
  var has = function (slug) { return selection.some(function (x) { return x.s === slug; }); };
  function hrefFor(list) {
    return compareUrl + "?r=" + list.map(function (x) { return encodeURIComponent(x.s); }).join(",");
  }

  var tray = null, note = null;
  function makeTray() {
    tray = document.createElement("div");
    tray.className = "compare-tray";
    tray.setAttribute("role", "region");
    tray.setAttribute("aria-label", tr("js.tray", "对比栏"));
    tray.hidden = true;
    tray.innerHTML = '<strong class="tray-count"></strong><span class="tray-names"></span>' +
      '<a class="button tray-open"></a><button type="button" class="button secondary tray-clear"></button>' +
      '<p class="tray-note" aria-live="polite"></p>';
    tray.querySelector(".tray-clear").textContent = tr("js.clear", "清空");
    note = tray.querySelector(".tray-note");
    tray.querySelector(".tray-clear").addEventListener("click", function () {
      selection = [];
      store(selection);
      note.textContent = "";
      refresh();
    });
    document.body.appendChild(tray);
  }
  function refresh() {
    each(document.querySelectorAll(".compare-toggle"), function (b) {
      b.hidden = false;
      b.setAttribute("aria-pressed", has(b.getAttribute("data-compare")) ? "true" : "false");
    });
    if (app || !compareUrl) return; // the compare page is its own tray
    if (!tray) makeTray();
    tray.hidden = selection.length === 0;
    document.body.classList.toggle("has-compare-tray", selection.length > 0);
    tray.querySelector(".tray-count").textContent = tr("js.tray_count", "对比 ({n})", { n: selection.length });
    tray.querySelector(".tray-names").textContent = selection.map(function (x) { return x.t || x.s; }).join(tr("js.enum", "、"));
    var open = tray.querySelector(".tray-open");
    open.href = hrefFor(selection);
    open.textContent = selection.length < 2 ? tr("js.open_one_more", "打开对比（再选 1 个）") : tr("js.open", "打开对比");
  }
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest(".compare-toggle") : null;
    if (!b) return;
    var slug = b.getAttribute("data-compare");
    if (!validSlug(slug)) return;
    selection = stored().length || !selection.length ? stored() : selection;
    if (has(slug)) {
      selection = selection.filter(function (x) { return x.s !== slug; });
      if (note) note.textContent = "";
    } else if (selection.length >= MOST) {
      if (!tray) makeTray();
      note.textContent = tr("js.at_most", "最多并排比较 {most} 个试点，请先取消一个。", { most: MOST });
      refresh();
      return;
    } else {
      selection.push({ s: slug, t: b.getAttribute("data-title") || slug });
      if (note) note.textContent = "";
    }
    store(selection);
    refresh();
  });
  window.addEventListener("storage", function (e) {
    if (e.key === KEY) { selection = stored(); refresh(); }
  });
  // Search results arrive later; the search UI calls this after drawing them.
  window.casebookCompare = { refresh: refresh };
  refresh();

  // ------------------------------------------------------------ compare: the page
  if (!app) return;
  var status = document.getElementById("compare-status");
  var result = document.getElementById("compare-result");
  var root = app.getAttribute("data-root") || "";
  var pattern = app.getAttribute("data-pattern") || "";
  var buckets = parseInt(app.getAttribute("data-buckets"), 10) || 1;
  // The bucket whose data file holds `slug` (urls::compare_bucket): FNV-1a, 32 bits, of its UTF-8.
  function bucketOf(slug) {
    var bytes = new TextEncoder().encode(slug), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    return (h >>> 0) % buckets;
  }
  var registry = [];
  try { registry = JSON.parse(document.getElementById("compare-registry").textContent); } catch (e) { registry = []; }

  var param = new URLSearchParams(window.location.search).get("r");
  var slugs = param === null
    ? selection.map(function (x) { return x.s; })
    : param.split(",").map(function (s) { return s.trim(); }).filter(validSlug);
  slugs = slugs.filter(function (s, i) { return slugs.indexOf(s) === i; });
  var dropped = slugs.length > MOST;
  slugs = slugs.slice(0, MOST);
  if (param === null && slugs.length) {
    try { history.replaceState(null, "", "?r=" + slugs.map(encodeURIComponent).join(",")); } catch (e) { /* file:// */ }
  }

  var waiting = {};
  window.__casebook_compare = function (slug, data) {
    var w = waiting[slug];
    if (w) { delete waiting[slug]; w(data); }
  };
  function loadOne(slug) {
    return new Promise(function (resolve) {
      waiting[slug] = resolve;
      var s = document.createElement("script");
      s.src = pattern.replace("{bucket}", String(bucketOf(slug)));
      var done = function () {
        s.remove();
        if (waiting[slug]) { delete waiting[slug]; resolve(null); } // missing, or not a data file
      };
      s.onload = done;
      s.onerror = done;
      document.head.appendChild(s);
    });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function link(l, text) {
    return el("a", { href: root + l.url }, text == null ? l.name : text);
  }
  function go(list) {
    window.location.href = "?r=" + list.map(encodeURIComponent).join(",");
  }

  function render(reports, missing) {
    result.textContent = "";
    var msgs = [];
    if (missing.length) msgs.push(tr("js.not_found", "找不到这些试点：{list}。", { list: missing.join(tr("js.enum", "、")) }));
    if (dropped) msgs.push(tr("js.dropped", "一次最多比较 {most} 个试点，只显示前 {most} 个。", { most: MOST }));
    if (!reports.length) {
      msgs.push(tr("js.none_chosen", "还没有选择试点：在目录、地市、做法页、搜索结果或报告页上点“对比”，选 2 至 {most} 个试点。", { most: MOST }));
    } else if (reports.length === 1) {
      msgs.push(tr("js.one_more", "再选一个试点即可并排比较。"));
    } else {
      msgs.push(tr("js.comparing", "正在比较 {n} 个试点。", { n: reports.length }));
    }
    status.textContent = msgs.join(" ");
    if (!reports.length) return;

    // Tactics in more than one chosen report are marked; those in all are listed above.
    var uses = {};
    reports.forEach(function (r) { r.tactics.forEach(function (t) { uses[t.name] = (uses[t.name] || 0) + 1; }); });
    var inAll = reports.length > 1 ? reports[0].tactics.filter(function (t) { return uses[t.name] === reports.length; }) : [];
    if (reports.length > 1) {
      var shared = el("p", { class: "compare-shared" });
      shared.appendChild(el("strong", null, tr("js.shared", "共同做法：")));
      if (inAll.length) {
        inAll.forEach(function (t, i) {
          if (i) shared.appendChild(document.createTextNode(tr("js.enum", "、")));
          shared.appendChild(link(t));
        });
      } else {
        shared.appendChild(document.createTextNode(tr("js.none_shared", "所选试点没有全都采用的做法。")));
      }
      result.appendChild(shared);
    }

    var wrap = el("div", { class: "compare-wrap", role: "region", "aria-label": tr("js.table", "并排比较表"), tabindex: "0" });
    var table = el("table", { class: "compare" });
    table.appendChild(el("caption", { class: "visually-hidden" }, tr("js.caption", "所选试点并排比较")));
    var head = el("tr");
    head.appendChild(el("td"));
    reports.forEach(function (r) {
      var th = el("th", { scope: "col" });
      th.appendChild(el("a", { href: root + r.url }, r.title));
      th.appendChild(el("br"));
      var rm = el("button", { type: "button", class: "button secondary remove", "aria-label": tr("js.remove_label", "移除：{title}", { title: r.title }) }, tr("js.remove", "移除"));
      rm.addEventListener("click", function () {
        var rest = reports.filter(function (x) { return x !== r; }).map(function (x) { return x.slug; });
        store(reports.filter(function (x) { return x !== r; }).map(function (x) { return { s: x.slug, t: x.title }; }));
        go(rest);
      });
      th.appendChild(rm);
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    function row(label, cell) {
      var tr = el("tr");
      tr.appendChild(el("th", { scope: "row" }, label));
      reports.forEach(function (r) {
        var td = el("td");
        cell(r, td);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    row(tr("js.row_place", "地点"), function (r, td) {
      td.appendChild(link(r.city));
      td.appendChild(document.createTextNode([r.county, r.town].filter(Boolean).map(function (x) { return " · " + x; }).join("")));
    });
    row(tr("js.row_level", "层级"), function (r, td) {
      if (r.section) td.appendChild(link(r.section));
      if (r.level) td.appendChild(document.createTextNode((r.section ? " · " : "") + r.level));
      if (!r.section && !r.level) td.appendChild(el("span", { class: "none" }, "—"));
    });
    row(tr("js.row_summary", "摘要"), function (r, td) {
      td.appendChild(r.line ? document.createTextNode(r.line) : el("span", { class: "none" }, "—"));
    });
    row(tr("js.row_tactics", "做法"), function (r, td) {
      if (!r.tactics.length) return td.appendChild(el("span", { class: "none" }, "—"));
      var ul = el("ul");
      r.tactics.forEach(function (t) {
        var sharedT = reports.length > 1 && uses[t.name] > 1;
        var li = el("li", sharedT ? { class: "shared" } : null);
        li.appendChild(link(t));
        if (sharedT) li.appendChild(el("span", { class: "visually-hidden" }, tr("js.shared_mark", "（共同）")));
        ul.appendChild(li);
      });
      td.appendChild(ul);
    });
    // Every metric any chosen report gives, in the registry's order.
    var given = {};
    reports.forEach(function (r) { r.metrics.forEach(function (m) { if (m.value !== null) given[m.key] = true; }); });
    var order = registry.map(function (m) { return m.key; });
    reports.forEach(function (r) {
      r.metrics.forEach(function (m) { if (order.indexOf(m.key) < 0) { order.push(m.key); registry.push(m); } });
    });
    order.filter(function (k) { return given[k]; }).forEach(function (key) {
      var def = registry[order.indexOf(key)];
      row(def.label + (def.unit ? tr("js.unit", "（{unit}）", { unit: def.unit }) : ""), function (r, td) {
        td.className = "num";
        var m = r.metrics.filter(function (x) { return x.key === key; })[0];
        if (!m || m.value === null) return td.appendChild(el("span", { class: "none", title: tr("js.no_figure", "报道中没有这项数字") }, "—"));
        td.appendChild(document.createTextNode(m.display));
        if (m.unit) td.appendChild(el("small", null, " " + m.unit));
      });
    });
    table.appendChild(body);
    wrap.appendChild(table);
    result.appendChild(wrap);
    if (reports.length > 1) {
      var legend = el("p", { class: "compare-legend" });
      legend.appendChild(el("span", { class: "shared-mark" }, tr("js.row_tactics", "做法")));
      legend.appendChild(document.createTextNode(tr("js.legend", " 加框的做法，所选试点中不止一个采用。“—”：报道中没有这项数字。")));
      result.appendChild(legend);
    }
  }

  status.textContent = slugs.length ? tr("js.loading", "正在载入所选试点…") : "";
  Promise.all(slugs.map(loadOne)).then(function (data) {
    var reports = [], missing = [];
    data.forEach(function (d, i) {
      if (d && d.slug === slugs[i]) reports.push(d);
      else missing.push(slugs[i]);
    });
    // The address is the source of truth: the selection follows the page.
    if (param !== null) store(reports.map(function (r) { return { s: r.slug, t: r.title }; }));
    selection = stored();
    refresh();
    render(reports, missing);
  });
  }
})();
