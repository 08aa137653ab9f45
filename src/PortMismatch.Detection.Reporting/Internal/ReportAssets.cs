using System.Security.Cryptography;
using System.Text;

namespace PortMismatch.Detection.Reporting.Internal;

/// <summary>
/// The report's one style sheet and one script, and the Content-Security-Policy that allows exactly them by their SHA-256
/// (a hash rather than a nonce keeps the file the same for the same run). The script is ours and small: it sorts and
/// filters the table, and applies <c>#q=...&amp;rule=...&amp;sort=column:asc|desc</c> from the address at load, which makes a
/// filtered view a link and lets a test time a filter; it writes its timings as <c>data-*-ms</c> on the root element.
/// </summary>
internal static class ReportAssets
{
    public const string Style = """
        :root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--head:#f6f8fa;--accent:#0969da}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:1400px;padding:16px 24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
        h3{font-size:14px;margin:12px 0 6px}
        .muted{color:var(--muted)}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
        table{border-collapse:collapse;font-size:13px}
        th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
        th{background:var(--head);position:sticky;top:0;white-space:nowrap}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        .grid{display:flex;flex-wrap:wrap;gap:16px 32px}
        .chart text{font:11px system-ui,sans-serif;fill:var(--fg)}
        .chart .axis{stroke:var(--muted);stroke-width:1}
        .chart .bar{fill:var(--accent)}
        #rows{width:100%}
        #rows td{white-space:nowrap}
        #rows td.msg{white-space:normal;min-width:16em}
        #rows th{cursor:default}
        .js #rows th{cursor:pointer}
        #rows th[aria-sort=ascending]::after{content:" \25B2"}#rows th[aria-sort=descending]::after{content:" \25BC"}
        #controls{display:flex;gap:12px;align-items:center;margin:8px 0;flex-wrap:wrap}
        #controls input{width:24em;padding:4px 6px}
        .bad{color:#cf222e}
        details{margin:8px 0}
        .loading #rows{display:none}
        .loading #findings h2::after{content:" (loading\2026)"}
        figure{margin:0 0 8px}
        .grid>div{min-width:0}
        """;

    public const string Script = """
        (function () {
          'use strict';
          var root = document.documentElement;
          root.className = 'js';
          var data = JSON.parse(document.getElementById('report-data').textContent);
          var table = document.getElementById('rows');
          if (!table) { root.setAttribute('data-ready-ms', String(Math.round(performance.now()))); return; }
          var body = table.tBodies[0];
          var heads = table.tHead.rows[0].cells;
          var rows = Array.prototype.slice.call(body.rows);
          var texts = null, rules = null;
          var q = document.getElementById('q'), rule = document.getElementById('rule'), shown = document.getElementById('shown'), more = document.getElementById('more');
          data.rules.forEach(function (r) {
            var o = document.createElement('option');
            o.value = r.id;
            o.textContent = r.id + ' \u2013 ' + r.name + ' (' + r.rows + ')';
            rule.appendChild(o);
          });
          document.getElementById('controls').hidden = false;

          function index() {
            if (texts) { return; }
            texts = new Array(rows.length); rules = new Array(rows.length);
            for (var i = 0; i < rows.length; i++) { texts[i] = rows[i].textContent.toLowerCase(); rules[i] = rows[i].cells[0].textContent; }
          }
          // At most `limit` matching rows are laid out: a browser lays out 100,000 visible rows in tens of seconds.
          var page = 1000, limit = page;
          function filter() {
            var s = q.value.trim().toLowerCase(), r = rule.value, n = 0;
            index();
            for (var i = 0; i < rows.length; i++) {
              var ok = (!r || rules[i] === r) && (!s || texts[i].indexOf(s) >= 0);
              if (ok) { n++; }
              var show = ok && n <= limit;
              if (rows[i].hidden === show) { rows[i].hidden = !show; }
            }
            shown.textContent = (n === rows.length ? 'all ' + n + ' rows' : n + ' of ' + rows.length + ' rows') + (n > limit ? ', the first ' + limit + ' shown' : '');
            more.hidden = n <= limit;
          }
          function sort(c, descending) {
            index();
            var numeric = heads[c].classList.contains('n'), d = descending ? -1 : 1;
            var keys = rows.map(function (x) { var t = x.cells[c].textContent; return numeric ? parseFloat(t) || 0 : t; });
            var order = rows.map(function (x, i) { return i; });
            order.sort(function (a, b) { return keys[a] < keys[b] ? -d : keys[a] > keys[b] ? d : a - b; });
            // Rows are moved while their tbody is out of the document: moved within it, 100,000 rows took Chromium 27 s.
            var next = body.cloneNode(false), r2 = [], t2 = [], u2 = [];
            table.removeChild(body);
            order.forEach(function (i) { next.appendChild(rows[i]); r2.push(rows[i]); t2.push(texts[i]); u2.push(rules[i]); });
            rows = r2; texts = t2; rules = u2;
            table.appendChild(next);
            body = next;
            filter();
            for (var h = 0; h < heads.length; h++) { heads[h].removeAttribute('aria-sort'); }
            heads[c].setAttribute('aria-sort', descending ? 'descending' : 'ascending');
          }
          function timed(name, f) {
            var t = performance.now(); f(); void body.offsetHeight;
            root.setAttribute('data-' + name + '-ms', String(Math.round(performance.now() - t)));
          }

          var timer = 0;
          var again = function () { limit = page; filter(); };
          q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(again, 150); });
          rule.addEventListener('change', again);
          more.addEventListener('click', function () { limit += 10 * page; filter(); });
          Array.prototype.forEach.call(heads, function (th, c) {
            th.tabIndex = 0;
            var go = function () { sort(c, th.getAttribute('aria-sort') === 'ascending'); };
            th.addEventListener('click', go);
            th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
          });

          var hash = new URLSearchParams(location.hash.slice(1));
          if (hash.get('q')) { q.value = hash.get('q'); }
          if (hash.get('rule')) { rule.value = hash.get('rule'); }
          var by = /^(\d+):(asc|desc)$/.exec(hash.get('sort') || '');
          if (by && +by[1] < heads.length) { timed('sort', function () { sort(+by[1], by[2] === 'desc'); }); }
          timed('filter', filter);
          void body.offsetHeight;
          root.setAttribute('data-ready-ms', String(Math.round(performance.now())));
        })();
        """;

    /// <summary>
    /// The first script, in the head: hides the table while the page loads, when scripts run. Laid out as the parser
    /// appends rows, a table of 100,000 rows took Chromium over 90 s (each layout pass lays out all rows so far); hidden,
    /// under 5 s. <see cref="Script"/> shows it again first thing; without JavaScript it was never hidden.
    /// </summary>
    public const string HeadScript = "document.documentElement.className='loading'";

    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src '{Hash(Style)}'; script-src '{Hash(HeadScript)}' '{Hash(Script)}'; img-src 'none'; base-uri 'none'; form-action 'none'";

    private static string Hash(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
