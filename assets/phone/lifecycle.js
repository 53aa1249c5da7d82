// The page's life: start on the seller's consent, an error screen (and a
// retry where one can help), the end that lets the camera go, and the screen
// wake lock (a phone that dims mid-inspection loses its camera).

import { cameraErrorKind, openCamera, stopCamera } from "./camera.js";
import { closeSocket, linkLost, openSocket, reconnectNow, teardownPeer } from "./connection.js";
import { originalsPending, renderUploads } from "./originals.js";
import * as P from "./protocol.js";
import { t } from "./i18n.js";
import { renderError, setState, setVeil } from "./screens.js";
import { $, S } from "./state.js";

export async function start() {
  $("start").disabled = true;
  S.everLive = false;
  setState("connecting");
  requestWakeLock();
  try {
    await openCamera();
  } catch (exc) {
    console.warn("camera:", exc);
    $("start").disabled = false;
    showError(cameraErrorKind(exc));
    return;
  }
  setVeil("connecting", null);
  S.attempt = 0;
  openSocket();
}

export function showError(kind, extra) {
  S.errorKind = kind;
  if (kind === "invalid") {
    // Nothing more will happen on this page: release the camera and the screen.
    teardownPeer();
    closeSocket();
    stopCamera();
    releaseWakeLock();
  }
  renderError(kind, extra);
}

export function retry() {
  $("retry").disabled = true;
  if (S.errorKind === "in_use") {
    S.attempt = 0;
    setState(S.everLive ? "reconnecting" : "connecting");
    reconnectNow();
  } else {
    start();
  }
}

export function finish(text) {
  S.state = "done";
  if ((S.summary && !S.signed) || originalsPending() > 0) {
    // The seller still has the summary to sign, or originals are still on their way
    // ("finishing the upload…"): the link stays until the answer or the last original.
    S.doneText = text;
    $("done-text").textContent = text || "";
    $("done-text").hidden = !text;
    setState("done");
    renderUploads(true);
    return;
  }
  teardownPeer();
  closeSocket(true);
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  stopCamera();
  releaseWakeLock();
  // The engine says what was done; the screen itself thanks and says the page may close.
  $("done-text").textContent = text || "";
  $("done-text").hidden = !text;
  setState("done");
}

export function onVisibilityChange() {
  if (!["connecting", "live", "reconnecting"].includes(S.state)) return;
  if (document.visibilityState !== "visible") {
    pauseCamera();
    return;
  }
  requestWakeLock();
  resumeCamera();
  if (S.state === "live" && performance.now() - S.lastRx > P.HEARTBEAT_TIMEOUT_MS) {
    linkLost("stale after background");
  }
}

// ---- the camera in the background -------------------------------------------
// The seller switched to another app: the camera pauses (nothing of what the phone
// sees then is sent, and no still is taken: camera.js) and resumes on return. iOS
// interrupts the capture itself in the background (older versions end the track);
// a track that ended is opened again and put back on the same peer connection.

function pauseCamera() {
  if (S.track && S.track.readyState === "live" && S.track.enabled) {
    S.track.enabled = false;
    S.cameraPaused = true;
  }
}

async function resumeCamera() {
  S.cameraPaused = false;
  if (!S.track) return;
  if (S.track.readyState === "live") {
    S.track.enabled = true;
    return;
  }
  try {
    await openCamera();
    if (S.sender) await S.sender.replaceTrack(S.track);
  } catch (exc) {
    // Another app took the camera meanwhile, or the permission was withdrawn: say so;
    // "Try again" opens the camera and a new link that resumes the same shot.
    console.warn("camera lost:", exc);
    if (!["connecting", "live", "reconnecting"].includes(S.state)) return;
    teardownPeer();
    closeSocket();
    clearTimeout(S.reconnectTimer);
    S.reconnectTimer = null;
    stopCamera();
    showError(cameraErrorKind(exc));
  }
}

// ---- wake lock --------------------------------------------------------------

async function requestWakeLock() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || S.wakeLock) return;
  try {
    const lock = await navigator.wakeLock.request("screen");
    S.wakeLock = lock;
    lock.addEventListener("release", () => {
      if (S.wakeLock === lock) S.wakeLock = null;
    });
  } catch (exc) {
    console.info("wake lock unavailable:", exc && exc.name);
  }
}

function releaseWakeLock() {
  const lock = S.wakeLock;
  S.wakeLock = null;
  if (lock) lock.release().catch(() => {});
}

// ---- an app's built-in browser ----------------------------------------------

/** Ask to open the link in Safari or Chrome (inapp.js found {app, system}). */
export function showInAppBrowser({ app, system }) {
  $("link-text").value = location.origin + location.pathname;
  showError("inapp", {
    text: app ? "inapp_text" : "inapp_text_unnamed",
    params: { app },
    help: system ? [`inapp_${system}`] : ["inapp_ios", "inapp_android"],
  });
}

/** The join link to the clipboard; where an app's web view refuses, the field stays selected. */
export async function copyLink() {
  const field = $("link-text");
  let copied = false;
  try {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    }
  } catch (exc) {
    console.info("clipboard:", exc && exc.name);
  }
  field.focus();
  field.select();
  field.scrollLeft = 0; // the link's start, not the token's end
  if (!copied) {
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
  }
  const status = $("copy-status");
  status.textContent = t(copied ? "link_copied" : "copy_failed");
  status.hidden = false;
  return copied;
}
