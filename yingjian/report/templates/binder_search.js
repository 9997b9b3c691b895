/* The binder's search, with no server (a file:// page): the same meaning as `yingjian search`.
   Words are normalised as the index normalises them (NFKC, OCR's spaces inside Chinese
   removed, lower case); the files' texts were normalised when the binder was made. A word
   matches a file when the file holds every index term of the word (a Han pair, a lone Han
   character, a Latin word or number) in its name or its text and, for a longer word, the word
   itself is in the name or the text. Several words = AND; OR, NOT / -word and "phrases" as on
   the command line. Vanilla JavaScript, no eval, no inline script: it runs under a
   Content-Security-Policy that allows scripts only from the page's own folder. */
(function () {
  "use strict";
  var HAN = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff";
  var HAN_CLASS = "[" + HAN + "]";
  var SPACE_BETWEEN_HAN = new RegExp("(" + HAN_CLASS + ")[ \\t\\u3000]+(?=" + HAN_CLASS + ")", "g");
  var RUNS = new RegExp("(" + HAN_CLASS + "+)|([0-9a-z]+(?:[./_-][0-9a-z]+)*)", "g");
  var WORDS = /[0-9a-z]+(?:[./_-][0-9a-z]+)*/g;
  var HAN_ONLY = new RegExp("^" + HAN_CLASS + "+$");
  var MAX_QUERY_CHARS = 500, MAX_TERMS = 32, SHOWN = 200, WIDTH = 60;

  function normalize(text) {
    return String(text).normalize("NFKC").replace(SPACE_BETWEEN_HAN, "$1").toLowerCase();
  }

  function runs(text) {
    var out = [], m, s = normalize(text);
    RUNS.lastIndex = 0;
    while ((m = RUNS.exec(s)) !== null) {
      out.push(m[1] ? {han: true, run: m[1]} : {han: false, run: m[2]});
    }
    return out;
  }

  function tokens(text) {
    var out = [];
    runs(text).forEach(function (r) {
      if (r.han) {
        if (r.run.length === 1) { out.push(r.run); }
        for (var i = 0; i + 1 < r.run.length; i++) { out.push(r.run.substr(i, 2)); }
      } else {
        out.push(r.run);
        if (/[./_-]/.test(r.run)) {
          r.run.split(/[./_-]/).forEach(function (p) { if (p) { out.push(p); } });
        }
      }
    });
    return out;
  }

  function unique(list) {
    var seen = {}, out = [];
    list.forEach(function (x) { if (!seen.hasOwnProperty(x)) { seen[x] = 1; out.push(x); } });
    return out;
  }

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&"); }

  function wordPattern(word) {
    var body = word.split(/\s+/).filter(Boolean).map(escapeRe).join("\\s*");
    if (/^[0-9a-z]/.test(word)) { body = "(?:^|[^0-9a-z])" + body; }
    if (/[0-9a-z]$/.test(word)) { body += "(?![0-9a-z])"; }
    return new RegExp(body);
  }

  /* One word of the query, as indexer/querying.py's _word makes it. */
  function makeWord(words) {
    var toks = tokens(words);
    if (!toks.length) { return null; }
    var rs = runs(words), terms = unique(toks), w;
    if (rs.length === 1 && !rs[0].han) {
      w = {text: rs[0].run, terms: [rs[0].run], exact: true};
    } else if (rs.length === 1 && rs[0].run.length === 1) {
      w = {text: rs[0].run, terms: [rs[0].run], exact: true, prefix: true};
    } else if (rs.length === 1) {
      w = {text: rs[0].run, terms: terms, exact: rs[0].run.length === 2};
    } else {
      w = {text: normalize(words).trim(), terms: terms, exact: false};
    }
    w.tests = w.terms.map(function (t) { return termTest(t, w.prefix); });
    if (!w.exact) {
      w.check = HAN_ONLY.test(w.text) ? containsTest(w.text) : regexTest(wordPattern(w.text));
    }
    if (!w.prefix && HAN_ONLY.test(w.text)) {
      // a Han word in the name or the text holds all its pairs there: one test decides
      w.only = containsTest(w.text);
    }
    return w;
  }

  function containsTest(s) { return function (text) { return text.indexOf(s) >= 0; }; }
  function regexTest(re) { return function (text) { return re.test(text); }; }

  /* Whether a normalised text holds an index term (the index keeps Han pairs, a lone Han
     character as itself, Latin words and numbers whole and, for a code such as gb/t-9704,
     its parts too); `prefix`: any term that starts with the character. */
  function termTest(term, prefix) {
    if (HAN_ONLY.test(term) && term.length === 2) { return containsTest(term); }
    if (HAN_ONLY.test(term)) {
      var c = escapeRe(term);
      return regexTest(new RegExp((prefix ? c + "(?=" + HAN_CLASS + ")|" : "") +
                                  "(?:^|[^" + HAN + "])" + c + "(?!" + HAN_CLASS + ")"));
    }
    return function (text) {
      if (text.indexOf(term) < 0) { return false; }
      var m;
      WORDS.lastIndex = 0;
      while ((m = WORDS.exec(text)) !== null) {
        if (m[0] === term) { return true; }
        if (/[./_-]/.test(m[0]) && m[0].split(/[./_-]/).indexOf(term) >= 0) { return true; }
      }
      return false;
    };
  }

  function matches(w, name, text) {
    if (w.only) { return w.only(text) || w.only(name); }
    for (var i = 0; i < w.tests.length; i++) {
      if (!w.tests[i](name) && !w.tests[i](text)) { return false; }
    }
    return w.exact || w.check(text) || w.check(name);
  }

  /* (operator, words) pairs, as querying.py's _clauses. */
  function clauses(text) {
    var out = [], pending = "", m, re = /"([^"]*)"?|(\S+)/g;
    while ((m = re.exec(text)) !== null) {
      var quoted = m[1], word = m[2];
      if (word === "OR" || word === "|") { pending = out.length ? "OR" : ""; continue; }
      if (word === "NOT" || word === "AND") { pending = word === "NOT" ? "NOT" : pending; continue; }
      if (quoted === undefined && word.charAt(0) === "-" && word.length > 1) {
        out.push(["NOT", word.substr(1)]);
        pending = "";
        continue;
      }
      var value = quoted !== undefined ? quoted : word;
      if (value.trim()) { out.push([pending, value]); }
      pending = "";
    }
    return out;
  }

  /* The query as an AND of OR-groups and the words to exclude; null: nothing to look for. */
  function parse(text) {
    text = String(text).replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");
    if (text.length > MAX_QUERY_CHARS) { return {error: "too_long"}; }
    var cs = clauses(text), groups = [], negatives = [];
    if (!cs.length) { return null; }
    if (cs.length > MAX_TERMS) { return {error: "too_many"}; }
    cs.forEach(function (c) {
      var w = makeWord(c[1]);
      if (!w) { return; }
      if (c[0] === "NOT") { negatives.push(w); }
      else if (c[0] === "OR" && groups.length) { groups[groups.length - 1].push(w); }
      else { groups.push([w]); }
    });
    if (!groups.length) { return null; }
    return {groups: groups, negatives: negatives, literals: cs.filter(function (c) {
      return c[0] !== "NOT" && c[1].trim(); }).map(function (c) { return normalize(c[1]); })};
  }

  function snippet(body, words) {
    var pos = -1, wanted = [];
    words.forEach(function (w) {
      var compact = w.replace(/\s+/g, "");
      var p = compact ? body.indexOf(compact) : -1;
      if (p >= 0 && (pos < 0 || p < pos)) { pos = p; }
      if (compact) { wanted.push(compact); }
    });
    var start = pos >= 0 ? Math.max(0, pos - WIDTH / 2) : 0;
    var piece = body.substr(start, WIDTH).replace(/[\f\n]/g, " ");
    wanted = unique(wanted).sort(function (a, b) { return b.length - a.length; });
    var parts = [], rest = piece;
    if (wanted.length) {
      var re = new RegExp(wanted.map(escapeRe).join("|"), "g"), m, last = 0;
      while ((m = re.exec(piece)) !== null) {
        parts.push([piece.slice(last, m.index), false], [m[0], true]);
        last = m.index + m[0].length;
      }
      rest = piece.slice(last);
    }
    parts.push([rest, false]);
    if (start > 0) { parts.unshift(["…", false]); }
    if (start + WIDTH < body.length) { parts.push(["…", false]); }
    return parts;
  }

  // -- the data: the file list with the page, the texts when a search needs them ------------

  var data = null, texts = [], waiting = {}, page = {};

  function load(chunks, done) {
    var left = 0;
    chunks.forEach(function (c) {
      if (texts[c]) { return; }
      left++;
      (waiting[c] = waiting[c] || []).push(function () { if (--left === 0) { done(); } });
      if (waiting[c].length > 1) { return; }
      var s = document.createElement("script");
      s.src = "_search/text-" + ("00" + c).slice(-3) + ".js";
      s.onerror = function () { status("error"); };
      document.head.appendChild(s);
    });
    if (!left) { done(); }
  }

  window.YJ = {
    files: function (d) { data = d; ready(); },
    texts: function (c, list) {
      texts[c] = list;
      (waiting[c] || []).forEach(function (f) { f(); });
      delete waiting[c];
    },
    normalize: normalize,
    parse: parse,
    timing: {}            // ms since the page began loading: ready, first input, first and complete results
  };

  function status(key, n) {
    var el = page.status, t = el.getAttribute("data-" + key) || "";
    el.textContent = t.replace("{n}", n);
  }

  function filtered() {
    var item = page.item.value, unit = page.unit.value, year = page.year.value;
    return data.rows.filter(function (r) {
      return (!item || r[4] === item || r[5] === item) && (!unit || r[2] === unit) &&
             (!year || (r[3] || "").substr(0, 4) === year || (year === "-" && !r[3]));
    });
  }

  function search() {
    if (!data) { return; }
    var q = parse(page.q.value);
    if (q === null || q.error) {
      page.results.textContent = "";
      drawn = null;
      page.results.setAttribute("data-query", page.q.value);
      status(q === null ? "idle" : q.error);
      return;
    }
    var rows = filtered();
    var need = unique(rows.map(function (r) { return r[8]; }));
    var asked = page.q.value + "\u0000" + page.item.value + page.unit.value + page.year.value;
    page.asked = asked;
    var match = function (r) {
      var t = texts[r[8]][r[9]], name = t[0], text = t[1];
      return q.groups.every(function (g) {
        return g.some(function (w) { return matches(w, name, text); });
      }) && !q.negatives.some(function (w) { return matches(w, name, text); });
    };
    var ok = new Array(rows.length);           // undefined: its text has not come yet
    var answer = function (final) {
      if (page.asked !== asked) { return; }          // a newer search has started
      for (var i = 0; i < rows.length; i++) {        // each file is tested once, when its text is here
        if (ok[i] === undefined && texts[rows[i][8]]) { ok[i] = match(rows[i]); }
      }
      show(rows.filter(function (r, i) { return ok[i]; }), q.literals, final);
    };
    var missing = need.filter(function (c) { return !texts[c]; });
    if (!missing.length) { answer(true); return; }
    // the texts still loading: what the chunks already here hold is shown at once, the rest as
    // it comes, always in the standard's order
    status("loading");
    var left = missing.length;
    missing.forEach(function (c) {
      load([c], function () { left -= 1; answer(left === 0); });
    });
  }

  function href(path) { return path.split("/").map(encodeURIComponent).join("/"); }

  var drawn = null;            // what the list shows now: the list is drawn again only if it changes

  function show(hits, literals, final) {
    var list = page.results, frag = document.createDocumentFragment();
    var key = page.asked + "\u0001" + hits.slice(0, SHOWN).map(function (r) { return r[0] + r[6]; }).join("\u0001");
    if (key === drawn) {
      finish(hits, final);
      return;
    }
    drawn = key;
    list.textContent = "";
    hits.slice(0, SHOWN).forEach(function (r) {
      var li = document.createElement("li"), a = document.createElement("a");
      li.className = "hit";
      a.href = href(r[0]);
      a.textContent = r[1];
      li.appendChild(a);
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = r[5] + " · " + r[6] + " " + r[7] + " · " + (r[2] || "") + " · " +
        (r[3] || page.status.getAttribute("data-nodate"));
      li.appendChild(meta);
      var t = texts[r[8]][r[9]], snip = document.createElement("div");
      snip.className = "snippet";
      snippet(t[1] || t[0], literals).forEach(function (p) {
        if (p[1]) {
          var m = document.createElement("mark");
          m.textContent = p[0];
          snip.appendChild(m);
        } else {
          snip.appendChild(document.createTextNode(p[0]));
        }
      });
      li.appendChild(snip);
      frag.appendChild(li);
    });
    list.appendChild(frag);
    finish(hits, final);
  }

  function finish(hits, final) {
    var list = page.results;
    if (!YJ.timing.first) { YJ.timing.first = performance.now(); }
    if (!final) { status("partial", hits.length); return; }
    list.setAttribute("data-query", page.q.value);
    if (!YJ.timing.shown) { YJ.timing.shown = performance.now(); }
    status(hits.length ? (hits.length > SHOWN ? "many" : "found") : "none", hits.length);
  }

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  function ready() {
    if (!data || !page.q) { return; }
    var leaves = {};
    data.leaves.forEach(function (l) { (leaves[l[0]] = leaves[l[0]] || []).push(l); });
    data.tops.forEach(function (t) {
      option(page.item, t[0], t[0] + " " + t[1]);
      (leaves[t[0]] || []).forEach(function (l) { option(page.item, l[1], "\u3000" + l[1] + " " + l[2]); });
    });
    unique(data.rows.map(function (r) { return r[2]; })).sort().forEach(function (u) {
      if (u) { option(page.unit, u, u); }
    });
    var years = unique(data.rows.map(function (r) { return (r[3] || "").substr(0, 4); })).sort();
    years.forEach(function (y) { option(page.year, y || "-", y || page.status.getAttribute("data-nodate")); });
    page.box.hidden = false;
    YJ.timing.ready = performance.now();
    status("idle");
    if (page.q.value) { search(); } else { page.results.setAttribute("data-query", ""); }
    // the texts come once the user turns to the search box (not with the page: reading them
    // would hold up the page, and the typing, on a slow PC); a search waits only for the
    // chunks it needs (those of one item when filtered) and shows what it has as they come
    var all = [];
    for (var c = 0; c < data.chunks; c++) { all.push(c); }
    page.q.addEventListener("focus", function () { load(all, function () {}); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["q", "item", "unit", "year", "status", "results", "box", "form"].forEach(function (k) {
      page[k] = document.getElementById("yj-" + k);
    });
    if (!page.q) { return; }
    var timer = null;
    page.q.addEventListener("input", function () {
      if (!YJ.timing.input) { YJ.timing.input = performance.now(); }
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    page.form.addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); search(); });
    ["item", "unit", "year"].forEach(function (k) { page[k].addEventListener("change", search); });
    ready();
  });
})();
