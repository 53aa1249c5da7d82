// The data channel protocol, JavaScript twin of inspector/protocol.py.
//
// The object between the PROTOCOL-TABLES markers is plain JSON: a test
// (tests/test_protocol_js.py) parses it and compares it with the Python
// tables, so the two cannot drift apart. Field specs list only what differs
// from the defaults of protocol.Field (required: true, max_len: 2000,
// min_value/max_value: null, nullable: false).

export const TABLES = /* PROTOCOL-TABLES-BEGIN */ {
  "VERSION": 1,
  "CHANNEL_LABEL": "inspect",
  "CONTROL_LABEL": "control",
  "ORIGINALS_LABEL": "originals",
  "MAX_TEXT_MESSAGE": 65536,
  "CHUNK_SIZE": 65536,
  "MAX_PHOTO_BYTES": 26214400,
  "MAX_PHOTO_SIDE": 8192,
  "HEARTBEAT_INTERVAL": 1.0,
  "HEARTBEAT_TIMEOUT": 4.0,
  "TO_PHONE": {
    "welcome": {"mode": {"kind": "str", "max_len": 16}, "language": {"kind": "str", "max_len": 8}, "inspection": {"kind": "obj"}},
    "shot": {"index": {"kind": "int", "min_value": 0}, "total": {"kind": "int", "min_value": 1}, "id": {"kind": "str", "max_len": 64}, "category": {"kind": "str", "max_len": 32}, "title": {"kind": "str", "max_len": 200}, "instruction": {"kind": "str", "max_len": 1000}, "overlay": {"kind": "str", "max_len": 64}, "state": {"kind": "str", "required": false, "max_len": 16}, "orientation": {"kind": "str", "required": false, "max_len": 16}},
    "pointer": {"x": {"kind": "norm", "nullable": true}, "y": {"kind": "norm", "nullable": true}},
    "torch": {"on": {"kind": "bool"}},
    "message": {"text": {"kind": "str", "max_len": 500}},
    "capture": {"id": {"kind": "str", "max_len": 64}},
    "capture_result": {"id": {"kind": "str", "max_len": 64}, "verdict": {"kind": "str", "max_len": 8}, "reasons": {"kind": "list"}, "stored": {"kind": "bool"}, "retake": {"kind": "bool"}},
    "hint": {"code": {"kind": "str", "max_len": 32, "nullable": true}, "text": {"kind": "str", "max_len": 200}},
    "heartbeat": {"ts": {"kind": "num"}},
    "done": {"text": {"kind": "str", "max_len": 500}},
    "error": {"code": {"kind": "str", "max_len": 64}, "message": {"kind": "str", "max_len": 500}},
    "pace": {"step": {"kind": "str", "max_len": 16}, "shot_id": {"kind": "str", "max_len": 64}, "text": {"kind": "str", "max_len": 300}},
    "summary": {"text": {"kind": "str", "max_len": 8000}, "sha256": {"kind": "sha256"}, "damages": {"kind": "list"}},
    "signed": {"ok": {"kind": "bool"}, "text": {"kind": "str", "max_len": 500}},
    "video": {"max_side": {"kind": "int", "min_value": 16, "max_value": 8192}, "fps": {"kind": "num", "min_value": 1, "max_value": 120}},
    "coverage": {"parts": {"kind": "list"}, "covered": {"kind": "int", "min_value": 0}, "listed": {"kind": "int", "min_value": 0}},
    "original_status": {"id": {"kind": "str", "max_len": 64}, "state": {"kind": "str", "max_len": 16}, "have": {"kind": "int", "min_value": 0}, "size": {"kind": "int", "min_value": 0}}
  },
  "FROM_PHONE": {
    "hello": {"user_agent": {"kind": "str", "max_len": 512}, "language": {"kind": "str", "max_len": 16}, "camera": {"kind": "obj"}, "resume_shot": {"kind": "str", "required": false, "max_len": 64, "nullable": true}, "recording": {"kind": "bool", "required": false, "nullable": true}},
    "photo_begin": {"id": {"kind": "str", "max_len": 64}, "size": {"kind": "int", "min_value": 1, "max_value": 26214400}, "sha256": {"kind": "sha256"}, "width": {"kind": "int", "min_value": 1, "max_value": 8192}, "height": {"kind": "int", "min_value": 1, "max_value": 8192}, "mime": {"kind": "str", "max_len": 32}, "phone_time": {"kind": "num", "required": false, "nullable": true}, "original_size": {"kind": "int", "required": false, "min_value": 1, "max_value": 26214400}, "original_sha256": {"kind": "sha256", "required": false}, "original_width": {"kind": "int", "required": false, "min_value": 1, "max_value": 8192}, "original_height": {"kind": "int", "required": false, "min_value": 1, "max_value": 8192}},
    "photo_end": {"id": {"kind": "str", "max_len": 64}},
    "photo_failed": {"id": {"kind": "str", "max_len": 64}, "reason": {"kind": "str", "max_len": 500}},
    "heartbeat": {"ts": {"kind": "num"}, "echo": {"kind": "num", "required": false, "nullable": true}},
    "shutter": {},
    "ready": {"shot_id": {"kind": "str", "max_len": 64}},
    "signature": {"sha256": {"kind": "sha256"}, "name": {"kind": "str", "max_len": 120}, "png": {"kind": "str", "max_len": 48000}, "strokes": {"kind": "list"}, "phone_time": {"kind": "num", "required": false, "nullable": true}},
    "remark": {"sha256": {"kind": "sha256"}, "text": {"kind": "str", "max_len": 1000}},
    "original_begin": {"id": {"kind": "str", "max_len": 64}, "offset": {"kind": "int", "min_value": 0, "max_value": 26214400}},
    "original_lost": {"id": {"kind": "str", "max_len": 64}, "reason": {"kind": "str", "max_len": 500}}
  }
} /* PROTOCOL-TABLES-END */;

