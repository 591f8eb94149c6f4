/* Haven offline search: the saved directory searched on the phone, with the server's
   semantics (a mirror of webapp/search/text.py and search.py; tests run the same vectors
   against both). Loaded only on the pages that search or show a service offline. */
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "en";
  var el = window.HavenUI.el;
  /* ---------- text (mirror of text.py) ---------- */
  var ARABIC_MARKS = /[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/g;
  var ARABIC_FOLD = { "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
    "\u0629": "\u0647", "\u0649": "\u064a", "\u0624": "\u0648", "\u0626": "\u064a", "\u06cc": "\u064a",
    "\u06a9": "\u0643", "\u0621": "" };
  var LATIN_EXTRA = { "đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ё": "е", "ı": "i", "ς": "σ" };
  var STRIP_BASES = /[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]/;
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  var WORD = /[\p{L}\p{N}_\u0300-\u036f\u0900-\u0963\u0966-\u0dff\u0e00-\u0e7f]+/gu;
  var ARTICLE = /^(?:و?ال|بال|لل)(?=[\p{L}\p{N}_]{3,})/u;
  var STOP = {};

  function mapChars(s, table) {
    var out = "";
    for (var ch of s) { out += (ch in table) ? table[ch] : ch; }
    return out;
  }
  function fold(t) {
    t = mapChars(t.normalize("NFKC").toLowerCase(), LATIN_EXTRA);
    t = mapChars(t.replace(ARABIC_MARKS, ""), ARABIC_FOLD);
    var out = [];
    for (var ch of t.normalize("NFD")) {
      if (/\p{Mn}/u.test(ch) && out.length && STRIP_BASES.test(out[out.length - 1])) { continue; }
      out.push(ch);
    }
    return out.join("").normalize("NFC");
  }
  function cpLen(s) { return Array.from(s).length; }
  function plain(w) {
    w = w.replace(/^_+|_+$/g, "");
    if (cpLen(w) < 2 && !/^\p{Nd}$/u.test(w)) { return []; }
    return [w.replace(ARTICLE, "")];
  }
  function tokens(text) {
    var out = [], m, folded = fold(text);
    WORD.lastIndex = 0;
    while ((m = WORD.exec(folded))) {
      var word = m[0], pos = 0, c;
      CJK.lastIndex = 0;
      while ((c = CJK.exec(word))) {
        out.push.apply(out, plain(word.slice(pos, c.index)));
        var run = Array.from(c[0]);
        if (run.length === 1) { out.push(run[0]); }
        else { for (var i = 0; i < run.length - 1; i++) { out.push(run[i] + run[i + 1]); } }
        pos = c.index + c[0].length;
      }
      out.push.apply(out, plain(word.slice(pos)));
    }
    return out;
  }
  function queryTerms(text) {
    var toks = tokens(text), kept = toks.filter(function (t) { return !STOP[t]; });
    if (!kept.length) { kept = toks; }
    return kept.filter(function (t, i) { return kept.indexOf(t) === i; });
  }
  function maxTypos(term) {
    if (/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/.test(term)) { return 0; }
    var n = cpLen(term);
    return n <= R.no_typo_upto ? 0 : n <= R.one_typo_upto ? 1 : 2;
  }
  function editDistance(a, b, limit) {
    a = Array.from(a); b = Array.from(b);
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var prev2 = [], prev = [], i, j;
    for (j = 0; j <= b.length; j++) { prev.push(j); }
    for (i = 1; i <= a.length; i++) {
      var cur = [i], best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { v = Math.min(v, prev2[j - 2] + 1); }
        cur.push(v); best = Math.min(best, v);
      }
      if (best > limit) { return limit + 1; }
      prev2 = prev; prev = cur;
    }
    return prev[b.length];
  }
  function trigrams(term) {
    var p = Array.from("  " + term + " "), set = new Set();
    for (var i = 0; i + 2 < p.length; i++) { set.add(p[i] + p[i + 1] + p[i + 2]); }
    return set;
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  /* ---------- the bundle's contract (webapp/pwa/contract.py) ---------- */
  // A record's fields and their parts by name, the flag bits, and the numbers the server
  // ranks and limits with, all from the saved bundle (one per page): nothing here repeats a
  // position, a ranking factor, a freshness window or a limit.
  var F = {}, P = {}, FLAG = {}, R = {}, K = {}, L = {}, FRESH = {};
  function positions(names) { var at = {}; names.forEach(function (n, i) { at[n] = i; }); return at; }
  function readable(data) {  // false for a copy saved before bundles carried their contract
    var c = data && data.contract;
    return !!(c && c.fields && c.parts && c.flags && c.ranking && c.keys && c.limits && c.freshness);
  }
  function useContract(c) {
    F = positions(c.fields); P = {};
    Object.keys(c.parts).forEach(function (k) { P[k] = positions(c.parts[k]); });
    FLAG = c.flags; R = c.ranking; K = c.keys; L = c.limits; FRESH = c.freshness;
  }

  /* ---------- the saved directory ---------- */
  function Directory(data) {
    useContract(data.contract);
    this.d = data; this.words = data.tok.slice(0, data.nv); this.tokIndex = new Map();
    for (var i = 0; i < data.tok.length; i++) { this.tokIndex.set(data.tok[i], i); }
    this.single = new Map(); this.phrases = [];
    data.cw.forEach(function (cw) {
      if (cw[1].length === 1) {
        if (!this.single.has(cw[1][0])) { this.single.set(cw[1][0], new Set()); }
        this.single.get(cw[1][0]).add(cw[0]);
      } else if (cw[1].length > 1) { this.phrases.push(cw); }
    }, this);
    data.sw.forEach(function (w) { STOP[w] = true; });
    this.postings = new Map();
    data.s.forEach(function (s, o) {
      var t = s[F.tokens];
      for (var k = 0; k < t.length; k += 2) {
        var list = this.postings.get(t[k]);
        if (!list) { list = []; this.postings.set(t[k], list); }
        list.push(o, R.weights[t[k + 1]]);
      }
    }, this);
    this.grams = null;
  }
  Directory.prototype.prefixed = function (term) {
    var w = this.words, lo = 0, hi = w.length, out = [];
    while (lo < hi) { var mid = (lo + hi) >> 1; if (w[mid] < term) { lo = mid + 1; } else { hi = mid; } }
    for (var i = lo; i < w.length && w[i].indexOf(term) === 0 && out.length < R.prefix_limit; i++) {
      if (w[i] !== term) { out.push(w[i]); }
    }
    return out;
  };
  Directory.prototype.near = function (term) {
    var allowance = maxTypos(term);
    if (!allowance) { return []; }
    if (!this.grams) {
      this.grams = new Map();
      this.words.forEach(function (word) {
        trigrams(word).forEach(function (g) {
          if (!this.grams.has(g)) { this.grams.set(g, []); }
          this.grams.get(g).push(word);
        }, this);
      }, this);
    }
    var counts = new Map(), tg = trigrams(term);
    tg.forEach(function (g) {
      (this.grams.get(g) || []).forEach(function (word) { counts.set(word, (counts.get(word) || 0) + 1); });
    }, this);
    var need = Math.max(1, tg.size - 3 * allowance), found = [];
    counts.forEach(function (shared, word) {
      if (shared >= need && word !== term) {
        var d = editDistance(term, word, allowance);
        if (d <= allowance) { found.push([d, word]); }
      }
    });
    found.sort(function (a, b) { return a[0] - b[0] || cmp(a[1], b[1]); });
    return found.slice(0, R.typo_limit).map(function (f) { return [f[1], f[0]]; });
  };
  Directory.prototype.categoriesFor = function (term) {
    if (this.single.has(term)) { return new Set(this.single.get(term)); }
    var allowance = maxTypos(term), found = new Set();
    if (allowance) {
      this.single.forEach(function (codes, word) {
        if (Math.abs(cpLen(word) - cpLen(term)) <= allowance && editDistance(term, word, allowance) <= allowance) {
          codes.forEach(function (c) { found.add(c); });
        }
      });
    }
    return found;
  };
  Directory.prototype.expand = function (q) {
    var raw = tokens(q), terms = queryTerms(q), rows = [], matched = [], phrases = new Map();
    this.phrases.forEach(function (cw) {
      var n = cw[1].length;
      for (var i = 0; i + n <= raw.length; i++) {
        if (raw.slice(i, i + n).join("\u0000") === cw[1].join("\u0000")) {
          if (!phrases.has(cw[0])) { phrases.set(cw[0], new Set()); }
          cw[1].forEach(function (t) { phrases.get(cw[0]).add(t); });
        }
      }
    });
    terms.forEach(function (term, i) {
      rows.push([term, i, R.exact]);
      var cats = this.categoriesFor(term);
      phrases.forEach(function (toks, code) { if (toks.has(term)) { cats.add(code); } });
      Array.from(cats).sort().forEach(function (code) {
        rows.push([K.category + code, i, R.exact]);
        if (matched.indexOf(code) === -1) { matched.push(code); }
      });
      if (cpLen(term) >= R.prefix_min_chars) { this.prefixed(term).forEach(function (w) { rows.push([w, i, R.prefix]); }); }
      this.near(term).forEach(function (wd) { rows.push([wd[0], i, wd[1] === 1 ? R.typo1 : R.typo2]); });
    }, this);
    if (terms.length) { rows.push([K.name + Array.from(raw.join(" ")).slice(0, K.name_chars).join(""), terms.length, R.exact]); }
    return { rows: rows, matched: matched };
  };

  function localPosition(tz, now) {
    var m = /^UTC([+-]\d+)$/.exec(tz);
    if (m) {
      var t = new Date(now.getTime() + parseInt(m[1], 10) * 60000);
      return [(t.getUTCDay() + 6) % 7, t.getUTCHours() * 60 + t.getUTCMinutes()];
    }
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short", hour: "numeric",
      minute: "numeric", hourCycle: "h23" }).formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
    var wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday);
    return [wd, (parseInt(parts.hour, 10) % 24) * 60 + parseInt(parts.minute, 10)];
  }
  function openAt(s, now) {
    var hours = s[F.hours];
    if (!hours || !hours[P.hours.zone]) { return false; }
    var pos = localPosition(hours[P.hours.zone], now);
    return hours[P.hours.week].some(function (x) { return x[P.week.weekday] === pos[0] && x[P.week.opens] <= pos[1] && pos[1] < x[P.week.closes]; });
  }
  var KM_PER_DEGREE = 6371.0088 * Math.PI / 180;
  function number(n, digits) {  // in the reader's locale with Western digits, as the server's pages
    try { return new Intl.NumberFormat(lang + "-u-nu-latn", { maximumFractionDigits: digits }).format(n); } catch (e) { return n.toFixed(digits); }
  }
  function box(lat, lng, km) {  // geo.bounding_box
    var dLat = (km / 6371.0088) * 180 / Math.PI, c = Math.max(0.01, Math.cos(lat * Math.PI / 180));
    var dLng = Math.min(180, dLat / c);
    return [lat - dLat, lat + dLat, lng - dLng, lng + dLng];
  }

  /* p: {q, category[], population[], language[], free, always_open, open_now, near:[lat,lng], radius, page, per_page} */
  Directory.prototype.search = function (p, now) {
    var d = this.d, S = d.s, allowed = null, self = this;
    function narrow(set) { allowed = allowed === null ? set : new Set(Array.from(allowed).filter(function (o) { return set.has(o); })); }
    function having(idx, codes, table) {
      var want = codes.map(function (c) { return table.indexOf(c); }), set = new Set();
      S.forEach(function (s, o) { if (s[idx].some(function (x) { return want.indexOf(x) !== -1; })) { set.add(o); } });
      return set;
    }
    function where(fn) { var set = new Set(); S.forEach(function (s, o) { if (fn(s)) { set.add(o); } }); return set; }
    if (p.category && p.category.length) { narrow(having(F.categories, p.category, d.cat)); }
    if (p.population && p.population.length) { narrow(having(F.populations, p.population, d.pop)); }
    if (p.language && p.language.length) { narrow(where(function (s) { return s[F.languages].some(function (l) { return p.language.indexOf(l) !== -1; }); })); }
    if (p.free) { narrow(where(function (s) { return s[F.flags] & FLAG.free; })); }
    if (p.always_open) { narrow(where(function (s) { return s[F.flags] & FLAG.always_open; })); }
    if (p.open_now) { narrow(where(function (s) { return openAt(s, now || new Date()); })); }
    var cov = new Map(), score = new Map(), matched = [], cands;
    if (p.q) {
      var ex = this.expand(p.q), best = new Map();
      matched = ex.matched;
      ex.rows.forEach(function (r) {
        var prev = best.get(r[0]);
        if (!prev || r[2] > prev[1]) { best.set(r[0], [r[1], r[2]]); }
      });
      var per = new Map();
      best.forEach(function (tf, token) {
        var ti = self.tokIndex.get(token), list = ti === undefined ? null : self.postings.get(ti);
        if (!list) { return; }
        for (var k = 0; k < list.length; k += 2) {
          var o = list[k];
          if (allowed !== null && !allowed.has(o)) { continue; }
          var sc = list[k + 1] * tf[1], m = per.get(o);
          if (!m) { m = new Map(); per.set(o, m); }
          if (!m.has(tf[0]) || sc > m.get(tf[0])) { m.set(tf[0], sc); }
        }
      });
      per.forEach(function (m, o) {
        var sum = 0; m.forEach(function (v) { sum += v; });
        cov.set(o, m.size); score.set(o, sum);
      });
      cands = Array.from(per.keys());
    } else {
      cands = allowed !== null ? Array.from(allowed) : S.map(function (s, o) { return o; });
    }
    var dist = new Map();
    var unknownPlace = false;
    if (!p.near && p.nearText) {
      // As the server reads it (webapp/search/places.py): the longest run of up to 3 words
      // naming a known town, the last first, so "Fresno, CA" finds Fresno. A place it does
      // not know leaves the results as they are.
      var place = findPlace(p.nearText.split(/[\s,;\/]+/).filter(Boolean), d.places);
      if (place) { p = Object.assign({}, p, { near: place }); } else { unknownPlace = true; }
    }
    var widened = null;
    if (p.near) {
      var lat = p.near[0], lng = p.near[1], k2 = Math.cos(lat * Math.PI / 180);
      // National lines (a hotline or emergency number of the home country with no place)
      // serve every place of it: nearest to any, as on the server.
      var lineCats = (K.lines || []).map(function (c) { return d.cat.indexOf(c); });
      var national = function (s) {
        return d.home && s[F.country] === d.home && !s[F.points].length &&
          s[F.categories].some(function (x) { return lineCats.indexOf(x) !== -1; });
      };
      var nearby = 0;
      var within = function (radius) {
        var b = box(lat, lng, radius);
        dist = new Map();
        S.forEach(function (s, o) {
          if (national(s)) { dist.set(o, 0); return; }
          s[F.points].forEach(function (pt) {  // [latitude, longitude]
            if (pt[0] >= b[0] && pt[0] <= b[1] && pt[1] >= b[2] && pt[1] <= b[3]) {
              var d2 = (pt[0] - lat) * (pt[0] - lat) + (pt[1] - lng) * k2 * (pt[1] - lng) * k2;
              if (!dist.has(o) || d2 < dist.get(o)) { dist.set(o, d2); }
            }
          });
        });
        var found = cands.filter(function (o) { return dist.has(o); });
        nearby = found.filter(function (o) { return !national(S[o]); }).length;
        return found;
      };
      // As the server does (search_or_wider): nothing of this kind near the place, then the
      // nearest further away, up to the widest radius, saying so.
      var radius = p.radius || L.radius_km, close = within(radius);
      if (!nearby && cands.length && L.max_radius_km && radius < L.max_radius_km) {
        var wider = within(L.max_radius_km);
        if (nearby) { close = wider; widened = radius; } else { within(radius); }
      }
      cands = close;
    }
    var home = d.home;
    cands.sort(function (a, b) {
      if (p.q) {
        var c = cov.get(b) - cov.get(a); if (c) { return c; }
        var s = score.get(b) - score.get(a); if (s) { return s; }
      }
      if (p.near) { var dd = dist.get(a) - dist.get(b); if (dd) { return dd; } }
      if (home) { var h = (S[a][F.country] === home ? 0 : 1) - (S[b][F.country] === home ? 0 : 1); if (h) { return h; } }
      return a - b;
    });
    var per_page = Math.min(L.max_per_page, p.per_page || L.per_page), page = p.page || 1;
    var shown = cands.slice((page - 1) * per_page, page * per_page);
    return { ids: shown.map(function (o) { return S[o][F.id]; }),
      total: cands.length, matched: matched, unknownPlace: unknownPlace, widened: widened,
      rows: shown.map(function (o) { return S[o]; }),
      // kilometres to the nearest point (the box's flat measure, as the server's within)
      km: shown.map(function (o) { return p.near && S[o][F.points].length ? Math.sqrt(dist.get(o)) * KM_PER_DEGREE : null; }) };
  };

  function findPlace(words, places) {
    for (var size = 3; size > 0; size--) {
      for (var i = words.length - size; i >= 0; i--) {
        var hit = places[tokens(words.slice(i, i + size).join(" ")).join(" ")];
        if (hit) { return hit; }
      }
    }
    return null;
  }

  // The zero of every script's decimal digits (Unicode Nd): ١ (U+0661) is 1, ۱ (U+06F1) is 1.
  var ZEROS = [0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6,
    0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80,
    0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
    0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
    0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
    0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0];
  var PUNCT = { "\u066b": ".", "\u066c": ",", "\u060c": ",", "\u2212": "-", "\uff0c": ",",
    "\uff0e": ".", "\uff0d": "-", "\uff0b": "+" };
  function asciiDigits(text) {  // as webapp/digits.py to_ascii, for what people type
    return text.replace(/\p{Nd}|[\u066b\u066c\u060c\u2212\uff0b-\uff0e]/gu, function (ch) {
      if (PUNCT[ch]) { return PUNCT[ch]; }
      var cp = ch.codePointAt(0);
      for (var i = ZEROS.length - 1; i >= 0; i--) {
        if (cp >= ZEROS[i]) { return String(cp - ZEROS[i]); }
      }
      return ch;
    });
  }

  function paramsFrom(search) {
    var u = new URLSearchParams(search), p = { q: (u.get("q") || u.get("search") || "").trim() };
    ["category", "population", "language"].forEach(function (n) {
      p[n] = [];
      u.getAll(n).forEach(function (v) { v.split(",").forEach(function (x) { if (x.trim()) { p[n].push(x.trim()); } }); });
    });
    ["free", "always_open", "open_now"].forEach(function (n) { p[n] = ["1", "true", "yes", "on"].indexOf((u.get(n) || "").toLowerCase()) !== -1; });
    var near = asciiDigits(u.get("near") || "").match(/^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/);
    if (near) { p.near = [parseFloat(near[1]), parseFloat(near[2])]; }
    else if ((u.get("near") || "").trim()) { p.nearText = u.get("near").trim(); }
    // No radius or page size asked: 0, and the search uses the server's (from the contract).
    p.radius = parseInt(u.get("radius") || "0", 10) || 0;
    p.page = parseInt(u.get("page") || "1", 10) || 1;
    p.per_page = parseInt(u.get("per_page") || "0", 10) || 0;
    return p;
  }

  var loading = null;
  function saved(url, init) {
    return fetch(url, init).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function directory(from) {  // a shell element (its bundle, or its areas), or a bundle's URL
    if (!loading) {
      var byArea = typeof from === "string" ? null : from.getAttribute("data-areas");
      var bundle = typeof from === "string" ? from : from.getAttribute("data-bundle");
      loading = byArea ? areaDirectory(byArea) : saved(bundle).then(function (data) {
        // A copy kept from before bundles carried their contract: ask the network for today's
        // (the worker answers this header from the network, not from what it kept). Offline,
        // this fails and the page says the saved copy is out of date.
        return readable(data) ? data : saved(bundle, { headers: { "X-Haven-Fresh": "1" } });
      }).then(function (data) {
        if (!readable(data)) { throw new Error("no contract"); }
        return new Directory(data);
      });
    }
    return loading;
  }

  /* ---------- the directory by area (webapp/pwa/areas.py) ---------- */
  // A phone of a big directory keeps the areas the person chose or searched in, each as the
  // server's area file, in the service worker's data cache (sw.js DATA), under the file's
  // address; "Forget this device" empties it with the rest. Online, each is brought up to
  // date with only what changed since its version.
  var DATA = "haven-data", AREAS = { index: null, kept: [] };
  function isWord(t) { return t.indexOf(":") === -1; }  // vocab.is_word
  function named(file) {  // records with their tokens as [token, class] pairs, flat
    return file.s.map(function (r) {
      var c = r.slice(), t = r[F.tokens], out = [];
      for (var k = 0; k < t.length; k += 2) { out.push(file.tok[t[k]], t[k + 1]); }
      c[F.tokens] = out; return c;
    });
  }
  function assemble(base, records, ln) {  // areas.with_table, over records of one or more files
    records.sort(function (a, b) { return a[F.tie] - b[F.tie]; });  // the server's tie order
    var used = new Set();
    records.forEach(function (r) { for (var k = 0; k < r[F.tokens].length; k += 2) { used.add(r[F.tokens][k]); } });
    var all = Array.from(used).sort(), words = all.filter(isWord);
    var tok = words.concat(all.filter(function (t) { return !isWord(t); })), at = new Map();
    tok.forEach(function (t, i) { at.set(t, i); });
    var s = records.map(function (r) {
      var c = r.slice(), t = r[F.tokens], flat = [];
      for (var k = 0; k < t.length; k += 2) { flat.push(at.get(t[k]), t[k + 1]); }
      c[F.tokens] = flat; return c;
    });
    return Object.assign({}, base, { tok: tok, nv: words.length, s: s, ln: ln });
  }
  function applyChanges(file, change) {  // a whole file (new epoch, gap) replaces the kept one
    if (change.s) { return change; }
    var keep = new Map();
    named(file).forEach(function (r) { keep.set(r[F.id], r); });
    change.removed.forEach(function (id) { keep.delete(id); });
    change.changed.forEach(function (r) { keep.set(r[F.id], r); });
    var out = assemble(file, Array.from(keep.values()), file.ln || {});
    out.v = change.v;
    return out;
  }
  function mergeAreas(files) {
    if (files.length === 1) { return files[0]; }
    var records = [], ln = {};
    files.forEach(function (f) { records = records.concat(named(f)); Object.assign(ln, f.ln || {}); });
    return assemble(files[0], records, ln);
  }
  function areaUrl(id) { return "/" + lang + "/offline/areas/" + encodeURIComponent(id) + ".json"; }
  function keptAreas() {  // [[address, file]] of every area kept for this language
    if (!window.caches) { return Promise.resolve([]); }
    var prefix = "/" + lang + "/offline/areas/";
    return caches.open(DATA).then(function (c) {
      return c.keys().then(function (reqs) {
        return Promise.all(reqs.filter(function (r) {
          var u = new URL(r.url); return u.pathname.indexOf(prefix) === 0 && !u.search;
        }).map(function (r) {
          return c.match(r).then(function (resp) { return resp.json(); })
            .then(function (f) { return [new URL(r.url).pathname, f]; }, function () { return null; });
        }));
      });
    }).then(function (all) { return all.filter(Boolean); });
  }
  function storeArea(url, file) {
    return caches.open(DATA).then(function (c) {
      return c.put(url, new Response(JSON.stringify(file), { headers: { "Content-Type": "application/json" } }));
    });
  }
  function refreshed(url, file) {  // online: what changed since the kept version, else as kept
    if (!navigator.onLine || !readable(file)) { return Promise.resolve(file); }
    return fetch(url + "?since=" + encodeURIComponent(file.v), { cache: "no-store" }).then(function (r) {
      if (r.status === 404) {  // no such area any more (a new partition): it is dropped
        return caches.open(DATA).then(function (c) { return c.delete(url); }).then(function () { return null; });
      }
      if (!r.ok) { return file; }
      return r.json().then(function (change) {
        var whole = change.s ? change : file;
        if (!readable(whole)) { return file; }
        useContract(whole.contract);
        var next = applyChanges(file, change);
        return storeArea(url, next).then(function () { return next; }, function () { return next; });
      });
    }, function () { return file; });
  }
  function areaDirectory(indexUrl) {
    return Promise.all([saved(indexUrl).catch(function () { return null; }), keptAreas()]).then(function (got) {
      AREAS.index = got[0];
      return Promise.all(got[1].map(function (k) { return refreshed(k[0], k[1]); }));
    }).then(function (files) {
      files = files.filter(function (f) { return f && readable(f); });
      AREAS.kept = files.map(function (f) { return f.area; });
      if (!files.length) { var none = new Error("no area kept"); none.noArea = true; throw none; }
      useContract(files[0].contract);
      return new Directory(mergeAreas(files));
    });
  }
  function keepAreas(ids) {  // download and keep these areas (and their national lines)
    var index = AREAS.index, want = ids.slice();
    if (index) {
      ids.forEach(function (id) {
        var country = id.split("-")[0], national = index.areas.find(function (a) { return a.national && a.id.split("-")[0] === country; });
        if (national && want.indexOf(national.id) === -1) { want.push(national.id); }
      });
    }
    return Promise.all(want.map(function (id) {
      return fetch(areaUrl(id)).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return caches.open(DATA).then(function (c) { return c.put(areaUrl(id), r); });
      });
    })).then(function () {
      if (navigator.storage && navigator.storage.persist) { return navigator.storage.persist().catch(function () {}); }
    });
  }
  function dropArea(id) { return caches.open(DATA).then(function (c) { return c.delete(areaUrl(id)); }); }
  var areaWords = null;  // the picker's words (data-t-* of #areas), when the page has one
  function areaName(a) {  // "United States, CA: Fresno, Visalia", with the page's comma
    var sep = W.sep || (AREAS.index && AREAS.index.sep) || ", ";
    if (a.national && areaWords) { return areaWords.getAttribute("data-t-national").replace("{country}", a.country_name); }
    var where = [a.country_name, a.region].filter(Boolean).join(sep);
    return a.towns.length ? where + ": " + a.towns.join(sep) : where;
  }
  function hotlineLink(shell, tag) {  // "You can always call a hotline.", to the hotlines page
    var box = el(tag), link = el("a", shell.getAttribute("data-t-hotline"));
    link.href = "/" + lang + "/hotlines"; box.appendChild(link);
    return box;
  }
  function isolated(text) {  // first strong isolate: a Latin name keeps its place in RTL text
    return "\u2068" + text + "\u2069";
  }
  function sizeText(a) {  // "≈" until the server has made the file and knows its size
    var kb = Math.max(1, Math.round(a.bytes / 1024)), text;
    try { text = new Intl.NumberFormat(lang, { style: "unit", unit: "kilobyte" }).format(kb); } catch (e) { text = kb + " KB"; }
    return (a.estimated ? "\u2248\u00a0" : "") + text;
  }
  function picker(box, said) {  // the areas kept, each with Remove; the others, and whole countries, to keep
    var index = AREAS.index, kept = new Set(AREAS.kept), list = document.getElementById("areas-kept");
    var select = document.getElementById("area-add"), msg = document.getElementById("areas-msg");
    areaWords = box;
    if (!index) { return; }
    box.hidden = false;
    list.textContent = ""; select.textContent = "";
    msg.textContent = said || "";
    document.getElementById("areas-none").hidden = kept.size > 0;
    var countries = new Map(), options = [], collator = new Intl.Collator(lang);
    index.areas.forEach(function (a) {
      var c = countries.get(a.country) || { name: a.country_name, ids: [], bytes: 0, estimated: false, missing: 0 };
      c.ids.push(a.id); c.bytes += a.bytes; c.estimated = c.estimated || a.estimated;
      if (!kept.has(a.id)) { c.missing += 1; }
      countries.set(a.country, c);
      if (kept.has(a.id)) {
        var li = el("li", null, "area-kept"), drop = el("button", box.getAttribute("data-t-remove"));
        li.appendChild(el("span", isolated(areaName(a)) + " \u00b7 " + sizeText(a)));
        drop.type = "button"; li.appendChild(document.createTextNode(" ")); li.appendChild(drop);
        drop.addEventListener("click", function () {
          dropArea(a.id).then(function () { reloadAreas(box.getAttribute("data-t-removed").replace("{area}", areaName(a))); });
        });
        list.appendChild(li);
      } else {
        var o = el("option", isolated(areaName(a)) + " \u00b7 " + sizeText(a)); o.value = a.id; options.push(o);
      }
    });
    // Whole countries first, then each area, in the reader's alphabetical order.
    var wholes = [];
    countries.forEach(function (c) {  // the whole country: one choice, its size shown first
      if (c.ids.length < 2 || !c.missing) { return; }
      var o = el("option", isolated(box.getAttribute("data-t-all").replace("{country}", c.name)) + " \u00b7 " + sizeText(c));
      o.value = c.ids.join(" "); wholes.push(o);
    });
    var order = function (x, y) { return collator.compare(x.textContent, y.textContent); };
    wholes.sort(order).concat(options.sort(order)).forEach(function (o) { select.appendChild(o); });
    select.selectedIndex = 0;
    document.getElementById("area-keep").onclick = function () {
      if (!select.value) { return; }
      var chosen = select.options[select.selectedIndex].textContent.split(" \u00b7 ")[0].replace(/[\u2068\u2069]/g, "");
      msg.textContent = "";
      keepAreas(select.value.split(" ")).then(function () {
        reloadAreas(box.getAttribute("data-t-kept").replace("{area}", chosen));
      }, function (e) {
        msg.textContent = box.getAttribute(e && e.name === "QuotaExceededError" ? "data-t-full" : "data-t-failed");
      });
    };
  }
  var reloadAreas = function (said) {};  // set by the search page: load the kept areas again
  function covered(line) {  // which areas this search ran over
    if (!line || !AREAS.index) { return; }
    var names = AREAS.index.areas.filter(function (a) { return AREAS.kept.indexOf(a.id) !== -1; }).map(areaName);
    line.textContent = line.getAttribute("data-t-covered").replace("{areas}", listOf(names));
    line.hidden = !names.length;
  }
  window.HavenOffline = { directory: directory, paramsFrom: paramsFrom, fold: fold, tokens: tokens,
    applyChanges: applyChanges, mergeAreas: mergeAreas };

  function isText(kind) { return kind === "sms" || kind === "text"; }
  function phoneLink(ph, shell) {  // labelled like the server's: Call / Text / WhatsApp
    // The link is the one the server made (webapp/digits.py): one rule for what a number dials.
    var kind = ph[P.phones.type], href = ph[P.phones.href] || "";
    var a = el(href ? "a" : "span", null, "call call-" + kind);
    if (href) { a.href = href; }
    a.appendChild(el("span", shell.getAttribute(isText(kind) ? "data-t-text" : kind === "whatsapp" ? "data-t-whatsapp" : "data-t-call")));
    a.appendChild(document.createTextNode(" "));
    var b = el("bdi", ph[P.phones.number]); b.setAttribute("dir", "ltr"); a.appendChild(b);
    return a;
  }
  /* The reader's words come with the bundle, from the same Babel data as the online page
     (the phone's Intl has no Tigrinya names and writes Persian dates in another calendar);
     Intl is only the fallback for a copy saved before the bundle carried them. */
  var W = {};
  function longDate(iso) {  // "15 September 2026" in the page's language, not 2026-09-15
    try { return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC", calendar: "gregory" }).format(new Date(iso + "T00:00:00Z")); }
    catch (e) { return iso; }
  }
  function languageName(code) {
    if (W.ln && W.ln[code]) { return W.ln[code]; }
    try { return new Intl.DisplayNames([lang], { type: "language" }).of(code) || code; } catch (e) { return code; }
  }
  function listOf(items) {  // Babel's format_list, from the locale's patterns
    var lp = W.lp;
    function fill(p, a, b) { return p.replace(/\{([01])\}/g, function (m, i) { return i === "0" ? a : b; }); }
    if (lp && items.length > 1) {
      if (items.length === 2 && lp[0]) { return fill(lp[0], items[0], items[1]); }
      var out = fill(lp[1], items[0], items[1]);
      for (var i = 2; i < items.length - 1; i++) { out = fill(lp[2], out, items[i]); }
      return fill(lp[3], out, items[items.length - 1]);
    }
    if (items.length < 2) { return items.join(""); }
    try { return new Intl.ListFormat(lang, { style: "long", type: "conjunction" }).format(items); } catch (e) { return items.join(", "); }
  }
  function daysOld(iso) {  // whole days from a date to today (UTC), as the server counts
    var now = new Date();
    return Math.floor((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - Date.parse(iso + "T00:00:00Z")) / 86400000);
  }
  function hhmm(min) { return ("0" + Math.floor(min / 60)).slice(-2) + ":" + ("0" + (min % 60)).slice(-2); }

  function unreadable(shell, box, tag) {  // no copy this script can read, and no connection
    box.textContent = "";
    box.appendChild(el(tag, shell.getAttribute("data-t-unreadable")));
    shell.setAttribute("data-ready", "unreadable");
  }

  var searchShell = document.querySelector("[data-offline=search]");
  function renderOffline(dir) {
      var asked = paramsFrom(location.search), res = dir.search(asked), list = document.getElementById("offline-results");
      list.textContent = "";
      searchShell.querySelector(".total").textContent = searchShell.getAttribute("data-t-total").replace("{n}", String(res.total));
      // A town the area list knows in no area this phone keeps: not a spelling mistake. Say
      // it is not kept, offer a hotline (the picker opens too), and show nothing from elsewhere.
      var townAreas = asked.nearText && AREAS.index && AREAS.index.towns &&
        findPlace(asked.nearText.split(/[\s,;\/]+/).filter(Boolean), AREAS.index.towns);
      var notKept = !!townAreas && !townAreas.some(function (a) { return AREAS.kept.indexOf(a) !== -1; });
      var notice = notKept ? searchShell.getAttribute("data-t-not-kept")
        : res.unknownPlace ? searchShell.getAttribute("data-t-unknown-place")
        : res.widened ? searchShell.getAttribute(asked.q || asked.category.length || asked.population.length || asked.language.length ||
          asked.free || asked.always_open || asked.open_now ? "data-t-widened" : "data-t-widened-any").replace("{km}", number(res.widened, 0)) : "";
      var unknown = document.getElementById("unknown-place");
      if (unknown) {
        unknown.hidden = !notice;
        // the place isolated (FSI ... PDI): "37.5,-119.0" or a Latin name keeps its order in RTL
        unknown.textContent = notice.replace("{place}", isolated((new URLSearchParams(location.search).get("near") || "").trim()));
      }
      if (notKept) {
        searchShell.querySelector(".total").textContent = "";
        list.appendChild(hotlineLink(searchShell, "li"));
        if (areaBox) { areaBox.open = true; }
        searchShell.setAttribute("data-ready", "not-kept");
        return;
      }
      if (!res.total) { list.appendChild(el("li", searchShell.getAttribute("data-t-none"))); }
      res.rows.forEach(function (s, i) {
        var li = el("li", null, "card"), h = el("h2", null, "card-title"), a = el("a", s[F.name]);
        a.href = "/" + lang + "/services/" + s[F.id]; a.setAttribute("dir", "auto"); h.appendChild(a); li.appendChild(h);
        if (s[F.shown_in] && !s[F.shown_in][P.shown_in.partial]) {
          var small = el("small", searchShell.getAttribute("data-t-in").replace("{language}", languageName(s[F.shown_in][P.shown_in.language]))), un = el("p", null, "untranslated");
          un.appendChild(small); li.appendChild(un);
        }
        if (s[F.flags] & FLAG.demo) { li.setAttribute("data-example", ""); li.appendChild(el("p", searchShell.getAttribute("data-t-demo"), "demo")); }
        if (s[F.flags] & FLAG.always_open) { li.appendChild(el("p", searchShell.getAttribute("data-t-open"), "open")); }
        if (s[F.city] || res.km[i] !== null) {
          var away = res.km[i] === null ? "" : searchShell.getAttribute("data-t-km").replace("{km}", number(res.km[i], 1));
          li.appendChild(el("p", [s[F.city], away].filter(Boolean).join(" \u00b7 "), "meta"));
        }
        s[F.phones].slice(0, 2).forEach(function (ph) { li.appendChild(phoneLink(ph, searchShell)); });
        list.appendChild(li);
      });
      searchShell.setAttribute("data-ready", "1");
  }
  if (searchShell) {
    // Opened with no search (the footer's link to the areas kept): titled for that.
    var title = document.getElementById("offline-title");
    if (title && !location.search && title.getAttribute("data-t-areas")) {
      title.textContent = title.getAttribute("data-t-areas");
    }
    // The shell is one saved page for every search: the box shows what this search asked.
    var qBox = document.getElementById("q"), asked = new URLSearchParams(location.search);
    if (qBox) { qBox.value = (asked.get("q") || asked.get("search") || "").trim(); }
    var filters = document.getElementById("offline-filters");
    if (filters) {  // keep this search's other parameters when a place is added
      asked.forEach(function (value, name) {
        if (name === "near" || name === "page") { return; }
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = name; hidden.value = value;
        filters.appendChild(hidden);
      });
      document.getElementById("f-near").value = asked.get("near") || "";
    }
    var areaBox = document.getElementById("areas");
    if (areaBox && navigator.onLine) {  // managing areas online: this page is not "offline"
      var note = searchShell.querySelector(".offline-note"); if (note) { note.hidden = true; }
    }
    reloadAreas = function (said) {  // after keeping or removing an area: search again, say so
      loading = null;
      directory(searchShell).then(function (dir) {
        W = dir.d; renderOffline(dir); showAreas(dir, said);
      }, function (e) { noArea(e, said); });
    };
    function showAreas(dir, said) {
      if (!areaBox) { return; }
      picker(areaBox, said); covered(document.getElementById("areas-covered"));
      // open when asked for (no search: the footer's link), after a change, or with no result
      if (said || !location.search || !dir.search(paramsFrom(location.search)).total) { areaBox.open = true; }
    }
    function noArea(e, said) {
      if (e && e.noArea && areaBox) {  // nothing kept yet: say so, and offer the areas
        searchShell.querySelector(".total").textContent = "";
        document.getElementById("offline-results").textContent = "";
        document.getElementById("areas-covered").hidden = true;
        picker(areaBox, said); areaBox.open = true;
        searchShell.setAttribute("data-ready", "no-area");
        return true;
      }
      return false;
    }
    directory(searchShell).then(function (dir) {
      W = dir.d;
      renderOffline(dir);
      showAreas(dir);
      var nearMe = document.getElementById("near-me");
      if (nearMe && "geolocation" in navigator) {
        nearMe.hidden = false;
        nearMe.addEventListener("click", function () {
          // The position is used here only: it is put in this page's address, never sent.
          navigator.geolocation.getCurrentPosition(function (pos) {
            var u = new URLSearchParams(location.search);
            u.set("near", pos.coords.latitude.toFixed(3) + "," + pos.coords.longitude.toFixed(3));
            history.replaceState(null, "", location.pathname + "?" + u.toString());
            renderOffline(dir);
          }, function () {}, { maximumAge: 600000, timeout: 15000 });
        });
      }
    }, function (e) {
      if (!noArea(e)) { unreadable(searchShell, document.getElementById("offline-results"), "li"); }
    });
  }

  var serviceShell = document.querySelector("[data-offline=service]");
  if (serviceShell) {
    var id = location.pathname.split("/services/")[1] || new URLSearchParams(location.search).get("id") || "";
    directory(serviceShell).then(function (dir) {
      var s = dir.d.s.find(function (x) { return x[F.id] === id; });
      if (!s) {  // not kept here (retired, or its area not kept): say so, and offer a hotline
        Array.prototype.forEach.call(serviceShell.children, function (c) { if (c.id !== "svc-name" && c.id !== "svc-desc") { c.hidden = true; } });
        document.getElementById("svc-desc").textContent = serviceShell.getAttribute("data-t-missing");
        serviceShell.appendChild(hotlineLink(serviceShell, "p"));
        serviceShell.setAttribute("data-ready", "missing");
        return;
      }
      W = dir.d;
      function show(id, text) { var e = document.getElementById(id); if (text !== undefined) { e.textContent = text; } e.hidden = false; return e; }
      document.getElementById("svc-name").textContent = s[F.name];
      document.getElementById("svc-name").setAttribute("dir", "auto");
      if (s[F.shown_in]) {  // the words are not in the reader's language: say which they are in
        var note = document.getElementById("svc-untranslated"), original = languageName(s[F.shown_in][P.shown_in.language]);
        note.firstChild.textContent = note.getAttribute(s[F.shown_in][P.shown_in.partial] ? "data-t-partial" : "data-t-whole").replace("{original}", original);
        note.hidden = false;
        if (!s[F.shown_in][P.shown_in.partial]) { document.getElementById("svc-name").setAttribute("lang", s[F.shown_in][P.shown_in.language]); }
      }
      if (s[F.flags] & FLAG.demo) { serviceShell.setAttribute("data-example", ""); show("svc-demo"); }
      if (s[F.alert]) { show("svc-alert", s[F.alert]); }
      document.getElementById("svc-desc").textContent = s[F.description];
      var box2 = document.getElementById("svc-phones");
      s[F.phones].forEach(function (ph) { box2.appendChild(phoneLink(ph, serviceShell)); });
      function named(idx, names, codes) { return idx.map(function (i) { return (names || codes)[i]; }); }
      if (s[F.categories].length) { show("svc-cats-h"); show("svc-cats", listOf(named(s[F.categories], dir.d.catl, dir.d.cat))); }
      if (s[F.populations].length) { show("svc-pops-h"); show("svc-pops", listOf(named(s[F.populations], dir.d.popl, dir.d.pop))); }
      if (s[F.eligibility]) { show("svc-elig-h"); show("svc-elig", s[F.eligibility]); }
      var cost = document.getElementById("svc-cost");
      cost.textContent = cost.getAttribute(s[F.flags] & FLAG.free ? "data-t-free" : "data-t-ask");
      var wm = s[F.web];
      if (wm[P.web.url]) { show("svc-web-h"); var link = show("svc-web").firstChild; link.href = wm[P.web.url]; link.textContent = wm[P.web.label]; }
      if (wm[P.web.email]) { show("svc-mail-h"); var mail = show("svc-mail").firstChild; mail.href = "mailto:" + wm[P.web.email]; mail.textContent = wm[P.web.email]; }
      var facts = document.getElementById("svc-facts");
      s[F.places].forEach(function (pl) {  // town and region, never a street
        var dd = el("dd");
        facts.appendChild(el("dt", serviceShell.getAttribute("data-t-where")));
        var town = el("bdi", pl[P.places.town] + (pl[P.places.region] ? ", " + pl[P.places.region] : "")); town.setAttribute("dir", "auto");
        dd.appendChild(town);
        if (pl[P.places.confidential]) {
          dd.appendChild(el("br"));
          dd.appendChild(el("small", serviceShell.getAttribute("data-t-confidential"), "confidential-note"));
        }
        facts.appendChild(dd);
      });
      if (s[F.space]) {  // shelter space: unknown once older than the server's window, however old this copy is
        var sp = s[F.space], updated = sp[P.space.updated], who = sp[P.space.populations];
        var st = Date.now() - Date.parse(updated) > FRESH.space_seconds * 1000 ? "unknown" : sp[P.space.status];
        var words = serviceShell.getAttribute("data-t-space-" + st);
        if (st !== "unknown" && who.length) { words += ": " + listOf(who.map(function (p) { return serviceShell.getAttribute("data-t-pop-" + p) || p; })); }
        show("svc-space-h"); var box = show("svc-space", words); box.setAttribute("data-space", st);
        var when; try { when = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", calendar: "gregory" }).format(new Date(updated)); } catch (e) { when = updated; }
        show("svc-space-age").firstChild.textContent = serviceShell.getAttribute("data-t-space-age").replace("{date}", when);
        show("svc-space-call");
      }
      if (s[F.languages].length) { show("svc-langs-h"); show("svc-langs", listOf(s[F.languages].map(languageName))); }
      var slots = (s[F.hours] && s[F.hours][P.hours.week]) || [];
      if (s[F.flags] & FLAG.always_open) { show("svc-always"); }
      else if (!slots.length) { show("svc-nohours"); }
      else {
        var isOpen = openAt(s, new Date()), state = show("svc-open-now");  // as the online page
        state.textContent = state.getAttribute(isOpen ? "data-t-open" : "data-t-shut");
        state.className = isOpen ? "open" : "closed";
        var body = document.querySelector("#svc-hours tbody"), days = new Intl.DateTimeFormat(lang, { weekday: "long", timeZone: "UTC" });
        var dayName = function (d) { return W.days ? W.days[d] : days.format(new Date(Date.UTC(2024, 0, 1 + d))); };
        for (var d = 0; d < 7; d++) {  // 0 = Monday; 2024-01-01 was a Monday
          var times = slots.filter(function (x) { return x[P.week.weekday] === d; }).map(function (x) { return hhmm(x[P.week.opens]) + "\u2013" + hhmm(x[P.week.closes]); });
          var tr = el("tr"), th = el("th", dayName(d)), td = el("td");
          th.setAttribute("scope", "row");
          var bd = el("bdi", times.length ? times.join(W.sep || ", ") : serviceShell.getAttribute("data-t-closed")); bd.setAttribute("dir", times.length ? "ltr" : "auto");
          td.appendChild(bd); tr.appendChild(th); tr.appendChild(td); body.appendChild(tr);
        }
        show("svc-hours"); show("svc-local");
      }
      if (s[F.verified]) {  // as the online page: verified (and when), else checked against a source
        show("svc-verified", serviceShell.getAttribute("data-t-verified").replace("{date}", s[F.verified_text] || longDate(s[F.verified])));
        if (daysOld(s[F.verified]) > FRESH.verified_days) { show("svc-stale"); }
      } else if (s[F.source]) { show("svc-checked"); }
      else { show("svc-unverified"); }
      if (s[F.source]) { show("svc-source").querySelector("bdi").textContent = s[F.source]; }
      serviceShell.setAttribute("data-ready", "1");
    }, function () { unreadable(serviceShell, document.getElementById("svc-desc"), "span"); });
  }

})();
