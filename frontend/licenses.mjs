// Writes static/build/xml_editor.licenses.txt: the licence of every npm package the bundle may
// contain (the runtime dependencies in package-lock.json), kept beside the minified bundle.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const parts = [];
for (const [where, info] of Object.entries(lock.packages)) {
  if (!where || info.dev) continue;
  const name = where.replace(/^node_modules\//, "");
  const file = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => `${where}/${f}`).find(existsSync);
  const text = file ? readFileSync(file, "utf8").trim() : `License: ${info.license}`;
  parts.push(`${name} ${info.version} (${info.license})\n\n${text}\n`);
}
writeFileSync("static/build/xml_editor.licenses.txt", parts.join("\n" + "-".repeat(72) + "\n\n"));
