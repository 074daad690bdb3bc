// The search page: runs the query in the browser over the word index that `python build.py` writes
// under /search/data/ (its format is described in manifesto/search.py). Without this script the form
// still submits, and the page's <noscript> text points to the chapter list.
const form = document.querySelector("form[data-index]");
const input = form.querySelector("input[name=q]");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const indexUrl = new URL(form.dataset.index, location.href);
const homeUrl = new URL(form.dataset.home, location.href);
const MAX_RESULTS = 20;
const EXCERPT_WORDS = 30;
// Ranking: BM25 with its usual constants; a word that only starts a longer term counts for less.
const K1 = 1.2;
const B = 0.75;
const PREFIX_WEIGHT = 0.5;
// The index's terms: runs of letters and digits, with accents dropped, in lower case.
const TERM = /[\p{L}\p{N}]+/gu;
const WORD_IN_TEXT = /[\p{L}\p{M}\p{N}]+/gu;
const fetched = new Map();

// The page's words, in its language (the search form's data-text-* attributes, from the catalogue).
function said(name, values = {}) {
  return form.dataset[name].replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function fold(text) {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

function queryWords(query) {
  const words = new Set(fold(query).match(TERM) ?? []);
  return [...words].filter((word) => Array.from(word).length >= 2);
}

function hex(text) {
  return Array.from(new TextEncoder().encode(text), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Each file once per page view; a term file that does not exist means no term starts that way.
function load(path, missing) {
  if (!fetched.has(path)) {
    const request = fetch(new URL(path, indexUrl)).then((response) => {
      if (response.ok) {
        return path.endsWith(".json") ? response.json() : response.text();
      }
      if (response.status === 404 && missing !== undefined) {
        return missing;
      }
      throw new Error(`${response.status} for ${path}`);
    });
    fetched.set(path, request);
    request.catch(() => fetched.delete(path));
  }
  return fetched.get(path);
}

// How often each document holds ``word`` (whole term, or weighted as the start of a longer one).
async function frequencies(word) {
  const shard = await load(`terms/${hex(Array.from(word).slice(0, 2).join(""))}.json`, {});
  const found = new Map();
  for (const [term, postings] of Object.entries(shard)) {
    if (!term.startsWith(word)) {
      continue;
    }
    const weight = term === word ? 1 : PREFIX_WEIGHT;
    let documentNumber = 0;
    for (let i = 0; i < postings.length; i += 2) {
      documentNumber += postings[i];
      found.set(documentNumber, (found.get(documentNumber) ?? 0) + weight * postings[i + 1]);
    }
  }
  return found;
}

// The documents holding every word, best first (ties in address order).
async function rank(words) {
  const { documents } = await load("documents.json");
  const average = documents.reduce((sum, document) => sum + document[3], 0) / documents.length || 1;
  let scores = null;
  for (const found of await Promise.all(words.map(frequencies))) {
    const rarity = Math.log(1 + (documents.length - found.size + 0.5) / (found.size + 0.5));
    const next = new Map();
    for (const [number, frequency] of found) {
      if (scores !== null && !scores.has(number)) {
        continue;
      }
      const length = documents[number][3] / average;
      const weight = (frequency * (K1 + 1)) / (frequency + K1 * (1 - B + B * length));
      next.set(number, (scores?.get(number) ?? 0) + rarity * weight);
    }
    scores = next;
  }
  return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([number]) => documents[number]);
}

// About EXCERPT_WORDS words of ``text`` around the first query word found, the matches marked.
function excerptParagraph(text, words) {
  const tokens = [...text.matchAll(WORD_IN_TEXT)];
  const matches = (token) => {
    const folded = fold(token[0]);
    return words.some((word) => folded.startsWith(word));
  };
  const first = Math.max(0, tokens.findIndex(matches));
  const start = Math.max(0, Math.min(first - 10, tokens.length - EXCERPT_WORDS));
  const shown = tokens.slice(start, start + EXCERPT_WORDS);
  const paragraph = document.createElement("p");
  if (shown.length === 0) {
    return paragraph;
  }
  paragraph.append(start > 0 ? "…" : "");
  let position = shown[0].index;
  for (const token of shown) {
    paragraph.append(text.slice(position, token.index).replace(/\s+/g, " "));
    if (matches(token)) {
      const mark = document.createElement("mark");
      mark.textContent = token[0];
      paragraph.append(mark);
    } else {
      paragraph.append(token[0]);
    }
    position = token.index + token[0].length;
  }
  paragraph.append(start + EXCERPT_WORDS < tokens.length ? "…" : "");
  return paragraph;
}

async function resultItem([sitePath, title, byline], words) {
  const text = await load(`text${sitePath.replace(/\/$/, "")}.txt`);
  const item = document.createElement("li");
  item.className = "card";
  const heading = document.createElement("h2");
  heading.className = "card-title";
  const link = document.createElement("a");
  link.href = new URL(sitePath.slice(1), homeUrl).href;
  link.textContent = title;
  heading.append(link);
  const kind = document.createElement("p");
  kind.className = "byline";
  kind.textContent = byline;
  item.append(heading, kind, excerptParagraph(text, words));
  return item;
}

async function search(query) {
  list.replaceChildren();
  if (!query) {
    status.textContent = "";
    return;
  }
  const words = queryWords(query);
  if (words.length === 0) {
    status.textContent = said("textShort");
    return;
  }
  status.textContent = said("textSearching");
  let found;
  let items;
  try {
    found = await rank(words);
    items = await Promise.all(found.slice(0, MAX_RESULTS).map((document) => resultItem(document, words)));
  } catch (error) {
    status.textContent = said("textUnavailable");
    console.error(error);
    return;
  }
  list.replaceChildren(...items);
  const count = found.length;
  const message =
    count === 0 ? "textNone" : count === 1 ? "textOne" : count > MAX_RESULTS ? "textManyShown" : "textMany";
  status.textContent = said(message, { query, count, max: MAX_RESULTS });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = input.value.trim();
  const url = new URL(location.href);
  url.searchParams.set("q", query);
  history.replaceState(null, "", url);
  search(query);
});

// A search arriving in the address (?q=…), from another page or a bookmark, runs at once.
const initial = new URLSearchParams(location.search).get("q")?.trim() ?? "";
if (initial) {
  input.value = initial;
  search(initial);
}
