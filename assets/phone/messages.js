// The engine's side of the data channel as the phone handles it: hello on
// open, heartbeats both ways (on the control channel), and one handler per
// message type (protocol.js validates every message before it gets here).

import { cameraInfo, limitVideo, renderTorch, setTorch } from "./camera.js";
import { capture, onCaptureResult } from "./capture.js";
import { relabelCoverage, renderCoverage } from "./coverage.js";
import { linkLost, send, sendHeartbeat } from "./connection.js";
import {
  advisorSpoke,
  renderHint,
  renderMode,
  renderPointer,
  renderShot,
  renderVehicle,
  showToast,
} from "./guidance.js";
import { ASK_RECORDING, setLanguage, t, translatePage } from "./i18n.js";
import { finish } from "./lifecycle.js";
import { dropOriginal, onOriginalStatus, originalsLinkReset } from "./originals.js";
import * as P from "./protocol.js";
import { setState } from "./screens.js";
import { $, nowMs, S } from "./state.js";
import { onSigned, showSummary } from "./summary.js";

const LAST_MESSAGES = 50;
const TICK_MS = 250;
const STALL_MS = 500; // a tick this late means the page itself was busy

/** The browser's own tag ("fr-FR"); the engine derives fr/en and answers in welcome. */
function browserLanguage() {
  const tag = (navigator.languages && navigator.languages[0]) || navigator.language || S.phoneLanguage;
  return String(tag).slice(0, 16);
}

export function onChannelOpen() {
  clearTimeout(S.negotiationTimer);
  S.negotiationTimer = null;
  S.attempt = 0;
  S.everLive = true;
  S.waiting = false;
  S.lastRx = performance.now();
  originalsLinkReset(); // the engine says where each original stands after the hello
  send("hello", {
    user_agent: String(navigator.userAgent || "").slice(0, 512),
    language: browserLanguage(),
    camera: cameraInfo(),
    resume_shot: S.currentShot ? S.currentShot.id : null,
    ...(ASK_RECORDING ? { recording: $("record-consent").checked } : {}),
  });
  S.lastHeartbeatSent = 0;
  S.lastTick = 0;
  S.stalled = 0;
  S.lastBuffered = 0;
  S.lastProgress = 0;
  clearInterval(S.heartbeatTimer);
  S.heartbeatTimer = setInterval(heartbeatTick, TICK_MS);
  setState("live");
}

function heartbeatTick() {
  // On the final screen the link lives on while originals are still to send.
  const uploading = S.state === "done" && S.originals.size > 0;
  if ((S.state !== "live" && !uploading) || S.muted) return;
  const now = performance.now();
  const late = S.lastTick ? now - S.lastTick - TICK_MS : 0;
  S.lastTick = now;
  if (now - S.lastHeartbeatSent >= P.HEARTBEAT_INTERVAL_MS) {
    S.lastHeartbeatSent = now;
    sendHeartbeat({ ts: nowMs() });
  }
  if (late > STALL_MS) {
    // This page was held up (encoding a still, a slow phone): what the engine sent
    // meanwhile may not be read yet. That time is not the link's.
    S.stalled += late;
    return;
  }
  // A still's bytes leaving the channel's buffer show the link works, whatever waits.
  const buffered = S.dc ? S.dc.bufferedAmount : 0;
  if (buffered < S.lastBuffered) S.lastProgress = now;
  S.lastBuffered = buffered;
  const silent = now - Math.max(S.lastRx, S.lastProgress);
  if (silent <= P.HEARTBEAT_TIMEOUT_MS) S.stalled = 0;
  else if (silent - S.stalled > P.HEARTBEAT_TIMEOUT_MS) linkLost("heartbeat timeout");
}

export function onChannelMessage(data) {
  if (S.muted) return; // dropForTest({silent: true}): behave like a dead network
  S.lastRx = performance.now();
  let msg;
  try {
    msg = P.decode(data, P.TO_PHONE);
  } catch (exc) {
    S.invalidMessages += 1;
    console.warn("ignored message:", exc && exc.message);
    return;
  }
  S.messagesReceived += 1;
  S.lastMessages.push(msg);
  if (S.lastMessages.length > LAST_MESSAGES) S.lastMessages.shift();
  try {
    HANDLERS[msg.type](msg);
  } catch (exc) {
    console.error(`handling ${msg.type} failed:`, exc);
  }
}

const HANDLERS = {
  welcome(msg) {
    S.welcome = msg;
    if (msg.mode === "self" || msg.mode === "operator") S.mode = msg.mode;
    if (msg.language === "fr" || msg.language === "en") {
      setLanguage(msg.language);
      translatePage();
      renderTorch();
      if (S.currentShot) renderShot();
      relabelCoverage();
    }
    renderVehicle(msg.inspection || {});
    renderMode();
  },
  shot(msg) {
    const changed = !S.currentShot || S.currentShot.id !== msg.id;
    S.currentShot = msg;
    if (changed) {
      S.pointer = null;
      renderPointer();
      $("retake").hidden = true;
      $("pace").hidden = true; // the engine says what this shot waits for
    }
    renderShot();
  },
  pointer(msg) {
    S.pointer = msg.x === null || msg.y === null ? null : { x: msg.x, y: msg.y };
    renderPointer();
    if (S.pointer) advisorSpoke();
  },
  torch(msg) {
    setTorch(msg.on);
  },
  video(msg) {
    limitVideo(msg);
  },
  message(msg) {
    const operator = S.mode === "operator";
    showToast(msg.text, false, operator ? t("advisor_says") : null);
    if (operator) advisorSpoke(Math.min(15000, 5000 + msg.text.length * 60));
    if (typeof navigator.vibrate === "function") navigator.vibrate(120);
  },
  capture(msg) {
    const id = msg.id;
    S.captureChain = S.captureChain.then(() => capture(id)).catch(() => {});
  },
  capture_result(msg) {
    if (!msg.stored) dropOriginal(msg.id); // nothing stored: no original will be asked for
    onCaptureResult(msg);
  },
  original_status(msg) {
    // The last original in on the final screen: the page may now be closed.
    if (onOriginalStatus(msg) && S.state === "done") finish(S.doneText);
  },
  pace(msg) {
    if (!S.currentShot || msg.shot_id !== S.currentShot.id) return; // about a shot already left
    $("pace-text").textContent = msg.text;
    $("pace").classList.toggle("adjust", msg.step === "adjust");
    $("ready").hidden = msg.step !== "position";
    $("pace").hidden = false;
  },
  hint(msg) {
    S.hint = msg;
    renderHint(msg);
  },
  heartbeat(msg) {
    sendHeartbeat({ ts: nowMs(), echo: msg.ts });
  },
  done(msg) {
    finish(msg.text);
  },
  summary(msg) {
    showSummary(msg);
  },
  coverage(msg) {
    renderCoverage(msg);
  },
  signed(msg) {
    onSigned(msg, finish);
  },
  error(msg) {
    console.warn(`engine error ${msg.code}: ${msg.message}`);
    S.errors.push(`${msg.code}: ${msg.message}`.slice(0, 200));
    showToast(t("error_generic"), true);
  },
};
