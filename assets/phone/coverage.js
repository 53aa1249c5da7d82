// The coverage map, small, on the shot card: the car seen from above, each exterior
// part grey until an accepted photo shows it, green once it does, in a damage's
// colour when one is recorded on it. The engine decides every colour (its "coverage"
// message, made by inspector/domain/coverage.py); this module only paints them on
// the vehicle diagram the server serves, so the console and the phone agree.

import { t } from "./i18n.js";
import { $, S } from "./state.js";

const DIAGRAM = "/static/overlays/vehicle_diagram.svg";
const PART = /^[a-z][a-z_]{0,40}$/;
const COLOUR = /^#[0-9A-Fa-f]{6}$/;
const STATES = new Set(["not_yet", "covered", "damaged", "unlisted"]);

let diagram = null; // the <svg> element once loaded
let loading = null;

function loadDiagram() {
  if (!loading) {
    loading = fetch(DIAGRAM, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((text) => {
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        const svg = doc.documentElement;
        if (!svg || svg.nodeName.toLowerCase() !== "svg") throw new Error("not an SVG");
        for (const title of [...svg.querySelectorAll("title")]) title.remove();
        svg.removeAttribute("width");
        svg.removeAttribute("height");
        svg.setAttribute("aria-hidden", "true");
        diagram = document.importNode(svg, true);
        $("coverage-map").replaceChildren(diagram);
        if (S.coverage) paint(S.coverage);
      })
      .catch((exc) => {
        loading = null; // the next message tries again
        console.warn("coverage map not available:", exc && exc.message);
      });
  }
  return loading;
}

function paint(msg) {
  if (!diagram) return;
  for (const item of msg.parts) {
    const el = diagram.querySelector(`#${item.part}`);
    if (!el) continue;
    el.setAttribute("fill", item.colour);
    el.dataset.state = item.state;
  }
}

/** Keep only well-formed entries: the engine is trusted, but a page never paints junk. */
function clean(parts) {
  return parts.filter(
    (p) =>
      p && typeof p === "object" && PART.test(String(p.part)) &&
      COLOUR.test(String(p.colour)) && STATES.has(p.state),
  );
}

/** The engine's "coverage" message. */
export function renderCoverage(msg) {
  S.coverage = { parts: clean(msg.parts), covered: msg.covered, listed: msg.listed };
  const box = $("coverage");
  if (msg.listed < 1) {
    box.hidden = true;
    return;
  }
  $("coverage-count").textContent = t("progress", { n: msg.covered, total: msg.listed });
  box.setAttribute("aria-label", t("coverage_label", { n: msg.covered, total: msg.listed }));
  box.hidden = false;
  if (diagram) paint(S.coverage);
  else loadDiagram();
}

/** Tapping the map shows it larger, tapping again smaller. */
export function toggleCoverageSize() {
  $("coverage").classList.toggle("enlarged");
}

/** The page's language changed: say the label again. */
export function relabelCoverage() {
  if (S.coverage) renderCoverage({ ...S.coverage, parts: S.coverage.parts });
}