export const VERSION = TABLES.VERSION;
export const CHANNEL_LABEL = TABLES.CHANNEL_LABEL;
export const CONTROL_LABEL = TABLES.CONTROL_LABEL;
export const ORIGINALS_LABEL = TABLES.ORIGINALS_LABEL;
export const MAX_TEXT_MESSAGE = TABLES.MAX_TEXT_MESSAGE;
export const CHUNK_SIZE = TABLES.CHUNK_SIZE;
export const MAX_PHOTO_BYTES = TABLES.MAX_PHOTO_BYTES;
export const MAX_PHOTO_SIDE = TABLES.MAX_PHOTO_SIDE;
export const HEARTBEAT_INTERVAL_MS = TABLES.HEARTBEAT_INTERVAL * 1000;
export const HEARTBEAT_TIMEOUT_MS = TABLES.HEARTBEAT_TIMEOUT * 1000;
export const TO_PHONE = TABLES.TO_PHONE;
export const FROM_PHONE = TABLES.FROM_PHONE;

// Photo chunks are sent while the channel's buffer is below this (contract: 1 MiB).
export const MAX_BUFFERED = 1024 * 1024;
// An original's chunks are kept to a quarter of that: a preview waits behind less.
export const ORIGINAL_MAX_BUFFERED = 256 * 1024;

const DEFAULTS = {required: true, max_len: 2000, min_value: null, max_value: null, nullable: false};

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

// Python's len() counts code points, not UTF-16 units.
function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1; // eslint-disable-line no-unused-vars
  return n;
}

function check(name, rawSpec, value) {
  const spec = {...DEFAULTS, ...rawSpec};
  if (value === null || value === undefined) {
    if (value === null && spec.nullable) return;
    throw new ProtocolError("bad_field", `${name} may not be null`);
  }
  let ok;
  switch (spec.kind) {
    case "str":
      ok = typeof value === "string" && codePoints(value) <= spec.max_len;
      break;
    case "sha256":
      ok = typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
      break;
    case "int":
      ok = typeof value === "number" && Number.isInteger(value);
      break;
    case "num":
      ok = typeof value === "number" && Number.isFinite(value);
      break;
    case "norm":
      ok = typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
      break;
    case "bool":
      ok = typeof value === "boolean";
      break;
    case "obj":
      ok = typeof value === "object" && !Array.isArray(value);
      break;
    case "list":
      ok = Array.isArray(value);
      break;
    default:
      throw new Error(`unknown field kind ${spec.kind}`);
  }
  if (!ok) throw new ProtocolError("bad_field", `${name} must be a valid ${spec.kind}`);
  if (spec.min_value !== null && value < spec.min_value) {
    throw new ProtocolError("bad_field", `${name} must be at least ${spec.min_value}`);
  }
  if (spec.max_value !== null && value > spec.max_value) {
    throw new ProtocolError("bad_field", `${name} must be at most ${spec.max_value}`);
  }
}

/** Check a decoded message against a table (TO_PHONE or FROM_PHONE); returns it. */
export function validate(message, table) {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new ProtocolError("not_object", "a message must be a JSON object");
  }
  if (message.v !== VERSION) {
    throw new ProtocolError("bad_version", `unsupported protocol version ${String(message.v)}`);
  }
  const kind = message.type;
  if (typeof kind !== "string" || !Object.prototype.hasOwnProperty.call(table, kind)) {
    throw new ProtocolError("unknown_type", `unknown message type ${String(kind).slice(0, 40)}`);
  }
  const fields = table[kind];
  for (const [name, spec] of Object.entries(fields)) {
    if (!Object.prototype.hasOwnProperty.call(message, name)) {
      if ({...DEFAULTS, ...spec}.required) {
        throw new ProtocolError("missing_field", `${kind}: missing ${name}`);
      }
      continue;
    }
    check(`${kind}.${name}`, spec, message[name]);
  }
  return message;
}

/** Parse and validate one text message from the engine. */
export function decode(data, table = TO_PHONE) {
  if (typeof data !== "string") {
    throw new ProtocolError("unexpected_binary", "binary data from the engine");
  }
  if (data.length > MAX_TEXT_MESSAGE) {
    throw new ProtocolError("too_large", "text message too large");
  }
  let message;
  try {
    message = JSON.parse(data);
  } catch (exc) {
    throw new ProtocolError("bad_json", `not valid JSON: ${String(exc).slice(0, 80)}`);
  }
  return validate(message, table);
}

/** Build, validate and serialize a message to the engine. */
export function encode(kind, fields = {}, table = FROM_PHONE) {
  const message = {v: VERSION, type: kind, ...fields};
  validate(message, table);
  return JSON.stringify(message);
}
