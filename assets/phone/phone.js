// The seller's phone page: consent, rear camera, WebRTC to the engine, guidance.
//
// Contract: docs/LIVE_LINK.md. Signaling over the WebSocket /ws/{token}
// (config → offer with complete ICE gathering → answer); everything else over
// the ordered data channel "inspect" (protocol.js). A dead link (no message for
// 4 s, peer failed/disconnected, channel closed) is recovered by a brand new
// peer connection with backoff 1, 2, 4, 8 s; hello.resume_shot resumes the shot.

import * as P from "./protocol.js";
import { detectLanguage, language, setLanguage, t, translatePage } from "./i18n.js";

const BACKOFF_MS = [1000, 2000, 4000, 8000];
const ICE_GATHERING_TIMEOUT_MS = 3000;
const NEGOTIATION_TIMEOUT_MS = 12000;
const TAKE_PHOTO_TIMEOUT_MS = 8000;
const JPEG_QUALITY = 0.92;
const LAST_MESSAGES = 50;
const OVERLAY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const $ = (id) => document.getElementById(id);

const S = {
  state: "boot", // consent | connecting | live | reconnecting | done | error
  token: null,
  phoneLanguage: "en",
  mode: null,
  welcome: null,
  iceServers: [],
  stream: null,
  track: null,
  ws: null,
  pc: null,
  dc: null,
  sender: null,
  generation: 0,
  everLive: false,
  attempt: 0,
  reconnects: 0,
  reconnectTimer: null,
  negotiationTimer: null,
  heartbeatTimer: null,
  lastRx: 0,
  lastHeartbeatSent: 0,
  muted: false,
  currentShot: null,
  messagesReceived: 0,
  invalidMessages: 0,
  lastMessages: [],
  pointer: null,
  torchSupported: false,
  torchOn: false,
  torchRequested: null,
  hint: null,
  toastText: null,
  captureChain: Promise.resolve(),
  capturesSent: 0,
  capturesFailed: 0,
  lastCaptureSource: null,
  thumbs: new Map(),
  wakeLock: null,
  errorKind: null,
  errors: [],
};

// Phone clock in milliseconds since the epoch (heartbeat ts, photo_begin.phone_time).
const nowMs = () => Date.now();

// ---- screens and state ------------------------------------------------------

function setState(state) {
  S.state = state;
  $("app").dataset.state = state;
  const liveVisible = ["connecting", "live", "reconnecting"].includes(state);
  $("live").hidden = !liveVisible;
  $("screen-consent").hidden = state !== "consent";
  $("screen-error").hidden = state !== "error";
  $("screen-done").hidden = state !== "done";
  const veil = state === "connecting" || state === "reconnecting";
  $("veil").hidden = !veil;
  if (state === "connecting") {
    setVeil(S.stream ? "connecting" : "starting_camera", null);
  } else if (state === "reconnecting") {
    setVeil("reconnecting", "reconnecting_detail");
    $("toast").hidden = true; // stale guidance would compete with the veil
  }
  $("topbar").hidden = !S.currentShot;
  if (liveVisible) requestAnimationFrame(layoutFrame);
}

function setVeil(titleKey, detailKey) {
  $("veil-title").textContent = t(titleKey);
  $("veil-detail").textContent = detailKey ? t(detailKey) : "";
}

const ERRORS = {
  denied: { title: "denied_title", text: "denied_text", help: ["denied_android", "denied_ios"], retry: true },
  nocamera: { title: "nocamera_title", text: "nocamera_text", retry: true },
  insecure: { title: "insecure_title", text: "insecure_text" },
  unsupported: { title: "unsupported_title", text: "unsupported_text" },
  invalid: { title: "invalid_title", text: "invalid_text" },
  in_use: { title: "in_use_title", text: "in_use_text", retry: true },
};

