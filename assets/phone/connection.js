// The link to the engine (docs/LIVE_LINK.md): signaling over the WebSocket
// /ws/{token} (config → offer with complete ICE gathering → answer), the WebRTC
// peer that sends the camera and carries the ordered data channel "inspect"
// (send), and recovery: a dead link (no message for 4 s, peer failed or
// disconnected, channel closed) is replaced by a brand new peer connection
// with backoff 1, 2, 4, 8 s; hello.resume_shot (messages.js) resumes the shot.
//
// The link knows nothing of what the channel says: the page hands it, once,
// what to do when the channel opens, when a message comes and when the
// server refuses the link for good (onLink).

import { openCamera } from "./camera.js";
import { renderMode } from "./guidance.js";
import * as P from "./protocol.js";
import { setState, setVeil } from "./screens.js";
import { S } from "./state.js";

const BACKOFF_MS = [1000, 2000, 4000, 8000];
const ICE_GATHERING_TIMEOUT_MS = 3000;
const NEGOTIATION_TIMEOUT_MS = 12000;

const listeners = {
  open() {},
  message() {},
  refused() {},
  originalsOpen() {},
};

/** What the page does on channel open, on a message, on a refusal ("invalid" | "in_use")
 * and when the originals' channel opens. */
export function onLink({ open, message, refused, originalsOpen }) {
  Object.assign(listeners, { open, message, refused });
  if (originalsOpen) listeners.originalsOpen = originalsOpen;
}

/** Originals still to send keep the link up on the final screen (issue 15). */
function keepLink() {
  return S.state === "done" && S.originals.size > 0;
}

// ---- signaling --------------------------------------------------------------

export function openSocket() {
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

export function closeSocket(sayBye = false) {
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
    listeners.refused("invalid");
  } else if (status === 409) {
    teardownPeer();
    listeners.refused("in_use");
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
    case "wait":
      advisorAway();
      break;
    case "resume":
      advisorBack();
      break;
    default:
      console.warn("signaling: unknown message", msg.type);
  }
}

// An operator-guided call relayed by a team server: the operator's console is not
// there (not yet, or it left). The call is over until the server says "resume"; the
// socket stays open, the page says the advisor will be back. The walk lives in the
// console's session: the next call goes on at the same shot.
function advisorAway() {
  if (S.state === "done" || S.state === "error" || S.state === "consent") return;
  teardownPeer();
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  S.attempt = 0;
  S.waiting = true;
  setState(S.everLive ? "reconnecting" : "connecting"); // the veil says who is awaited
}

function advisorBack() {
  // Told to wait, or an offer sent to a console that left meanwhile (its successor has
  // not seen it): offer again. A page in a call already ignores it.
  const offered = S.pc && S.pc.signalingState === "have-local-offer";
  if (!S.waiting && !offered) return;
  S.waiting = false;
  S.attempt = 0;
  setState(S.everLive ? "reconnecting" : "connecting");
  negotiate().catch((exc) => {
    console.warn("negotiation failed:", exc);
    linkLost("negotiation failed");
  });
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

// ---- the peer connection ----------------------------------------------------

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
  // Heartbeats both ways, unordered and never retransmitted: not stuck behind a still.
  const control = pc.createDataChannel(P.CONTROL_LABEL, { ordered: false, maxRetransmits: 0 });
  S.control = control;
  // Full-resolution originals after their previews, on a stream of their own (originals.js).
  const originals = pc.createDataChannel(P.ORIGINALS_LABEL, { ordered: true });
  originals.binaryType = "arraybuffer";
  S.originalsChannel = originals;
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
    if (current()) listeners.open();
  });
  dc.addEventListener("close", () => {
    if (current()) linkLost("data channel closed");
  });
  dc.addEventListener("message", (event) => {
    if (current()) listeners.message(event.data);
  });
  originals.addEventListener("open", () => {
    if (current()) listeners.originalsOpen();
  });
  control.addEventListener("message", (event) => {
    if (!current()) return;
    S.controlMessages += 1;
    listeners.message(event.data);
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

export function teardownPeer() {
  S.generation += 1;
  clearTimeout(S.negotiationTimer);
  S.negotiationTimer = null;
  clearInterval(S.heartbeatTimer);
  S.heartbeatTimer = null;
  S.muted = false;
  const { dc, pc, control, originalsChannel } = S;
  S.dc = null;
  S.control = null;
  S.originalsChannel = null;
  S.pc = null;
  S.sender = null;
  try {
    if (control) control.close();
    if (originalsChannel) originalsChannel.close();
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

// ---- the data channel -------------------------------------------------------

/** Send one message if the channel is open; false when it could not be sent. */
export function send(kind, fields = {}) {
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

/** A heartbeat: on the control channel when it is open, else in line with the rest. */
export function sendHeartbeat(fields) {
  const control = S.control;
  if (control && control.readyState === "open" && !S.muted) {
    try {
      control.send(P.encode("heartbeat", fields));
      return true;
    } catch (exc) {
      console.warn("cannot send heartbeat:", exc);
    }
  }
  return send("heartbeat", fields);
}

/** Until the channel's buffer is at or below its low threshold (rejects if it closes). */
export function waitBufferLow(dc) {
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

// ---- connection loss and recovery -------------------------------------------

export function linkLost(reason) {
  if ((S.state === "done" && !keepLink()) || S.state === "error" || S.state === "consent") return;
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

export function reconnectNow() {
  clearTimeout(S.reconnectTimer);
  S.reconnectTimer = null;
  S.reconnects += 1;
  // A fresh socket every time: an old one may be half dead without knowing it.
  openSocket();
}

export function onOnline() {
  if (S.reconnectTimer && (S.state === "reconnecting" || S.state === "connecting")) {
    S.attempt = 0;
    reconnectNow();
  }
}
