// Which screen the page shows (consent, the live view with its veil, done,
// errors) for each state of the page, and what an error screen says.

import { layoutFrame, renderMode, renderOrientation } from "./guidance.js";
import { t } from "./i18n.js";
import { $, S } from "./state.js";

export function setState(state) {
  S.state = state;
  $("app").dataset.state = state;
  const liveVisible = ["connecting", "live", "reconnecting"].includes(state);
  $("live").hidden = !liveVisible;
  $("screen-consent").hidden = state !== "consent";
  $("screen-error").hidden = state !== "error";
  $("screen-done").hidden = state !== "done";
  const veil = state === "connecting" || state === "reconnecting";
  $("veil").hidden = !veil;
  if (veil && S.waiting) {
    // A relayed call whose operator's console is not there: who the page waits for.
    setVeil(S.everLive ? "advisor_away" : "advisor_coming", "advisor_away_detail");
    $("toast").hidden = true;
  } else if (state === "connecting") {
    setVeil(S.stream ? "connecting" : "starting_camera", null);
  } else if (state === "reconnecting") {
    setVeil("reconnecting", "reconnecting_detail");
    $("toast").hidden = true; // stale guidance would compete with the veil
  }
  $("topbar").hidden = !S.currentShot;
  renderMode();
  renderOrientation();
  if (liveVisible) requestAnimationFrame(layoutFrame);
}

export function setVeil(titleKey, detailKey) {
  $("veil-title").textContent = t(titleKey);
  $("veil-detail").textContent = detailKey ? t(detailKey) : "";
}

const ERRORS = {
  denied: { title: "denied_title", text: "denied_text", help: ["denied_android", "denied_ios"], retry: true },
  nocamera: { title: "nocamera_title", text: "nocamera_text", retry: true },
  busy: { title: "busy_title", text: "busy_text", retry: true },
  // An app's built-in browser (inapp.js): open the link in Safari or Chrome, or go on here.
  inapp: { title: "inapp_title", text: "inapp_text", copy: true, proceed: true },
  insecure: { title: "insecure_title", text: "insecure_text" },
  unsupported: { title: "unsupported_title", text: "unsupported_text" },
  invalid: { title: "invalid_title", text: "invalid_text" },
  in_use: { title: "in_use_title", text: "in_use_text", retry: true, takeover: true },
};

/** Fill the error screen for kind (a key of ERRORS) and show it; extra: {text, help} keys. */
export function renderError(kind, extra = {}) {
  const spec = ERRORS[kind];
  const helpKeys = extra.help || spec.help;
  $("error-title").textContent = t(spec.title);
  $("error-text").textContent = t(extra.text || spec.text, extra.params);
  const help = $("error-help");
  help.replaceChildren(
    ...(helpKeys || []).map((key) => {
      const li = document.createElement("li");
      li.textContent = t(key);
      return li;
    }),
  );
  help.hidden = !helpKeys;
  $("retry").hidden = !spec.retry;
  // The link itself, to copy into another browser (shown so it can be copied by hand too).
  $("link-text").hidden = !spec.copy;
  $("copy-link").hidden = !spec.copy;
  $("copy-status").hidden = true;
  $("proceed").hidden = !spec.proceed;
  // Another device holds the inspection: this one may ask for it (the server asks the advisor).
  $("takeover").hidden = !spec.takeover;
  $("retry").disabled = false;
  setState("error");
}