function showError(kind) {
  S.errorKind = kind;
  if (kind === "invalid") {
    // Nothing more will happen on this page: release the camera and the screen.
    teardownPeer();
    closeSocket();
    if (S.stream) for (const track of S.stream.getTracks()) track.stop();
    releaseWakeLock();
  }
  const spec = ERRORS[kind];
  $("error-title").textContent = t(spec.title);
  $("error-text").textContent = t(spec.text);
  const help = $("error-help");
  help.replaceChildren(
    ...(spec.help || []).map((key) => {
      const li = document.createElement("li");
      li.textContent = t(key);
      return li;
    }),
  );
  help.hidden = !spec.help;
  $("retry").hidden = !spec.retry;
  $("retry").disabled = false;
  setState("error");
}

function retry() {
  $("retry").disabled = true;
  if (S.errorKind === "in_use") {
    S.attempt = 0;
    setState(S.everLive ? "reconnecting" : "connecting");
    reconnectNow();
  } else {
    start();
  }
}

// ---- camera -----------------------------------------------------------------

const CAMERA = {
  video: {
    facingMode: { ideal: "environment" },
    width: { ideal: 1920 },
    height: { ideal: 1080 },
  },
  audio: false,
};

async function openCamera() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(CAMERA);
  } catch (exc) {
    if (exc && exc.name === "OverconstrainedError") {
      stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    } else {
      throw exc;
    }
  }
  useStream(stream);
}

function useStream(stream) {
  const track = stream.getVideoTracks()[0];
  if (!track) throw Object.assign(new Error("no video track"), { name: "NotFoundError" });
  try {
    track.contentHint = "detail"; // keep the resolution, drop frames instead
  } catch {
    /* older browsers */
  }
  if (S.stream && S.stream !== stream) {
    for (const old of S.stream.getTracks()) old.stop();
  }
  S.stream = stream;
  S.track = track;
  track.addEventListener("ended", onTrackEnded);
  const caps = typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
  S.torchSupported = Boolean(caps && caps.torch);
  S.torchOn = false;
  const video = $("camera");
  video.srcObject = stream;
  video.play().catch(() => {});
  renderTorch();
}

async function onTrackEnded() {
  // iOS ends the camera when the page goes to the background: take it again.
  if (S.state === "done" || S.state === "error" || document.visibilityState !== "visible") return;
  try {
    await openCamera();
    if (S.sender) await S.sender.replaceTrack(S.track);
  } catch (exc) {
    console.warn("camera lost:", exc);
  }
}

function cameraErrorKind(exc) {
  const name = exc && exc.name;
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return "denied";
  }
  if (name === "TypeError") return "unsupported";
  return "nocamera"; // NotFoundError, NotReadableError, AbortError, OverconstrainedError
}

function renderTorch() {
  const button = $("torch");
  button.hidden = !S.torchSupported;
  button.setAttribute("aria-pressed", String(S.torchOn));
  const key = S.torchOn ? "torch_off" : "torch_on";
  button.dataset.i18nLabel = key;
  button.setAttribute("aria-label", t(key));
  button.title = t(key);
}

