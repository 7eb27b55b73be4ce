// casebook: progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Interface strings in the site's language (search/strings.js, written from the theme's
  // locale file), as reader.js takes them: a page in another language than Chinese loads them
  // before anything is drawn; the built-in Chinese text stands otherwise (and if they fail).
  var me = document.currentScript;
  var zh = /^zh/i.test(document.documentElement.lang || "zh");
  if (!zh && !window.casebookStrings && me && me.src) {
    var s = document.createElement("script");
    s.src = me.src.replace(/casebook\.js(\?.*)?$/, "search/strings.js");
    s.onload = s.onerror = function () { main(); };
    document.head.appendChild(s);
  } else {
    main();
  }
  function tr(key, fallback, vars) {
    var t = (window.casebookStrings && window.casebookStrings[key]) || fallback;
    for (var k in vars || {}) t = t.split("{" + k + "}").join(String(vars[k]));
    return t;
  }
  function main() {
  // Sortable tables: a button in each header cell; numbers sort by data-value, text by locale.
  function makeSortable(table) {
    // The last header row names the columns (a row of groups may stand above it).
    var heads = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "sort";
      while (th.firstChild) btn.appendChild(th.firstChild);
      th.appendChild(btn);
      btn.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          var v = cell.getAttribute("data-value");
          if (v !== null) return v === "" ? null : parseFloat(v);
          return cell.textContent.trim();
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null && y === null) return 0;
          if (x === null) return 1; // empty cells last either way
          if (y === null) return -1;
          var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);

  // The print edition's button (no inline handler, so a strict Content-Security-Policy holds).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // Citations (report pages): today's date as the citation date, and a copy button per form.
  // The Clipboard API needs a secure context (not file:// everywhere, not plain http on a LAN);
  // where it is missing or refused, the text is selected and copied the old way, and the reader
  // is told to press Ctrl+C if even that fails.
  (function () {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var today = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    Array.prototype.forEach.call(document.querySelectorAll(".cite-accessed"), function (s) {
      s.textContent = today;
    });
    var status = document.querySelector(".cite-status");
    var say = function (msg) { if (status) status.textContent = msg; };
    var select = function (el) {
      var range = document.createRange();
      range.selectNodeContents(el);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? tr("js.cite_copied", "已复制引文。") : tr("js.cite_selected", "已选中引文，请按 Ctrl+C（⌘C）复制。"));
    };
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (b) {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) return;
      b.hidden = false;
      b.addEventListener("click", function () {
        var text = el.textContent.replace(/\s+/g, " ").trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { say(tr("js.cite_copied", "已复制引文。")); },
            function () { select(el); }
          );
        } else {
          select(el);
        }
      });
    });
  })();
  // Metrics tables: a column picker. Without script every column shows; with it the reader
  // hides the ones not wanted (one picker for every table of the page, by metric key), grouped
  // as the header's group row groups them.
  (function () {
    var tables = Array.prototype.slice.call(document.querySelectorAll("table[data-picker]"));
    if (!tables.length) return;
    var cols = [];
    var seen = {};
    tables.forEach(function (t) {
      var row = t.tHead.rows[t.tHead.rows.length - 1];
      Array.prototype.forEach.call(row.cells, function (th) {
        var key = th.getAttribute("data-key");
        if (!key || seen[key]) return;
        seen[key] = true;
        var label = th.cloneNode(true);
        Array.prototype.forEach.call(label.querySelectorAll("small, .visually-hidden"), function (n) { n.remove(); });
        cols.push({ key: key, label: label.textContent.trim(), group: th.getAttribute("data-group") || "" });
      });
    });
    var show = function (key, on) {
      tables.forEach(function (t) {
        var rows = t.tHead.rows;
        var last = rows[rows.length - 1];
        var idx = -1;
        Array.prototype.forEach.call(last.cells, function (th, i) { if (th.getAttribute("data-key") === key) idx = i; });
        if (idx < 0) return;
        last.cells[idx].hidden = !on;
        Array.prototype.forEach.call(t.tBodies[0].rows, function (r) { if (r.cells[idx]) r.cells[idx].hidden = !on; });
        // The group row: each group cell spans its visible columns, and hides with none.
        if (rows.length > 1) {
          var group = rows[0];
          var cells = Array.prototype.slice.call(group.cells);
          var c = 0;
          cells.forEach(function (g) {
            if (!g.hasAttribute("data-span")) g.setAttribute("data-span", g.colSpan);
            var span = Number(g.getAttribute("data-span"));
            var visible = 0;
            for (var k = c; k < c + span; k++) if (!last.cells[k].hidden) visible++;
            c += span;
            g.hidden = visible === 0;
            if (visible) g.colSpan = visible;
          });
        }
      });
    };
    var details = document.createElement("details");
    details.className = "col-picker";
    var summary = document.createElement("summary");
    summary.textContent = tr("js.picker", "选择显示的列（共 {n} 项）", { n: cols.length });
    details.appendChild(summary);
    var boxes = [];
    var sets = {};
    var order = [];
    cols.forEach(function (c) {
      var g = c.group || tr("js.picker_group", "数据");
      if (!sets[g]) {
        var fs = document.createElement("fieldset");
        var legend = document.createElement("legend");
        var all = document.createElement("input");
        all.type = "checkbox";
        all.checked = true;
        var ll = document.createElement("label");
        ll.appendChild(all);
        ll.appendChild(document.createTextNode(" " + g));
        legend.appendChild(ll);
        fs.appendChild(legend);
        sets[g] = { fs: fs, all: all, boxes: [] };
        order.push(g);
        all.addEventListener("change", function () {
          sets[g].boxes.forEach(function (b) { b.checked = all.checked; show(b.value, all.checked); });
        });
      }
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = c.key;
      box.addEventListener("change", function () {
        show(c.key, box.checked);
        var s = sets[g];
        s.all.checked = s.boxes.some(function (b) { return b.checked; });
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(c.label));
      sets[g].fs.appendChild(label);
      sets[g].boxes.push(box);
      boxes.push(box);
    });
    order.forEach(function (g) { details.appendChild(sets[g].fs); });
    var actions = document.createElement("p");
    actions.className = "picker-actions";
    [[tr("js.show_all", "全部显示"), true], [tr("js.hide_all", "全部隐藏"), false]].forEach(function (a) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button secondary";
      b.textContent = a[0];
      b.addEventListener("click", function () {
        boxes.forEach(function (x) { x.checked = a[1]; show(x.value, a[1]); });
        order.forEach(function (g) { sets[g].all.checked = a[1]; });
      });
      actions.appendChild(b);
    });
    details.appendChild(actions);
    var first = tables[0].closest(".table-wrap") || tables[0];
    first.parentNode.insertBefore(details, first);
  })();
  // The tactics map's scroller: the fade at the right edge goes once there is nothing more to see.
  Array.prototype.forEach.call(document.querySelectorAll(".map-scroller"), function (box) {
    var wrap = box.querySelector(".table-wrap");
    if (!wrap) return;
    var update = function () {
      box.classList.toggle("fits", wrap.scrollWidth <= wrap.clientWidth + 1);
      box.classList.toggle("at-end", wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 2);
    };
    wrap.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  });
  }
})();
