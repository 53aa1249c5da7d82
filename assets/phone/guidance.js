// What the operator (or the autopilot) shows over the live view: the shot
// card and its framing overlay, the pointer, toasts, status pills and hints.
// Rendering only: the state it shows lives in S.

import { t } from "./i18n.js";
import { $, S } from "./state.js";

const OVERLAY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function renderMode() {
  $("shutter").hidden = S.mode !== "self";
  // Guided by the advisor: the seller is told who watches and who takes the photos.
  // "Your advisor sees you": not while the page waits for the advisor to be back.
  $("guided").hidden = S.mode !== "operator" || S.waiting;
}

const SPEAKING_MS = 4000;
let speakingTimer = null;

/** The advisor just spoke (a message, the pointer): the status line lights up for a while. */
export function advisorSpoke(ms = SPEAKING_MS) {
  if (S.mode !== "operator") return;
  S.advisorSpeaking = true;
  $("guided").classList.add("speaking");
  clearTimeout(speakingTimer);
  speakingTimer = setTimeout(() => {
    S.advisorSpeaking = false;
    $("guided").classList.remove("speaking");
  }, ms);
}

/** Vehicle and plate from welcome.inspection, on the top bar. */
export function renderVehicle(info) {
  $("vehicle").textContent = [info.vehicle, info.plate]
    .filter((x) => typeof x === "string" && x)
    .join(" · ")
    .slice(0, 80);
}

export function renderShot() {
  const shot = S.currentShot;
  if (!shot) return;
  $("progress").textContent = t("progress", { n: shot.index + 1, total: shot.total });
  $("shot-title").textContent = shot.title;
  $("shot-instruction").textContent = shot.instruction;
  $("topbar").dataset.shotState = shot.state || "";
  $("topbar").hidden = false;
  const overlay = $("overlay");
  if (shot.overlay && OVERLAY_NAME.test(shot.overlay)) {
    const src = `/static/overlays/${shot.overlay}.svg`;
    if (overlay.getAttribute("src") !== src) {
      overlay.hidden = true;
      overlay.src = src;
    } else {
      overlay.hidden = overlay.dataset.failed === "1";
    }
  } else {
    overlay.hidden = true;
    overlay.removeAttribute("src");
  }
  renderOrientation();
}

/** How the phone is held now, from the page's own size (what the seller sees). */
export function heldAs() {
  return window.innerWidth > window.innerHeight ? "landscape" : "portrait";
}

/** Ask the seller to turn the phone when the shot wants it held the other way. */
export function renderOrientation() {
  const wanted = S.currentShot ? S.currentShot.orientation : null;
  // Not while waiting for the advisor: the veil's words must stand alone.
  const live = ["live", "reconnecting"].includes(S.state) && !S.waiting;
  const wrong = live && (wanted === "landscape" || wanted === "portrait") && wanted !== heldAs();
  S.rotateHint = wrong ? wanted : null;
  const el = $("rotate");
  el.hidden = !wrong;
  el.dataset.want = wrong ? wanted : "";
  if (wrong) $("rotate-text").textContent = t(wanted === "landscape" ? "rotate_landscape" : "rotate_portrait");
}

export function onOverlayLoad() {
  $("overlay").dataset.failed = "0";
  $("overlay").hidden = false;
}

export function onOverlayError() {
  $("overlay").dataset.failed = "1";
  $("overlay").hidden = true;
}

// Place #frame exactly over the picture the video element displays (object-fit).
export function layoutFrame() {
  const video = $("camera");
  const frame = $("frame");
  const bw = video.clientWidth;
  const bh = video.clientHeight;
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  let w = bw;
  let h = bh;
  if (vw && vh && bw && bh) {
    const fit = getComputedStyle(video).objectFit;
    const contain = Math.min(bw / vw, bh / vh);
    const cover = Math.max(bw / vw, bh / vh);
    const scale = fit === "cover" ? cover : fit === "fill" ? null : fit === "none" ? 1 : contain;
    if (scale !== null) {
      w = vw * scale;
      h = vh * scale;
    }
  }
  frame.style.width = `${w}px`;
  frame.style.height = `${h}px`;
  frame.style.left = `${video.offsetLeft + (bw - w) / 2}px`;
  frame.style.top = `${video.offsetTop + (bh - h) / 2}px`;
}

export function renderPointer() {
  const el = $("pointer");
  if (!S.pointer) {
    el.hidden = true;
    return;
  }
  el.style.left = `${S.pointer.x * 100}%`;
  el.style.top = `${S.pointer.y * 100}%`;
  el.hidden = false;
}

/** The autopilot's framing hint ("come closer"); green when it has nothing to say. */
export function renderHint(msg) {
  const el = $("hint");
  const text = msg.text.trim();
  el.textContent = text;
  el.classList.toggle("good", msg.code === null);
  el.hidden = !text;
}

let toastTimer = null;

/** A message over the live view; ``from`` names who says it (the advisor). */
export function showToast(text, discreet, from = null) {
  const el = $("toast");
  S.toastText = text;
  el.textContent = text;
  if (from) {
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = from;
    el.prepend(who);
  }
  el.classList.toggle("discreet", discreet);
  el.hidden = !text;
  clearTimeout(toastTimer);
  const ms = discreet ? 4000 : Math.min(15000, 5000 + text.length * 60);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, ms);
}

let statusTimer = null;

export function showStatus(text, kind, ms) {
  const el = $("status");
  el.textContent = text;
  el.className = `pill status ${kind || ""}`;
  el.hidden = !text;
  clearTimeout(statusTimer);
  if (ms) {
    statusTimer = setTimeout(() => {
      el.hidden = true;
    }, ms);
  }
}

export function flash() {
  const el = $("flash");
  el.classList.remove("on");
  void el.offsetWidth; // restart the animation
  el.classList.add("on");
}
