// casebook: the reader's tools of issue 15 part A. Every page works without this file.
// - The tile map's measure picker: recolours the tiles from the steps built into their data
//   attributes (the map itself, coloured by the number of reports, needs no script).
// - Compare side by side: "对比" toggles on listings, search results and report pages; the
//   selection lives in localStorage while browsing (guarded: pages opened from disk may not
//   share it) and in the compare page's address (?r=slug1,slug2), which is what counts there.
//   The compare page loads one small script per chosen report (data/compare/<slug>.js, calling
//   __casebook_compare): scripts load from file:// where fetch() does not.
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var me = document.currentScript;

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
          title.textContent = t.getAttribute("data-name") + "：" + (k === 0
            ? reports + " 个试点"
            : what + " " + (v === "" ? "无数据" : v + unit) + "（" + reports + " 个试点中 " + (counts[k] || 0) + " 个报告）");
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
    tray.setAttribute("aria-label", "对比栏");
    tray.hidden = true;
    tray.innerHTML = '<strong class="tray-count"></strong><span class="tray-names"></span>' +
      '<a class="button tray-open"></a><button type="button" class="button secondary tray-clear">清空</button>' +
      '<p class="tray-note" aria-live="polite"></p>';
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
    tray.querySelector(".tray-count").textContent = "对比 (" + selection.length + ")";
    tray.querySelector(".tray-names").textContent = selection.map(function (x) { return x.t || x.s; }).join("、");
    var open = tray.querySelector(".tray-open");
    open.href = hrefFor(selection);
    open.textContent = selection.length < 2 ? "打开对比（再选 1 个）" : "打开对比";
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
      note.textContent = "最多并排比较 " + MOST + " 个试点，请先取消一个。";
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
      s.src = pattern.replace("{slug}", encodeURIComponent(slug));
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
    if (missing.length) msgs.push("找不到这些试点：" + missing.join("、") + "。");
    if (dropped) msgs.push("一次最多比较 " + MOST + " 个试点，只显示前 " + MOST + " 个。");
    if (!reports.length) {
      msgs.push("还没有选择试点：在目录、地市、做法页、搜索结果或报告页上点“对比”，选 2 至 " + MOST + " 个试点。");
    } else if (reports.length === 1) {
      msgs.push("再选一个试点即可并排比较。");
    } else {
      msgs.push("正在比较 " + reports.length + " 个试点。");
    }
    status.textContent = msgs.join(" ");
    if (!reports.length) return;

    // Tactics in more than one chosen report are marked; those in all are listed above.
    var uses = {};
    reports.forEach(function (r) { r.tactics.forEach(function (t) { uses[t.name] = (uses[t.name] || 0) + 1; }); });
    var inAll = reports.length > 1 ? reports[0].tactics.filter(function (t) { return uses[t.name] === reports.length; }) : [];
    if (reports.length > 1) {
      var shared = el("p", { class: "compare-shared" });
      shared.appendChild(el("strong", null, "共同做法："));
      if (inAll.length) {
        inAll.forEach(function (t, i) {
          if (i) shared.appendChild(document.createTextNode("、"));
          shared.appendChild(link(t));
        });
      } else {
        shared.appendChild(document.createTextNode("所选试点没有全都采用的做法。"));
      }
      result.appendChild(shared);
    }

    var wrap = el("div", { class: "compare-wrap", role: "region", "aria-label": "并排比较表", tabindex: "0" });
    var table = el("table", { class: "compare" });
    table.appendChild(el("caption", { class: "visually-hidden" }, "所选试点并排比较"));
    var head = el("tr");
    head.appendChild(el("td"));
    reports.forEach(function (r) {
      var th = el("th", { scope: "col" });
      th.appendChild(el("a", { href: root + r.url }, r.title));
      th.appendChild(el("br"));
      var rm = el("button", { type: "button", class: "button secondary remove", "aria-label": "移除：" + r.title }, "移除");
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
    row("地点", function (r, td) {
      td.appendChild(link(r.city));
      td.appendChild(document.createTextNode([r.county, r.town].filter(Boolean).map(function (x) { return " · " + x; }).join("")));
    });
    row("层级", function (r, td) {
      if (r.section) td.appendChild(link(r.section));
      if (r.level) td.appendChild(document.createTextNode((r.section ? " · " : "") + r.level));
      if (!r.section && !r.level) td.appendChild(el("span", { class: "none" }, "—"));
    });
    row("摘要", function (r, td) {
      td.appendChild(r.line ? document.createTextNode(r.line) : el("span", { class: "none" }, "—"));
    });
    row("做法", function (r, td) {
      if (!r.tactics.length) return td.appendChild(el("span", { class: "none" }, "—"));
      var ul = el("ul");
      r.tactics.forEach(function (t) {
        var sharedT = reports.length > 1 && uses[t.name] > 1;
        var li = el("li", sharedT ? { class: "shared" } : null);
        li.appendChild(link(t));
        if (sharedT) li.appendChild(el("span", { class: "visually-hidden" }, "（共同）"));
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
      row(def.label + (def.unit ? "（" + def.unit + "）" : ""), function (r, td) {
        td.className = "num";
        var m = r.metrics.filter(function (x) { return x.key === key; })[0];
        if (!m || m.value === null) return td.appendChild(el("span", { class: "none", title: "报道中没有这项数字" }, "—"));
        td.appendChild(document.createTextNode(m.display));
        if (m.unit) td.appendChild(el("small", null, " " + m.unit));
      });
    });
    table.appendChild(body);
    wrap.appendChild(table);
    result.appendChild(wrap);
    if (reports.length > 1) {
      var legend = el("p", { class: "compare-legend" });
      legend.appendChild(el("span", { class: "shared-mark" }, "做法"));
      legend.appendChild(document.createTextNode(" 加框的做法，所选试点中不止一个采用。“—”：报道中没有这项数字。"));
      result.appendChild(legend);
    }
  }

  status.textContent = slugs.length ? "正在载入所选试点…" : "";
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
})();
