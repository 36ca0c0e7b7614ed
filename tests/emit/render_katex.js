// Renders every formula given on stdin (JSON: [{"tex": ..., "display": bool, "where": ...}]) with
// KaTeX, throwOnError on, and prints the ones that fail as JSON: [{"where": ..., "error": ...}].
const katex = require("katex");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const failures = [];
  for (const { tex, display, where } of JSON.parse(input)) {
    try {
      katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
    } catch (error) {
      failures.push({ where, error: String(error.message || error) });
    }
  }
  process.stdout.write(JSON.stringify(failures));
});
