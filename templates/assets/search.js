// The search page: runs the query in the browser with Pagefind's index, built by `python build.py`.
// Without this script the form still submits, and the page's <noscript> text points to the chapter list.
const form = document.querySelector("form[data-pagefind]");
const input = form.querySelector("input[name=q]");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const MAX_RESULTS = 20;
let pagefind = null;

async function loadPagefind() {
  if (!pagefind) {
    pagefind = await import(form.dataset.pagefind);
    await pagefind.options({ excerptLength: 30 });
  }
  return pagefind;
}

// Pagefind's excerpt is escaped text with <mark> around the matches: keep exactly that, nothing else.
function excerptParagraph(excerpt) {
  const parsed = new DOMParser().parseFromString(`<p>…${excerpt}…</p>`, "text/html").body.firstChild;
  const paragraph = document.createElement("p");
  for (const node of parsed.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      paragraph.append(mark);
    } else {
      paragraph.append(node.textContent);
    }
  }
  return paragraph;
}

function describe(meta) {
  if (meta.kind === "Op-ed") {
    return `Op-ed by ${meta.author} · chapter: ${meta.chapter}`;
  }
  return meta.kind === "Chapter" ? "Chapter and its proposals" : "Page";
}

function resultItem(result) {
  const item = document.createElement("li");
  item.className = "card";
  const heading = document.createElement("h2");
  heading.className = "card-title";
  const link = document.createElement("a");
  link.href = result.url;
  link.textContent = result.meta.title;
  heading.append(link);
  const kind = document.createElement("p");
  kind.className = "byline";
  kind.textContent = describe(result.meta);
  item.append(heading, kind, excerptParagraph(result.excerpt));
  return item;
}

async function search(query) {
  list.replaceChildren();
  if (!query) {
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  let found;
  try {
    found = await (await loadPagefind()).search(query);
  } catch (error) {
    status.textContent = "Search is not available here: the search index is made by “python build.py”.";
    console.error(error);
    return;
  }
  const results = await Promise.all(found.results.slice(0, MAX_RESULTS).map((result) => result.data()));
  list.replaceChildren(...results.map(resultItem));
  const count = found.results.length;
  const shown = count > MAX_RESULTS ? ` (the first ${MAX_RESULTS} are shown)` : "";
  status.textContent =
    count === 0
      ? `Nothing found for “${query}”. Try fewer or other words.`
      : `${count} result${count === 1 ? "" : "s"} for “${query}”${shown}.`;
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