async function setTorch(on) {
  S.torchRequested = on;
  if (!S.torchSupported || !S.track) return false;
  try {
    await S.track.applyConstraints({ advanced: [{ torch: on }] });
    S.torchOn = on;
  } catch (exc) {
    console.warn("torch:", exc);
  }
  renderTorch();
  return S.torchOn === on;
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

function onVisibilityChange() {
  if (document.visibilityState !== "visible") return;
  if (!["connecting", "live", "reconnecting"].includes(S.state)) return;
  requestWakeLock();
  if (S.track && S.track.readyState === "ended") onTrackEnded();
  if (S.state === "live" && performance.now() - S.lastRx > P.HEARTBEAT_TIMEOUT_MS) {
    linkLost("stale after background");
  }
}

// ---- signaling --------------------------------------------------------------

function openSocket() {
  closeSocket();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws/${encodeURIComponent(S.token)}`);
  S.ws = ws;
  let opened = false;
  ws.addEventListener("open", () => {
    opened = true;
  });
  ws.addEventListener("message", (event) => {
    if (S.ws === ws) onSignal(event.data);
  });
  ws.addEventListener("close", () => {
    if (S.ws !== ws) return;
    S.ws = null;
    if (!opened) {
      socketRefused();
    } else if (S.state !== "live" && S.state !== "done" && S.state !== "error") {
      linkLost("signaling closed");
    }
    // While live the peer connection carries on without the socket.
  });
}

function closeSocket(sayBye = false) {
  const ws = S.ws;
  S.ws = null;
  if (!ws) return;
  try {
    if (sayBye && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "bye" }));
    ws.close();
  } catch {
    /* already closed */
  }
}

async function socketRefused() {
  // A WebSocket handshake failure hides its HTTP status; ask the page itself.
  let status = 0;
  try {
    const response = await fetch(location.pathname, { cache: "no-store", credentials: "same-origin" });
    status = response.status;
  } catch {
    status = 0; // offline
  }
  if (S.state === "done") return;
  if (status === 404 || status === 410 || status === 403) {
    teardownPeer();
    showError("invalid");
  } else if (status === 409) {
    teardownPeer();
    showError("in_use");
  } else {
    if (!S.everLive && S.attempt >= 2) setVeil("offline_title", "offline_text");
    linkLost("signaling refused");
  }
}

function onSignal(data) {
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    console.warn("signaling: not JSON");
    return;
  }
  if (!msg || typeof msg !== "object") return;
  switch (msg.type) {
    case "config":
      S.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
      if (msg.mode === "self" || msg.mode === "operator") {
        S.mode = msg.mode;
        renderMode();
      }
      negotiate().catch((exc) => {
        console.warn("negotiation failed:", exc);
        linkLost("negotiation failed");
      });
      break;
    case "answer":
      applyAnswer(msg.sdp);
      break;
    case "error":
      console.warn("signaling error from server:", msg.message);
      S.errors.push(String(msg.message || "").slice(0, 200));
      // Our offer was refused: try again (with backoff) rather than wait for the timeout.
      if (S.pc && S.pc.signalingState === "have-local-offer") linkLost("offer refused");
      break;
    case "bye":
      closeSocket();
      if (S.state !== "done") linkLost("server said bye");
      break;
    default:
      console.warn("signaling: unknown message", msg.type);
  }
}

async function applyAnswer(sdp) {
  const pc = S.pc;
  if (!pc || typeof sdp !== "string" || pc.signalingState !== "have-local-offer") return;
  try {
    await pc.setRemoteDescription({ type: "answer", sdp });
  } catch (exc) {
    console.warn("bad answer:", exc);
    if (pc === S.pc) linkLost("bad answer");
  }
}

function waitIceGathering(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, ICE_GATHERING_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

async function preferResolution(sender) {
  // Chromium otherwise starts at 640x360 and stays there (DESIGN.md).
  if (!sender || typeof sender.getParameters !== "function") return;
  try {
    const params = sender.getParameters();
    if (params.degradationPreference === "maintain-resolution") return;
    params.degradationPreference = "maintain-resolution";
    await sender.setParameters(params);
  } catch (exc) {
    console.info("degradationPreference not applied:", exc && exc.message);
  }
}

async function negotiate() {
  teardownPeer();
  if (!S.track || S.track.readyState !== "live") await openCamera();
  const generation = S.generation;
  const pc = new RTCPeerConnection({ iceServers: S.iceServers });
  S.pc = pc;
  const dc = pc.createDataChannel(P.CHANNEL_LABEL, { ordered: true });
  dc.binaryType = "arraybuffer";
  S.dc = dc;
  const transceiver = pc.addTransceiver(S.track, { direction: "sendonly", streams: [S.stream] });
  S.sender = transceiver.sender;
  await preferResolution(S.sender);

  const current = () => generation === S.generation;
  pc.addEventListener("connectionstatechange", () => {
    if (!current()) return;
    const state = pc.connectionState;
    if (state === "connected") preferResolution(S.sender);
    if (state === "failed" || state === "disconnected" || state === "closed") {
      linkLost(`peer ${state}`);
    }
  });
  dc.addEventListener("open", () => {
    if (current()) onChannelOpen();
  });
  dc.addEventListener("close", () => {
    if (current()) linkLost("data channel closed");
  });
  dc.addEventListener("message", (event) => {
    if (current()) onChannelMessage(event.data);
  });

  await pc.setLocalDescription(await pc.createOffer());
  await waitIceGathering(pc);
  if (!current()) return;
  const ws = S.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error("signaling socket not open");
  ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
  S.negotiationTimer = setTimeout(() => {
    if (current() && dc.readyState !== "open") linkLost("negotiation timeout");
  }, NEGOTIATION_TIMEOUT_MS);
}

function teardownPeer() {
  S.generation += 1;
  clearTimeout(S.negotiationTimer);
  S.negotiationTimer = null;
  clearInterval(S.heartbeatTimer);
  S.heartbeatTimer = null;
  S.muted = false;
  const { dc, pc } = S;
  S.dc = null;
  S.pc = null;
  S.sender = null;
  try {
    if (dc) dc.close();
  } catch {
    /* closing anyway */
  }
  try {
    if (pc) pc.close();
  } catch {
    /* closing anyway */
  }
}

// ---- connection loss and recovery -------------------------------------------

function linkLost(reason) {
  if (S.state === "done" || S.state === "error" || S.state === "consent") return;
  if (S.reconnectTimer) return; // a retry is already scheduled
  console.warn("link lost:", reason);
  teardownPeer();
  if (S.everLive) setState("reconnecting");
  else if (S.state !== "connecting") setState("connecting");
  const delay = BACKOFF_MS[Math.min(S.attempt, BACKOFF_MS.length - 1)];
  S.attempt += 1;
  S.reconnectTimer = setTimeout(() => {
    S.reconnectTimer = null;
    reconnectNow();
  }, delay);
}

function reconnectNow() {
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  S.reconnects += 1;
  // A fresh socket every time: an old one may be half dead without knowing it.
  openSocket();
}

function onOnline() {
  if (S.reconnectTimer && (S.state === "reconnecting" || S.state === "connecting")) {
    S.attempt = 0;
    reconnectNow();
  }
}

// ---- data channel -----------------------------------------------------------

function send(kind, fields = {}) {
  const dc = S.dc;
  if (!dc || dc.readyState !== "open" || S.muted) return false;
  try {
    dc.send(P.encode(kind, fields));
    return true;
  } catch (exc) {
    console.warn(`cannot send ${kind}:`, exc);
    return false;
  }
}

function cameraInfo() {
  const settings = S.track && typeof S.track.getSettings === "function" ? S.track.getSettings() : {};
  const video = $("camera");
  return {
    width: settings.width || video.videoWidth || 0,
    height: settings.height || video.videoHeight || 0,
    torch: S.torchSupported,
    image_capture: typeof ImageCapture !== "undefined",
  };
}

/** The browser's own tag ("fr-FR"); the engine derives fr/en and answers in welcome. */
function browserLanguage() {
  const tag = (navigator.languages && navigator.languages[0]) || navigator.language || S.phoneLanguage;
  return String(tag).slice(0, 16);
}

function onChannelOpen() {
  clearTimeout(S.negotiationTimer);
  S.negotiationTimer = null;
  S.attempt = 0;
  S.everLive = true;
  S.lastRx = performance.now();
  send("hello", {
    user_agent: String(navigator.userAgent || "").slice(0, 512),
    language: browserLanguage(),
    camera: cameraInfo(),
    resume_shot: S.currentShot ? S.currentShot.id : null,
  });
  S.lastHeartbeatSent = 0;
  clearInterval(S.heartbeatTimer);
  S.heartbeatTimer = setInterval(heartbeatTick, 250);
  setState("live");
}

function heartbeatTick() {
  if (S.state !== "live" || S.muted) return;
  const now = performance.now();
  if (now - S.lastHeartbeatSent >= P.HEARTBEAT_INTERVAL_MS) {
    S.lastHeartbeatSent = now;
    send("heartbeat", { ts: nowMs() });
  }
  if (now - S.lastRx > P.HEARTBEAT_TIMEOUT_MS) linkLost("heartbeat timeout");
}

function onChannelMessage(data) {
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
    }
    const info = msg.inspection || {};
    $("vehicle").textContent = [info.vehicle, info.plate]
      .filter((x) => typeof x === "string" && x)
      .join(" · ")
      .slice(0, 80);
    renderMode();
  },
  shot(msg) {
    const changed = !S.currentShot || S.currentShot.id !== msg.id;
    S.currentShot = msg;
    if (changed) {
      S.pointer = null;
      renderPointer();
      $("retake").hidden = true;
    }
    renderShot();
  },
  pointer(msg) {
    S.pointer = msg.x === null || msg.y === null ? null : { x: msg.x, y: msg.y };
    renderPointer();
  },
  torch(msg) {
    setTorch(msg.on);
  },
  message(msg) {
    showToast(msg.text, false);
    if (typeof navigator.vibrate === "function") navigator.vibrate(120);
  },
  capture(msg) {
    const id = msg.id;
    S.captureChain = S.captureChain.then(() => capture(id)).catch(() => {});
  },
  capture_result(msg) {
    onCaptureResult(msg);
  },
  hint(msg) {
    S.hint = msg;
    const el = $("hint");
    const text = msg.text.trim();
    el.textContent = text;
    el.classList.toggle("good", msg.code === null);
    el.hidden = !text;
  },
  heartbeat(msg) {
    send("heartbeat", { ts: nowMs(), echo: msg.ts });
  },
  done(msg) {
    finish(msg.text);
  },
  error(msg) {
    console.warn(`engine error ${msg.code}: ${msg.message}`);
    S.errors.push(`${msg.code}: ${msg.message}`.slice(0, 200));
    showToast(t("error_generic"), true);
  },
};

// ---- rendering of guidance --------------------------------------------------

function renderMode() {
  $("shutter").hidden = S.mode !== "self";
}

function renderShot() {
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
}

function onOverlayLoad() {
  $("overlay").dataset.failed = "0";
  $("overlay").hidden = false;
}

function onOverlayError() {
  $("overlay").dataset.failed = "1";
  $("overlay").hidden = true;
}

// Place #frame exactly over the picture the video element displays (object-fit).
function layoutFrame() {
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

function renderPointer() {
  const el = $("pointer");
  if (!S.pointer) {
    el.hidden = true;
    return;
  }
  el.style.left = `${S.pointer.x * 100}%`;
  el.style.top = `${S.pointer.y * 100}%`;
  el.hidden = false;
}

let toastTimer = null;

function showToast(text, discreet) {
  const el = $("toast");
  S.toastText = text;
  el.textContent = text;
  el.classList.toggle("discreet", discreet);
  el.hidden = !text;
  clearTimeout(toastTimer);
  const ms = discreet ? 4000 : Math.min(15000, 5000 + text.length * 60);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, ms);
}

let statusTimer = null;

function showStatus(text, kind, ms) {
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

function flash() {
  const el = $("flash");
  el.classList.remove("on");
  void el.offsetWidth; // restart the animation
  el.classList.add("on");
}

// ---- captures ---------------------------------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Width and height from a JPEG's SOF marker (what Pillow reports), or null. */
export function jpegSize(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 8 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i += 1;
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    const sof = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (sof) {
      return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8] };
    }
    if (length < 2) return null;
    i += 2 + length;
  }
  return null;
}

function canvasToJpeg(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("JPEG encoding failed"))),
      "image/jpeg",
      quality,
    );
  });
}

async function encodeJpeg(source, width, height) {
  let w = width;
  let h = height;
  const scale = Math.min(1, P.MAX_PHOTO_SIDE / Math.max(w, h));
  w = Math.round(w * scale);
  h = Math.round(h * scale);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").drawImage(source, 0, 0, w, h);
  let quality = JPEG_QUALITY;
  let blob = await canvasToJpeg(canvas, quality);
  while (blob.size > P.MAX_PHOTO_BYTES && quality > 0.5) {
    quality -= 0.15;
    blob = await canvasToJpeg(canvas, quality);
  }
  return blob;
}

/** A full-resolution still: ImageCapture.takePhoto() when it works, else a video frame. */
async function takeStill() {
  if (typeof ImageCapture !== "undefined" && S.track && S.track.readyState === "live") {
    try {
      const photo = await withTimeout(new ImageCapture(S.track).takePhoto(), TAKE_PHOTO_TIMEOUT_MS, "takePhoto");
      if (photo && photo.size > 0) {
        let blob = photo;
        if (blob.type !== "image/jpeg" || blob.size > P.MAX_PHOTO_BYTES) {
          const bitmap = await createImageBitmap(blob);
          blob = await encodeJpeg(bitmap, bitmap.width, bitmap.height);
          bitmap.close();
        }
        return { blob, source: "take_photo" };
      }
    } catch (exc) {
      console.warn("takePhoto failed, using a video frame:", exc);
    }
  }
  const video = $("camera");
  if (!video.videoWidth || !video.videoHeight) throw new Error("no video frame available");
  const blob = await encodeJpeg(video, video.videoWidth, video.videoHeight);
  return { blob, source: "video_frame" };
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function waitBufferLow(dc) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearInterval(poll);
      dc.removeEventListener("bufferedamountlow", onLow);
      dc.removeEventListener("close", onClose);
    };
    const onLow = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new Error("link lost during the transfer"));
    };
    const poll = setInterval(() => {
      if (dc.readyState !== "open") onClose();
      else if (dc.bufferedAmount <= dc.bufferedAmountLowThreshold) onLow();
    }, 200);
    dc.addEventListener("bufferedamountlow", onLow);
    dc.addEventListener("close", onClose);
  });
}

async function sendPhoto(dc, id, bytes, sha256, width, height) {
  const size = bytes.byteLength;
  const begin = P.encode("photo_begin", {
    id,
    size,
    sha256,
    width,
    height,
    mime: "image/jpeg",
    phone_time: nowMs(),
  });
  const alive = () => dc === S.dc && dc.readyState === "open" && !S.muted;
  if (!alive()) throw new Error("no link");
  dc.bufferedAmountLowThreshold = P.MAX_BUFFERED / 4;
  dc.send(begin);
  for (let offset = 0; offset < size; offset += P.CHUNK_SIZE) {
    if (!alive()) throw new Error("link lost during the transfer");
    if (dc.bufferedAmount >= P.MAX_BUFFERED) await waitBufferLow(dc);
    if (!alive()) throw new Error("link lost during the transfer");
    dc.send(bytes.slice(offset, Math.min(size, offset + P.CHUNK_SIZE)));
  }
  dc.send(P.encode("photo_end", { id }));
}

async function capture(id) {
  const dc = S.dc;
  flash();
  showStatus(t("capturing"), "", 0);
  try {
    const { blob, source } = await takeStill();
    const bytes = await blob.arrayBuffer();
    if (bytes.byteLength > P.MAX_PHOTO_BYTES) throw new Error("photo too large");
    const size = jpegSize(new Uint8Array(bytes));
    if (!size || !size.width || !size.height) throw new Error("not a JPEG picture");
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    await sendPhoto(dc, id, bytes, sha256, size.width, size.height);
    S.capturesSent += 1;
    S.lastCaptureSource = source;
    rememberThumb(id, blob);
    showStatus("", "", 0);
  } catch (exc) {
    S.capturesFailed += 1;
    console.warn("capture failed:", exc);
    send("photo_failed", { id, reason: String((exc && exc.message) || exc).slice(0, 500) || "failed" });
    showStatus(t("photo_failed"), "bad", 4000);
  }
}

function rememberThumb(id, blob) {
  S.thumbs.set(id, URL.createObjectURL(blob));
  while (S.thumbs.size > 4) {
    const [oldId, url] = S.thumbs.entries().next().value;
    if ($("thumb").getAttribute("src") !== url) URL.revokeObjectURL(url);
    S.thumbs.delete(oldId);
  }
}

const REASON_CODES = new Set(["low_resolution", "blurry", "slightly_blurry", "too_dark", "too_bright", "glare"]);

function reasonText(reason) {
  if (typeof reason === "string") {
    return REASON_CODES.has(reason) ? t(`reason_${reason}`) : reason;
  }
  if (reason && typeof reason === "object") {
    for (const key of ["text", "message", "label"]) {
      const value = reason[key];
      if (typeof value === "string" && value) return value;
      if (value && typeof value === "object") {
        const localized = value[language()] || value.en || value.fr;
        if (typeof localized === "string") return localized;
      }
    }
    if (typeof reason.code === "string") {
      return REASON_CODES.has(reason.code) ? t(`reason_${reason.code}`) : reason.code;
    }
  }
  return null;
}

function onCaptureResult(msg) {
  flash();
  const thumb = $("thumb");
  const url = S.thumbs.get(msg.id);
  if (url) {
    const previous = thumb.getAttribute("src");
    thumb.src = url;
    thumb.hidden = false;
    if (previous && previous !== url && ![...S.thumbs.values()].includes(previous)) {
      URL.revokeObjectURL(previous);
    }
  }
  thumb.classList.toggle("bad", msg.retake);
  thumb.classList.toggle("good", !msg.retake);
  const panel = $("retake");
  if (msg.retake) {
    $("retake-title").textContent = t("photo_retake");
    const items = msg.reasons
      .map(reasonText)
      .filter((text) => typeof text === "string" && text)
      .slice(0, 6)
      .map((text) => {
        const li = document.createElement("li");
        li.textContent = text.slice(0, 200);
        return li;
      });
    $("retake-reasons").replaceChildren(...items);
    panel.hidden = false;
    showStatus("", "", 0);
  } else {
    panel.hidden = true;
    showStatus(msg.stored ? t("photo_ok") : "", "ok", 2500);
  }
}

// ---- the end ----------------------------------------------------------------

function finish(text) {
  S.state = "done";
  teardownPeer();
  closeSocket(true);
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  if (S.stream) for (const track of S.stream.getTracks()) track.stop();
  releaseWakeLock();
  $("done-text").textContent = text || "";
  setState("done");
}

// ---- start ------------------------------------------------------------------

async function start() {
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

function tokenFromPath() {
  const match = /^\/j\/([A-Za-z0-9_-]{8,128})\/?$/.exec(location.pathname);
  return match ? match[1] : null;
}

function exposeTestHooks() {
  window.__inspector = {
    get state() {
      return S.state;
    },
    get mode() {
      return S.mode;
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
    get invalidMessages() {
      return S.invalidMessages;
    },
    get lastMessages() {
      return S.lastMessages.slice();
    },
    get pointer() {
      return S.pointer;
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
    get camera() {
      return S.track ? cameraInfo() : null;
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
  translatePage();
  exposeTestHooks();
  $("start").addEventListener("click", start);
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
  $("toast").addEventListener("click", () => {
    $("toast").hidden = true;
  });
  $("overlay").addEventListener("load", onOverlayLoad);
  $("overlay").addEventListener("error", onOverlayError);
  const video = $("camera");
  video.addEventListener("loadedmetadata", layoutFrame);
  video.addEventListener("resize", layoutFrame);
  window.addEventListener("resize", layoutFrame);
  window.addEventListener("orientationchange", layoutFrame);
  document.addEventListener("visibilitychange", onVisibilityChange);
  window.addEventListener("online", onOnline);
  window.addEventListener("pagehide", () => closeSocket(S.state !== "done"));
  window.addEventListener("pageshow", (event) => {
    // Restored from the back-forward cache with dead connections: start afresh.
    if (event.persisted) location.reload();
  });

  S.token = tokenFromPath();
  if (!S.token) return showError("invalid");
  if (!window.isSecureContext) return showError("insecure");
  const supported =
    navigator.mediaDevices &&
    typeof navigator.mediaDevices.getUserMedia === "function" &&
    typeof RTCPeerConnection !== "undefined" &&
    typeof WebSocket !== "undefined" &&
    window.crypto &&
    window.crypto.subtle;
  if (!supported) return showError("unsupported");
  setState("consent");
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
}
