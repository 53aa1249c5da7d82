// The seller's phone page: consent, rear camera, WebRTC to the engine, guidance.
//
// Contract: docs/LIVE_LINK.md. This module boots the page: it checks what the
// browser can do, wires the buttons and the page's events to the modules that
// handle them, and hands the link (connection.js) what to do with the channel.
//
//   state.js       the page's state, one object every module shares
//   screens.js     which screen shows: consent, live (and its veil), done, errors
//   guidance.js    shot card and overlay, pointer, toasts, status, hints
//   camera.js      the rear camera, its torch, full-resolution JPEG stills
//   connection.js  signaling, the WebRTC peer, sending on the channel, recovery
//   messages.js    hello, heartbeats and the engine's messages, one handler each
//   capture.js     a capture: still → chunks on the channel → the verdict shown
//   lifecycle.js   start, error screens and retry, the end, the wake lock
//   summary.js     the seller's confirmation: the summary, the signature pad, a remark
//   coverage.js    the coverage map: which parts of the car are photographed
//   inapp.js       an app's built-in browser (WhatsApp, Facebook…) by its user agent
//   i18n.js        the page's strings; protocol.js  the data channel's messages
//
// Import order (no cycles): state ← guidance ← screens; camera; connection ←
// capture, lifecycle ← messages ← phone; connection ← summary ← messages. The link calls up into messages.js
// and lifecycle.js only through the handlers boot gives it (onLink).

import { cameraInfo, setTorch } from "./camera.js";
import { toggleCoverageSize } from "./coverage.js";
import { closeSocket, linkLost, onLink, onOnline, send } from "./connection.js";
import { flash, layoutFrame, onOverlayError, onOverlayLoad, renderOrientation } from "./guidance.js";
import { ASK_RECORDING, detectLanguage, language, setLanguage, translatePage } from "./i18n.js";
import { inAppBrowser } from "./inapp.js";
import { copyLink, onVisibilityChange, retry, showError, showInAppBrowser, start } from "./lifecycle.js";
import { onChannelMessage, onChannelOpen } from "./messages.js";
import { pumpOriginals } from "./originals.js";
import { setState } from "./screens.js";
import { $, S } from "./state.js";
import { clearPad, openRemark, sendRemark, sign } from "./summary.js";

export { jpegSize } from "./camera.js";

function tokenFromPath() {
  const match = /^\/j\/([A-Za-z0-9_-]{8,128})\/?$/.exec(location.pathname);
  return match ? match[1] : null;
}

/** window.__inspector: what the e2e tests read of the page, and the link drop they cause. */
function exposeTestHooks() {
  window.__inspector = {
    get state() {
      return S.state;
    },
    get mode() {
      return S.mode;
    },
    get waiting() {
      return S.waiting;
    },
    get language() {
      return language();
    },
    get currentShot() {
      return S.currentShot;
    },
    get messagesReceived() {
      return S.messagesReceived;
    },
    get controlMessages() {
      return S.controlMessages;
    },
    get invalidMessages() {
      return S.invalidMessages;
    },
    get lastMessages() {
      return S.lastMessages.slice();
    },
    get pointer() {
      return S.pointer;
    },
    get rotateHint() {
      return S.rotateHint;
    },
    get coverage() {
      return S.coverage;
    },
    get videoLimit() {
      return S.videoLimit;
    },
    get recordingConsent() {
      return ASK_RECORDING ? $("record-consent").checked : null;
    },
    get layout() {
      const boxOf = (id) => {
        const el = document.getElementById(id);
        if (!el || el.hidden || el.offsetParent === null) return null;
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      };
      return { frame: boxOf("frame"), topbar: boxOf("topbar"), controls: boxOf("controls"), bottom: boxOf("bottom") };
    },
    get advisorSpeaking() {
      return S.advisorSpeaking;
    },
    get torch() {
      return { supported: S.torchSupported, on: S.torchOn, requested: S.torchRequested };
    },
    get toast() {
      return S.toastText;
    },
    get hint() {
      return S.hint;
    },
    get captures() {
      return { sent: S.capturesSent, failed: S.capturesFailed, source: S.lastCaptureSource };
    },
    get reconnects() {
      return S.reconnects;
    },
    get errors() {
      return S.errors.slice();
    },
    get summary() {
      return { shown: Boolean(S.summary), signed: S.signed };
    },
    get camera() {
      return S.track ? cameraInfo() : null;
    },
    get cameraTrack() {
      return S.track ? { state: S.track.readyState, enabled: S.track.enabled, paused: S.cameraPaused } : null;
    },
    get errorKind() {
      return S.state === "error" ? S.errorKind : null;
    },
    get captureTimings() {
      return S.captureTimings && { ...S.captureTimings, budget: S.previewBudget };
    },
    get originals() {
      return {
        pending: S.originals.size,
        previews: S.previewsSent,
        bytesSent: S.originalBytesSent,
        done: S.uploadsDone,
      };
    },
    /** Hold the originals back (as a slow link would) or let them go. */
    pauseOriginals(on) {
      S.originalsPaused = Boolean(on);
      if (!on) pumpOriginals();
    },
    /** Drop the link once this many bytes of originals have been sent. */
    dropOriginalsAt(bytes) {
      S.dropOriginalsAt = bytes;
    },
    /** Simulate a link drop: abrupt (peer and socket closed) or silent (dead network). */
    dropForTest(options = {}) {
      if (options.silent) {
        S.muted = true;
        return "silent";
      }
      closeSocket();
      linkLost("dropped for test");
      return "closed";
    },
  };
}

