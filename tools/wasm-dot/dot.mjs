#!/usr/bin/env node
// A `dot` command backed by Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz), for
// checking that nothing depends on the system Graphviz's layout. PNG via resvg (wasm).
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const gv = await Graphviz.load();
if (args.includes("-V")) {
  process.stderr.write(`dot - graphviz version ${gv.version()} (hpcc-js wasm)\n`);
  process.exit(0);
}
const format = (args.find(a => a.startsWith("-T")) || "-Tsvg").slice(2).split(":")[0];
const engine = (args.find(a => a.startsWith("-K")) || "-Kdot").slice(2);
const file = args.find(a => !a.startsWith("-"));
const source = readFileSync(file ?? 0, "utf8");
const svg = gv.layout(source, "svg", engine);
if (format === "svg") {
  process.stdout.write(svg);
} else if (format === "png") {
  const require = createRequire(import.meta.url);
  await initWasm(readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  process.stdout.write(new Resvg(svg, { font: { loadSystemFonts: false } }).render().asPng());
} else {
  process.stdout.write(gv.layout(source, format, engine));
}
