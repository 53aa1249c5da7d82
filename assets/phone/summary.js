// The seller's confirmation: the summary exactly as the engine wrote it, a signature
// drawn with the vendored signature_pad (window.SignaturePad, MIT), or a remark.
//
// What is sent is what the server keeps: the summary's SHA-256 (so a signature of an
// older summary is refused), the drawing as a PNG, its strokes, the name typed and the
// phone's clock. The whole message stays under the channel's text limit.

import { send } from "./connection.js";
import { t } from "./i18n.js";
import * as P from "./protocol.js";
import { $, nowMs, S } from "./state.js";

const MAX_PNG = 47000; // characters of the data: URL (protocol: signature.png)
const PNG_WIDTHS = [600, 450, 320, 240];

let pad = null;

/** Show the summary to confirm (over the live view or the done screen). */
export function showSummary(msg) {
  S.summary = msg;
  S.signed = false;
  $("summary-text").textContent = msg.text;
  $("summary-damages").replaceChildren(
    ...(msg.damages || []).map((d) => {
      const li = document.createElement("li");
      if (typeof d.thumb === "string" && d.thumb.startsWith("data:image/jpeg;base64,")) {
        const img = document.createElement("img");
        img.alt = String(d.ref || "");
        img.src = d.thumb;
        li.append(img);
      }
      const span = document.createElement("span");
      span.textContent = `${d.ref || ""} — ${d.text || ""}`;
      li.append(span);
      return li;
    }),
  );
  setStatus(null);
  $("remark-box").hidden = true;
  $("sign").disabled = false;
  $("screen-summary").hidden = false;
  $("app").dataset.summary = "open";
  requestAnimationFrame(preparePad);
}

function preparePad() {
  const canvas = $("signature-pad");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  const width = canvas.offsetWidth || 320;
  const height = canvas.offsetHeight || 160;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
  }
  if (!pad && typeof window.SignaturePad === "function") {
    pad = new window.SignaturePad(canvas, { penColor: "rgb(20, 20, 60)" });
  }
  if (pad) pad.clear();
}

function setStatus(key, text) {
  const el = $("summary-status");
  el.textContent = text || (key ? t(key) : "");
  el.hidden = !el.textContent;
}

/** The drawing as a PNG data: URL small enough for one message (transparent background). */
function pngOf(canvas) {
  for (const w of PNG_WIDTHS) {
    const scale = Math.min(1, w / canvas.width);
    const out = document.createElement("canvas");
    out.width = Math.max(1, Math.round(canvas.width * scale));
    out.height = Math.max(1, Math.round(canvas.height * scale));
    out.getContext("2d").drawImage(canvas, 0, 0, out.width, out.height);
    const url = out.toDataURL("image/png");
    if (url.length <= MAX_PNG) return url;
  }
  return null;
}

/** signature_pad's point groups, reduced to x, y, time (thinned until the message fits). */
function strokesOf(budget) {
  let step = 1;
  for (;;) {
    const groups = pad.toData().map((g) => ({
      points: g.points
        .filter((_, i) => i % step === 0 || i === g.points.length - 1)
        .map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10, time: p.time })),
    }));
    if (JSON.stringify(groups).length <= budget || step > 16) return groups;
    step *= 2;
  }
}

export function sign() {
  if (!S.summary) return;
  const name = $("signer-name").value.trim();
  if (!pad || pad.isEmpty()) return setStatus("sign_empty");
  if (!name) return setStatus("name_empty");
  const png = pngOf($("signature-pad"));
  if (!png) return setStatus("sign_empty");
  const strokes = strokesOf(P.MAX_TEXT_MESSAGE - png.length - 2048);
  $("sign").disabled = true;
  setStatus("signing");
  send("signature", { sha256: S.summary.sha256, name: name.slice(0, 120), png, strokes, phone_time: nowMs() });
}

export function clearPad() {
  if (pad) pad.clear();
  setStatus(null);
}

export function openRemark() {
  $("remark-box").hidden = false;
  $("remark-text").focus();
}

export function sendRemark() {
  const text = $("remark-text").value.trim();
  if (!text) return setStatus("remark_empty");
  if (!S.summary) return;
  send("remark", { sha256: S.summary.sha256, text: text.slice(0, 1000) });
}

/** The engine's answer: kept (close the summary; the end may follow), or why not. */
export function onSigned(msg, finishNow) {
  $("sign").disabled = false;
  if (!msg.ok) {
    setStatus(null, msg.text);
    return;
  }
  S.signed = true;
  S.summary = null;
  $("screen-summary").hidden = true;
  delete $("app").dataset.summary;
  if (S.state === "done") finishNow(msg.text);
}