function boot() {
  S.phoneLanguage = detectLanguage();
  setLanguage(S.phoneLanguage);
  // Asked to record: "what is kept" says the video is, after a yes (else: it is not).
  if (ASK_RECORDING) $("consent-kept").dataset.i18n = "consent_kept_recording";
  translatePage();
  exposeTestHooks();
  onLink({
    open: onChannelOpen,
    message: onChannelMessage,
    refused: showError,
    originalsOpen: pumpOriginals,
  });
  $("start").addEventListener("click", start);
  $("sign").addEventListener("click", sign);
  $("sign-clear").addEventListener("click", clearPad);
  $("not-right").addEventListener("click", openRemark);
  $("remark-send").addEventListener("click", sendRemark);
  $("retry").addEventListener("click", retry);
  $("torch").addEventListener("click", () => setTorch(!S.torchOn));
  $("shutter").addEventListener("click", () => {
    const button = $("shutter");
    if (send("shutter")) {
      button.disabled = true;
      button.classList.add("pressed");
      flash();
      setTimeout(() => {
        button.disabled = false;
        button.classList.remove("pressed");
      }, 1500);
    }
  });
  $("ready").addEventListener("click", () => {
    if (S.currentShot && send("ready", { shot_id: S.currentShot.id })) $("ready").hidden = true;
  });
  $("coverage").addEventListener("click", toggleCoverageSize);
  $("toast").addEventListener("click", () => {
    $("toast").hidden = true;
  });
  $("overlay").addEventListener("load", onOverlayLoad);
  $("overlay").addEventListener("error", onOverlayError);
  const video = $("camera");
  video.addEventListener("loadedmetadata", layoutFrame);
  video.addEventListener("resize", layoutFrame);
  const relayout = () => {
    layoutFrame();
    renderOrientation();
  };
  window.addEventListener("resize", relayout);
  window.addEventListener("orientationchange", relayout);
  document.addEventListener("visibilitychange", onVisibilityChange);
  window.addEventListener("online", onOnline);
  window.addEventListener("pagehide", () => closeSocket(S.state !== "done"));
  window.addEventListener("pageshow", (event) => {
    // Restored from the back-forward cache with dead connections: start afresh.
    if (event.persisted) location.reload();
  });

  $("copy-link").addEventListener("click", copyLink);
  $("proceed").addEventListener("click", () => {
    // The seller goes on in the app's browser: the link works there when the camera does.
    try {
      sessionStorage.setItem(IN_APP_ACCEPTED, "1");
    } catch {
      /* storage refused: asked again on a reload */
    }
    ready();
  });

  S.token = tokenFromPath();
  if (!S.token) return showError("invalid");
  if (!window.isSecureContext) return showError("insecure");
  const inApp = inAppBrowser(navigator.userAgent);
  if (inApp && !inAppAccepted()) return showInAppBrowser(inApp);
  return ready();
}

const IN_APP_ACCEPTED = "inspector.inapp-accepted";

function inAppAccepted() {
  try {
    return sessionStorage.getItem(IN_APP_ACCEPTED) === "1";
  } catch {
    return false;
  }
}

/** What the browser can do, then the consent. */
function ready() {
  const supported =
    navigator.mediaDevices &&
    typeof navigator.mediaDevices.getUserMedia === "function" &&
    typeof RTCPeerConnection !== "undefined" &&
    typeof WebSocket !== "undefined" &&
    window.crypto &&
    window.crypto.subtle;
  if (!supported) return showError("unsupported");
  $("record-box").hidden = !ASK_RECORDING;
  setState("consent");
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
}
