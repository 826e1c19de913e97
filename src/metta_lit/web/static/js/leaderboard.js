// The leaderboard page: the stats DB's ratings, polled and redrawn when an evaluation lands.
import { getJson, showError } from "./api.js";
import { fill, h } from "./dom.js";

const $ = (id) => document.getElementById(id);
const page = (window.leaderboard = { version: undefined });

const fixed = (v, digits) => (v === null ? "–" : Number(v).toFixed(digits));
const signed = (v) => (v === null ? "–" : (v >= 0 ? "+" : "") + Number(v).toFixed(3));

function draw(board) {
  if (!board.configured) {
    fill("leaderboard", h("p", { class: "muted" }, "no stats DB (start serve with --stats_db)"));
    return;
  }
  $("db").textContent = board.path;
  if (!board.rows.length) {
    fill("leaderboard", h("p", { class: "muted" }, "no cross-play evaluations yet"));
    return;
  }
  const columns = ["#", "policy", "rating [95%]", "meetings", "wins", `value over ${board.replacement} [95%]`, "reward"];
  const rows = board.rows.map((r, i) =>
    h(
      "tr",
      { dataset: { policy: r.policy } },
      h("td", {}, i + 1),
      h("th", {}, r.policy),
      h("td", {}, `${fixed(r.rating, 0)} [${fixed(r.low, 0)}, ${fixed(r.high, 0)}]`),
      h("td", {}, r.meetings),
      h("td", {}, r.wins),
      h("td", {}, r.vor === null ? "–" : `${signed(r.vor)} [${signed(r.vor_low)}, ${signed(r.vor_high)}]`),
      h("td", {}, fixed(r.reward, 3)),
    ),
  );
  fill(
    "leaderboard",
    h("table", { dataset: { version: board.version } }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))), h("tbody", {}, rows)),
  );
}

async function poll(force = false) {
  try {
    // Empty: the server's default (random:v0), which may not have played; a policy typed in must have.
    const named = $("replacement").value.trim();
    const board = await getJson(named ? `/api/leaderboard?replacement=${encodeURIComponent(named)}` : "/api/leaderboard");
    showError(null);
    if (force || board.version !== page.version) {
      page.version = board.version;
      draw(board);
    }
  } catch (e) {
    showError(e.message);
  }
}

$("replacement").onchange = () => poll(true);
poll();
setInterval(poll, 3000);
