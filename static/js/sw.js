/* Haven service worker. Version __VERSION__ (a hash of every static file).
   Keeps each visited locale's shell pages and offline bundle; never keeps staff pages, tip
   receipts or tip threads, and honours Cache-Control: no-store. */
"use strict";
var VERSION = "__VERSION__";
var PAGES = "haven-pages-" + VERSION;
var STATIC = "haven-static-" + VERSION;
var DATA = "haven-data";
var NEVER = /^\/(staff|api|p)\//;
var forgotten = false;  // after "forget this device" nothing is written again

function put(name, url, resp) {
  if (forgotten) { return Promise.resolve(); }
  return caches.open(name).then(function (c) { return forgotten ? null : c.put(url, resp); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k !== PAGES && k !== STATIC && k !== DATA;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function storable(response) {
  if (!response || !response.ok || response.type === "opaque") { return false; }
  var cc = (response.headers.get("Cache-Control") || "").toLowerCase();
  return cc.indexOf("no-store") === -1;
}

function precache(lang) {
  return caches.open(PAGES).then(function (c) { return c.match("/" + lang + "/offline/search"); })
    .then(function (have) { return have ? null : fetchShell(lang); });
}

function fetchShell(lang) {
  return fetch("/" + lang + "/offline/shell.json", { cache: "no-cache" })
    .then(function (r) { return r.json(); })
    .then(function (urls) {
      return Promise.all(urls.map(function (url) {
        return fetch(url, { cache: "no-cache" }).then(function (resp) {
          if (!storable(resp)) { return null; }
          var name = url.indexOf("/static/") === 0 ? STATIC
            : /\/offline\/(directory|areas)\.json$/.test(url) ? DATA : PAGES;
          return put(name, url, resp);
        });
      }));
    });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    forgotten = true;
    event.waitUntil(caches.keys().then(function (ks) {
      return Promise.all(ks.map(function (k) { return caches.delete(k); }));
    }).then(function () { event.source.postMessage({ type: "forgotten" }); }));
    return;
  }
  if (data.type === "precache" && /^[A-Za-z-]{2,10}$/.test(data.lang || "")) {
    event.waitUntil(precache(data.lang).then(function () {
      event.source.postMessage({ type: "precached", lang: data.lang, version: VERSION });
    }, function () {
      event.source.postMessage({ type: "precache-failed", lang: data.lang });
    }));
  }
});

function cacheFirst(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (resp) {
      if (storable(resp)) {
        put(STATIC, request, resp.clone());
      }
      return resp;
    });
  });
}

function staleWhileRevalidate(event) {
  var request = event.request;
  var fresh = fetch(request).then(function (resp) {
    if (storable(resp)) {
      return put(DATA, request, resp.clone()).then(function () { return resp; });
    }
    return resp;
  });
  event.waitUntil(fresh.catch(function () {}));
  // search.js asks for today's copy when the kept one is too old for it to read. (Not the
  // request's cache mode: a browser with its cache turned off sends every request as a reload.)
  if (request.headers.get("X-Haven-Fresh")) { return fresh; }
  return caches.match(request).then(function (hit) { return hit || fresh; });
}

// The offline page in the reader's language, else the one of a language this phone saved:
// switching to a language never saved must still land on Haven's own page, not a bare word.
function offlinePage(lang) {
  return caches.match("/" + lang + "/offline").then(function (r) {
    if (r) { return r; }
    return caches.open(PAGES).then(function (c) {
      return c.keys().then(function (keys) {
        var saved = keys.filter(function (k) { return /^\/[A-Za-z-]{2,10}\/offline$/.test(new URL(k.url).pathname); });
        return saved.length ? c.match(saved[0]) : undefined;
      });
    });
  });
}

function fallbackFor(url) {
  var m = url.pathname.match(/^\/([A-Za-z-]{2,10})\//);
  var lang = m ? m[1] : "en";
  var shell = null;
  if (/^\/[A-Za-z-]+\/search$/.test(url.pathname)) { shell = "/" + lang + "/offline/search"; }
  if (/^\/[A-Za-z-]+\/services\//.test(url.pathname)) { shell = "/" + lang + "/offline/service"; }
  return caches.match(url.pathname + url.search, { ignoreVary: true }).then(function (hit) {
    if (hit) { return hit; }
    if (shell) {
      return caches.match(shell).then(function (s) {
        return s || offlinePage(lang);
      });
    }
    return caches.match(url.pathname, { ignoreSearch: true }).then(function (h) {
      return h || offlinePage(lang);
    });
  }).then(function (resp) {
    return resp || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  });
}

function networkFirst(event, url) {
  return fetch(event.request).then(function (resp) {
    if (storable(resp) && event.request.mode === "navigate") {
      var copy = resp.clone();
      caches.open(PAGES).then(function (c) {
        // Only pages already kept as part of the shell are refreshed.
        return c.match(url.pathname + url.search).then(function (had) {
          return had ? put(PAGES, url.pathname + url.search, copy) : null;
        });
      });
    }
    return resp;
  }, function () { return fallbackFor(url); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER.test(url.pathname)) { return; }
  if (url.pathname.indexOf("/tip/") !== -1) {  // receipts and threads: network only, never kept
    if (request.mode === "navigate") {
      event.respondWith(fetch(request).catch(function () {
        var m = url.pathname.match(/^\/([A-Za-z-]{2,10})\//);
        return offlinePage(m ? m[1] : "en").then(function (r) {
          return r || new Response("Offline", { status: 503 });
        });
      }));
    }
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) { event.respondWith(cacheFirst(request)); return; }
  if (/\/offline\/(directory|areas)\.json$/.test(url.pathname)) {  // the bundle, or the area list
    event.respondWith(staleWhileRevalidate(event)); return;
  }
  if (request.mode === "navigate" || (request.headers.get("Accept") || "").indexOf("text/html") !== -1) {
    event.respondWith(networkFirst(event, url));
  }
});

/* Background Sync: send queued tips (the page registers "haven-tips" only where supported). */
importScripts("/static/js/queue.js");
self.addEventListener("sync", function (event) {
  if (event.tag === "haven-tips") {
    // Tell open pages, so a queued tip shows "sent" and its receipt without a reload.
    event.waitUntil(self.HavenQueue.flush().then(function () {
      return self.clients.matchAll({ type: "window" }).then(function (all) {
        all.forEach(function (c) { c.postMessage({ type: "tips-flushed" }); });
      });
    }));
  }
});
