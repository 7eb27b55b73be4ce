// casebook: progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Sortable tables: a button in each header cell; numbers sort by data-value, text by locale.
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
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
      say(ok ? "已复制引文。" : "已选中引文，请按 Ctrl+C（⌘C）复制。");
    };
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (b) {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) return;
      b.hidden = false;
      b.addEventListener("click", function () {
        var text = el.textContent.replace(/\s+/g, " ").trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { say("已复制引文。"); },
            function () { select(el); }
          );
        } else {
          select(el);
        }
      });
    });
  })();
})();
