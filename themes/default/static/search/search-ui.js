// casebook search UI: the header box on every page (results as you type) and the search page,
// where the same box holds the query and the results fill the page.
// Classic script: it must also run on pages opened from file://, where module scripts are
// refused. The engine (search-classic.js) loads only when a reader starts to search.
(function () {
  "use strict";
  var form = document.querySelector("form.search-box");
  if (!form) return;
  var root = form.getAttribute("data-root") || "";
  var enginePromise = null;

  // Interface strings in the site's language, from search/strings.js (written by the build from
  // the theme's locale file); loaded with the engine, or at once on the search page. Until then
  // (or if it fails) the built-in Chinese text stands.
  function tr(key, fallback, vars) {
    var s = (window.casebookStrings && window.casebookStrings[key]) || fallback;
    for (var k in vars || {}) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }
  var stringsPromise = null;
  function loadStrings() {
    if (!stringsPromise) {
      stringsPromise = new Promise(function (resolve) {
        if (window.casebookStrings) return resolve();
        var s = document.createElement("script");
        s.src = root + "search/strings.js";
        s.onload = s.onerror = function () { resolve(); };
        document.head.appendChild(s);
      });
    }
    return stringsPromise;
  }

  function engine() {
    if (!enginePromise) {
      enginePromise = new Promise(function (resolve, reject) {
        if (window.casebook) return resolve(window.casebook.createSearch());
        // search-text.js (tokenizer, snippets) first: the engine picks it up when it runs.
        var fail = function () { enginePromise = null; reject(new Error(tr("js.unavailable", "搜索暂不可用"))); };
        var add = function (file, then) {
          var s = document.createElement("script");
          s.src = root + "search/" + file;
          s.onload = then;
          s.onerror = fail;
          document.head.appendChild(s);
        };
        loadStrings().then(function () {
          add("search-text.js", function () {
            add("search-classic.js", function () { resolve(window.casebook.createSearch()); });
          });
        });
      });
    }
    return enginePromise;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function searchUrl(q) {
    return root + "search/index.html?q=" + encodeURIComponent(q);
  }
  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  // ------------------------------------------------------------ header box
  var input = form.querySelector("input[type=search]");
  var popup = form.querySelector(".search-popup");
  var active = -1;
  var seq = 0;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");

  function options() {
    return popup.querySelectorAll("a");
  }
  function setActive(i) {
    var opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    for (var k = 0; k < opts.length; k++) opts[k].setAttribute("aria-selected", k === active ? "true" : "false");
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  }
  function close() {
    popup.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function renderPopup(q, res) {
    popup.textContent = "";
    popup.setAttribute("data-query", q); // which query the results are for (typing runs ahead)
    active = -1;
    if (!res.total) {
      popup.appendChild(el("p", { class: "empty" }, res.hint || tr("js.none", "没有找到包含“{q}”的报告。", { q: q })));
    }
    res.results.forEach(function (r, i) {
      var a = el("a", { href: root + r.url, role: "option", id: "search-opt-" + i, "aria-selected": "false" });
      var title = el("strong");
      title.innerHTML = r.titleHtml; // built by the engine from escaped text and <mark> only
      a.appendChild(title);
      a.appendChild(el("span", { class: "place" }, [r.city, r.county, r.town].filter(Boolean).join(" · ")));
      var sn = el("span", { class: "snippet" });
      sn.innerHTML = r.snippet; // escaped by the engine
      a.appendChild(sn);
      popup.appendChild(a);
    });
    if (res.total > res.results.length) {
      var more = el("a", { href: searchUrl(q), role: "option", id: "search-opt-more", class: "more", "aria-selected": "false" },
        tr("js.all_results", "查看全部 {n} 个结果", { n: res.total }));
      popup.appendChild(more);
    }
    popup.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  var app = document.getElementById("search-app");
  var run = debounce(function () {
    var q = input.value.trim();
    var my = ++seq;
    if (!q) return close();
    engine()
      // untrimmed at the end: a trailing space says the last word is complete
      .then(function (s) { return s.search(input.value.replace(/^\s+/, ""), { limit: 6, snippetLength: 60 }); })
      .then(function (res) { if (my === seq) renderPopup(q, res); })
      .catch(function (e) {
        if (my !== seq) return;
        popup.textContent = "";
        popup.appendChild(el("p", { class: "empty" }, String(e.message || e)));
        popup.hidden = false;
      });
  }, 90);
  if (!app) {
    input.addEventListener("input", run);
    input.addEventListener("focus", function () { engine().catch(function () {}); if (input.value.trim()) run(); });
  }
  input.addEventListener("keydown", function (e) {
    if (app) return; // on the search page the box drives the page, not the popup
    if (e.key === "ArrowDown") { e.preventDefault(); if (popup.hidden) run(); else setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
    else if (e.key === "Escape") { close(); }
    else if (e.key === "Enter" && active >= 0 && !popup.hidden) {
      e.preventDefault();
      window.location.href = options()[active].href;
    }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });

  // ------------------------------------------------------------ search page
  if (!app) return;
  var pageInput = input; // one box: the header's
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var filtersBox = document.getElementById("search-filters");
  var params = new URLSearchParams(window.location.search);
  var state = {
    q: params.get("q") || "",
    city: params.getAll("city"),
    tactics: params.getAll("tactic"),
    section: params.getAll("section"),
    limit: 20,
  };
  pageInput.value = state.q;
  var LABELS = { city: "地市", tactics: "做法", section: "栏目" };
  var PARAM = { city: "city", tactics: "tactic", section: "section" };

  function syncUrl() {
    var p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    ["city", "tactics", "section"].forEach(function (k) {
      state[k].forEach(function (v) { p.append(PARAM[k], v); });
    });
    var qs = p.toString();
    try {
      history.replaceState(null, "", qs ? "?" + qs : window.location.pathname);
    } catch (e) { /* file:// in some browsers */ }
  }
  // On a phone the filters fold away under one summary line so results come first.
  var panel = null;
  function renderFilters(facets) {
    if (!panel) {
      panel = el("details", { class: "filter-panel" });
      panel.open = !window.matchMedia || window.matchMedia("(min-width: 60rem)").matches;
      panel.appendChild(el("summary", null, tr("js.filters", "筛选")));
      filtersBox.appendChild(panel);
    }
    var box = panel;
    Array.prototype.slice.call(box.querySelectorAll("fieldset")).forEach(function (x) { x.remove(); });
    ["city", "section", "tactics"].forEach(function (k) {
      var values = Object.keys(facets[k]);
      state[k].forEach(function (v) { if (values.indexOf(v) < 0) values.push(v); });
      if (!values.length) return;
      var fs = el("fieldset");
      fs.appendChild(el("legend", null, tr("js.facet_" + k, LABELS[k])));
      values.forEach(function (v) {
        var label = el("label");
        var cb = el("input", { type: "checkbox", value: v });
        cb.checked = state[k].indexOf(v) >= 0;
        cb.addEventListener("change", function () {
          state[k] = cb.checked ? state[k].concat([v]) : state[k].filter(function (x) { return x !== v; });
          state.limit = 20;
          runPage();
        });
        label.appendChild(cb);
        label.appendChild(document.createTextNode(v + " (" + (facets[k][v] || 0) + ")"));
        fs.appendChild(label);
      });
      box.appendChild(fs);
    });
  }
  function renderResults(res) {
    list.textContent = "";
    if (!state.q) {
      status.textContent = tr("js.prompt", "输入镇名、做法或任意词句，例如：小板凳、网格化管理、三墩镇。");
      if (panel) { panel.remove(); panel = null; }
      return;
    }
    status.textContent = res.total
      ? tr("js.found", "找到 {n} 个包含“{q}”的试点", { n: res.total, q: state.q })
      : res.hint || tr("js.none", "没有找到包含“{q}”的报告。", { q: state.q });
    res.results.forEach(function (r) {
      var li = el("li");
      if (r.thumb) {
        li.className = "has-thumb";
        // Decorative: the title beside it says what the result is.
        li.appendChild(el("img", { class: "thumb", src: root + r.thumb, alt: "", loading: "lazy", decoding: "async" }));
      }
      var a = el("a", { href: root + r.url });
      a.innerHTML = r.titleHtml;
      li.appendChild(a);
      li.appendChild(el("span", { class: "place" }, [r.city, r.county, r.town, r.section].filter(Boolean).join(" · ")));
      if (r.slug) {
        var title = r.title || r.slug;
        li.appendChild(el("button", { type: "button", class: "compare-toggle", "data-compare": r.slug, "data-title": title, "aria-pressed": "false", "aria-label": tr("js.compare_label", "对比：{title}", { title: title }), hidden: "" }, tr("js.compare", "对比")));
      }
      var sn = el("p", { class: "snippet" });
      sn.innerHTML = r.snippet;
      li.appendChild(sn);
      list.appendChild(li);
    });
    if (res.total > res.results.length) {
      var li = el("li");
      var btn = el("button", { type: "button", class: "button secondary" }, tr("js.more", "显示更多"));
      btn.addEventListener("click", function () { state.limit += 20; runPage(); });
      li.appendChild(btn);
      list.appendChild(li);
    }
    renderFilters(res.facets);
    if (window.casebookCompare) window.casebookCompare.refresh(); // reader.js: the compare toggles
  }
  var pageSeq = 0;
  function runPage() {
    syncUrl();
    var my = ++pageSeq;
    if (!state.q) return renderResults({ total: 0, results: [], facets: {} });
    status.textContent = tr("js.searching", "搜索中…");
    engine()
      .then(function (s) {
        return s.search(state.raw || state.q, {
          limit: state.limit,
          facets: true,
          filters: { city: state.city, tactics: state.tactics, section: state.section },
        });
      })
      .then(function (res) { if (my === pageSeq) renderResults(res); })
      .catch(function (e) { status.textContent = String(e.message || e); });
  }
  var pageRun = debounce(function () {
    state.q = pageInput.value.trim();
    state.raw = pageInput.value.replace(/^\s+/, "");
    state.limit = 20;
    runPage();
  }, 120);
  pageInput.addEventListener("input", pageRun);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    state.q = pageInput.value.trim();
    state.raw = state.q;
    runPage();
  });
  // The page's first words are in the site's language: its strings first.
  loadStrings().then(runPage);
})();
