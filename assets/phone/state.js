// The page's state: one object shared by every module and the test hooks, so
// that splitting the page into modules changes nothing of what it knows.

export const S = {
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
  control: null, // the heartbeats' channel (unordered, no retransmission)
  originalsChannel: null, // the originals' channel (ordered, reliable; originals.js)
  // Originals of photos sent as previews, by capture id, until the engine has them:
  // {bytes, sha256, size, sent, state: "waiting" | "wanted" | "sending" | "sent"}.
  originals: new Map(),
  uploadsDone: 0, // originals stored since the queue was last empty
  uploadsFailed: 0, // originals given up on (the preview stays the photo)
  capturing: 0, // stills being taken or sent: originals wait meanwhile
  previewsSent: 0,
  captureTimings: null, // ms of the last capture: {still, preview, send}
  previewBudget: null, // bytes the last preview was allowed (the link's estimate)
  originalBytesSent: 0, // every byte of originals sent, resends included
  originalsPaused: false, // test hook: originals held back
  dropOriginalsAt: null, // test hook: drop the link once this many bytes of originals left
  controlMessages: 0,
  sender: null,
  videoLimit: null, // the engine's `video` ask, and what the sender applied of it
  generation: 0,
  everLive: false,
  waiting: false, // the server said "wait": no operator's console for now (connection.js)
  attempt: 0,
  reconnects: 0,
  reconnectTimer: null,
  negotiationTimer: null,
  heartbeatTimer: null,
  lastRx: 0,
  lastHeartbeatSent: 0,
  lastTick: 0,
  stalled: 0, // ms the page itself was held up while the link was silent
  lastBuffered: 0, // the data channel's bufferedAmount at the last tick
  lastProgress: 0, // when bytes last left it (a still on its way)
  muted: false,
  currentShot: null,
  messagesReceived: 0,
  invalidMessages: 0,
  lastMessages: [],
  pointer: null,
  advisorSpeaking: false,
  rotateHint: null, // "landscape" | "portrait" while the phone is held the wrong way
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
  cameraPaused: false, // the page is in the background (lifecycle.js)
  errorKind: null,
  errors: [],
  summary: null, // the summary message shown for signing, until signed
  signed: false,
  doneText: null,
  coverage: null, // the last "coverage" message: {parts, covered, listed}
};

export const $ = (id) => document.getElementById(id);

// Phone clock in milliseconds since the epoch (heartbeat ts, photo_begin.phone_time).
export const nowMs = () => Date.now();
