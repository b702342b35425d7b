// Recompute the leaf hash of every exported event (hash rule v2: RFC 8785), independently
// of the service: reads JSON Lines (`/api/v1/audit/events`, `flask events export`) from the
// files named, or from standard input, and prints "<position> <base64 leaf hash>" a line.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import canonicalize from "canonicalize";

const MEMBERS = [
  "position", "stream_id", "version", "event_id", "type",
  "schema_version", "recorded_at", "data", "metadata",
];

function leafHash(event) {
  const members = {};
  for (const name of MEMBERS) {
    if (!(name in event)) throw new Error(`position ${event.position}: no member ${name}`);
    members[name] = event[name];
  }
  const canonical = Buffer.from(canonicalize(members), "utf8");
  return createHash("sha256").update(Buffer.from([0])).update(canonical).digest("base64");
}

const sources = process.argv.length > 2 ? process.argv.slice(2) : [0];
for (const source of sources) {
  for (const line of readFileSync(source, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line);
    process.stdout.write(`${event.position} ${leafHash(event)}\n`);
  }
}
