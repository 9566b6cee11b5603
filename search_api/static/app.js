// Moisson search page. No framework, no build step: the page's URL query string IS the API's
// query string, so a search can be bookmarked and shared, and facet `toggle` links from the
// API are used as they come.
//
// Safety: catalogue content is hostile until proven otherwise. Everything is inserted with
// textContent except the `snippet` field, which the backend has already HTML-escaped and
// marked up with <mark> only. Link hrefs are kept only for http(s)/ftp URLs.
"use strict";

(function () {
  const API = "/api/search";
  const FORM_FIELDS = ["q", "bbox", "from", "to", "sort"];
  const PAGE_WINDOW = 2;

  const $ = (id) => document.getElementById(id);
  const form = $("search-form");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeHref(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return ["http:", "https:", "ftp:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // "/api/search?x=1" -> "?x=1": the page and the API share their query strings.
  function pageUrlFrom(apiUrl) {
    const index = apiUrl.indexOf("?");
    return index < 0 ? window.location.pathname : window.location.pathname + apiUrl.slice(index);
  }

  function currentParams() {
    return new URLSearchParams(window.location.search);
  }

  function fillForm(params) {
    for (const name of FORM_FIELDS) {
      const input = form.elements.namedItem(name);
      if (input) input.value = params.get(name) || (name === "sort" ? "relevance" : "");
    }
  }

  function navigate(search) {
    window.history.pushState(null, "", search);
    run();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = currentParams();
    for (const name of FORM_FIELDS) {
      const value = form.elements.namedItem(name).value.trim();
      if (value && !(name === "sort" && value === "relevance")) params.set(name, value);
      else params.delete(name);
    }
    params.delete("page");
    const query = params.toString();
    navigate(window.location.pathname + (query ? "?" + query : ""));
  });

  window.addEventListener("popstate", run);

  function badgeFor(link) {
    const protocol = (link.protocol || "").toUpperCase();
    const fn = (link.function || "").toLowerCase();
    if (protocol.includes("WMTS")) return ["WMTS", "wmts"];
    if (protocol.includes("WMS")) return ["WMS", "wms"];
    if (protocol.includes("WFS") || protocol.includes("FEATURES")) return ["WFS", "wfs"];
    if (protocol.includes("DOWNLOAD") || fn === "download") return ["Download", "download"];
    return null;
  }

  function renderHit(hit) {
    const item = el("li");
    const heading = el("h3");
    heading.appendChild(el("a", { href: "/api/records/" + encodeURIComponent(hit.id) }, hit.title));
    item.appendChild(heading);

    if (hit.snippet) {
      const snippet = el("p", { class: "snippet" });
      snippet.innerHTML = hit.snippet; // escaped by the backend; only <mark> inside
      item.appendChild(snippet);
    } else if (hit.abstract) {
      const text = hit.abstract.length > 300 ? hit.abstract.slice(0, 300) + "…" : hit.abstract;
      item.appendChild(el("p", { class: "snippet" }, text));
    }

    const meta = el("p", { class: "meta" });
    // Each source once, by name, best copy first (the API dedupes: never "IGN, IGN").
    const sources = (hit.source_names || []).join(", ");
    if (sources) meta.appendChild(el("span", null, "Source: " + sources));
    if (hit.resource_type) meta.appendChild(el("span", null, "Type: " + hit.resource_type));
    if (hit.date) meta.appendChild(el("span", null, "Date: " + hit.date));
    const themes = (hit.themes || []).map((t) => t.label).join(", ");
    if (themes) meta.appendChild(el("span", null, "Themes: " + themes));
    item.appendChild(meta);

    const badges = el("div", { class: "badges" });
    const seen = new Set();
    for (const link of hit.links || []) {
      const badge = badgeFor(link);
      const href = safeHref(link.url);
      if (!badge || !href || seen.has(badge[0] + href)) continue;
      seen.add(badge[0] + href);
      const title = link.name ? badge[0] + ": " + link.name : badge[0] + " " + href;
      badges.appendChild(
        el("a", { class: "badge " + badge[1], href: href, title: title, rel: "noopener" }, badge[0]),
      );
    }
    if (badges.childElementCount) item.appendChild(badges);
    return item;
  }

  function renderFacets(facets, info) {
    const aside = $("facets");
    aside.replaceChildren();
    for (const [name, buckets] of Object.entries(facets)) {
      if (!buckets.length) continue;
      const headingId = "facet-" + name;
      aside.appendChild(el("h2", { id: headingId }, name.replace("_", " ")));
      const list = el("ul", { "aria-labelledby": headingId });
      for (const bucket of buckets) {
        const li = el("li");
        const link = el("a", {
          href: pageUrlFrom(bucket.toggle),
          "aria-pressed": bucket.selected ? "true" : "false",
          title: (bucket.selected ? "Remove filter: " : "Filter on: ") + bucket.label,
        });
        link.appendChild(el("span", null, bucket.label));
        link.appendChild(el("span", { class: "count" }, bucket.count.toLocaleString()));
        link.addEventListener("click", (event) => {
          event.preventDefault();
          navigate(link.getAttribute("href"));
        });
        li.appendChild(link);
        list.appendChild(li);
      }
      aside.appendChild(list);
      const meta = (info || {})[name] || {};
      if (meta.truncated) aside.appendChild(el("p", { class: "note" }, "More values exist."));
      if (meta.timed_out) aside.appendChild(el("p", { class: "note" }, "Counts timed out."));
    }
  }

  function renderPagination(total, page, size) {
    const nav = $("pagination");
    nav.replaceChildren();
    const pages = size > 0 ? Math.ceil(total / size) : 0;
    if (pages <= 1) return;
    const link = (number, label) => {
      const params = currentParams();
      params.set("page", String(number));
      const a = el("a", { href: "?" + params.toString() }, label);
      if (number === page) a.setAttribute("aria-current", "page");
      a.addEventListener("click", (event) => {
        event.preventDefault();
        navigate(a.getAttribute("href"));
        window.scrollTo(0, 0);
      });
      return a;
    };
    if (page > 1) nav.appendChild(link(page - 1, "‹ Previous"));
    for (let n = Math.max(1, page - PAGE_WINDOW); n <= Math.min(pages, page + PAGE_WINDOW); n++) {
      nav.appendChild(link(n, String(n)));
    }
    if (page < pages) nav.appendChild(link(page + 1, "Next ›"));
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  let latest = 0;

  async function run() {
    const params = currentParams();
    fillForm(params);
    const ticket = ++latest;
    $("status").textContent = "Searching…";
    showError("");
    let body;
    try {
      const response = await fetch(API + "?" + params.toString(), {
        headers: { Accept: "application/json" },
      });
      body = await response.json();
      if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    } catch (error) {
      if (ticket !== latest) return;
      $("status").textContent = "Search failed.";
      showError(error.message);
      $("results").replaceChildren();
      $("facets").replaceChildren();
      $("pagination").replaceChildren();
      return;
    }
    if (ticket !== latest) return; // a newer search finished first
    const count = body.total.toLocaleString();
    $("status").textContent = body.total === 1 ? "1 record" : count + " records";
    $("results").replaceChildren(...body.hits.map(renderHit));
    renderFacets(body.facets, body.facet_info);
    renderPagination(body.total, body.page, body.size);
  }

  run();
})();
