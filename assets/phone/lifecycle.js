// The page's life: start on the seller's consent, an error screen (and a
// retry where one can help), the end that lets the camera go, and the screen
// wake lock (a phone that dims mid-inspection loses its camera).

import { cameraErrorKind, onTrackEnded, openCamera, stopCamera } from "./camera.js";
import { closeSocket, linkLost, openSocket, reconnectNow, teardownPeer } from "./connection.js";
import { originalsPending, renderUploads } from "./originals.js";
import * as P from "./protocol.js";
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

export function showError(kind) {
  S.errorKind = kind;
  if (kind === "invalid") {
    // Nothing more will happen on this page: release the camera and the screen.
    teardownPeer();
    closeSocket();
    stopCamera();
    releaseWakeLock();
  }
  renderError(kind);
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
  if (document.visibilityState !== "visible") return;
  if (!["connecting", "live", "reconnecting"].includes(S.state)) return;
  requestWakeLock();
  if (S.track && S.track.readyState === "ended") onTrackEnded();
  if (S.state === "live" && performance.now() - S.lastRx > P.HEARTBEAT_TIMEOUT_MS) {
    linkLost("stale after background");
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
