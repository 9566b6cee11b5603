// Admin workbench enhancements; every page works without them.
// The concept picker: typing filters the tree to concepts whose labels (English, French or
// id) contain the text, keeping the ancestors of a match visible.
function fold(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function filterTree(input) {
  const root = document.getElementById(input.dataset.filterTree);
  if (!root) return;
  const needle = fold(input.value.trim());
  const visit = (item) => {
    const children = Array.from(item.querySelectorAll(":scope > ul > li"));
    let shown = false;
    for (const child of children) shown = visit(child) || shown;
    const own = !needle || fold(item.dataset.labels || "").includes(needle);
    item.hidden = !(own || shown);
    return own || shown;
  };
  for (const item of root.querySelectorAll(":scope > ul > li")) visit(item);
}

for (const input of document.querySelectorAll("input[data-filter-tree]")) {
  input.addEventListener("input", () => filterTree(input));
}
