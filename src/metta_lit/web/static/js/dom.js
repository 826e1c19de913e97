// Building page content without HTML: every value from a file or the server becomes a text
// node or an attribute value, never markup, so a replay or run name cannot inject script.
// (Why not innerHTML with escaping: one missed escape is a stored XSS; here there is none to miss.)

// h("li", { class: "x", dataset: { agent: 3 }, style: { background: "red" }, onclick }, "text", node, ...)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") Object.assign(el.style, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...flat(children));
  return el;
}

// Children as nodes or text (numbers and strings become text nodes; null and false are skipped).
function flat(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c)));
}

// Replaces an element's content (by id or element) with these children.
export function fill(target, ...children) {
  const el = typeof target === "string" ? document.getElementById(target) : target;
  el.replaceChildren(...flat(children));
  return el;
}

// <option>s for a <select>: each value as its text (and value).
export function options(values, selected = null) {
  return values.map((v) => h("option", { value: v, selected: v === selected }, v));
}
